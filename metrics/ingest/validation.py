"""Reading a native file and checking it: pandera schemas on the text as read, so every bad cell is reported with its
row and value, and the conversion of what passed to the stored types."""

from __future__ import annotations

import re
from dataclasses import field
from typing import Iterable

import pandas as pd
import pandera.pandas as pa

from metrics import answers, dates, personal

from metrics.ingest.kinds import BOOL_WORDS, DEPARTMENTS, FORMULA_START, KINDS, MONTH, Problem, REVIEW_KINDS, ROLES

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


def _due_window() -> list[pa.Check]:
    """A due date (of a decision or an action): from 2000 to DUE_YEARS_AHEAD after today, a wider span than the
    data's: a plan may be due years ahead, and a due date adds no month to any list."""
    def parsed(s: pd.Series) -> pd.Series:
        return pd.to_datetime(s, errors="coerce", format="%Y-%m-%d")

    last = pd.Timestamp(dates.latest(years=dates.DUE_YEARS_AHEAD))
    return [pa.Check(lambda s: ~parsed(s).lt(pd.Timestamp(dates.EARLIEST)), error=dates.too_early("date")),
            pa.Check(lambda s: ~parsed(s).gt(last), error=dates.too_late_due())]


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
        # against its item's scale (values.likert_value) and reported each bad one with its row.
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
        columns, unique, checks = _review_schema(kind, items, window, text, identifier, allow_any_date)
        return pa.DataFrameSchema(columns, unique=unique, report_duplicates="all", strict=False, checks=checks)
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return pa.DataFrameSchema(columns, unique=unique, report_duplicates="all", strict=False)


SIDES = ("marketing", "it")
DECIDERS = ("marketing", "it", "joint")


def _review_schema(kind: str, items: pd.DataFrame | None, window, text, identifier, allow_any_date: bool = False):
    """The review kinds' columns and cross-column checks: an unknown target, a due date before the start, a note
    longer than 4,000 characters are refused in words, row by row."""
    month = lambda: _required_text(_matches(MONTH, "must be a month YYYY-MM"), *window("month", "%Y-%m"))  # noqa: E731
    optional = lambda *checks: pa.Column(object, nullable=True, checks=list(checks))  # noqa: E731
    optional_date = lambda: optional(_valid_date(), *window("date", "%Y-%m-%d"))  # noqa: E731
    due_date = lambda: optional(_valid_date(), *([] if allow_any_date else _due_window()))  # noqa: E731
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
                   "text": long_text(2000), "decided_by": _required_text(_choice(DECIDERS)), "due": due_date(),
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
                   "start_month": month(), "due": due_date(),
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
