"""Writing the monthly review from the Review page, and its history.

An edit on the page is an import: the rows the leader wrote or changed become a native CSV of their kind, read,
validated and committed by metrics.ingest like any analyst's file (one transaction, every problem in words, the
import log, undo). A changed row replaces the stored one, which is kept in the kind's replaced_ table, so nothing
is overwritten without a trace and the history below can say who changed what and when.
"""

from __future__ import annotations

import re

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

import duckdb
import pandas as pd

from metrics import ingest, review, store

PAGE_SOURCE = "Review page"
AUTHORS = review.LEADERS  # who a note is written by: the side's leader, never a person's address
ID_PREFIX = {"decisions": "D", "actions": "A", "decision_rights": "R"}
WHAT = {"commentary": "note", "decision_rights": "decision area", "decisions": "decision", "actions": "action"}


class EditRefused(Exception):
    """An edit that wrote nothing; `problems` says why, one line each, naming the row as the page shows it."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _cell(value: Any) -> str:
    """A value as a native CSV cell: empty for nothing, dates as ISO text, whole numbers without '.0'."""
    if value is None or (not isinstance(value, (str, list, tuple, dict)) and pd.isna(value)):
        return ""   # None, NaN, pd.NA, NaT: an empty cell
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return ingest.neutralise_formula(str(value))  # undone by the import's reader, so the text is stored as typed


def _row_label(kind: str, row: Mapping[str, Any]) -> str:
    key = ingest.KINDS[kind].key
    ident = " ".join(_cell(row.get(k)) for k in key).strip()
    title = row.get("title") or row.get("area") or row.get("text")
    words = WHAT[kind].capitalize() + (f" {ident}" if ident else " (new)")
    if isinstance(title, str) and title.strip() and kind != "commentary":
        words += f" ({title.strip()[:40]}{'…' if len(title.strip()) > 40 else ''})"
    return words


def save(con: duckdb.DuckDBPyConnection, kind: str, rows: Iterable[Mapping[str, Any]], user: str,
         what: str) -> ingest.ImportReport | None:
    """Store the rows written on the page as one import of `kind` (rows already stored with other values are
    replaced, and kept in the replaced_ table); None when there was nothing to store. Raises EditRefused, having
    written nothing, with each problem in words: which row (as the page names it), which column, what is wrong."""
    spec = ingest.KINDS[kind]
    rows = [dict(row) for row in rows]
    if not rows:
        return None
    frame = pd.DataFrame([{c: _cell(row.get(c)) for c in spec.columns} for row in rows], columns=list(spec.columns))
    data = frame.to_csv(index=False).encode("utf-8")
    prepared = ingest.prepare_import(con, kind, data, f"{PAGE_SOURCE}: {what}")
    problems = [str(p) for p in prepared.blocking]
    for problem in prepared.report.problems:
        label = _row_label(kind, rows[problem.row - 2]) if problem.row and 2 <= problem.row < len(rows) + 2 else "A row"
        column = f", {problem.column.replace('_', ' ')}" if problem.column else ""
        problems.append(f"{label}{column}: {problem.reason}")
    if problems:
        raise EditRefused(problems)
    try:
        report = ingest.commit_import(con, prepared, replace=True, user=user)
    except ingest.ImportRefused as refused:
        raise EditRefused(refused.problems) from None
    return report if report.rows_imported else None


def write_note(con: duckdb.DuckDBPyConnection, month: str, side: str, text: str, user: str) -> ingest.ImportReport | None:
    """The month's note of `side` (marketing: the CMO's, it: the CIO's), as a new version: the one it replaces stays
    in the history. None when the text is the newest version's already."""
    if side not in AUTHORS:
        raise EditRefused([f"A note is written for marketing or it, not {side!r}."])
    text = (text or "").strip()
    if not text:
        raise EditRefused([f"The {AUTHORS[side]}'s note is empty: write the note, or leave the previous one as it is."])
    stored = store.fetch_rows(con, "SELECT text FROM commentary WHERE month = $month AND side = $side",
                              {"month": month, "side": side})
    if stored and stored[0][0] == text:
        return None
    now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    row = {"month": month, "side": side, "text": text, "written_by": AUTHORS[side], "written_at": now.isoformat()}
    return save(con, "commentary", [row], user, f"{AUTHORS[side]}'s note for {month}")


def changed_rows(kind: str, before: pd.DataFrame, after: pd.DataFrame) -> list[dict]:
    """The rows of an edited table (`after`, as st.data_editor returns it) that are new or differ from `before`
    (the rows the editor was given, with the kind's key columns), each as a dict of the kind's columns. A new row
    without an id gets none here: next_ids gives it one."""
    spec = ingest.KINDS[kind]
    columns = [c for c in spec.columns if c in after.columns]

    def normal(frame: pd.DataFrame) -> list[dict]:
        return [{c: _cell(v) for c, v in zip(columns, values)} for values in frame[columns].itertuples(index=False)]

    old = {tuple(r[k] for k in spec.key): r for r in normal(before)} if len(before) else {}
    changed = []
    for row in normal(after):
        if all(v == "" for v in row.values()):
            continue  # an added row left empty
        key = tuple(row[k] for k in spec.key)
        if old.get(key) != row:
            changed.append(row)
    return changed


