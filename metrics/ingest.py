"""Imports and exports: native templates, validation, all-or-nothing writes, the import log and undo."""

from __future__ import annotations

import getpass
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, MutableMapping

import duckdb
import pandas as pd
import pandera.pandas as pa

from metrics import answers, dates, layouts, native_survey, personal, store
from metrics.printable import printable
from metrics import mapping as mapping_module

DEPARTMENTS = ("marketing", "it", "other")
ROLES = ("lead", "manager", "staff")
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
DATE = r"^\d{4}-\d{2}-\d{2}$"
BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Kind:
    """One kind of data: its table, native columns, key and the types stored."""

    name: str
    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    optional: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()
    date_columns: tuple[str, ...] = ()
    free_text: tuple[str, ...] = ()      # masked before storage (metrics.personal)


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("items", "survey_items", ("item_id", "dimension", "text", "scale", "reverse_scored"), ("item_id",),
             text_columns=("item_id", "dimension", "text", "scale"), free_text=("text",)),
        Kind("survey", "survey_responses", ("response_id", "submitted_at", "business_unit", "department", "role"),
             ("response_id",), optional=("comment", "wave"),
             text_columns=("response_id", "business_unit", "department", "role", "comment"), free_text=("comment",)),
        Kind("headcount", "headcount", ("business_unit", "department", "month", "headcount"),
             ("business_unit", "department", "month"), text_columns=("business_unit", "department", "month")),
        Kind("meetings", "meetings", ("meeting_id", "business_unit", "date", "meeting_type", "status"), ("meeting_id",),
             text_columns=("meeting_id", "business_unit", "meeting_type", "status"), date_columns=("date",)),
        Kind("attendance", "attendance", ("meeting_id", "person_id", "department", "role", "attended"),
             ("meeting_id", "person_id"), text_columns=("meeting_id", "person_id", "department", "role")),
        Kind("projects", "joint_projects",
             ("project_id", "business_unit", "name", "lead_function", "stage", "parent_project_id", "start_date",
              "planned_end", "actual_end", "budget", "spend", "status", "outcome", "roi_pct"),
             ("project_id",),
             text_columns=("project_id", "business_unit", "name", "lead_function", "stage", "parent_project_id",
                           "status", "outcome"),
             date_columns=("start_date", "planned_end", "actual_end"), free_text=("name",)),
        Kind("kpis", "kpis", ("business_unit", "month", "kpi", "value"), ("business_unit", "month", "kpi"),
             text_columns=("business_unit", "month", "kpi")),
        # The monthly review's record (DESIGN.md, "The monthly review"): written on the Review page or imported.
        Kind("commentary", "commentary", ("month", "side", "text", "written_by", "written_at"), ("month", "side"),
             text_columns=("month", "side", "text", "written_by"), free_text=("text", "written_by")),
        Kind("decision_rights", "decision_rights",
             ("area_id", "area", "accountable", "consulted", "informed", "agreed_on"), ("area_id",),
             text_columns=("area_id", "area", "accountable", "consulted", "informed"), date_columns=("agreed_on",),
             free_text=("area", "consulted", "informed")),
        Kind("decisions", "decisions",
             ("decision_id", "month", "business_unit", "area_id", "text", "decided_by", "due", "status"),
             ("decision_id",), text_columns=("decision_id", "month", "business_unit", "area_id", "text", "decided_by",
                                              "status"), date_columns=("due",), free_text=("text",)),
        Kind("actions", "actions",
             ("action_id", "business_unit", "title", "owner", "target", "start_month", "due", "status",
              "effect_window"), ("action_id",),
             text_columns=("action_id", "business_unit", "title", "owner", "target", "start_month", "status"),
             date_columns=("due",), free_text=("title", "owner")),
    )
}
REVIEW_KINDS = ("commentary", "decision_rights", "decisions", "actions")

# In import order: the review kinds come after the catalogue and the survey, since an action's target is checked
# against the dimensions stored.
SAMPLE_FILES = {
    "items": "survey_items.csv", "survey": "survey_responses.csv", "headcount": "headcount.csv",
    "meetings": "meetings.csv", "attendance": "attendance.csv", "projects": "joint_projects.csv", "kpis": "kpis.csv",
    "commentary": "commentary.csv", "decision_rights": "decision_rights.csv", "decisions": "decisions.csv",
    "actions": "actions.csv",
}


class ImportRefused(Exception):
    """An import that wrote nothing; `problems` says why, one line each."""

    def __init__(self, file_name: str, problems: list[str]):
        file_name = self.file_name = printable(file_name)   # it is printed: no control character reaches a terminal
        self.problems = problems
        super().__init__(f"{file_name}: {len(problems)} problem(s); nothing was imported.\n" + "\n".join(problems))


