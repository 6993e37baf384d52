"""A clean native survey file read straight into DuckDB: the fast path of the survey import.

A file in the native template that needs none of the general reader's help (no answer labels to score, no
cells to trim or un-neutralise, no department words to translate, no problem to report) is read by DuckDB's
CSV reader into the temp table `incoming`, typed as stored, and checked there in SQL, without a Python object
per cell. Anything else, or any doubt, returns None: the general path (layouts, mapping, pandera) then reads
the file and reports every problem with its row, value and reason. tests/test_native_survey.py holds the two
paths to the same stored result.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

from datetime import datetime, time, timedelta

import duckdb

from metrics import dates, personal
from metrics.store import answers
from metrics.ingest.kinds import KINDS
from metrics.vocabulary import COMMENT_MAX, DEPARTMENTS, MONTH, NAME_MAX, RESPONDENT_ROLES, SCALES, sql_literal

# The survey kind's columns, which the SQL below is written for; the values they may take are metrics.vocabulary's.
REQUIRED = KINDS["survey"].columns
OPTIONAL = KINDS["survey"].optional


def header(data: bytes) -> list[str] | None:
    """The header of a comma-separated UTF-8 file, or None when the file is anything else."""
    first = data[:65536].split(b"\n", 1)[0].rstrip(b"\r")
    if first.startswith(b"\xef\xbb\xbf"):
        return None  # a BOM: the general reader handles it and says so
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or "\x00" in text or "\r" in text:
        return None   # a NUL, or lines ended by CR alone (old Mac): the general reader's business
    return next(csv.reader(io.StringIO(text)), None)


def applies(data: bytes, scales: dict[str, str]) -> list[str] | None:
    """The file's columns when its header is exactly the native template's, with catalogue items; else None."""
    columns = header(data)
    if not columns or len(set(columns)) != len(columns) or _binary(data):
        return None
    known = set(REQUIRED) | set(OPTIONAL) | set(scales)
    if not set(REQUIRED) <= set(columns) or not set(columns) <= known or not set(columns) & set(scales):
        return None
    return columns


_NOT_CONTROLS = bytes([9, 10, 12, 13, *range(32, 256)])


def _binary(data: bytes) -> bool:
    """What the general reader refuses as binary (a NUL anywhere, or control characters at its start)."""
    sample = data[:65536]
    controls = len(sample.translate(None, _NOT_CONTROLS))   # what is left when all but control bytes go
    return b"\x00" in data or controls > 0.01 * len(sample)


def utf8_path(path: str | os.PathLike) -> bool:
    """Whether DuckDB can take the path: DuckDB 1.5.5 cannot take a name that is not UTF-8 (caf\\xe9.csv, kept by
    Python as a surrogate), so such a file's bytes are read from a temporary copy instead."""
    try:
        str(path).encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def stage(cur: duckdb.DuckDBPyConnection, data: bytes, path: str | os.PathLike | None,
          scales: dict[str, str], *, allow_any_date: bool = False) -> int | None:
    """Read the file into temp table `incoming` when every row is clean; the number of rows, or None.
    `allow_any_date`: the analyst confirms dates outside metrics.dates' window (else such a row is not clean)."""
    columns = applies(data, scales)
    if columns is None:
        return None
    if path is None or not utf8_path(path):
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(data)
        try:
            return _stage(cur, handle.name, columns, scales, allow_any_date)
        finally:
            Path(handle.name).unlink(missing_ok=True)
    return _stage(cur, str(path), columns, scales, allow_any_date)


# The file as DuckDB reads it, for both ways in: answers as numbers (a cast to SMALLINT would round 3.5, so they are
# checked first) and the date as the general reader accepts it (`submitted`, NULL when it is not one).
SOURCE = """(SELECT *, try_strptime(submitted_at, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d']) AS submitted
             FROM read_csv($path, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
                           columns = $types, strict_mode = true, buffer_size = $buffer))"""

