"""What a cell's text means, whatever the layout: dates and times (the day-month order settled by the whole column),
and answers on the catalogue's scales (numbers, numbered labels and labels)."""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from metrics import vocabulary
from metrics.ingest.decode import LayoutError
from metrics.ingest.grid import TRIM

# ----------------------------------------------------------------------------------------------------------
# Dates

DATE_ORDERS = ("ymd", "dmy", "mdy")

# A date and time as the platforms write them: 2024-03-15 10:30:00, 2024-03-15T10:30:00Z, 15/03/2024 10:30,
# 3/15/24 10:30:05 AM, 2024/03/15 10:30:00 AM GMT+1, 15-01-2024 10:30. The zone, if any, is dropped: times stay
# as the platform wrote them (the wave is a month, and every platform writes one zone for a whole file).
TIMESTAMP = re.compile(
    r"^\s*(?P<a>\d{1,4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,4})"
    r"(?:[T\s]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?)?"
    r"\s*(?:Z|(?:GMT|UTC)?\s*[+-]\d{1,2}(?::?\d{2})?|GMT|UTC)?\s*$", re.ASCII)


class AmbiguousDates(LayoutError):
    """Dates that could be day-first or month-first: the analyst must say which (--date-order dmy|mdy)."""


def _date_parts(values: pd.Series) -> pd.DataFrame:
    """Per value: the numbers a/b/c (date, in the order written), hour, minute, second (NaN where absent),
    whether the year comes first, and the meridiem ("a", "p" or None). RE2 in Arrow does the matching."""
    text = pa.array(pd.Series(values, dtype="string").to_numpy(dtype=object, na_value=None), type=pa.string())
    found = pc.extract_regex(text, TIMESTAMP.pattern)
    parts = dict(zip((f.name for f in found.type), found.flatten()))
    empty = pa.scalar(None, pa.string())

    def number(name: str) -> pa.Array:
        # An optional group that did not take part comes back as "", not null.
        return pc.cast(pc.if_else(pc.equal(parts[name], ""), empty, parts[name]), pa.float64())

    frame = pd.DataFrame({name: number(name).to_numpy(zero_copy_only=False)
                          for name in ("a", "b", "c", "hour", "minute", "second")}, index=values.index)
    frame["year_first"] = pc.fill_null(pc.equal(pc.utf8_length(parts["a"]), 4), False).to_numpy(zero_copy_only=False)
    meridiem = pc.utf8_lower(pc.utf8_slice_codeunits(parts["ampm"], 0, 1))
    frame["meridiem"] = pc.if_else(pc.equal(meridiem, ""), empty, meridiem).to_numpy(zero_copy_only=False)
    return frame


def _settle_order(parts: pd.DataFrame) -> tuple[str | None, bool]:
    """(order, mixed): ymd when every date is year-first; otherwise a day above 12 in the first or second place
    settles it; mixed when both happen."""
    dated = parts["a"].notna()
    other = parts[dated & ~parts["year_first"]]
    if other.empty:
        return ("ymd" if dated.any() else None), False
    day_first, month_first = bool((other["a"] > 12).any()), bool((other["b"] > 12).any())
    if day_first and month_first:
        return None, True
    return ("dmy" if day_first else "mdy" if month_first else None), False


def settle_date_order(values: pd.Series) -> tuple[str | None, bool]:
    """(order, mixed) that a column of dates shows: see _settle_order."""
    return _settle_order(_date_parts(values))


def parse_timestamps(values: pd.Series, date_order: str | None, *, file_name: str | None = None) -> pd.Series:
    """Text dates and times as datetime64 (NaT where unparseable). With date_order None the data must settle the
    order: AmbiguousDates if every day is 12 or less, LayoutError if day-first and month-first dates are mixed."""
    # The pattern (TIMESTAMP) and the assembly are hand-written; pandas builds the datetimes from the parts. The
    # libraries tried (December 2026, 6,016 timestamps as the platforms write them, read day-first and
    # month-first) disagreed on 2,271 to 4,927 of them. dateutil.parser and pandas' to_datetime(format="mixed",
    # dayfirst=...) quietly swap day and month where the order asked for does not fit (01-13-98 read day-first
    # is 13 January), so a column mixing the two orders could not be refused; dateutil takes "10" for the 10th of
    # this month and 99 for 1999 (a survey's 3/15/24 is this century); pandas misses "8:45:54 A.M.", dateutil
    # "A.M. GMT+1". DuckDB's try_strptime with a list of 90 formats takes a two-digit year for year 8, rolls
    # 30 February into March, misses "p.m.", and shifts the times by the session's time zone.
    parts = _date_parts(values)
    order = date_order
    if order is None:
        order, mixed = _settle_order(parts)
        where = f"{file_name}: " if file_name else ""
        if mixed:
            raise LayoutError(f"{where}the dates in column {values.name!r} mix day-first and month-first "
                              "(a day above 12 appears in both places): correct the column, then import again")
        if order is None and parts["a"].notna().any():
            example = values[parts["a"].notna()].iloc[0]
            raise AmbiguousDates(
                f"{where}the dates in column {values.name!r} could be day-first or month-first (every day is 12 or "
                f"less, e.g. {example!r}): choose the date order, dmy for 15/03/2024 or mdy for 03/15/2024 "
                "(--date-order dmy|mdy)")
    return pd.Series(_assemble(parts, order).to_numpy(), index=values.index, name=values.name)


