"""Imports and exports: native templates, validation, all-or-nothing writes, the import log and undo.

The layer in seven modules, each building on those before it:

- kinds: the declarations (each kind's fields, from which its columns, checks and types follow; refusal and report)
- validation: reading a native file and checking it cell by cell (pandera), and converting it to stored types
- limits: the upload limit, checked before a byte of a file is parsed
- writing: a prepared file's rows written inside the caller's transaction, and the import log's entry
- importing: prepare, then commit, all or nothing: the one route of every file (a clean native survey file's
  one-pass read is a plan inside it)
- log: the import log and undo
- exports: the sample data set, and exports in the native layout

This package's namespace is the layer's interface: callers use `from metrics import ingest` and `ingest.NAME`;
a test that reaches a module's own parts names the module (`ingest.importing`)."""

from __future__ import annotations

from metrics.ingest import exports, importing, kinds, limits, log, validation, writing  # noqa: F401
from metrics.ingest.exports import (  # noqa: F401
    EXPORT_FORMATS,
    KIND_LABELS,
    LAYOUT_LABELS,
    changed_mapping,
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