@dataclass
class Problem:
    row: int | None      # the line of the file (the header is line 1), None for the whole file
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        col = f", column {self.column!r}" if self.column else ""
        val = ""
        if self.value not in (None, ""):
            # a 10,000-character cell would bury the reason: its start and its length say enough
            val = (f", value {self.value!r}" if len(self.value) <= 80
                   else f", value {self.value[:60]!r}… ({len(self.value):,} characters)")
        # shown on screen, not stored: still, an e-mail address, phone number or IP address in it is masked
        return personal.masked(f"{where}{col}{val}: {self.reason}")

    def logged(self) -> dict:
        """The problem as the import log keeps it: row, column and reason, never the value (nor the value quoted
        in the reason, as an answer label's is)."""
        reason = self.reason
        if self.value not in (None, ""):
            reason = reason.replace(repr(self.value), "the value")
        return {"row": self.row, "column": self.column, "reason": personal.masked(reason)}


@dataclass
class ImportReport:
    file_name: str
    kind: str
    layout: str
    rows_read: int = 0
    rows_valid: int = 0
    rows_imported: int = 0
    rows_unchanged: int = 0
    rows_replaced: int = 0
    problems: list[Problem] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    import_id: int | None = None
    dry_run: bool = False
    masked: dict[str, int] = field(default_factory=dict)   # personal data masked in free text, by kind

    @property
    def rows_skipped(self) -> int:
        return self.rows_read - self.rows_valid


# ----------------------------------------------------------------------------------------------------------
# Reading


def unneutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo the exports' formula neutralisation ('=… back to =…), so an exported file imports unchanged."""
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        text = values.astype(object)
        escaped = text.map(lambda v: isinstance(v, str) and len(v) > 1 and v[0] == "'" and v[1] in FORMULA_START)
        if escaped.any():
            frame[column] = text.where(~escaped, text.str[1:])
    return frame


# ----------------------------------------------------------------------------------------------------------
# Validation (pandera, on the text as read, so every bad cell is reported with its row and value)


def _required_text(*checks: pa.Check) -> pa.Column:
    return pa.Column(object, checks=list(checks), nullable=False)


def _choice(values: Iterable[str]) -> pa.Check:
    values = tuple(values)
    return pa.Check.isin(values, error=f"must be one of: {', '.join(values)}")


def _matches(pattern: str, error: str) -> pa.Check:
    return pa.Check(lambda s: s.astype(str).str.fullmatch(pattern), element_wise=False, error=error)


def _is_datetime() -> pa.Check:
    # pandas reads year 0, which no calendar (nor Python's date) has
    return pa.Check(
        lambda s: pd.to_datetime(s, errors="coerce", format="ISO8601").dt.year.ge(1),
        error="not a date and time (expected YYYY-MM-DD HH:MM:SS or YYYY-MM-DD)",
    )


def _length(low: int, high: int, error: str) -> pa.Check:
    # Python's len, not a regex: Arrow's RE2 refuses a repetition above 1000, and a check that raises is skipped.
    return pa.Check(lambda s: s.map(lambda v: low <= len(str(v)) <= high), element_wise=False, error=error)


# C0 and C1 control characters (NUL, escape, line breaks ...): never part of a name, an id or a label.
CONTROLS = r"[\x00-\x1f\x7f-\x9f]"
COMMENT_CONTROLS = r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f]"   # a comment may hold tabs and line breaks


def _no_controls(pattern: str = CONTROLS, what: str = "a line break, tab, NUL or escape") -> pa.Check:
    return pa.Check(lambda s: ~s.astype(str).str.contains(pattern, regex=True), element_wise=False,
                    error=f"contains a control character ({what}): remove it and import again")


def _at_most(high: int, error: str) -> pa.Check:
    """A whole number that fits the stored INTEGER (other text is left to the check that says what it must be)."""
    return pa.Check(lambda s: s.map(lambda v: not re.fullmatch(r"\d+", str(v), re.ASCII) or int(v) <= high),
                    element_wise=False, error=error)


def _is_number(low: float | None = None) -> pa.Check:
    def check(s: pd.Series) -> pd.Series:
        numbers = pd.to_numeric(s, errors="coerce")
        # 'inf' and '1e400' read as infinity: not a figure anyone meant
        ok = numbers.notna() & numbers.abs().lt(float("inf"))
        return ok & (numbers >= low) if low is not None else ok

    return pa.Check(check, error="not a number" + (f" of at least {low:g}" if low is not None else "")
                    + " (an ordinary number such as 12.5, not text, a formula or infinity)")


def _valid_date() -> pa.Check:
    return pa.Check(
        lambda s: pd.to_datetime(s, errors="coerce", format="%Y-%m-%d").dt.year.ge(1),
        error="not a date (expected YYYY-MM-DD)",
    )


def _no_email(error: str) -> pa.Check:
    """An id or a unit name is never an e-mail address, nor holds one ("Jane Doe <jane@example.com>"): personal
    data is never stored (DESIGN.md, Anonymity), and an id or a unit is shown and exported as it is."""
    return pa.Check(lambda s: ~s.map(personal.has_email), element_wise=False,
                    error="is or contains an e-mail address, which is personal data and never stored: " + error)


ID_EMAIL = ("use a code that names no one instead (for example R0001), the same in every file that refers to it, "
            "and import again")
UNIT_EMAIL = ("a business unit is the unit's name (for example Retail), not a person's: correct it in the file, or "
              "set the unit for the whole file (--set business_unit=NAME), and import again")


def _in_window(what: str, format: str) -> list[pa.Check]:
    """A date, date and time or month (`what`, read with `format`) before 2000 or more than a year after today:
    almost always a typo (9999-12-31) that would stretch every month list to the end of time. A cell that is not
    a date at all is left to the check that says what it must be."""
    def parsed(s: pd.Series) -> pd.Series:
        return pd.to_datetime(s, errors="coerce", format=format)

    noun = "month" if what == "month" else "date"
    first, last = pd.Timestamp(dates.EARLIEST), dates.latest()
    if noun == "month":   # a month is read as its first day: the latest month's first day is the last accepted
        late = pa.Check(lambda s: ~parsed(s).gt(pd.Timestamp(f"{dates.month_of(last)}-01")), error=dates.too_late(noun))
    else:                 # any time of the latest day is accepted
        late = pa.Check(lambda s: ~parsed(s).ge(pd.Timestamp(last) + pd.Timedelta(days=1)), error=dates.too_late(noun))
    return [pa.Check(lambda s: ~parsed(s).lt(first), error=dates.too_early(noun)), late]


def _schema(kind: str, items: pd.DataFrame | None = None, allow_any_date: bool = False) -> pa.DataFrameSchema:
    # Dates outside 2000 to a year from today are refused unless the analyst confirms them (allow_any_date).
    window = (lambda what, format: []) if allow_any_date else _in_window  # noqa: E731
    text = lambda: _required_text(_length(1, 200, "must be 1 to 200 characters"), _no_controls())  # noqa: E731
    identifier = lambda: _required_text(_length(1, 200, "must be 1 to 200 characters"), _no_controls(),  # noqa: E731
                                        _no_email(ID_EMAIL))
    bu = lambda: _required_text(_length(1, 200, "must be 1 to 200 characters"), _no_controls(),  # noqa: E731
                                _no_email(UNIT_EMAIL))
    if kind == "items":
        columns = {
            "item_id": _required_text(_matches(r"[a-z][a-z0-9_]{0,62}", "must be snake_case: a-z, 0-9 and _"),
                                      pa.Check(lambda s: ~s.isin(answers.RESERVED),
                                               error="is the name of a response field: choose another item id")),
            "dimension": _required_text(_matches(r"[a-z][a-z0-9_]{0,62}", "must be snake_case: a-z, 0-9 and _")),
            "text": text(),
            "scale": _required_text(_choice(("likert5", "nps11"))),
            "reverse_scored": _required_text(_choice(sorted(BOOL_WORDS))),
        }
        unique = ["item_id"]
    elif kind == "survey":
        columns = {
            "response_id": identifier(),
            "submitted_at": _required_text(_is_datetime(), *window("date and time", "ISO8601")),
            "business_unit": bu(),
            "department": _required_text(_choice(DEPARTMENTS)),
            "role": _required_text(_choice(ROLES)),
            "comment": pa.Column(object, nullable=True, required=False,
                                 checks=[_length(0, 5000, "comment longer than 5000 characters: shorten it"),
                                         _no_controls(COMMENT_CONTROLS, "a NUL, escape or other non-printing "
                                                                        "character")]),
            "wave": pa.Column(object, nullable=True, required=False,
                              checks=[_matches(MONTH, "must be a month YYYY-MM"), *window("month", "%Y-%m")]),
        }
        # Answer columns are not in this schema: mapping.build_survey_frame has already read every answer
        # against its item's scale (layouts.likert_value) and reported each bad one with its row.
        unique = ["response_id"]
    elif kind == "headcount":
        columns = {"business_unit": bu(), "department": _required_text(_choice(DEPARTMENTS)),
                   "month": _required_text(_matches(MONTH, "must be a month YYYY-MM"), *window("month", "%Y-%m")),
                   "headcount": _required_text(_matches(r"\d+", "must be a whole number of people, 0 or more"),
                                               _at_most(999_999_999, "is too large: at most 999,999,999 people"))}
        unique = ["business_unit", "department", "month"]
    elif kind == "meetings":
        columns = {"meeting_id": identifier(), "business_unit": bu(),
                   "date": _required_text(_valid_date(), *window("date", "%Y-%m-%d")),
                   "meeting_type": _required_text(_choice(("joint_steering", "co_department", "brainstorm", "staff_exchange"))),
                   "status": _required_text(_choice(("held", "cancelled")))}
        unique = ["meeting_id"]
    elif kind == "attendance":
        columns = {"meeting_id": identifier(), "person_id": identifier(),
                   "department": _required_text(_choice(DEPARTMENTS)),
                   "role": _required_text(_choice(ROLES)), "attended": _required_text(_choice(sorted(BOOL_WORDS)))}
        unique = ["meeting_id", "person_id"]
    elif kind == "projects":
        optional_date = lambda: pa.Column(object, nullable=True,  # noqa: E731
                                          checks=[_valid_date(), *window("date", "%Y-%m-%d")])
        columns = {
            "project_id": identifier(), "business_unit": bu(), "name": text(),
            "lead_function": _required_text(_choice(("marketing", "it", "joint"))),
            "stage": _required_text(_choice(("pilot", "scale"))),
            "parent_project_id": pa.Column(object, nullable=True,
                                           checks=[_length(1, 200, "must be 1 to 200 characters"), _no_controls(),
                                                   _no_email(ID_EMAIL)]),
            "start_date": _required_text(_valid_date(), *window("date", "%Y-%m-%d")),
            "planned_end": _required_text(_valid_date(), *window("date", "%Y-%m-%d")),
            "actual_end": optional_date(),
            "budget": _required_text(_is_number(0)),
            "spend": pa.Column(object, nullable=True, checks=[_is_number(0)]),
            "status": _required_text(_choice(("planned", "active", "delivered", "cancelled"))),
            "outcome": pa.Column(object, nullable=True, checks=[_choice(("success", "partial", "failed"))]),
            "roi_pct": pa.Column(object, nullable=True, checks=[_is_number()]),
        }
        unique = ["project_id"]
    elif kind == "kpis":
        columns = {"business_unit": bu(),
                   "month": _required_text(_matches(MONTH, "must be a month YYYY-MM"), *window("month", "%Y-%m")),
                   "kpi": _required_text(_matches(r"[a-z][a-z0-9_]{0,62}", "must be snake_case: a-z, 0-9 and _")),
                   "value": _required_text(_is_number())}
        unique = ["business_unit", "month", "kpi"]
    elif kind in REVIEW_KINDS:
        columns, unique, checks = _review_schema(kind, items, window, text, identifier)
        return pa.DataFrameSchema(columns, unique=unique, report_duplicates="all", strict=False, checks=checks)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return pa.DataFrameSchema(columns, unique=unique, report_duplicates="all", strict=False)


SIDES = ("marketing", "it")
DECIDERS = ("marketing", "it", "joint")


def _review_schema(kind: str, items: pd.DataFrame | None, window, text, identifier):
    """The review kinds' columns and cross-column checks: an unknown target, a due date before the start, a note
    longer than 4,000 characters are refused in words, row by row."""
    month = lambda: _required_text(_matches(MONTH, "must be a month YYYY-MM"), *window("month", "%Y-%m"))  # noqa: E731
    optional = lambda *checks: pa.Column(object, nullable=True, checks=list(checks))  # noqa: E731
    optional_date = lambda: optional(_valid_date(), *window("date", "%Y-%m-%d"))  # noqa: E731
    unit = lambda: optional(_length(1, 200, "must be 1 to 200 characters"), _no_controls(),  # noqa: E731
                            _no_email(UNIT_EMAIL))
    long_text = lambda high: _required_text(  # noqa: E731
        _length(1, high, f"must be 1 to {high:,} characters"),
        _no_controls(COMMENT_CONTROLS, "a NUL, escape or other non-printing character"))
    checks: list[pa.Check] = []
    if kind == "commentary":
        columns = {"month": month(), "side": _required_text(_choice(SIDES)), "text": long_text(4000),
                   "written_by": text(), "written_at": _required_text(_is_datetime(), *window("date and time", "ISO8601"))}
        unique = ["month", "side"]
    elif kind == "decision_rights":
        columns = {"area_id": identifier(), "area": text(), "accountable": optional(_choice(DECIDERS)),
                   "consulted": optional(_length(1, 200, "must be 1 to 200 characters"), _no_controls()),
                   "informed": optional(_length(1, 200, "must be 1 to 200 characters"), _no_controls()),
                   "agreed_on": optional_date()}
        unique = ["area_id"]
    elif kind == "decisions":
        columns = {"decision_id": identifier(), "month": month(), "business_unit": unit(),
                   "area_id": optional(_length(1, 200, "must be 1 to 200 characters"), _no_controls(),
                                       _no_email(ID_EMAIL)),
                   "text": long_text(2000), "decided_by": _required_text(_choice(DECIDERS)), "due": optional_date(),
                   "status": _required_text(_choice(("open", "done", "reversed")))}
        unique = ["decision_id"]
    else:  # actions
        targets = ["alignment_index", *sorted(set(items.loc[items["scale"] == "likert5", "dimension"]))] \
            if items is not None else ["alignment_index"]
        columns = {"action_id": identifier(), "business_unit": unit(), "title": text(),
                   "owner": optional(_length(1, 200, "must be 1 to 200 characters"), _no_controls()),
                   "target": _required_text(pa.Check(lambda s: s.isin(targets), error=(
                       f"is not a target: an action targets alignment_index or a dimension of the catalogue "
                       f"({', '.join(targets[1:]) or 'none stored yet'})"))),
                   "start_month": month(), "due": optional_date(),
                   "status": _required_text(_choice(("planned", "in_progress", "done", "dropped"))),
                   "effect_window": optional(_matches(r"([1-9]|1[0-2])", "must be a whole number of months, 1 to 12"))}
        unique = ["action_id"]

        def due_not_before_start(frame: pd.DataFrame) -> pd.DataFrame:
            # A cell-shaped answer, false only in the due column, so the problem names that cell alone.
            due = pd.to_datetime(frame["due"], errors="coerce", format="%Y-%m-%d")
            start = pd.to_datetime(frame["start_month"], errors="coerce", format="%Y-%m")
            fine = pd.DataFrame(True, index=frame.index, columns=frame.columns)
            fine["due"] = ~(due < start).fillna(False)
            return fine

        checks = [pa.Check(due_not_before_start, error="the due date is before the start month: the due date "
                                                       "must be in the start month or later")]
    return columns, unique, checks


_BUILTIN_REASONS = {
    "not_nullable": "is required but empty",
    "field_uniqueness": "appears more than once in the file",
    "multiple_fields_uniqueness": "the same key appears more than once in the file",
    "column_in_dataframe": "column is missing from the file",
}


def validate(frame: pd.DataFrame, kind: str, items: pd.DataFrame | None = None,
             row_numbers: list[int] | None = None, allow_any_date: bool = False) -> list[Problem]:
    """Every problem of every row, as (row, column, value, reason); an empty list means valid."""
    schema = _schema(kind, items, allow_any_date)
    try:
        schema.validate(frame.reset_index(drop=True), lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _problems(errors.failure_cases, frame.reset_index(drop=True),
                         row_numbers or list(range(2, len(frame) + 2)))
    return []


def _problems(cases: pd.DataFrame, frame: pd.DataFrame, row_numbers: list[int]) -> list[Problem]:
    problems: list[Problem] = []
    seen = set()
    for case in cases.itertuples():
        check = str(case.check)
        reason = _BUILTIN_REASONS.get(check, check)
        column = None if pd.isna(case.column) else str(case.column)
        if isinstance(case.failure_case, dict) and len(case.failure_case) == 1:  # a check across columns: its cell
            column = str(next(iter(case.failure_case)))
        if check == "column_in_dataframe":
            problems.append(Problem(None, str(case.failure_case), None, f"required column {case.failure_case!r} is missing"))
            continue
        if case.index is None or pd.isna(case.index):
            continue
        index = int(case.index)
        value = frame.at[index, column] if column in frame.columns else case.failure_case
        key = (index, column, reason)
        if key in seen:
            continue
        seen.add(key)
        problems.append(Problem(row_numbers[index], column, None if value is None else str(value), reason))
    problems.sort(key=lambda p: (p.row is not None, p.row or 0, p.column or ""))
    return problems


# ----------------------------------------------------------------------------------------------------------
# Conversion to the stored types


def _to_bool(series: pd.Series) -> pd.Series:
    return series.map(lambda v: None if v is None else BOOL_WORDS[str(v).lower()])


def _typed(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if kind == "items":
        out["reverse_scored"] = _to_bool(out["reverse_scored"])
    elif kind == "headcount":
        out["headcount"] = out["headcount"].astype(int)
    elif kind == "meetings":
        out["date"] = pd.to_datetime(out["date"], format="%Y-%m-%d").dt.date
    elif kind == "attendance":
        out["attended"] = _to_bool(out["attended"])
    elif kind == "projects":
        for col in ("start_date", "planned_end", "actual_end"):
            out[col] = pd.to_datetime(out[col], format="%Y-%m-%d").dt.date
        for col in ("budget", "spend", "roi_pct"):
            out[col] = pd.to_numeric(out[col])
    elif kind == "kpis":
        out["value"] = pd.to_numeric(out["value"])
    elif kind == "commentary":
        out["written_at"] = pd.to_datetime(out["written_at"], format="ISO8601")
    elif kind in REVIEW_KINDS:
        for col in KINDS[kind].date_columns:
            out[col] = pd.to_datetime(out[col], format="%Y-%m-%d").dt.date
        if kind == "actions":
            out["effect_window"] = pd.to_numeric(out["effect_window"]).fillna(3).astype(int)
    return out


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

    A clean native survey file is read by DuckDB alone (metrics.native_survey); `general` forces the general
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
    """A clean native survey file in one pass (metrics.native_survey.insert), or None to take the long way.

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


