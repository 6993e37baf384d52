"""An import, all or nothing: prepare a file (read, map, validate, stage), then commit it in one transaction. This
is the one route of every file, from the Data page and the command line alike; a clean native survey file's fast
paths (staged by DuckDB from an upload's bytes, or streamed by DuckDB from a file on disk) are plans inside it."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
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
import metrics.ingest.calendar as calendar
import metrics.ingest.layouts as layouts
import metrics.ingest.mapping as mapping_module
import metrics.ingest.native_survey as native_survey
import metrics.ingest.adapted as adapted_module
import metrics.ingest.viva as viva
import metrics.ingest.viva_meetings as viva_meetings
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
    # a calendar (.ics, metrics.ingest.calendar): its invitations, written with the meetings in one transaction
    attendance: pd.DataFrame | None = None
    attendance_rows: list[int] = field(default_factory=list)
    subject_rules: dict[str, str] = field(default_factory=dict)   # the analyst's subject rules, remembered on commit
    # a tracker's, finance sheet's or Viva file's rules the analyst gave, added to those remembered as it commits:
    # (layout, signature, mapping)
    remember: tuple[str, str, dict] | None = None
    rules: pd.DataFrame | None = None                       # the rules a tracker or finance sheet was read with
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
    roster: tuple[str, bytes] | None = None,
    rules: dict[str, str] | None = None,
    percent_as: str | None = None,
) -> PreparedImport:
    """Read and validate a file without writing anything; every problem is listed with row, column and value
    (a streamed plan's file is checked as it is committed, and prepared the ordinary way if it is not clean).

    This is the one route of every file, the command line's and the Data page's: prepare, then commit_import.
    `data` is the file's bytes; None reads it from `path` (the command line), where a clean native survey file
    is not read here at all but planned to be streamed by DuckDB as it is committed (`streamed`). A clean native
    survey given as bytes is staged by DuckDB alone (metrics.ingest.native_survey); `general` forces the general reader,
    which every other file takes. `path`, when given, is where the file is. `allow_any_date`: the analyst
    confirms dates outside 2000 to a year from today (metrics.dates), which are refused otherwise. A calendar
    (meetings from an .ics file) takes `roster` (its name and bytes) and subject `rules` (PATTERN -> TYPE).
    `percent_as`: how a finance sheet's bare 0.052 in a _pct KPI is meant (fraction or percent), when its values
    do not say."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    file_name = printable(file_name)   # as every report, refusal and the import log show it
    options = dict(layout=layout, constants=constants, mapping=mapping, date_order=date_order, path=path,
                   general=general, allow_any_date=allow_any_date, roster=roster, rules=rules, percent_as=percent_as)
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
    if kind == "meetings" and calendar.is_calendar(data):   # by content, whatever the file's name (issue 19)
        return _prepare_calendar(con, data, file_name, digest, options)
    items = _stored_items(con) if kind in ("survey", "actions") else None
    if native:
        fast = _prepare_native(con, data, file_name, digest, items, path, allow_any_date)
        if fast is not None:
            fast.options = options
            return fast
    adapted = None
    try:
        if kind == "survey":
            parsed = layouts.read_export(data, file_name, "auto" if layout in (None, "") else layout, date_order,
                                         max_unpacked=upload_limit_bytes(con))
        else:
            # ---- issue 19: a tracker's export or a finance sheet, read by its own reader (None: a native file) ----
            adapted = _read_adapted(con, kind, data, file_name, layout, constants, mapping, date_order, percent_as)
            if adapted is None:
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
    elif adapted is not None:
        frame, row_numbers = unneutralise(adapted.frame), adapted.row_numbers
        report = ImportReport(file_name, kind, adapted.layout, rows_read=len(frame),
                              dropped_columns=adapted.dropped_columns, notes=adapted.notes)
        prepared = PreparedImport(kind, file_name, digest, frame, report, row_numbers, notes=adapted.notes,
                                  options=options, rules=adapted.rules,
                                  remember=(adapted.remember[0], adapted_module.SIGNATURE, adapted.remember[1])
                                  if adapted.remember else None,
                                  mapping_table=_dropped_table(adapted.dropped))
        prepared.blocking = [Problem(None, None, None, reason) for reason in adapted.blocking]
        cell_problems = [Problem(row, column, value, reason) for row, column, value, reason in adapted.cell_problems]
        # ---- end of issue 19's branch ----
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
        # ---- meetings: a Viva Insights meeting query (issue 19; metrics.ingest.viva_meetings reads it) ----
        if (kind == "meetings" and layout in (None, "", "auto", viva_meetings.LAYOUT)
                and viva.detect(frame.columns) == "meeting"):
            read = viva_meetings.read(con, frame, row_numbers, mapping, constants, rules, date_order, file_name)
            return _prepare_viva(read, file_name, digest, warnings, options, allow_any_date, "meetings")
        # ---- end meetings ----
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
    if not prepared.blocking and report.rows_read == 0 and not cell_problems:   # a reader's rows all refused: say why
        prepared.blocking = [Problem(None, None, None, "the file has a header but no rows below it: nothing to "
                                     "import. Export the data again with its rows, or fill in the template below "
                                     "its header.")]
    if prepared.blocking:
        return prepared
    checked = validate(frame, kind, items, row_numbers, allow_any_date)
    if adapted is not None:   # a cell its reader could not fill was reported by the reader: not again as empty
        reported = {p.row for p in cell_problems}
        checked = [p for p in checked if not (p.row in reported and p.value in (None, ""))]
    report.problems = sorted(cell_problems + checked, key=lambda p: (p.row or 0, p.column or ""))
    if kind == "survey":
        # A problem names the column of the file it came from ('EndDate', not 'submitted_at'): the one to fix.
        sources = _source_columns(parsed, survey, constants or {})
        for problem in report.problems:
            problem.column = sources.get(problem.column, problem.column)
    report.rows_valid = sum(1 for row in row_numbers if row not in prepared.bad_rows)   # a wide row gives several
    report.masked = _mask_free_text(kind, frame, [row not in prepared.bad_rows for row in row_numbers])
    return prepared


def _prepare_viva(read: viva.VivaRead, file_name: str, digest: str, warnings: list[str], options: dict,
                  allow_any_date: bool, kind: str = "collaboration") -> PreparedImport:
    """A Viva export read into the collaboration kind (or a meeting query into meetings), validated as a native file
    would be: the file's own problems (row and reason) and the rows' checks. Rows read are the file's; its rows not
    between marketing and IT are listed in the notes, not counted as invalid."""
    layout = viva.LAYOUT if kind == "collaboration" else viva_meetings.LAYOUT
    report = ImportReport(file_name, kind, layout, dropped_columns=read.dropped_columns)
    prepared = PreparedImport(kind, file_name, digest, read.frame, report, read.row_numbers,
                              notes=warnings + read.notes, organizations=read.organizations, parsed_layout=layout,
                              options=options, blocking=[Problem(None, None, None, reason) for reason in read.blocking],
                              remember=(viva.MAPPING_LAYOUT, viva.MAPPING_SIGNATURE, read.remember)
                              if read.remember else None, subject_rules=read.rules)
    report.notes = prepared.notes
    problems = [Problem(*problem) for problem in read.problems]
    if not prepared.blocking and not read.frame.empty:
        problems += validate(read.frame, kind, None, read.row_numbers, allow_any_date)
    report.problems = sorted(problems, key=lambda p: (p.row or 0, p.column or ""))
    report.rows_read = read.file_rows
    if kind == "meetings":   # a meeting query: its marketing-IT meetings, as a calendar's (the rest are in the notes)
        report.rows_read = len(set(read.row_numbers) | {problem[0] for problem in read.problems})
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
    if native_survey.applies(data, scales) is None or store.is_remote(con):  # the server reads no file of ours
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
    if prepared.attendance is not None:   # a calendar: meetings and attendance, one transaction, one log entry
        return _commit_calendar(con, prepared, user or current_user())
    if prepared.staged is not None:
        frame = None  # staged already, as the temp table `incoming` on that cursor
    else:
        keep = [row not in prepared.bad_rows for row in prepared.row_numbers]
        frame = _typed(prepared.kind, prepared.frame[keep])
    with store.transaction(con, prepared.staged) as cur:
        write_rows(cur, prepared.kind, frame, report, prepared.digest, user or current_user(), replace)
        if prepared.remember is not None:   # a tracker's, finance sheet's or Viva file's rules (issue 19)
            rules_layout, signature, rules = prepared.remember
            mapping_module.remember_mapping(cur, rules_layout, signature,
                                            {**mapping_module.saved_mapping(con, rules_layout, signature), **rules})
        if prepared.subject_rules:   # a Viva meeting query's subject rules, kept as a calendar's are (issue 19)
            calendar.remember_rules(cur, prepared.subject_rules)
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
    roster: str | Path | tuple[str, bytes] | None = None,
    rules: dict[str, str] | None = None,
    percent_as: str | None = None,
) -> ImportReport:
    """Read, validate and store one file in one transaction; raise ImportRefused and write nothing on failure.
    `allow_any_date`: the analyst confirms dates outside 2000 to a year from today (--allow-any-date). `roster`
    and `rules`: a calendar's people roster (a path, or its name and bytes) and subject rules (--roster, --rule)."""
    path = Path(path)
    people = roster if isinstance(roster, tuple) or roster is None else (Path(roster).name, Path(roster).read_bytes())
    prepared = prepare_import(con, kind, None, file_name or path.name, layout=layout, constants=constants,
                              mapping=mapping, date_order=date_order, path=path, allow_any_date=allow_any_date,
                              roster=people, rules=rules, percent_as=percent_as)
    return commit_import(con, prepared, skip_invalid=skip_invalid, replace=replace, dry_run=dry_run, user=user)