# DuckDB parses a CSV file a buffer to a thread, and its buffers are 32 MiB (16 times its 2 MiB longest line): a
# smaller file is parsed on one core. A buffer of the file's size over the thread count gives each core a share
# (a quarter off the insert at 10 thousand responses, measured). No buffer is smaller than 256 KiB, many times a
# clean row (a comment is at most 5,000 characters): a longer line stops the read, and the general reader takes
# the file.
MIN_BUFFER = 256 * 1024
DEFAULT_BUFFER = 32 * 1024 * 1024


def _source_params(cur, path: str, columns: list[str], scales: dict[str, str]) -> dict:
    """SOURCE's parameters for this file."""
    threads = int(cur.execute("SELECT current_setting('threads')").fetchall()[0][0])
    share = os.path.getsize(path) // max(threads, 1) + 1
    return {"path": path, "types": _types(columns, scales), "buffer": min(max(share, MIN_BUFFER), DEFAULT_BUFFER)}


def _types(columns: list[str], scales: dict[str, str]) -> dict[str, str]:
    return {c: ("DOUBLE" if c in scales else "VARCHAR") for c in columns}


def _fields(columns: list[str], guard: str | None = None, mask: bool = False) -> str:
    """The response fields as stored, from SOURCE's columns: the wave is the month of submission unless given.
    `guard`: a condition on the row that stops the statement (DuckDB's error()) when it holds; `mask`: the
    comment with its e-mail addresses, phone numbers and IP addresses masked (metrics.personal)."""
    wave = "coalesce(wave, strftime(submitted, '%Y-%m'))" if "wave" in columns else "strftime(submitted, '%Y-%m')"
    comment = ((personal.sql_mask("comment") if mask else "comment") if "comment" in columns
               else "NULL::VARCHAR")
    response_id = f"CASE WHEN {guard} THEN error('not clean') ELSE response_id END" if guard else "response_id"
    return (f"{response_id} AS response_id, submitted AS submitted_at, {wave} AS wave, business_unit, department, "
            f"role, {comment} AS comment")


def _stage(cur, path: str, columns: list[str], scales: dict[str, str], allow_any_date: bool = False) -> int | None:
    items = [c for c in columns if c in scales]
    try:
        cur.execute(f"CREATE OR REPLACE TEMP TABLE incoming_raw AS SELECT * FROM {SOURCE}",
                    _source_params(cur, path, columns, scales))
    except duckdb.Error:
        return None  # not UTF-8, ragged, a non-number where an answer should be...: the general path explains
    items_sql = "".join(f", min({q}), max({q}), max(abs({q} - round({q})))" for q in map(answers.quoted, items))
    odd_dates, bounds = _outside_window(columns, allow_any_date)
    found = cur.execute(
        f"""SELECT count(*), count(DISTINCT response_id),
                   count(*) FILTER (WHERE {_any(_flaws(columns) + odd_dates)}){items_sql}
            FROM incoming_raw""", bounds).fetchall()[0]
    rows, distinct, flawed = found[:3]
    answered = [found[3 + 3 * n: 6 + 3 * n] for n in range(len(items))]
    out_of_scale = any(low is not None and not (SCALES[scales[item]][0] <= low and high <= SCALES[scales[item]][1]
                                                and fraction == 0)
                       for item, (low, high, fraction) in zip(items, answered))
    if rows == 0 or flawed or distinct != rows or out_of_scale:
        cur.execute("DROP TABLE incoming_raw")
        return None
    typed = "".join(f", {answers.quoted(i)}::SMALLINT AS {answers.quoted(i)}" for i in items)
    cur.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT {_fields(columns, mask=True)}, 0 AS import_id"
                f"{typed} FROM incoming_raw")
    return rows


