"""From a survey export to the native survey layout, the reader's last stage: columns to catalogue items, labels to
scores, personal data out."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import pandas as pd

from metrics.ingest.layouts import ParsedExport
from metrics.ingest.values import AmbiguousDates, likert_value, parse_timestamps

# Fields a column can feed besides catalogue items.
FIELDS = ("business_unit", "department", "role", "wave", "comment")
IGNORE = ""
DEPARTMENT_WORDS = {"marketing": "marketing", "mkt": "marketing", "it": "it", "information technology": "it",
                    "technology": "it", "tech": "it", "other": "other"}
ROLE_WORDS = {"lead": "lead", "leader": "lead", "head": "lead", "manager": "manager", "staff": "staff",
              "employee": "staff", "individual contributor": "staff"}


@dataclass
class SurveyFrame:
    frame: pd.DataFrame                 # native survey columns, text cells
    row_numbers: list[int]
    mapping_table: pd.DataFrame         # source, question, kind, target, how
    dropped_columns: list[str]
    blocking: list[str] = field(default_factory=list)                 # whole-file problems
    cell_problems: list[tuple[int, str, str, str]] = field(default_factory=list)  # (row, column, value, reason)
    notes: list[str] = field(default_factory=list)
    signature: str = ""
    chosen_mapping: dict[str, str] = field(default_factory=dict)      # the analyst's own choices, to remember


def normalise(text: str | None) -> str:
    """Question text compared without case, punctuation or spacing differences."""
    return re.sub(r"[^a-z0-9]+", " ", (text or "").casefold()).strip()


def signature(parsed: ParsedExport) -> str:
    """The layout and question set of a file: a remembered mapping applies to the next file with the same one."""
    columns = sorted(parsed.answer_columns + parsed.comment_columns)
    return hashlib.sha256(json.dumps([parsed.layout, columns]).encode()).hexdigest()[:20]


def saved_mapping(con: duckdb.DuckDBPyConnection, layout: str, sig: str) -> dict[str, str]:
    rows = con.cursor().execute("SELECT mapping FROM saved_mappings WHERE layout = $layout AND signature = $sig",
                                {"layout": layout, "sig": sig}).fetchall()
    return json.loads(rows[0][0]) if rows else {}


def remember_mapping(cur, layout: str, sig: str, mapping: dict[str, str]) -> None:
    cur.execute("""INSERT OR REPLACE INTO saved_mappings VALUES ($layout, $sig, $mapping, $at)""",
                {"layout": layout, "sig": sig, "mapping": json.dumps(mapping, sort_keys=True),
                 "at": datetime.now(timezone.utc).replace(tzinfo=None)})


def _auto_target(column: str, question: str, items: pd.DataFrame) -> tuple[str, str]:
    """An item for a column by its id, or by its question text (also the part after a SurveyMonkey ' — ')."""
    ids = set(items["item_id"])
    if column in ids:
        return column, "item id"
    if question in ids:   # a header repeated in the file: its key became "partner_strategic (2)"
        return question, "item id"
    by_text = {normalise(t): i for i, t in zip(items["item_id"], items["text"])}
    bracketed = re.search(r"\[([^\]]+)\]\s*$", question)   # Google Forms / LimeSurvey grids: "Question [Row]"
    candidates = (question, question.split(" — ")[-1], question.split(" - ")[-1],
                  bracketed.group(1) if bracketed else "", column)
    for candidate in candidates:
        match = by_text.get(normalise(candidate))
        if match:
            return match, "question text"
    field_name = normalise(column).replace(" ", "_")
    if field_name in FIELDS:
        return field_name, "column name"
    return IGNORE, ""


def build_survey_frame(con: duckdb.DuckDBPyConnection, parsed: ParsedExport, items: pd.DataFrame,
                       mapping: dict[str, str] | None, constants: dict[str, str] | None,
                       date_order: str | None) -> SurveyFrame:
    """The native survey frame of a parsed export, with the mapping used and every problem found."""
    mapping, constants = dict(mapping or {}), dict(constants or {})
    sig = signature(parsed)
    remembered = saved_mapping(con, parsed.layout, sig)
    source = parsed.frame
    rows = []
    targets: dict[str, str] = {}
    hows: dict[str, str] = {}
    for column in parsed.answer_columns + parsed.comment_columns:
        question = parsed.question_text.get(column, column)
        if column in mapping:
            target, how = mapping[column], "your choice"
        elif column in remembered:
            target, how = remembered[column], "remembered"
        else:
            target, how = _auto_target(column, question, items)
            if not target and column in parsed.comment_columns:
                target, how = "comment", "comment column"
        targets[column], hows[column] = target, how
        rows.append({"source": column, "question": question,
                     "kind": "comment" if column in parsed.comment_columns else "answer",
                     "target": target, "how": how})
    for column in parsed.personal_columns:
        rows.append({"source": column, "question": parsed.question_text.get(column, column), "kind": "personal data",
                     "target": IGNORE, "how": "never stored"})
    for column in parsed.metadata_columns:
        # A platform column named like one of our fields (the native template's business_unit, say) feeds it.
        named = normalise(column).replace(" ", "_")
        target = mapping.get(column, named if named in FIELDS else IGNORE)
        if target:
            targets[column] = target
        rows.append({"source": column, "question": parsed.question_text.get(column, column),
                     "kind": "field" if target else "platform", "target": target,
                     "how": ("your choice" if column in mapping else "column name") if target else "not needed"})
    table = pd.DataFrame(rows, columns=["source", "question", "kind", "target", "how"])
    result = SurveyFrame(pd.DataFrame(index=source.index), list(parsed.row_numbers), table, [], signature=sig,
                         chosen_mapping={c: t for c, t in mapping.items() if c in source.columns})
    unknown = [c for c in mapping if c not in source.columns]
    result.blocking += [f"the mapping names column {c!r}, which the file does not have" for c in unknown]
    item_ids = set(items["item_id"])
    bad_targets = [t for t in mapping.values() if t and t not in item_ids and t not in FIELDS]
    result.blocking += [f"{t!r} is not a catalogue item id or one of: {', '.join(FIELDS)}" for t in bad_targets]

    result.blocking += _same_item_twice(targets, hows, item_ids)
    _identity(result, parsed)
    _timestamps(result, parsed, date_order)
    _fields(result, source, targets, constants)
    _answers(result, source, targets, items)
    used = {parsed.submitted_column} | ({parsed.id_column} if not parsed.id_is_personal else set())
    result.dropped_columns = [c for c in source.columns if (c not in targets or not targets[c]) and c not in used]
    if not any(t in item_ids for t in targets.values()):
        result.blocking.append("no column is mapped to a catalogue item: map the question columns to item ids "
                               "(in the page, or --map 'COLUMN=ITEM_ID')")
    return result


def _same_item_twice(targets: dict[str, str], hows: dict[str, str], item_ids: set[str]) -> list[str]:
    """A refusal for each item that two or more columns give (by item id, by question text, remembered or
    chosen): a response answers an item once, and keeping one column's answers would drop the other's unseen."""
    columns_of: dict[str, list[str]] = {}
    for column, target in targets.items():
        if target in item_ids:
            columns_of.setdefault(target, []).append(column)
    problems = []
    for item, columns in columns_of.items():
        if len(columns) < 2:
            continue
        named = [f"{c!r} ({hows[c] or 'mapped'})" for c in columns]
        problems.append(f"the same item is given twice: columns {', '.join(named[:-1])} and {named[-1]} "
                        f"{'both' if len(columns) == 2 else 'all'} go to item {item!r}, and a response answers an "
                        "item once. Keep one of them: remove the others from the file, or map them to nothing (in "
                        f"the page: '— not stored —'; on the command line: --map '{columns[-1]}=')")
    return problems


def _identity(result: SurveyFrame, parsed: ParsedExport) -> None:
    """The response id: the platform's, pseudonymised when it names a person, or one derived from the row."""
    frame = parsed.frame
    if parsed.id_column is not None and not parsed.id_is_personal:
        result.frame["response_id"] = frame[parsed.id_column]
        return
    if parsed.id_column is not None:
        basis = frame[parsed.id_column].fillna("")
        result.notes.append(f"{parsed.id_column!r} names a person: it is stored only as a one-way hash")
    else:
        # No id in the file (Google Forms): the row's own content identifies it, so the same file twice
        # gives the same ids and changes nothing.
        basis = frame.fillna("").astype(str).agg("\x1f".join, axis=1)
        result.notes.append("the file has no response id: ids are derived from each row's content")
    hashed = basis.map(lambda v: hashlib.sha256(f"{parsed.layout}\x1f{v}".encode()).hexdigest()[:16])
    repeat = hashed.groupby(hashed).cumcount()
    result.frame["response_id"] = [f"{parsed.layout}-{h}" + (f"-{n + 1}" if n else "") for h, n in zip(hashed, repeat)]


