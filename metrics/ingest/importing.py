"""An import, all or nothing: prepare a file (read, map, validate, stage), then commit it in one transaction, with the
fast path for a clean native survey file inside the same route; the import log's entry."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import MutableMapping

import duckdb
import pandas as pd

from metrics import answers, personal, store
from metrics.printable import printable

# The reading stages as modules, not through the package (`from metrics.ingest import layouts` would make this
# module import the package that imports it).
import metrics.ingest.layouts as layouts
import metrics.ingest.mapping as mapping_module
import metrics.ingest.native_survey as native_survey
from metrics.ingest.kinds import ImportRefused, ImportReport, KINDS, Kind, Problem
from metrics.ingest.validation import _typed, unneutralise, validate

# ----------------------------------------------------------------------------------------------------------
# Import


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def current_user() -> str:
    return os.environ.get("COLLAB_USER") or getpass.getuser()


@dataclass
class PreparedImport:
    """A file read, mapped and validated, not yet written: what the Data page shows before the analyst confirms."""

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

    @property
    def importable(self) -> bool:
        return not self.blocking

    @property
    def bad_rows(self) -> set[int]:
        return {p.row for p in self.report.problems if p.row is not None}


def prepare_import(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    data: bytes,
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
    """Read and validate a file without writing anything; every problem is listed with row, column and value.

    A clean native survey file is read by DuckDB alone (metrics.ingest.native_survey); `general` forces the general
    reader, which every other file takes. `path`, when given, is where `data` was read from. `allow_any_date`:
    the analyst confirms dates outside 2000 to a year from today (metrics.dates), which are refused otherwise."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    file_name = printable(file_name)   # as every report, refusal and the import log show it
    too_big = upload_too_big(con, len(data))
    if too_big is not None:
        report = ImportReport(file_name, kind, layout or "auto")
        return PreparedImport(kind, file_name, "", pd.DataFrame(), report, [], blocking=[too_big])
    digest = hashlib.sha256(data).hexdigest()
    items = _stored_items(con) if kind in ("survey", "actions") else None
    if (kind == "survey" and not general and layout in (None, "", "auto", "native") and not mapping
            and not constants and date_order is None):
        fast = _prepare_native(con, data, file_name, digest, items, path, allow_any_date)
        if fast is not None:
            return fast
    try:
        if kind == "survey":
            parsed = layouts.read_export(data, file_name, "auto" if layout in (None, "") else layout, date_order,
                                         max_unpacked=upload_limit_bytes(con))
        else:
            table = layouts.read_table(data, file_name, max_unpacked=upload_limit_bytes(con))
    except layouts.LayoutError as error:
        report = ImportReport(file_name, kind, layout or "auto")
        prepared = PreparedImport(kind, file_name, digest, pd.DataFrame(), report, [])
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
                                  survey=survey, parsed_layout=parsed.layout)
        prepared.blocking = [Problem(None, None, None, reason) for reason in survey.blocking]
        cell_problems = [Problem(row, column, value, reason) for row, column, value, reason in survey.cell_problems]
    else:
        frame, row_numbers, _, _, warnings = table
        frame = unneutralise(frame)
        missing = [source for source in (mapping or {}) if source not in frame.columns]
        frame = frame.rename(columns=mapping or {})
        for column, value in (constants or {}).items():
            frame[column] = value
        report = ImportReport(file_name, kind, "native", rows_read=len(frame))
        prepared = PreparedImport(kind, file_name, digest, frame, report, row_numbers, notes=warnings)
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
    """Write a prepared file in one transaction, or raise ImportRefused having written nothing."""
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
        _write(cur, prepared.kind, frame, report, prepared.digest, user or current_user(), replace)
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
    file_name = printable(file_name or path.name)
    too_big = upload_too_big(con, path.stat().st_size)
    if too_big is not None:
        raise ImportRefused(file_name, [str(too_big)])
    if (kind == "survey" and layout in (None, "", "auto", "native") and not (mapping or constants or date_order)
            and not dry_run):
        report = _import_native(con, path, file_name, user or current_user(), allow_any_date)
        if report is not None:
            return report
    prepared = prepare_import(con, kind, path.read_bytes(), file_name, layout=layout,
                              constants=constants, mapping=mapping, date_order=date_order, path=path,
                              allow_any_date=allow_any_date)
    return commit_import(con, prepared, skip_invalid=skip_invalid, replace=replace, dry_run=dry_run, user=user)


DEFAULT_MAX_UPLOAD_MB = 200.0


def max_upload_mb(con: duckdb.DuckDBPyConnection) -> float:
    """The largest file an import reads, in MB (the setting max_upload_mb; 200, Streamlit's own cap, without it)."""
    rows = con.cursor().execute("SELECT value FROM settings WHERE key = 'max_upload_mb'").fetchall()
    try:
        limit = float(rows[0][0]) if rows else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        return DEFAULT_MAX_UPLOAD_MB
    return limit if limit > 0 else DEFAULT_MAX_UPLOAD_MB


