"""An import, all or nothing: prepare a file (read, map, validate, stage), then commit it in one transaction. This
is the one route of every file, from the Data page and the command line alike; a clean native survey file's fast
paths (staged by DuckDB from an upload's bytes, or streamed by DuckDB from a file on disk) are plans inside it."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import MutableMapping

import duckdb
import pandas as pd

from metrics import personal, store
from metrics.store import answers
from metrics.printable import printable

# The reading stages as modules, not through the package (`from metrics.ingest import layouts` would make this
# module import the package that imports it).
import metrics.ingest.layouts as layouts
import metrics.ingest.mapping as mapping_module
import metrics.ingest.native_survey as native_survey
import metrics.ingest.viva as viva
from metrics.ingest.kinds import ImportRefused, ImportReport, KINDS, Problem
from metrics.ingest.limits import upload_limit_bytes, upload_too_big
from metrics.ingest.validation import _typed, unneutralise, validate
from metrics.ingest.writing import log_import, write_rows

# ----------------------------------------------------------------------------------------------------------
# Import


def current_user() -> str:
    return os.environ.get("COLLAB_USER") or getpass.getuser()


@dataclass
class PreparedImport:
    """A file read, mapped and validated, not yet written: what the Data page shows before the analyst confirms.
    A streamed plan (`streamed`, the command line's clean native survey) is read and checked only as it is
    committed: until then its report counts no rows."""

    kind: str
    file_name: str
    digest: str
    frame: pd.DataFrame                  # native columns, text cells (staged: the first rows only, a preview)
    report: ImportReport
    row_numbers: list[int]               # the file's row number of each frame row
    blocking: list[Problem] = field(default_factory=list)   # whole-file problems: nothing can be imported
    mapping_table: pd.DataFrame | None = None               # survey: each source column and where it goes
    notes: list[str] = field(default_factory=list)
    survey: object | None = None                            # mapping.SurveyFrame, to remember the mapping
    parsed_layout: str | None = None
    staged: duckdb.DuckDBPyConnection | None = None         # a clean native survey: the cursor holding `incoming`
    streamed: Path | None = None       # a native survey file on disk, to be read by DuckDB as it is committed
    columns: list[str] = field(default_factory=list)        # streamed: the file's header
    options: dict = field(default_factory=dict)             # what it was prepared with, to read it again
    remember: tuple[str, str, dict] | None = None           # (layout, signature, mapping) to keep as it commits
    organizations: pd.DataFrame | None = None               # a Viva file's organizations and where each goes

    @property
    def importable(self) -> bool:
        return not self.blocking

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.report.problems if p.row is not None}


def prepare_import(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    data: bytes | None,
    file_name: str,
    *,
    layout: str = "auto",
    constants: dict[str, str] | None = None,
    mapping: dict[str, str] | None = None,
    date_order: str | None = None,
    path: str | Path | None = None,
    general: bool = False,
    allow_any_date: bool = False,
) -> PreparedImport:
    """Read and validate a file without writing anything; every problem is listed with row, column and value
    (a streamed plan's file is checked as it is committed, and prepared the ordinary way if it is not clean).

    This is the one route of every file, the command line's and the Data page's: prepare, then commit_import.
    `data` is the file's bytes; None reads it from `path` (the command line), where a clean native survey file
    is not read here at all but planned to be streamed by DuckDB as it is committed (`streamed`). A clean native
    survey given as bytes is staged by DuckDB alone (metrics.ingest.native_survey); `general` forces the general reader,
    which every other file takes. `path`, when given, is where the file is. `allow_any_date`: the analyst
    confirms dates outside 2000 to a year from today (metrics.dates), which are refused otherwise."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    file_name = printable(file_name)   # as every report, refusal and the import log show it
    options = dict(layout=layout, constants=constants, mapping=mapping, date_order=date_order, path=path,
                   general=general, allow_any_date=allow_any_date)
    too_big = upload_too_big(con, len(data) if data is not None else Path(path).stat().st_size)
    if too_big is not None:
        report = ImportReport(file_name, kind, layout or "auto")
        return PreparedImport(kind, file_name, "", pd.DataFrame(), report, [], blocking=[too_big], options=options)
    native = (kind == "survey" and not general and layout in (None, "", "auto", "native") and not mapping
              and not constants and date_order is None)
    if data is None:
        streamed = _plan_streamed(con, Path(path), file_name, options) if native else None
        if streamed is not None:
            return streamed
        data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    items = _stored_items(con) if kind in ("survey", "actions") else None
    if native:
        fast = _prepare_native(con, data, file_name, digest, items, path, allow_any_date)
        if fast is not None:
            fast.options = options
            return fast
    try:
        if kind == "survey":
            parsed = layouts.read_export(data, file_name, "auto" if layout in (None, "") else layout, date_order,
                                         max_unpacked=upload_limit_bytes(con))
        else:
            table = layouts.read_table(data, file_name, max_unpacked=upload_limit_bytes(con))
    except layouts.LayoutError as error:
        report = ImportReport(file_name, kind, layout or "auto")
        prepared = PreparedImport(kind, file_name, digest, pd.DataFrame(), report, [], options=options)
        prepared.blocking = [Problem(None, None, None, str(error).removeprefix(f"{file_name}: "))]
        return prepared
    if kind == "survey":
        parsed.frame = unneutralise(parsed.frame)
        survey = mapping_module.build_survey_frame(con, parsed, items, mapping, constants, date_order)
        frame, row_numbers = survey.frame, survey.row_numbers
        frame = frame.astype(object).where(frame.notna(), None)
        report = ImportReport(file_name, kind, parsed.layout, rows_read=len(frame),
                              dropped_columns=survey.dropped_columns)
        prepared = PreparedImport(kind, file_name, digest, frame, report, row_numbers,
                                  mapping_table=survey.mapping_table, notes=parsed.warnings + survey.notes,
                                  survey=survey, parsed_layout=parsed.layout, options=options)
        prepared.blocking = [Problem(None, None, None, reason) for reason in survey.blocking]
        cell_problems = [Problem(row, column, value, reason) for row, column, value, reason in survey.cell_problems]
    else:
        frame, row_numbers, _, _, warnings = table
        frame = unneutralise(frame)
        # ---- collaboration: a Viva Insights export (issue 19; metrics.ingest.viva reads it) ----
        if kind == "collaboration" and layout in (None, "", "auto", viva.LAYOUT):
            read = viva.read(con, frame, row_numbers, mapping, constants, date_order, file_name)
            if read is not None:
                return _prepare_viva(read, file_name, digest, warnings, options, allow_any_date)
            if layout == viva.LAYOUT:
                report = ImportReport(file_name, kind, viva.LAYOUT)
                return PreparedImport(kind, file_name, digest, pd.DataFrame(), report, [], options=options, blocking=[
                    Problem(None, None, None, "not a Viva Insights group-to-group query: its header has no "
                                              "PrimaryCollaborator_Organization, SecondaryCollaborator_Organization "
                                              "and Group collaboration time invested")])
        # ---- end collaboration ----
        missing = [source for source in (mapping or {}) if source not in frame.columns]
        frame = frame.rename(columns=mapping or {})
        for column, value in (constants or {}).items():
            frame[column] = value
        report = ImportReport(file_name, kind, "native", rows_read=len(frame))
        prepared = PreparedImport(kind, file_name, digest, frame, report, row_numbers, notes=warnings,
                                  options=options)
        prepared.blocking = [Problem(None, c, None, f"the mapping names column {c!r}, which the file does not have")
                             for c in missing]
        cell_problems = []
    if prepared.blocking:
        return prepared
    prepared.blocking = _column_problems(kind, frame, items)
    if not prepared.blocking and report.rows_read == 0:
        prepared.blocking = [Problem(None, None, None, "the file has a header but no rows below it: nothing to "
                                     "import. Export the data again with its rows, or fill in the template below "
                                     "its header.")]
    if prepared.blocking:
        return prepared
    report.problems = sorted(cell_problems + validate(frame, kind, items, row_numbers, allow_any_date),
                             key=lambda p: (p.row or 0, p.column or ""))
    if kind == "survey":
        # A problem names the column of the file it came from ('EndDate', not 'submitted_at'): the one to fix.
        sources = _source_columns(parsed, survey, constants or {})
        for problem in report.problems:
            problem.column = sources.get(problem.column, problem.column)
    report.rows_valid = len(frame) - len(prepared.bad_rows)
    report.masked = _mask_free_text(kind, frame, [row not in prepared.bad_rows for row in row_numbers])
    return prepared


def _prepare_viva(read: viva.VivaRead, file_name: str, digest: str, warnings: list[str], options: dict,
                  allow_any_date: bool) -> PreparedImport:
    """A Viva export read into the collaboration kind, validated as a native file would be: the file's own problems
    (row and reason) and the summed rows' checks. Rows read are the file's; its rows not between marketing and IT
    are listed in the notes, not counted as invalid."""
    report = ImportReport(file_name, "collaboration", viva.LAYOUT, dropped_columns=read.dropped_columns)
    prepared = PreparedImport("collaboration", file_name, digest, read.frame, report, read.row_numbers,
                              notes=warnings + read.notes, organizations=read.organizations, parsed_layout=viva.LAYOUT,
                              options=options, blocking=[Problem(None, None, None, reason) for reason in read.blocking],
                              remember=(viva.MAPPING_LAYOUT, viva.MAPPING_SIGNATURE, read.remember)
                              if read.remember else None)
    report.notes = prepared.notes
    problems = [Problem(*problem) for problem in read.problems]
    if not prepared.blocking and not read.frame.empty:
        problems += validate(read.frame, "collaboration", None, read.row_numbers, allow_any_date)
    report.problems = sorted(problems, key=lambda p: (p.row or 0, p.column or ""))
    report.rows_read = read.file_rows
    report.rows_valid = report.rows_read - len(prepared.bad_rows)
    return prepared


def _mask_free_text(kind: str, frame: pd.DataFrame, kept: list[bool]) -> dict[str, int]:
    """Mask e-mail addresses, phone numbers and IP addresses in the kind's free text, in place (after validation,
    which judges the text as the file has it); how many of each the rows to be imported held."""
    total: dict[str, int] = {}
    for column in KINDS[kind].free_text:
        if column not in frame.columns:
            continue
        results = [personal.mask(v) if personal.has_personal(v) else (v, {}) for v in frame[column]]
        frame[column] = pd.Series([text for text, _ in results], index=frame.index, dtype=object)
        for (_, counts), keep in zip(results, kept):
            if keep:
                personal.add(total, counts)
    return total


UPLOADS_KEPT = 2   # the file as it comes, and with the analyst's mapping changes


def prepare_once(cache: MutableMapping, con: duckdb.DuckDBPyConnection, kind: str, data: bytes, file_name: str,
                 **options) -> PreparedImport:
    """prepare_import, once per file and choice of options: the Data page runs again on every click, and must not
    read a 200 MB upload again each time. `cache` (the page's session state) keeps the newest UPLOADS_KEPT. The
    key is the file's content hash with its name and kind, the options, and the store's state (metrics.store's
    cache_key), so after an import, an undo or a changed setting the file is read afresh. A PreparedImport that
    was committed must not be committed again: the caller empties the cache after a commit."""
    key = (hashlib.sha256(data).hexdigest(), file_name, kind, json.dumps(options, sort_keys=True, default=str),
           store.cache_key(con))
    if key in cache:
        cache[key] = cache.pop(key)   # the newest again
        return cache[key]
    while len(cache) >= UPLOADS_KEPT:
        older = cache.pop(next(iter(cache)))
        if older.staged is not None:
            older.staged.close()   # its temp table holds the whole file
    cache[key] = prepare_import(con, kind, data, file_name, **options)
    return cache[key]


def _source_columns(parsed: layouts.ParsedExport, survey: mapping_module.SurveyFrame,
                    constants: dict[str, str]) -> dict[str, str]:
    """Each native survey field fed by a column of the file (not by a constant): field -> the file's column."""
    sources = {"submitted_at": parsed.submitted_column}
    if not parsed.id_is_personal:
        sources["response_id"] = parsed.id_column
    table = survey.mapping_table
    for source, target in zip(table["source"], table["target"]):
        if target in mapping_module.FIELDS:
            sources.setdefault(target, source)
    return {field: source for field, source in sources.items() if source and field not in constants}


def _prepare_native(con, data: bytes, file_name: str, digest: str, items: pd.DataFrame,
                    path: str | Path | None, allow_any_date: bool = False) -> PreparedImport | None:
    """The fast path: a clean native survey staged by DuckDB, or None for the general reader to take it."""
    scales = dict(zip(items["item_id"], items["scale"]))
    if native_survey.applies(data, scales) is None:
        return None
    preview = _preview(con, data, file_name, allow_any_date)
    if preview is None:
        return None
    cur = con.cursor()
    rows = native_survey.stage(cur, data, path, scales, allow_any_date=allow_any_date)
    if rows is None:
        cur.close()
        return None
    report = ImportReport(file_name, "survey", "native", rows_read=rows, rows_valid=rows,
                          dropped_columns=preview.report.dropped_columns, masked=native_survey.masked_counts(cur))
    return PreparedImport("survey", file_name, digest, preview.frame, report, [], mapping_table=preview.mapping_table,
                          notes=preview.notes, survey=preview.survey, parsed_layout="native", staged=cur)


def commit_import(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedImport,
    *,
    skip_invalid: bool = False,
    replace: bool = False,
    dry_run: bool = False,
    user: str | None = None,
) -> ImportReport:
    """Write a prepared file in one transaction, or raise ImportRefused having written nothing.

    A streamed native survey is read by DuckDB inside the transaction; when a row turns out to need the general
    reader (or it is a dry run, which must count every row), the file is prepared again the ordinary way, and
    that is what is committed."""
    if prepared.streamed is not None:
        if not dry_run:
            report = _commit_streamed(con, prepared, user or current_user())
            if report is not None:
                return report
        prepared = prepare_import(con, prepared.kind, prepared.streamed.read_bytes(), prepared.file_name,
                                  **prepared.options)
    report = prepared.report
    if prepared.blocking:
        raise ImportRefused(report.file_name, [str(p) for p in prepared.blocking])
    if report.problems and not skip_invalid:
        raise ImportRefused(report.file_name, [str(p) for p in report.problems]
                            + ["Fix these rows, or import only the valid rows (--skip-invalid)."])
    if report.rows_valid == 0:
        raise ImportRefused(report.file_name, ["file: no valid row to import."])
    if dry_run:
        report.dry_run = True
        return report
    if prepared.staged is not None:
        frame = None  # staged already, as the temp table `incoming` on that cursor
    else:
        keep = [row not in prepared.bad_rows for row in prepared.row_numbers]
        frame = _typed(prepared.kind, prepared.frame[keep])
    with store.transaction(con, prepared.staged) as cur:
        write_rows(cur, prepared.kind, frame, report, prepared.digest, user or current_user(), replace)
        if prepared.remember is not None:   # a Viva file's organizations, mapped once
            mapping_module.remember_mapping(cur, *prepared.remember)
        survey = prepared.survey
        if survey is not None and survey.chosen_mapping:
            mapping_module.remember_mapping(cur, prepared.parsed_layout, survey.signature,
                                            {**mapping_module.saved_mapping(con, prepared.parsed_layout,
                                                                            survey.signature),
                                             **survey.chosen_mapping})
    return report


def import_file(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    path: str | Path,
    *,
    file_name: str | None = None,
    layout: str = "auto",
    constants: dict[str, str] | None = None,
    mapping: dict[str, str] | None = None,
    date_order: str | None = None,
    skip_invalid: bool = False,
    replace: bool = False,
    dry_run: bool = False,
    user: str | None = None,
    allow_any_date: bool = False,
) -> ImportReport:
    """Read, validate and store one file in one transaction; raise ImportRefused and write nothing on failure.
    `allow_any_date`: the analyst confirms dates outside 2000 to a year from today (--allow-any-date)."""
    path = Path(path)
    prepared = prepare_import(con, kind, None, file_name or path.name, layout=layout, constants=constants,
                              mapping=mapping, date_order=date_order, path=path, allow_any_date=allow_any_date)
    return commit_import(con, prepared, skip_invalid=skip_invalid, replace=replace, dry_run=dry_run, user=user)


def _plan_streamed(con, path: Path, file_name: str, options: dict) -> PreparedImport | None:
    """A native survey file on disk whose header is the template's: planned to be read by DuckDB in one pass as it
    is committed (metrics.ingest.native_survey.insert); None for the file to be read here.

    Python reads only the file's head (its header) and streams the rest through the hash: DuckDB reads the file,
    and a NUL or other binary byte past the head stops the insert like any other flaw."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    scales = dict(con.cursor().execute("SELECT item_id, scale FROM survey_items").fetchall())
    columns = native_survey.applies(head, scales)
    if columns is None:
        return None
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    report = ImportReport(file_name, "survey", "native")   # every column is the template's or an item's
    return PreparedImport("survey", file_name, digest, pd.DataFrame(), report, [], parsed_layout="native",
                          streamed=path, columns=columns, options=options)


def _commit_streamed(con, prepared: PreparedImport, user: str) -> ImportReport | None:
    """The streamed plan's commit, in one transaction; None (nothing written) when a row needs the general reader."""
    report, path = prepared.report, prepared.streamed
    # The rows' order in the table means nothing (every read orders or aggregates), so DuckDB may write them as
    # its threads read them: a quarter off the insert at 1M. A database-wide setting, put back below.
    ordered = con.cursor().execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    try:
        with store.transaction(con) as cur:
            cur.execute("SET preserve_insertion_order = false")
            # the catalogue as it is now, in this transaction: an import may have changed it since the plan
            scales = dict(cur.execute("SELECT item_id, scale FROM survey_items").fetchall())
            import_id, first = cur.execute("SELECT nextval('import_id_seq'), NOT EXISTS (SELECT 1 FROM survey_responses)"
                                           ).fetchall()[0]
            rows, months = native_survey.insert(cur, str(path), prepared.columns, scales, import_id,
                                                stored_before=not first,
                                                allow_any_date=prepared.options.get("allow_any_date", False))
            report.rows_read = report.rows_valid = report.rows_imported = rows
            # into an empty store, this file's months are all there are: every month's figures, no filter
            if not first:
                answers.hold_back(cur, f"SELECT * FROM survey_responses WHERE import_id = {int(import_id)}")
            answers.store_figures(cur, None if first else months)
            log_import(cur, import_id, report, prepared.digest, user)
    except native_survey.NotClean:
        return None   # rolled back before the log entry: the report is still the plan's, which commit_import drops
    finally:
        con.cursor().execute(f"SET preserve_insertion_order = {bool(ordered)}")
    return report


def _preview(con, data: bytes, file_name: str, allow_any_date: bool = False) -> PreparedImport | None:
    """The file's first lines through the general reader: the page's preview and mapping table, and a check that
    the general reader sees a clean native file too."""
    head = b"\n".join(data[:65536].split(b"\n")[:21])
    preview = prepare_import(con, "survey", head, file_name, general=True, allow_any_date=allow_any_date)
    if (not preview.importable or preview.report.problems or preview.parsed_layout != "native"
            or preview.report.rows_read == 0):
        return None
    return preview


def _stored_items(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.cursor().execute("SELECT item_id, scale, text, dimension FROM survey_items ORDER BY item_id").df()


def _column_problems(kind: str, frame: pd.DataFrame, items: pd.DataFrame | None) -> list[Problem]:
    spec = KINDS[kind]
    known = set(spec.columns) | set(spec.optional)
    if kind == "survey":
        known |= set(items["item_id"])
    problems = [Problem(None, c, None, f"required column {c!r} is missing: add it to the header (the {kind} "
                                       f"template's columns are: {', '.join(spec.columns)})")
                for c in spec.columns if c not in frame.columns and not frame.empty]
    for column in frame.columns:
        if column not in known:
            hint = (" Import the item catalogue that defines it first, or fix the header."
                    if kind == "survey" else f" Remove or rename it: the {kind} template's columns are: "
                                             f"{', '.join(spec.columns)}.")
            problems.append(Problem(None, column, None, f"unknown column {column!r}.{hint}"))
    if kind == "survey" and not problems and not (set(frame.columns) & set(items["item_id"])):
        problems.append(Problem(None, None, None, "no column is an item of the catalogue: nothing to score."))
    return problems