# ----------------------------------------------------------------------------------------------------------
# Calendars (.ics, issue 19): read by metrics.ingest.calendar; here only what the one route needs of them


def _prepare_calendar(con, data: bytes, file_name: str, digest: str, options: dict) -> PreparedImport:
    """An .ics file of meetings: read with its roster and rules, then each meeting and invitation validated as a
    native row would be."""
    limit = upload_limit_bytes(con)
    roster = options.get("roster")
    people = calendar.read_roster(roster[1], printable(roster[0]), limit) if roster else None
    read = calendar.read_calendar(con, data, file_name, roster=people, rules=options.get("rules"),
                                  constants=options.get("constants"), allow_any_date=options.get("allow_any_date"))
    report = ImportReport(file_name, "meetings", calendar.LAYOUT, rows_read=len(read.meetings),
                          dropped_columns=read.dropped)
    report.notes = read.notes
    prepared = PreparedImport("meetings", file_name, digest, read.meetings, report, read.row_numbers,
                              blocking=read.blocking, notes=read.notes, parsed_layout=calendar.LAYOUT,
                              options=options, attendance=read.attendance, attendance_rows=read.attendance_rows,
                              subject_rules=read.rules)
    if prepared.blocking:
        return prepared
    if report.rows_read == 0 and not read.problems:
        prepared.blocking = [Problem(None, None, None, "no meeting in the calendar took place in the data window "
                                     "(see the notes): nothing to import.")]
        return prepared
    bad = {p.row for p in read.problems}
    fine = [row not in bad for row in read.row_numbers]
    problems = read.problems + validate(read.meetings.loc[fine], "meetings", None,
                                        [r for r, ok in zip(read.row_numbers, fine) if ok], options["allow_any_date"])
    fine_a = [row not in bad for row in read.attendance_rows]
    problems += validate(read.attendance.loc[fine_a], "attendance", None,
                         [r for r, ok in zip(read.attendance_rows, fine_a) if ok], options["allow_any_date"])
    report.problems = sorted(problems, key=lambda p: (p.row or 0, p.column or ""))
    report.rows_valid = len(read.meetings) - sum(1 for row in read.row_numbers if row in prepared.bad_rows)
    return prepared