def _assemble(parts: pd.DataFrame, order: str | None) -> pd.Series:
    if order == "dmy":
        year, month, day = parts["c"], parts["b"], parts["a"]
    elif order == "mdy":
        year, month, day = parts["c"], parts["a"], parts["b"]
    else:
        year, month, day = parts["a"], parts["b"], parts["c"]
    year_first = parts["year_first"]
    year = year.where(~year_first, parts["a"])
    month = month.where(~year_first, parts["b"])
    day = day.where(~year_first, parts["c"])
    # 3/15/24: a survey answered this century; a year written with four digits is taken as written.
    year = year.where((year >= 100) | year_first, year + 2000)
    hour = parts["hour"].fillna(0)
    afternoon = (parts["meridiem"] == "p") & (hour < 12)
    midnight = (parts["meridiem"] == "a") & (hour == 12)
    hour = hour.where(~afternoon, hour + 12).where(~midnight, 0)
    minute, second = parts["minute"].fillna(0), parts["second"].fillna(0)
    stamp = pd.DataFrame({"year": year, "month": month, "day": day, "hour": hour, "minute": minute, "second": second})
    # pandas carries 25:61 over into the next day and accepts year 0: an impossible time is no time at all.
    impossible = (hour > 23) | (minute > 59) | (second > 59) | (year < 1)
    return pd.to_datetime(stamp.mask(impossible), errors="coerce")


# ----------------------------------------------------------------------------------------------------------
# Answer labels

# Likert labels of the catalogue's 5-point scale (DESIGN.md "Uploads") and the usual variants.
LIKERT5_LABELS: dict[str, int] = {
    "strongly disagree": 1, "completely disagree": 1, "totally disagree": 1,
    "disagree": 2, "somewhat disagree": 2, "slightly disagree": 2, "tend to disagree": 2, "mostly disagree": 2,
    "neither agree nor disagree": 3, "neither agree or disagree": 3, "neither disagree nor agree": 3,
    "neutral": 3, "undecided": 3,
    "agree": 4, "somewhat agree": 4, "slightly agree": 4, "tend to agree": 4, "mostly agree": 4,
    "strongly agree": 5, "completely agree": 5, "totally agree": 5,
}
NPS_LABELS: dict[str, int] = {"not at all likely": 0, "not likely at all": 0, "extremely likely": 10}
# Answers that mean "no answer": missing, never zero.
NO_ANSWER = frozenset({"n/a", "na", "not applicable", "don't know", "do not know", "dont know", "prefer not to say",
                       "no answer", "-"})
# Per catalogue scale: its labels and the labels an error message suggests; SCALES adds its lowest and highest
# answer (metrics.vocabulary's) in front.
SCALE_LABELS = {"likert5": (LIKERT5_LABELS, "Strongly disagree, Disagree, Neither agree nor disagree, Agree, "
                                             "Strongly agree"),
                "nps11": (NPS_LABELS, "Not at all likely (0), Extremely likely (10)")}
SCALES = {scale: (*vocabulary.SCALES[scale], *SCALE_LABELS[scale]) for scale in vocabulary.SCALES}
# A number, alone or followed by a separator and its label: "4", "4.0", "4 - Agree", "5 = Strongly agree", "4 (Agree)".
NUMBERISH = re.compile(r"[0-9+\-._eE ]*[0-9][0-9+\-._eE ]*", re.ASCII)
NUMBERED = re.compile(r"(\d+(?:[.,]\d+)?)(?:(?:\s*[-=:.(]|\s)\s*(.*?)\)?)?", re.ASCII)


@lru_cache(maxsize=4096)
def likert_value(text: str | None, scale: str) -> int | None:
    """The number an answer stands for on a catalogue scale (likert5: 1-5, nps11: 0-10); None when unanswered.
    Accepts numbers ("4", "4.0"), numbered labels ("4 - Agree", "5 = Strongly agree", "10 - Extremely likely")
    and labels ("Strongly agree"), in any case. Raises ValueError, with the reason, for anything else."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; expected one of: {', '.join(SCALES)}")
    low, high, labels, suggested = SCALES[scale]
    clean = _label(text)
    if not clean or clean in NO_ANSWER:
        return None
    number = _number(str(text).strip(TRIM))
    if number is not None:  # a number, however written ("4", "+4", "4.0", "4e0"): as DuckDB's CSV reader reads it
        return _numbered_value(repr(number), "", text, low, high, labels)
    numbered = NUMBERED.fullmatch(clean)
    if numbered:
        return _numbered_value(numbered.group(1), numbered.group(2) or "", text, low, high, labels)
    if clean in labels:
        return labels[clean]
    raise ValueError(f"{text!r} is not an answer on the {low}–{high} scale: expected a number from {low} to {high} "
                     f"or a label ({suggested})")


_numbers = duckdb.connect()
_numbers_lock = threading.Lock()


@lru_cache(maxsize=4096)
def _number(text: str) -> float | None:
    """The number DuckDB reads in this text (the fast import path reads answers with it), or None. One reader for
    both paths, so a cell means the same whichever path a file takes."""
    if not NUMBERISH.fullmatch(text):
        return None
    with _numbers_lock:
        return _numbers.execute("SELECT TRY_CAST($text AS DOUBLE)", {"text": text}).fetchall()[0][0]


def _label(text: str | None) -> str:
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    clean = str(text).replace("’", "'").replace("–", "-").replace("—", "-").casefold()
    return " ".join(clean.split()).strip(" .")


def _numbered_value(number: str, rest: str, text: str | None, low: int, high: int, labels: dict[str, int]) -> int:
    value = float(number.replace(",", "."))
    if not value.is_integer():
        raise ValueError(f"{text!r} is not a whole number from {low} to {high}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{text!r} is outside the {low}–{high} scale")
    label = rest.strip(" -=:.()")
    # A platform's own label next to the number is trusted unless it is a label we know for another number.
    if label in labels and labels[label] != value:
        raise ValueError(f"{text!r} contradicts itself: {label!r} means {labels[label]}, not {value}")
    return value