def masked_counts(cur) -> dict[str, int]:
    """How many e-mail addresses, IP addresses and phone numbers the staged comments held (the view `incoming`
    has them masked), by kind; only kinds found."""
    columns = {name for (name, *_) in cur.execute("DESCRIBE incoming_raw").fetchall()}
    if "comment" not in columns:
        return {}
    counts = personal.sql_counts("comment")
    found = cur.execute(f"SELECT {', '.join(f'sum({sql})' for sql in counts.values())} FROM incoming_raw "
                        f"WHERE {personal.sql_has_personal('comment')}").fetchall()[0]
    return {kind: int(n) for kind, n in zip(counts, found) if n}


# Character classes for RE2: what the general reader trims from a cell's ends (grid.TRIM), and the control
# characters it refuses in a field and in a comment.
EDGES = r"\t\n\r \x{a0}\x{feff}"
CONTROLS = r"\x00-\x1f\x7f-\x9f"
COMMENT_CONTROLS = r"\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f"


def _flaws(columns: list[str], constrained: bool = False, units: bool = True) -> list[str]:
    """SQL conditions, on SOURCE's columns, of a row the fast path leaves to the general reader (which may still
    accept it); `constrained`: only those survey_responses' constraints do not hold already; `units` False: none
    on business_unit (insert checks a file's few units once each, after the rows are in: _unit_flaws)."""
    free = [answers.quoted(c) for c in ("response_id", "business_unit", "comment") if c in columns
            if units or c != "business_unit"]
    # A cell the general reader would trim, or starting with an apostrophe (an export's neutralised '=...), and
    # control characters (a line break, NUL, escape ...; a comment may hold tabs and line breaks), which the
    # general reader refuses. One regular expression a column: a long IN list is planned as a join of its own.
    # An id or a unit that is (or holds) an e-mail address is refused too, with its row, by the general reader: in
    # the same expression, as RE2 reads a cell once for all the alternatives (one pass instead of two).
    controls = {c: COMMENT_CONTROLS if c == answers.quoted("comment") else CONTROLS for c in free}
    emails = {c: "" if c == answers.quoted("comment") else "|" + personal.EMAIL for c in free}
    flaws = [f"regexp_matches({c}, {sql_literal(f'^[{EDGES}' + chr(39) + f']|[{EDGES}]$|[{controls[c]}]{emails[c]}')})"
             for c in free]
    flaws += [f"length(response_id) > {NAME_MAX}"] + ([f"length(business_unit) > {NAME_MAX}"] if units else [])
    if not constrained:
        flaws += ["response_id IS NULL", "business_unit IS NULL", "department IS NULL", "role IS NULL",
                  f"department NOT IN ({sql_literal(DEPARTMENTS)})", f"role NOT IN ({sql_literal(RESPONDENT_ROLES)})",
                  "submitted IS NULL"]
    # DuckDB reads year 0 as 1 BC; no survey was answered then (the general reader refuses it)
    flaws.append("year(submitted) < 1")
    if "comment" in columns:
        flaws.append(f"length(comment) > {COMMENT_MAX}")
    if "wave" in columns:
        flaws.append(f"NOT regexp_full_match(wave, {sql_literal(MONTH)})")
    return flaws


def _unit_flaws(columns: list[str]) -> str:
    """The condition of a flawed business_unit, as _flaws has it, for the units a file holds."""
    return _any([f for f in _flaws(columns, constrained=True) if "business_unit" in f])


def _outside_window(columns: list[str], allow_any_date: bool) -> tuple[list[str], dict]:
    """SQL conditions of a date or wave outside metrics.dates' window (which the general reader refuses, with its
    row, unless the analyst confirms it), and their parameters; none when `allow_any_date`."""
    if allow_any_date:
        return [], {}
    last = dates.latest()
    flaws, bounds = ["submitted < $earliest", "submitted >= $beyond"], {
        "earliest": datetime.combine(dates.EARLIEST, time()),
        "beyond": datetime.combine(last + timedelta(days=1), time())}
    if "wave" in columns:
        flaws.append("wave < $first_month OR wave > $last_month")
        bounds.update(first_month=dates.month_of(dates.EARLIEST), last_month=dates.month_of(last))
    return flaws, bounds