def _commit_calendar(con, prepared: PreparedImport, user: str) -> ImportReport:
    bad = prepared.bad_rows
    meetings = _typed("meetings", prepared.frame.loc[[row not in bad for row in prepared.row_numbers]])
    attendance = _typed("attendance", prepared.attendance.loc[[row not in bad for row in prepared.attendance_rows]])
    with store.transaction(con) as cur:
        calendar.write(cur, meetings, attendance, prepared.report, prepared.digest, user)
        if prepared.subject_rules:
            calendar.remember_rules(cur, prepared.subject_rules)
    return prepared.report


def _plan_streamed(con, path: Path, file_name: str, options: dict) -> PreparedImport | None:
    """A native survey file on disk whose header is the template's: planned to be read by DuckDB in one pass as it
    is committed (metrics.ingest.native_survey.insert); None for the file to be read here.

    Python reads only the file's head (its header) and streams the rest through the hash: DuckDB reads the file,
    and a NUL or other binary byte past the head stops the insert like any other flaw."""
    if store.is_remote(con):
        return None   # DuckDB reads the file where the store is: a served store takes it through the general reader
    if not native_survey.utf8_path(path):
        return None   # DuckDB 1.5.5 cannot take the name as a path: the file is read here
    with path.open("rb") as handle:
        head = handle.read(65536)
    scales = dict(con.cursor().execute("SELECT item_id, scale FROM survey_items").fetchall())
    columns = native_survey.applies(head, scales)
    if columns is None:
        return None
    report = ImportReport(file_name, "survey", "native")   # every column is the template's or an item's
    # the digest is taken as the plan commits, beside DuckDB's read (_commit_streamed)
    return PreparedImport("survey", file_name, "", pd.DataFrame(), report, [], parsed_layout="native",
                          streamed=path, columns=columns, options=options)