def upload_limit_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """The upload limit in bytes: the most a file may be, and the most an .xlsx may unpack to."""
    return int(max_upload_mb(con) * 1024 * 1024)


def upload_too_big(con: duckdb.DuckDBPyConnection, size: int) -> Problem | None:
    """The refusal of a file over the upload limit, checked before a byte of it is parsed; None when it fits."""
    limit = max_upload_mb(con)
    if size <= upload_limit_bytes(con):
        return None
    return Problem(None, None, None,
                   f"the file is {size / 1024 / 1024:,.1f} MB, over the upload limit of {limit:g} MB: split the "
                   f"export by month and import each part, or ask an admin to raise the limit (the setting "
                   f"max_upload_mb).")


def _import_native(con, path: Path, file_name: str, user: str, allow_any_date: bool = False) -> ImportReport | None:
    """A clean native survey file in one pass (metrics.ingest.native_survey.insert), or None to take the long way.

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
    # The rows' order in the table means nothing (every read orders or aggregates), so DuckDB may write them as
    # its threads read them: a quarter off the insert at 1M. A database-wide setting, put back below.
    ordered = con.cursor().execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    try:
        with store.transaction(con) as cur:
            cur.execute("SET preserve_insertion_order = false")
            import_id, first = cur.execute("SELECT nextval('import_id_seq'), NOT EXISTS (SELECT 1 FROM survey_responses)"
                                           ).fetchall()[0]
            rows, months = native_survey.insert(cur, str(path), columns, scales, import_id,
                                                stored_before=not first, allow_any_date=allow_any_date)
            report.rows_read = report.rows_valid = report.rows_imported = rows
            # into an empty store, this file's months are all there are: every month's figures, no filter
            if not first:
                answers.hold_back(cur, f"SELECT * FROM survey_responses WHERE import_id = {int(import_id)}")
            answers.store_figures(cur, None if first else months)
            _log_import(cur, import_id, report, digest, user)
    except native_survey.NotClean:
        return None
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


def _write(cur, kind: str, frame: pd.DataFrame | None, report: ImportReport, digest: str, user: str,
           replace: bool = False) -> None:
    """Write the valid rows (a survey's may be staged already, as the temp table `incoming`, when frame is None)."""
    spec = KINDS[kind]
    import_id = cur.execute("SELECT nextval('import_id_seq')").fetchall()[0][0]
    if kind == "survey":
        if frame is not None:
            _stage_survey(cur, frame)
        staged_rows, touched = _staged_survey(cur)
        unchanged, conflicts = _survey_overlap(cur)
    else:
        staged = frame[list(spec.columns)].copy()
        staged["import_id"] = import_id
        cur.register("incoming", staged)
        unchanged, conflicts = _overlap(cur, spec)
    if conflicts and not replace:
        shown = conflicts[:50]
        more = [f"... and {len(conflicts) - len(shown)} more"] if len(conflicts) > len(shown) else []
        raise ImportRefused(report.file_name, [
            f"{', '.join(map(str, key))}: already stored with different values (a conflict). "
            "Correct the file, or replace the stored rows on purpose (--replace)." for key in shown] + more)
    report.rows_unchanged = unchanged
    report.rows_imported = (staged_rows if kind == "survey" else len(staged)) - unchanged
    report.rows_replaced = len(conflicts)
    if report.rows_imported == 0:
        return  # everything is stored already: the same file twice changes nothing, not even the log
    if conflicts:
        if kind == "survey":
            cur.register("conflict_ids", pd.DataFrame(conflicts, columns=["response_id"]))
            touched |= {m for (m,) in cur.execute("SELECT DISTINCT wave FROM survey_responses WHERE response_id "
                                                   "IN (SELECT response_id FROM conflict_ids)").fetchall()}
        _set_aside(cur, spec, conflicts, import_id)
    if kind == "survey":
        # Responses already stored were skipped (unchanged) or set aside just now (replaced): the rest are added.
        cur.execute("""INSERT INTO survey_responses BY NAME
                       SELECT i.* REPLACE ($id AS import_id) FROM incoming i ANTI JOIN survey_responses s
                       USING (response_id)""", {"id": import_id})
        answers.hold_back(cur, f"SELECT * FROM survey_responses WHERE import_id = {int(import_id)}",
                          f"SELECT * EXCLUDE (replaced_by) FROM replaced_survey_responses "
                          f"WHERE replaced_by = {int(import_id)}")
        answers.store_figures(cur, touched)
    else:
        key = " AND ".join(f"s.{c} = i.{c}" for c in spec.key)
        cur.execute(f"INSERT INTO {spec.table} BY NAME SELECT i.* FROM incoming i "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {spec.table} s WHERE {key})")
    if kind == "items":  # a changed catalogue changes every month's scores
        answers.remember_hidden(cur)
        answers.sync(cur)
        answers.store_figures(cur, None)
    _log_import(cur, import_id, report, digest, user)


def _log_import(cur, import_id: int, report: ImportReport, digest: str, user: str) -> None:
    report.import_id = import_id
    skipped = [p.logged() for p in report.problems]   # row, column and reason: a value may hold personal data
    cur.execute(
        """INSERT INTO imports VALUES ($id, $kind, $file, $hash, $layout, $read, $imported, $unchanged, $skipped,
                                       $skipped_rows, $dropped, $at, $by, NULL)""",
        {"id": import_id, "kind": report.kind, "file": report.file_name, "hash": digest, "layout": report.layout,
         "read": report.rows_read, "imported": report.rows_imported, "unchanged": report.rows_unchanged,
         "skipped": report.rows_skipped, "skipped_rows": json.dumps(skipped),
         "dropped": json.dumps(report.dropped_columns), "at": datetime.now(timezone.utc).replace(tzinfo=None),
         "by": user},
    )


def _set_aside(cur, spec: Kind, conflicts: list[tuple], import_id: int) -> None:
    """Move the stored rows a --replace import overwrites into replaced_<table>, so undo can restore them."""
    keys = pd.DataFrame(conflicts, columns=list(spec.key))
    cur.register("conflict_keys", keys)
    table = spec.table
    match = " AND ".join(f"t.{c} = k.{c}" for c in spec.key)
    cur.execute(f"INSERT INTO replaced_{table} BY NAME SELECT t.*, $id AS replaced_by FROM {table} t "
                f"WHERE EXISTS (SELECT 1 FROM conflict_keys k WHERE {match})", {"id": import_id})
    cur.execute(f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM conflict_keys k WHERE {match})")


def _stage_survey(cur, frame: pd.DataFrame) -> None:
    """The valid rows of a read, mapped and validated file as the temp table `incoming`, typed as stored."""
    submitted = pd.to_datetime(frame["submitted_at"], format="ISO8601")
    wave = frame["wave"] if "wave" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    item_columns = [c for c in frame.columns if c not in KINDS["survey"].columns + KINDS["survey"].optional]
    responses = pd.DataFrame({
        "response_id": frame["response_id"],
        "submitted_at": submitted,
        "wave": wave.where(wave.notna(), submitted.dt.strftime("%Y-%m")),
        "business_unit": frame["business_unit"],
        "department": frame["department"],
        "role": frame["role"],
        "comment": frame["comment"] if "comment" in frame.columns else None,
        **{c: frame[c] for c in item_columns},
    })
    cur.execute("CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM survey_responses LIMIT 0")
    cur.register("incoming_frame", responses)
    # The answers were validated already (whole numbers on their item's scale, or empty); DuckDB casts them.
    casts = ", ".join(f"CAST({answers.quoted(c)} AS SMALLINT) AS {answers.quoted(c)}" for c in item_columns)
    cur.execute("INSERT INTO incoming BY NAME SELECT response_id, submitted_at, wave, business_unit, department, "
                "role, comment, 0 AS import_id" + (f", {casts}" if casts else "") + " FROM incoming_frame")
    cur.unregister("incoming_frame")


def _staged_survey(cur) -> tuple[int, set[str]]:
    rows = cur.execute("SELECT count(*) FROM incoming").fetchall()[0][0]
    return rows, {m for (m,) in cur.execute("SELECT DISTINCT wave FROM incoming").fetchall()}


def _survey_overlap(cur) -> tuple[int, list[tuple]]:
    """Stored responses with the same id: identical ones are skipped, different ones are conflicts."""
    staged = {name for (name, *_) in cur.execute("DESCRIBE incoming").fetchall()}
    compared = [c for c in answers.BASE_COLUMNS if c != "import_id"] + answers.item_columns(cur)
    # An item the file has no column for is unanswered in it.
    same = " AND ".join(f"{'i.' + answers.quoted(c) if c in staged else 'NULL'} IS NOT DISTINCT FROM "
                        f"s.{answers.quoted(c)}" for c in compared)
    rows = cur.execute(f"SELECT i.response_id, {same} AS same FROM incoming i JOIN survey_responses s "
                       "USING (response_id) ORDER BY i.response_id").fetchall()
    unchanged = sum(1 for _, same in rows if same)
    return unchanged, [(rid,) for rid, same in rows if not same]


def _overlap(cur, spec: Kind) -> tuple[int, list[tuple]]:
    value_columns = [c for c in spec.columns if c not in spec.key]
    key = " AND ".join(f"s.{c} = i.{c}" for c in spec.key)
    same = " AND ".join(f"s.{c} IS NOT DISTINCT FROM i.{c}" for c in value_columns) or "true"
    rows = cur.execute(
        f"SELECT {', '.join('i.' + c for c in spec.key)}, ({same}) AS same "
        f"FROM incoming i JOIN {spec.table} s ON {key}"
    ).fetchall()
    unchanged = sum(1 for r in rows if r[-1])
    return unchanged, [r[:-1] for r in rows if not r[-1]]
