"""Reading a native file and checking it: pandera schemas on the text as read, so every bad cell is reported with its
row and value, and the conversion of what passed to the stored types."""

from __future__ import annotations

import re
from typing import Iterable

import pandas as pd
import pandera.pandas as pa

from metrics import dates, personal
from metrics.store import answers

from metrics.ingest.kinds import FORMULA_START, KINDS, Field, Problem
from metrics.vocabulary import BOOL_WORDS, DATE_FORMAT, MONTH, MONTH_FORMAT, SNAKE

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


# The most a whole number with no upper bound of its own may be: what the stored INTEGER holds, rounded down.
INTEGER_MAX = 999_999_999


def _whole_between(low: int, high: int, error: str) -> pa.Check:
    """A whole number from `low` (1 or more) to `high`, written without a leading zero."""
    return pa.Check(lambda s: s.map(lambda v: re.fullmatch(r"[1-9]\d*", str(v), re.ASCII) is not None
                                    and low <= int(v) <= high), element_wise=False, error=error)


def _targets(items: pd.DataFrame | None) -> list[str]:
    """What an action may target: alignment_index and every dimension of the catalogue with Likert items."""
    if items is None:
        return ["alignment_index"]
    return ["alignment_index", *sorted(set(items.loc[items["scale"] == "likert5", "dimension"]))]


def _checks(field: Field, items: pd.DataFrame | None, window, allow_any_date: bool) -> list[pa.Check]:
    """The checks a cell of `field` must pass, by the field's type (its emptiness is the column's business)."""
    holds = field.type
    if holds in ("id", "unit", "text"):
        checks = [_length(1, field.max_length, f"must be 1 to {field.max_length:,} characters"), _no_controls()]
        if holds != "text":
            checks.append(_no_email(ID_EMAIL if holds == "id" else UNIT_EMAIL))
        return checks
    if holds == "long text":
        controls = _no_controls(COMMENT_CONTROLS, "a NUL, escape or other non-printing character")
        if field.required:
            return [_length(1, field.max_length, f"must be 1 to {field.max_length:,} characters"), controls]
        # one that may be empty can only be too long
        return [_length(0, field.max_length, f"{field.name} longer than {field.max_length} characters: shorten it"),
                controls]
    if holds == "choice":
        return [_choice(field.choices)]
    if holds == "bool":
        return [_choice(sorted(BOOL_WORDS))]
    if holds == "snake":
        return [_matches(SNAKE, "must be snake_case: a-z, 0-9 and _")]
    if holds == "month":
        return [_matches(MONTH, "must be a month YYYY-MM"), *window("month", MONTH_FORMAT)]
    if holds == "date":
        return [_valid_date(), *window("date", DATE_FORMAT)]
    if holds == "due":
        return [_valid_date(), *([] if allow_any_date else _due_window())]
    if holds == "datetime":
        return [_is_datetime(), *window("date and time", "ISO8601")]
    if holds == "whole":
        if field.high is None:   # a count: from 0 to what the store holds
            return [_matches(r"\d+", f"must be a whole number of {field.unit}, 0 or more"),
                    _at_most(INTEGER_MAX, f"is too large: at most {INTEGER_MAX:,} {field.unit}")]
        return [_whole_between(field.low, field.high,
                               f"must be a whole number of {field.unit}, {field.low} to {field.high}")]
    if holds == "number":
        return [_is_number(field.low)]
    if holds == "target":
        targets = _targets(items)
        return [pa.Check(lambda s: s.isin(targets), error=(
            f"is not a target: an action targets alignment_index or a dimension of the catalogue "
            f"({', '.join(targets[1:]) or 'none stored yet'})"))]
    raise ValueError(f"no checks for a field of type {holds!r}")


def _schema(kind: str, items: pd.DataFrame | None = None, allow_any_date: bool = False) -> pa.DataFrameSchema:
    """A kind's schema, from its fields (metrics.ingest.kinds): a column a field, its checks by the field's type;
    then what a kind adds: an item id is never a response field's name, an action is not due before it starts."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown kind {kind!r}")
    # Dates outside 2000 to a year from today are refused unless the analyst confirms them (allow_any_date).
    window = (lambda what, format: []) if allow_any_date else _in_window  # noqa: E731
    columns = {}
    for field in spec.fields:
        checks = _checks(field, items, window, allow_any_date)
        if kind == "items" and field.name == "item_id":
            checks.append(pa.Check(lambda s: ~s.isin(answers.RESERVED),
                                   error="is the name of a response field: choose another item id"))
        columns[field.name] = pa.Column(object, checks=checks, nullable=not field.required,
                                        required=field.header == "required")
    # Answer columns are not in the survey's schema: mapping.build_survey_frame has already read every answer
    # against its item's scale (metrics.ingest.values.likert_value) and reported each bad one with its row.
    checks = [pa.Check(_due_not_before_start, error="the due date is before the start month: the due date must be "
                                                    "in the start month or later")] if kind == "actions" else []
    return pa.DataFrameSchema(columns, unique=list(spec.key), report_duplicates="all", strict=False, checks=checks)


def _due_not_before_start(frame: pd.DataFrame) -> pd.DataFrame:
    """An action's due date is in its start month or later. A cell-shaped answer, false only in the due column, so
    the problem names that cell alone."""
    due = pd.to_datetime(frame["due"], errors="coerce", format=DATE_FORMAT)
    start = pd.to_datetime(frame["start_month"], errors="coerce", format=MONTH_FORMAT)
    fine = pd.DataFrame(True, index=frame.index, columns=frame.columns)
    fine["due"] = ~(due < start).fillna(False)
    return fine


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
    """The valid rows as stored, each field by its type: true/false words as booleans, dates as dates, numbers as
    numbers (an empty whole number as its default); text, months and choices stay text."""
    out = frame.copy()
    for field in KINDS[kind].fields:
        if field.name not in out.columns:
            continue
        column = out[field.name]
        if field.type == "bool":
            out[field.name] = _to_bool(column)
        elif field.type in ("date", "due"):
            out[field.name] = pd.to_datetime(column, format=DATE_FORMAT).dt.date
        elif field.type == "datetime":
            out[field.name] = pd.to_datetime(column, format="ISO8601")
        elif field.type == "number":
            out[field.name] = pd.to_numeric(column)
        elif field.type == "whole":
            out[field.name] = (column.astype(int) if field.default is None
                               else pd.to_numeric(column).fillna(field.default).astype(int))
    return out
