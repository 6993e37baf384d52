"""Writing a prepared file's rows inside the caller's transaction: staging, the overlap with what is stored
(the same rows again change nothing; different ones are conflicts, refused unless replaced on purpose, and set
aside so undo can restore them), the survey figures kept in step, and the import log's entry."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd

from metrics.store import answers

from metrics.ingest.kinds import ImportRefused, ImportReport, KINDS, Kind


def write_rows(cur, kind: str, frame: pd.DataFrame | None, report: ImportReport, digest: str, user: str,
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
    log_import(cur, import_id, report, digest, user)


def log_import(cur, import_id: int, report: ImportReport, digest: str, user: str) -> None:
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
