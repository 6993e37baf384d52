"""Imports and exports: native templates, validation, all-or-nothing writes, the import log and undo.

The layer in five modules, each building on those before it:

- kinds: the declarations (each kind's fields, from which its columns, checks and types follow; refusal and report)
- validation: reading a native file and checking it cell by cell (pandera), and converting it to stored types
- importing: prepare, then commit, all or nothing (the clean native survey file's fast path inside that route)
- log: the import log and undo
- exports: the sample data set, and exports in the native layout

This package's namespace is the layer's interface: callers use `from metrics import ingest` and `ingest.NAME`."""

from __future__ import annotations

from metrics.ingest.kinds import (  # noqa: F401
    FORMULA_START,
    Field,
    ImportRefused,
    ImportReport,
    KINDS,
    Kind,
    Problem,
    REVIEW_KINDS,
    SAMPLE_FILES,
)
from metrics.ingest.validation import (  # noqa: F401
    COMMENT_CONTROLS,
    CONTROLS,
    ID_EMAIL,
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