ID_PATTERN = re.compile(r"(\D*?)(\d+)")


def next_ids(con: duckdb.DuckDBPyConnection, kind: str, rows: list[dict]) -> list[dict]:
    """Give each row without an id the next free one of its kind, in the style the record already uses (after A-12
    comes A-13, after D014 D015; an empty record starts at A001, D001, R001), counting every id ever stored,
    replaced ones included, so an id is never given twice."""
    spec = ingest.KINDS[kind]
    (id_column,) = spec.key
    taken = {i for (i,) in store.fetch_rows(con, f"SELECT {id_column} FROM {spec.table} UNION "
                                                 f"SELECT {id_column} FROM replaced_{spec.table}")}
    taken |= {row[id_column] for row in rows if row.get(id_column)}
    numbered = [(m.group(1), m.group(2)) for m in map(ID_PATTERN.fullmatch, map(str, taken)) if m]
    if numbered:   # the style of the highest-numbered id: its prefix and its digits' width
        prefix, digits = max(numbered, key=lambda pair: (int(pair[1]), pair[0]))
        width = len(digits)
    else:
        prefix, width = ID_PREFIX[kind], 3
    following = max((int(d) for p, d in numbered if p == prefix), default=0)
    out = []
    for row in rows:
        if not row.get(id_column):
            following += 1
            row = {**row, id_column: f"{prefix}{following:0{width}d}"}
        out.append(row)
    return out


# ----------------------------------------------------------------------------------------------------------
# History: every version of every row, and who wrote it when


def versions(con: duckdb.DuckDBPyConnection, kind: str, where: str = "true",
             params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Every version of the kind's rows that match `where` (SQL over the kind's columns), the stored one and the
    ones it replaced, with who wrote each (imported_by), when (imported_at), from what (file_name) and, for a
    replaced one, the import that replaced it; newest first."""
    table = ingest.KINDS[kind].table
    columns = ", ".join(ingest.KINDS[kind].columns)
    return con.cursor().execute(f"""
        WITH v AS (
            SELECT {columns}, import_id, NULL::INTEGER AS replaced_by FROM {table} WHERE {where}
            UNION ALL
            SELECT {columns}, import_id, replaced_by FROM replaced_{table} WHERE {where})
        SELECT v.*, i.imported_at, i.imported_by, i.file_name
        FROM v LEFT JOIN imports i USING (import_id)
        ORDER BY i.imported_at DESC NULLS LAST, v.import_id DESC""", store.check_params(dict(params or {}))).df()


def note_versions(con: duckdb.DuckDBPyConnection, month: str, side: str) -> pd.DataFrame:
    """The versions of the month's note of `side`, newest (the one shown) first: text, written_at, who stored it,
    from where."""
    return versions(con, "commentary", "month = $month AND side = $side", {"month": month, "side": side})


def _shown(value: Any) -> str:
    text = _cell(value).removeprefix("'")
    return "empty" if text == "" else (text if len(text) <= 60 else text[:57] + "…")


def changes(con: duckdb.DuckDBPyConnection, limit: int = 200) -> pd.DataFrame:
    """Who changed what in the review's record, and when, newest first: one row per row written by an import of a
    review kind (the page's edits and analysts' files alike), with what it changed: "new", or each column that
    differs from the version it replaced ("status: planned → in_progress"). Undone imports are marked."""
    out = []
    for kind in ingest.REVIEW_KINDS:
        spec = ingest.KINDS[kind]
        every = versions(con, kind)
        if every.empty:
            continue
        replaced = every[every["replaced_by"].notna()]
        before = {(int(r["replaced_by"]), tuple(r[k] for k in spec.key)): r for _, r in replaced.iterrows()}
        for _, row in every.iterrows():
            key = tuple(row[k] for k in spec.key)
            old = before.get((int(row["import_id"]), key))
            if old is None:
                what = "new"
            else:
                skip = {"written_at"} if kind == "commentary" else set()
                diffs = [f"{c.replace('_', ' ')}: {_shown(old[c])} → {_shown(row[c])}"
                         for c in spec.columns if c not in spec.key and c not in skip
                         and _cell(old[c]) != _cell(row[c])]
                what = "; ".join(diffs) if diffs else "written again, unchanged"
            if kind == "commentary" and old is not None and _cell(old["text"]) != _cell(row["text"]):
                what = f"new version of the note ({len(str(old['text']))} → {len(str(row['text']))} characters)"
            out.append({"when": row["imported_at"], "who": row["imported_by"], "kind": ingest.KIND_LABELS[kind],
                        "row": " ".join(str(k) for k in key), "change": what, "source": row["file_name"],
                        "import_id": int(row["import_id"])})
    frame = pd.DataFrame(out, columns=["when", "who", "kind", "row", "change", "source", "import_id"])
    return frame.sort_values(["when", "import_id"], ascending=False).head(limit).reset_index(drop=True)