# ----------------------------------------------------------------------------------------------------------
# Import log and undo


def list_imports(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.cursor().execute(
        """SELECT import_id, kind, file_name, layout, rows_read, rows_imported, rows_unchanged, rows_skipped,
                  imported_at, imported_by, undone_at, file_hash, skipped_rows, dropped_columns
           FROM imports ORDER BY import_id"""
    ).df()


class UndoRefused(Exception):
    pass


def undo(con: duckdb.DuckDBPyConnection, import_id: int) -> dict[str, int]:
    """Remove every row an import brought, in one transaction; returns rows removed per table."""
    rows = con.cursor().execute("SELECT kind, undone_at FROM imports WHERE import_id = $id", {"id": import_id}).fetchall()
    if not rows:
        raise UndoRefused(f"There is no import {import_id}; `python -m metrics imports` lists them.")
    kind, undone_at = rows[0]
    if undone_at is not None:
        raise UndoRefused(f"Import {import_id} was already undone at {undone_at:%Y-%m-%d %H:%M}.")
    removed: dict[str, int] = {}
    with store.transaction(con) as cur:
        if kind == "items":
            stored = set(answers.item_columns(cur))
            brought = [i for (i,) in cur.execute("SELECT item_id FROM survey_items WHERE import_id = $id",
                                                 {"id": import_id}).fetchall() if i in stored]
            used = cur.execute("SELECT count(*) FROM survey_responses WHERE "
                               + (" OR ".join(f"{answers.quoted(i)} IS NOT NULL" for i in brought) or "false")
                               ).fetchall()[0][0]
            if used:
                raise UndoRefused(f"Import {import_id} brought catalogue items that {used} stored responses answer; "
                                  "undo those survey imports first.")
        table = KINDS[kind].table
        superseded = cur.execute(f"SELECT count(*) FROM replaced_{table} WHERE import_id = $id",
                                 {"id": import_id}).fetchall()[0][0]
        if superseded:
            later = cur.execute(f"SELECT min(replaced_by) FROM replaced_{table} WHERE import_id = $id",
                                {"id": import_id}).fetchall()[0][0]
            raise UndoRefused(f"Rows of import {import_id} were replaced by import {later}; undo import {later} first.")
        touched = [m for (m,) in cur.execute(
            "SELECT DISTINCT wave FROM survey_responses WHERE import_id = $id UNION "
            "SELECT DISTINCT wave FROM replaced_survey_responses WHERE replaced_by = $id", {"id": import_id}).fetchall()]
        if kind == "survey":  # what leaves and what comes back, for the changes held back
            cur.execute("CREATE OR REPLACE TEMP TABLE undo_leaving AS SELECT * FROM survey_responses "
                        "WHERE import_id = $id", {"id": import_id})
            cur.execute("CREATE OR REPLACE TEMP TABLE undo_entering AS SELECT * EXCLUDE (replaced_by) "
                        "FROM replaced_survey_responses WHERE replaced_by = $id", {"id": import_id})
        removed[table] = cur.execute(f"DELETE FROM {table} WHERE import_id = $id", {"id": import_id}).fetchall()[0][0]
        # bring back what this import had replaced
        restored = cur.execute(f"INSERT INTO {table} BY NAME SELECT * EXCLUDE (replaced_by) FROM replaced_{table} "
                               "WHERE replaced_by = $id", {"id": import_id}).fetchall()[0][0]
        if kind == "survey":
            answers.hold_back(cur, "SELECT * FROM undo_entering", "SELECT * FROM undo_leaving")
            cur.execute("DROP TABLE undo_entering")
            cur.execute("DROP TABLE undo_leaving")
        cur.execute(f"DELETE FROM replaced_{table} WHERE replaced_by = $id", {"id": import_id})
        if restored:
            removed[f"{table} restored"] = restored
        if kind == "items":
            answers.remember_hidden(cur)
        if kind in ("survey", "items"):
            answers.store_figures(cur, touched if kind == "survey" else None)
        cur.execute("UPDATE imports SET undone_at = $at WHERE import_id = $id",
                    {"at": datetime.now(timezone.utc).replace(tzinfo=None), "id": import_id})
    return removed


# ----------------------------------------------------------------------------------------------------------
# Sample data and export


def load_sample(con: duckdb.DuckDBPyConnection, directory: Path | None = None) -> None:
    """Load the committed sample data set into an empty store."""
    directory = Path(directory or store.SAMPLE_DIR)
    for kind, file_name in SAMPLE_FILES.items():
        import_file(con, kind, directory / file_name, user="sample data")


EXPORT_FORMATS = ("csv", "xlsx")


def export(con: duckdb.DuckDBPyConnection, kind: str, out: str | Path) -> int:
    """Write what is stored in the native template layout, as CSV or (for a .xlsx path) an Excel workbook; every
    cell a spreadsheet would run as a formula is neutralised. Returns the number of rows written."""
    out = Path(out)
    data, rows = export_bytes(con, kind, "xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    out.write_bytes(data)
    return rows


def export_bytes(con: duckdb.DuckDBPyConnection, kind: str, fmt: str = "csv") -> tuple[bytes, int]:
    """(the file, its rows): a kind's stored rows as CSV (UTF-8) or .xlsx, formula cells neutralised."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: {', '.join(EXPORT_FORMATS)}")
    frame = export_frame(con, kind)
    if fmt == "csv":
        return frame.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S").encode("utf-8"), len(frame)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=KIND_LABELS[kind][:31])
        sheet = writer.sheets[KIND_LABELS[kind][:31]]
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"   # text is text: openpyxl would otherwise store "=..." as a formula
    return buffer.getvalue(), len(frame)


def export_frame(con: duckdb.DuckDBPyConnection, kind: str) -> pd.DataFrame:
    spec = KINDS[kind]
    cur = con.cursor()
    if kind == "survey":
        frame = _survey_wide(con)
    else:
        order = ", ".join(spec.key)
        select = ", ".join(f"strftime({c}, '%Y-%m-%d') AS {c}" if c in spec.date_columns else c for c in spec.columns)
        frame = cur.execute(f"SELECT {select} FROM {spec.table} ORDER BY {order}").df()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(neutralise_formula)
    for column in frame.columns:
        if frame[column].dtype == bool:
            frame[column] = frame[column].map({True: "true", False: "false"})
    return frame


def _survey_wide(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    cur = con.cursor()
    stored = set(answers.item_columns(cur))
    items = [r[0] for r in cur.execute(
        "SELECT item_id FROM survey_items ORDER BY dimension = 'nps', rowid").fetchall() if r[0] in stored]
    frame = cur.execute(
        f"""SELECT response_id, strftime(submitted_at, '%Y-%m-%d %H:%M:%S') AS submitted_at, business_unit,
                   department, role, {''.join(answers.quoted(i) + ', ' for i in items)}comment,
                   CASE WHEN wave <> strftime(submitted_at, '%Y-%m') THEN wave END AS wave
            FROM survey_responses ORDER BY response_id""").df()
    for item in items:
        frame[item] = frame[item].astype("Int64")
    if frame["wave"].isna().all():
        frame = frame.drop(columns="wave")
    return frame


def neutralise_formula(value):
    """Prefix a cell a spreadsheet would run as a formula with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


KIND_LABELS = {
    "survey": "Pulse-survey responses", "items": "Survey item catalogue", "headcount": "Headcount",
    "meetings": "Meetings", "attendance": "Meeting attendance", "projects": "Joint projects", "kpis": "KPIs",
    "commentary": "Leaders' notes", "decision_rights": "Decision-rights register", "decisions": "Decisions",
    "actions": "Actions",
}


def template_csv(con: duckdb.DuckDBPyConnection, kind: str) -> str:
    """The native template of a kind: its header row (for surveys, with the catalogue's item ids)."""
    columns = list(KINDS[kind].columns)
    if kind == "survey":
        columns += list(_stored_items(con)["item_id"]) + ["comment"]
    return ",".join(columns) + "\n"


DEPARTMENT_LABELS = {"marketing": "marketing", "it": "IT", "other": "other"}


def held_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A sentence for each group whose survey changes are held back (see answers.hold_back), for the Data page."""
    from metrics import settings  # late import: settings reads the store

    k = settings.anonymity_threshold(con)
    notes = []
    for month, unit, department, added, removed, changed in answers.held_back(con.cursor()):
        what = " and ".join(part for part in (
            f"{added} new or changed response{'s' if added != 1 else ''}" if added else "",
            f"{removed} removed response{'s' if removed != 1 else ''}" if removed else "") if part) or \
            f"{changed} changed response{'s' if changed != 1 else ''}"
        when = (f"these count once {k - changed} more change{'s' if k - changed != 1 else ''} arrive for that group"
                if changed < k else
                f"these count once at least {k} of the changed responses answer each statement that would move "
                "(and they differ by that much from every version shown before)")
        notes.append(f"Held back: {what} in {unit} · {DEPARTMENT_LABELS.get(department, department)} · {month}. "
                     f"A figure already shown changes only when at least {k} responses of its group have been added "
                     f"or removed since, so that no one person's answers show in the difference; {when}.")
    return notes


def import_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The import log as the Data page shows it: newest first, with a readable state."""
    log = list_imports(con)
    log["state"] = ["undone" if pd.notna(u) else "active" for u in log["undone_at"]]
    return log.sort_values("import_id", ascending=False).reset_index(drop=True)


def problems_table(problems: list[Problem]) -> pd.DataFrame:
    """The problems as the Data page lists them; an e-mail address, phone number or IP address in a value or a
    reason is masked, as in every message."""
    return pd.DataFrame([{"row": p.row, "column": p.column, "value": personal.masked(p.value),
                          "reason": personal.masked(p.reason)} for p in problems],
                        columns=["row", "column", "value", "reason"])


def masked_summary(report: ImportReport) -> str:
    """What was masked in free text, for the command line and the Data page ('' when nothing): 'masked in free
    text: 2 e-mail addresses, 1 phone number (only the mask is stored)'."""
    counts = personal.summary(report.masked)
    return f"masked in free text: {counts} (only the mask is stored)" if counts else ""


LAYOUT_LABELS = {
    "auto": "Detect automatically", "native": "Native template", "qualtrics": "Qualtrics",
    "qualtrics_legacy": "Qualtrics (legacy two-row export)", "surveymonkey": "SurveyMonkey",
    "google_forms": "Google Forms", "ms_forms": "Microsoft Forms", "typeform": "Typeform",
    "limesurvey": "LimeSurvey", "glint": "Viva Glint",
}


def mapping_rows(prepared: PreparedImport) -> pd.DataFrame:
    """The answer and comment columns of a survey file with the target each was given (for the mapping form)."""
    table = prepared.mapping_table
    if table is None or table.empty:
        return pd.DataFrame(columns=["source", "question", "kind", "target", "how"])
    return table[table["kind"].isin(["answer", "comment"])].reset_index(drop=True)


def mapping_targets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What a column can map to: nothing (""), a catalogue item, or one of the survey fields."""
    return ["", *_stored_items(con)["item_id"], *mapping_module.FIELDS]


def changed_mapping(rows: pd.DataFrame, chosen: dict[str, str]) -> dict[str, str]:
    """Only the analyst's changes to the proposed mapping (these are remembered for the next file)."""
    proposed = dict(zip(rows["source"], rows["target"]))
    return {source: target for source, target in chosen.items() if proposed.get(source) != target}


def dropped_summary(prepared: PreparedImport) -> dict[str, list[str]]:
    """Columns that will not be stored, by why: personal data, platform bookkeeping, not mapped."""
    table = prepared.mapping_table
    if table is None:
        return {}
    summary = {
        "personal data (never stored)": list(table.loc[table["kind"] == "personal data", "source"]),
        "platform columns": list(table.loc[table["kind"] == "platform", "source"]),
        "not mapped to an item": list(table.loc[table["kind"].isin(["answer", "comment"]) & (table["target"] == ""),
                                                "source"]),
    }
    return {why: columns for why, columns in summary.items() if columns}
