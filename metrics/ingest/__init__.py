"""Imports and exports: reading survey exports of seven platforms, native templates, validation, all-or-nothing
writes, the import log and undo.

Reading a file, in stages, each building only on those before it:

- decode: bytes to text (BOMs, UTF-8, charset-normalizer; binary and mixed-encoding files refused)
- grid: text to cells (DuckDB's CSV reader and the delimiter; .xlsx through openpyxl, within bounds)
- values: what a cell means (dates and their day-month order; answers on the catalogue's scales)
- layouts: the platform's layout and what each column is, in one shape (ParsedExport); read_table for templates
- mapping: a survey export to the native survey layout (columns to items, labels to scores, personal data out)
- native_survey: the fast path, a clean native survey file read by DuckDB alone

Then the layer proper, in nine modules, each building on those before it:

- kinds: the declarations (each kind's fields, from which its columns, checks and types follow; refusal and report)
- validation: reading a native file and checking it cell by cell (pandera), and converting it to stored types
- limits: the upload limit, checked before a byte of a file is parsed
- writing: a prepared file's rows written inside the caller's transaction, and the import log's entry
- calendar: an .ics calendar export and its people roster to meetings and attendance (issue 19), written in one
  transaction with one log entry
- viva_meetings: Viva Insights' meeting query to meetings (issue 19), the calendar's subject rules and the
  organizations' mapping of metrics.ingest.viva choosing the marketing-IT meetings
- importing: prepare, then commit, all or nothing: the one route of every file (a clean native survey file's
  one-pass read is a plan inside it)
- log: the import log and undo
- exports: the sample data set, and exports in the native layout

This package's namespace is the layer's interface: callers use `from metrics import ingest` and `ingest.NAME`;
a test that reaches a module's own parts names the module (`ingest.importing`); the reading stages are used
as modules (`metrics.ingest.layouts.read_export`, ...)."""

from __future__ import annotations

from metrics.ingest import calendar, exports, importing, kinds, limits, log, validation, writing  # noqa: F401
from metrics.ingest.exports import (  # noqa: F401
    DEPARTMENT_LABELS,
    EXPORT_FORMATS,
    KIND_LABELS,
    LAYOUT_LABELS,
    EXAMPLE_FILES,
    TOOL_LAYOUTS,
    changed_mapping,
    changed_rules,
    example_files,
    rules_rows,
    dropped_summary,
    export,
    export_bytes,
    held_notes,
    import_history,
    load_sample,
    mapping_rows,
    mapping_targets,
    masked_summary,
    neutralise_formula,
    problems_table,
    template_csv,
)
from metrics.ingest.importing import (  # noqa: F401
    PreparedImport,
    commit_import,
    current_user,
    import_file,
    prepare_import,
    prepare_once,
)
from metrics.ingest.kinds import (  # noqa: F401
    FORMULA_START,
    Field,
    KINDS,
    REVIEW_KINDS,
    SAMPLE_FILES,
    ImportRefused,
    ImportReport,
    Kind,
    Problem,
)
from metrics.ingest.limits import max_upload_mb, upload_limit_bytes, upload_too_big  # noqa: F401
from metrics.ingest.log import UndoRefused, list_imports, undo  # noqa: F401
from metrics.ingest.validation import ID_EMAIL, UNIT_EMAIL, validate  # noqa: F401
