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

import duckdb

from metrics import answers

REQUIRED = ("response_id", "submitted_at", "business_unit", "department", "role")
OPTIONAL = ("comment", "wave")
SCALE_RANGE = {"likert5": (1, 5), "nps11": (0, 10)}


def header(data: bytes) -> list[str] | None:
    """The header of a comma-separated UTF-8 file, or None when the file is anything else."""
    first = data[:65536].split(b"\n", 1)[0].rstrip(b"\r")
    if first.startswith(b"\xef\xbb\xbf"):
        return None  # a BOM: the general reader handles it and says so
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text or "\x00" in text:
        return None
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


def _binary(data: bytes) -> bool:
    """What the general reader refuses as binary (a NUL anywhere, or control characters at its start)."""
    sample = data[:65536]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return b"\x00" in data or controls > 0.01 * len(sample)


def stage(cur: duckdb.DuckDBPyConnection, data: bytes, path: str | os.PathLike | None,
          scales: dict[str, str]) -> int | None:
    """Read the file into temp table `incoming` when every row is clean; the number of rows, or None."""
    columns = applies(data, scales)
    if columns is None:
        return None
    if path is None:
        with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as handle:
            handle.write(data)
        try:
            return _stage(cur, handle.name, columns, scales)
        finally:
            Path(handle.name).unlink(missing_ok=True)
    return _stage(cur, str(path), columns, scales)


def _stage(cur, path: str, columns: list[str], scales: dict[str, str]) -> int | None:
    items = [c for c in columns if c in scales]
    types = {c: ("DOUBLE" if c in scales else "VARCHAR") for c in columns}
    try:
        cur.execute("""CREATE OR REPLACE TEMP TABLE incoming_raw AS
                       SELECT *, try_strptime(submitted_at, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d']) AS submitted
                       FROM read_csv($path, header = true, auto_detect = false, delim = ',', quote = '"',
                                     escape = '"', columns = $types, strict_mode = true)""",
                    {"path": path, "types": types})
    except duckdb.Error:
        return None  # not UTF-8, ragged, a non-number where an answer should be...: the general path explains
    items_sql = "".join(f", min({q}), max({q}), max(abs({q} - round({q})))" for q in map(answers.quoted, items))
    found = cur.execute(
        f"""SELECT count(*), count(DISTINCT response_id),
                   count(*) FILTER (WHERE {' OR '.join(f'coalesce({f}, false)' for f in _flaws(columns))}){items_sql}
            FROM incoming_raw""").fetchall()[0]
    rows, distinct, flawed = found[:3]
    answered = [found[3 + 3 * n: 6 + 3 * n] for n in range(len(items))]
    out_of_scale = any(low is not None and not (SCALE_RANGE[scales[item]][0] <= low and high <= SCALE_RANGE[scales[item]][1]
                                                and fraction == 0)
                       for item, (low, high, fraction) in zip(items, answered))
    if rows == 0 or flawed or distinct != rows or out_of_scale:
        cur.execute("DROP TABLE incoming_raw")
        return None
    wave = "coalesce(wave, strftime(submitted, '%Y-%m'))" if "wave" in columns else "strftime(submitted, '%Y-%m')"
    comment = "comment" if "comment" in columns else "NULL::VARCHAR AS comment"
    typed = ", ".join(f"{answers.quoted(i)}::SMALLINT AS {answers.quoted(i)}" for i in items)
    cur.execute(f"""CREATE OR REPLACE TEMP VIEW incoming AS
                    SELECT response_id, submitted AS submitted_at, {wave} AS wave, business_unit, department, role,
                           {comment}, 0 AS import_id, {typed}
                    FROM incoming_raw""")
    return rows


def _flaws(columns: list[str]) -> list[str]:
    """SQL conditions of a row the fast path leaves to the general reader (which may still accept it)."""
    free = [answers.quoted(c) for c in ("response_id", "business_unit", "comment") if c in columns]
    edges = "9, 10, 13, 32, 160, 65279"   # what the general reader trims from a cell (layouts.TRIM)
    # A cell the general reader would trim, or starting with an apostrophe (an export's neutralised '=...).
    flaws = [f"ascii({c}) IN ({edges}, 39) OR ascii({c}[-1]) IN ({edges})" for c in free]
    flaws += ["response_id IS NULL", "length(response_id) > 200", "business_unit IS NULL",
              "length(business_unit) > 200", "department IS NULL", "department NOT IN ('marketing', 'it', 'other')",
              "role IS NULL", "role NOT IN ('lead', 'manager', 'staff')", "submitted IS NULL"]
    if "comment" in columns:
        flaws.append("length(comment) > 5000")
    if "wave" in columns:
        flaws.append(r"NOT regexp_full_match(wave, '\d{4}-(0[1-9]|1[0-2])')")
    return flaws


class NotClean(Exception):
    """A row needs the general reader (or the file's ids are stored already): roll back and take the long way."""


def insert(cur, path: str, columns: list[str], scales: dict[str, str], import_id: int) -> int:
    """In the caller's transaction, read the file straight into survey_responses in one pass, checking each row as
    it goes; NotClean (the caller rolls back) when any row needs the general reader or any id is stored already.

    This is the CLI's and the benchmark's path: one read of the file, no staging copy."""
    items = [c for c in columns if c in scales]
    types = {c: ("DOUBLE" if c in scales else "VARCHAR") for c in columns}
    flaw = " OR ".join(f"coalesce({f}, false)" for f in _flaws(columns))
    values = []
    for item in items:
        low, high = SCALE_RANGE[scales[item]]
        q = answers.quoted(item)
        # NaN is above every number in DuckDB, so BETWEEN refuses it too.
        values.append(f"CASE WHEN {q} BETWEEN {low} AND {high} AND {q} = trunc({q}) THEN {q}::SMALLINT "
                      f"WHEN {q} IS NOT NULL THEN error('not clean') END AS {q}")
    wave = "coalesce(wave, strftime(submitted, '%Y-%m'))" if "wave" in columns else "strftime(submitted, '%Y-%m')"
    comment = "comment" if "comment" in columns else "NULL::VARCHAR"
    try:
        rows = cur.execute(
            f"""INSERT INTO survey_responses BY NAME
                SELECT CASE WHEN {flaw} THEN error('not clean') ELSE response_id END AS response_id,
                       submitted AS submitted_at, {wave} AS wave, business_unit, department, role,
                       {comment} AS comment, $id AS import_id{''.join(', ' + v for v in values)}
                FROM (SELECT *, try_strptime(submitted_at, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d']) AS submitted
                      FROM read_csv($path, header = true, auto_detect = false, delim = ',', quote = '"',
                                    escape = '"', columns = $types, strict_mode = true))""",
            {"path": path, "types": types, "id": import_id}).fetchall()[0][0]
    except duckdb.Error as error:
        raise NotClean(str(error)) from None
    repeated = cur.execute(
        """SELECT count(*) - count(DISTINCT response_id),
                  (SELECT count(*) FROM survey_responses o
                   WHERE o.import_id <> $id AND o.response_id IN (SELECT response_id FROM survey_responses
                                                                  WHERE import_id = $id))
           FROM survey_responses WHERE import_id = $id""", {"id": import_id}).fetchall()[0]
    if rows == 0 or any(repeated):
        raise NotClean("empty, or ids repeated or stored already")
    return rows