def _any(flaws: list[str]) -> str:
    return " OR ".join(f"coalesce({f}, false)" for f in flaws)


class NotClean(Exception):
    """A row needs the general reader (or the file's ids are stored already): roll back and take the long way."""


def insert(cur, path: str, columns: list[str], scales: dict[str, str], import_id: int,
           stored_before: bool = True, allow_any_date: bool = False) -> tuple[int, list[str]]:
    """In the caller's transaction, read the file straight into survey_responses in one pass, then check what
    landed: the number of rows and the months they are in; NotClean (the caller rolls back) when any row needs
    the general reader or any id is stored already.

    This is the command line's path (and the benchmark's): one read of the file, no staging copy. The table's
    own constraints refuse an empty id, unit or date and an unknown department or role; a row with a cell to
    trim or a control character, and an answer off its scale or fractional (a cast would round it), stop the
    statement as they are read; the ids are checked on the stored rows (`stored_before` False: the store held no
    responses before this insert, so none can be stored already)."""
    items = [c for c in columns if c in scales]
    # A fractional answer stops the statement as it is read (the cast would round it); NaN, infinity and a number
    # beyond SMALLINT fail the cast. Whether each answer is on its scale is checked after, on the stored whole
    # numbers, by the lowest and highest of each item: three comparisons a cell as it was read cost a tenth of
    # the import at a million responses (0.16 s of 2.4 s).
    values = "".join(f", CASE WHEN {q} <> trunc({q}) THEN error('not clean') ELSE {q}::SMALLINT END AS {q}"
                     for q in map(answers.quoted, items))
    odd_dates, bounds = _outside_window(columns, allow_any_date)
    guard = _any(_flaws(columns, constrained=True, units=False) + odd_dates
                 # a comment with personal data in it is masked on the staged path, which counts what it masks
                 + ([personal.sql_has_personal("comment")] if "comment" in columns else []))
    try:
        rows = cur.execute(
            f"INSERT INTO survey_responses BY NAME SELECT {_fields(columns, guard)}, $id AS import_id{values} "
            f"FROM {SOURCE}",
            {**_source_params(cur, path, columns, scales), "id": import_id, **bounds}).fetchall()[0][0]
    except duckdb.Error as error:
        raise NotClean(str(error)) from None
    # into a store with no responses before, no id can be stored already
    stored_ids = ("(SELECT count(*) FROM survey_responses o WHERE o.import_id <> $id AND o.response_id IN "
                  "(SELECT response_id FROM survey_responses WHERE import_id = $id))" if stored_before else "0")
    # A file holds a few units in a million rows: each is checked once here rather than on every row as it is read
    # (a tenth of a second at a million responses).
    ranges = "".join(f", min({q}), max({q})" for q in map(answers.quoted, items))
    repeated, stored, months, units, *lowest_highest = cur.execute(
        f"""SELECT count(*) - count(DISTINCT response_id), {stored_ids}, list(DISTINCT wave ORDER BY wave),
                   list(DISTINCT business_unit){ranges}
            FROM survey_responses WHERE import_id = $id""", {"id": import_id}).fetchall()[0]
    if rows == 0 or repeated or stored:
        raise NotClean("empty, or ids repeated in the file or stored already")
    for item, low, high in zip(items, lowest_highest[0::2], lowest_highest[1::2]):
        bottom, top = SCALES[scales[item]]
        if low is not None and not (bottom <= low and high <= top):
            raise NotClean(f"an answer to {item} off its scale")
    flawed_units = cur.execute(f"SELECT count(*) FROM (SELECT unnest($units::VARCHAR[]) AS business_unit) "
                               f"WHERE {_unit_flaws(columns)}", {"units": units}).fetchall()[0][0]
    if flawed_units:
        raise NotClean("a business unit the general reader trims or refuses")
    return rows, months