def _timestamps(result: SurveyFrame, parsed: ParsedExport, date_order: str | None) -> None:
    if parsed.submitted_column is None:
        result.frame["submitted_at"] = None
        return
    raw = parsed.frame[parsed.submitted_column]
    try:
        stamps = parse_timestamps(raw, date_order or parsed.date_order)
    except AmbiguousDates as ambiguous:
        result.blocking.append(str(ambiguous).split(": ", 1)[-1] + " (in the page: choose the date order)")
        result.frame["submitted_at"] = raw
        return
    text = stamps.dt.strftime("%Y-%m-%d %H:%M:%S")
    # An unparseable stamp keeps its original text so the report shows what was there.
    result.frame["submitted_at"] = text.where(stamps.notna(), raw)


def _fields(result: SurveyFrame, source: pd.DataFrame, targets: dict[str, str], constants: dict[str, str]) -> None:
    for name in ("business_unit", "department", "role", "wave"):
        columns = [c for c, t in targets.items() if t == name]
        if name in constants:
            result.frame[name] = constants[name]
        elif columns:
            result.frame[name] = source[columns[0]]
        elif name == "role":
            result.frame[name] = "staff"
            result.notes.append("no role in the file: every response is taken as 'staff' (set --set role=…)")
        elif name in ("business_unit", "department"):
            result.blocking.append(f"the file has no {name.replace('_', ' ')}: set one for the whole file "
                                   f"(in the page, or --set {name}=VALUE) or map a column to it")
            result.frame[name] = None
    words = {"department": DEPARTMENT_WORDS, "role": ROLE_WORDS}
    for name, vocabulary in words.items():
        if name in result.frame:
            values = result.frame[name].astype(object)
            known = values.astype(str).str.strip().str.casefold().map(vocabulary)
            result.frame[name] = known.where(known.notna(), values)
    comments = [c for c, t in targets.items() if t == "comment"]
    if comments:
        joined = source[comments[0]].astype(object)
        for column in comments[1:]:   # several comment columns (Glint has one per item): one comment, a line each
            extra = source[column]
            joined = joined.where(extra.isna(), joined.where(joined.isna(), joined + "\n").fillna("") + extra)
        result.frame["comment"] = joined


def _answers(result: SurveyFrame, source: pd.DataFrame, targets: dict[str, str], items: pd.DataFrame) -> None:
    scales = dict(zip(items["item_id"], items["scale"]))
    for column, target in targets.items():
        if target not in scales:
            continue
        # Score each distinct answer once: a column has a handful of distinct labels however many rows it has.
        scored, errors = {}, {}
        for cell in source[column].dropna().unique():
            try:
                value = likert_value(cell, scales[target])
                scored[cell] = None if value is None else str(value)
            except ValueError as error:
                errors[cell] = str(error)
        for position in source.index[source[column].isin(list(errors))]:
            cell = source.at[position, column]
            result.cell_problems.append((result.row_numbers[position], column, str(cell), errors[cell]))
        result.frame[target] = source[column].map(scored)   # once per item: _same_item_twice refused the rest