def _commit_streamed(con, prepared: PreparedImport, user: str) -> ImportReport | None:
    """The streamed plan's commit, in one transaction; None (nothing written) when a row needs the general reader."""
    report, path = prepared.report, prepared.streamed
    # The rows' order in the table means nothing (every read orders or aggregates), so DuckDB may write them as
    # its threads read them: a quarter off the insert at 1M. A database-wide setting, put back below.
    ordered = con.cursor().execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
    # The file's digest, for the import log, is read in a thread of its own while DuckDB reads the file (hashlib
    # lets go of the interpreter as it hashes): the two reads overlap.
    hashing = ThreadPoolExecutor(max_workers=1)
    digest = hashing.submit(_file_digest, path)
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
            prepared.digest = digest.result()
            log_import(cur, import_id, report, prepared.digest, user)
    except native_survey.NotClean:
        return None   # rolled back before the log entry: the report is still the plan's, which commit_import drops
    finally:
        hashing.shutdown(wait=True)
        con.cursor().execute(f"SET preserve_insertion_order = {bool(ordered)}")
    return report


def _file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _preview(con, data: bytes, file_name: str, allow_any_date: bool = False) -> PreparedImport | None:
    """The file's first lines through the general reader: the page's preview and mapping table, and a check that
    the general reader sees a clean native file too."""
    head = b"\n".join(data[:65536].split(b"\n")[:21])
    preview = prepare_import(con, "survey", head, file_name, general=True, allow_any_date=allow_any_date)
    if (not preview.importable or preview.report.problems or preview.parsed_layout != "native"
            or preview.report.rows_read == 0):
        return None
    return preview


def _read_adapted(con, kind: str, data: bytes, file_name: str, layout: str, constants, mapping, date_order,
                  percent_as) -> adapted_module.Adapted | None:
    """Issue 19: a projects file in a tracker's layout, or a kpis file in finance's wide layout, read by its own
    reader into the kind's native columns; None for the native reader (a native file, or a layout not theirs)."""
    import metrics.ingest.finance as finance   # here, not at the top: only these two kinds need them
    import metrics.ingest.trackers as trackers

    layout = layout or "auto"
    limit = upload_limit_bytes(con)
    if kind == "projects" and layout in ("auto", *trackers.LAYOUTS):
        return trackers.read(con, data, file_name, layout, constants=constants, mapping=mapping,
                             date_order=date_order, max_unpacked=limit)
    if kind == "kpis" and layout in ("auto", *finance.LAYOUTS):
        return finance.read(con, data, file_name, layout, constants=constants, mapping=mapping,
                            percent_as=percent_as, max_unpacked=limit)
    if layout in (*trackers.LAYOUTS, *finance.LAYOUTS):
        raise layouts.LayoutError(f"{file_name}: the format {layout!r} is not one for {kind}: "
                                  f"{', '.join(trackers.LAYOUTS)} are for projects, {', '.join(finance.LAYOUTS)} for "
                                  "kpis; choose auto or native")
    return None


def _dropped_table(dropped: dict[str, list[str]]) -> pd.DataFrame:
    """A reader's dropped columns in the mapping table's shape, so the report's summary lists them as a survey's."""
    kinds = {"personal data (never stored)": "personal data"}
    rows = [(column, column, kinds.get(why, "platform"), "", why) for why, columns in dropped.items()
            for column in columns]
    return pd.DataFrame(rows, columns=["source", "question", "kind", "target", "how"])


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

