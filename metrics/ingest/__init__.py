"""Imports and exports: reading survey exports of seven platforms, native templates, validation, all-or-nothing
writes, the import log and undo.

Reading a file, in stages, each building only on those before it:

- decode: bytes to text (BOMs, UTF-8, charset-normalizer; binary and mixed-encoding files refused)
- grid: text to cells (DuckDB's CSV reader and the delimiter; .xlsx through openpyxl, within bounds)
- values: what a cell means (dates and their day-month order; answers on the catalogue's scales)
- layouts: the platform's layout and what each column is, in one shape (ParsedExport); read_table for templates
- mapping: a survey export to the native survey layout (columns to items, labels to scores, personal data out)
- native_survey: the fast path, a clean native survey file read by DuckDB alone

Then the layer proper, each module building on those before it:

- kinds: the declarations (each kind's columns, key, text and date columns; vocabularies; refusal and report)
- validation: reading a native file and checking it cell by cell (pandera), and converting it to stored types
- importing: prepare, then commit, all or nothing (the clean native survey file's fast path inside that route)
- log: the import log and undo
- exports: the sample data set, and exports in the native layout

This package's namespace is the layer's interface: callers use `from metrics import ingest` and `ingest.NAME`;
the reading stages are used as modules (`metrics.ingest.layouts.read_export`, ...)."""

from __future__ import annotations

from metrics.ingest.kinds import (  # noqa: F401
    BOOL_WORDS,
    DATE,
    DEPARTMENTS,
    FORMULA_START,
    ImportRefused,
    ImportReport,
    KINDS,
    Kind,
    MONTH,
    Problem,
    REVIEW_KINDS,
    ROLES,
    SAMPLE_FILES,
)
from metrics.ingest.validation import (  # noqa: F401
    COMMENT_CONTROLS,
    CONTROLS,
    DECIDERS,
    ID_EMAIL,
    SIDES,
    UNIT_EMAIL,
    _BUILTIN_REASONS,
    _at_most,
    _choice,
    _in_window,
    _is_datetime,
    _is_number,
    _length,
    _matches,
    _no_controls,
    _no_email,
    _problems,
    _required_text,
    _review_schema,
    _schema,
    _to_bool,
    _typed,
    _valid_date,
    unneutralise,
    validate,
)
from metrics.ingest.importing import (  # noqa: F401
    DEFAULT_MAX_UPLOAD_MB,
    PreparedImport,
    UPLOADS_KEPT,
    _column_problems,
    _import_native,
    _log_import,
    _mask_free_text,
    _overlap,
    _prepare_native,
    _preview,
    _set_aside,
    _source_columns,
    _stage_survey,
    _staged_survey,
    _stored_items,
    _survey_overlap,
    _write,
    commit_import,
    current_user,
    file_hash,
    import_file,
    max_upload_mb,
    prepare_import,
    prepare_once,
    upload_limit_bytes,
    upload_too_big,
)
from metrics.ingest.log import (  # noqa: F401
    UndoRefused,
    list_imports,
    undo,
)
from metrics.ingest.exports import (  # noqa: F401
    DEPARTMENT_LABELS,
    EXPORT_FORMATS,
    KIND_LABELS,
    LAYOUT_LABELS,
    _survey_wide,
    changed_mapping,
    dropped_summary,
    export,
    export_bytes,
    export_frame,
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
