"""The plausible span of the data's dates: what an import takes without the analyst's confirmation."""

from __future__ import annotations

from datetime import date

# No collaboration survey, meeting record or KPI feed of this company predates it; a year ahead covers a planned
# project end or a clock a little off. Anything outside is almost always a typo (9999-12-31, 1899-12-30) that
# would otherwise stretch every month list to the end of time.
EARLIEST = date(2000, 1, 1)
CONFIRM = "--allow-any-date (on the Data page: the checkbox 'Accept any date')"
CHECKBOX = "Accept any date"


def latest(today: date | None = None, years: int = 1) -> date:
    """`years` after today, a year unless told (28 February when today is the 29th)."""
    today = today or date.today()
    try:
        return today.replace(year=today.year + years)
    except ValueError:
        return today.replace(year=today.year + years, day=28)


DUE_YEARS_AHEAD = 10   # a due date is a plan, not data: a programme may run for years, and it fills no month list


def too_late_due() -> str:
    """Why a due date more than DUE_YEARS_AHEAD after today is refused, and how to confirm it."""
    return (f"is more than {DUE_YEARS_AHEAD} years after today (after {latest(years=DUE_YEARS_AHEAD):%Y-%m-%d}); "
            f"check the due date, or confirm dates outside {window_text()} with {CONFIRM}")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def window_text(what: str = "date") -> str:
    """'2000-01-01 to 2027-12-02', or for months '2000-01 to 2027-12'."""
    if what == "month":
        return f"{month_of(EARLIEST)} to {month_of(latest())}"
    return f"{EARLIEST:%Y-%m-%d} to {latest():%Y-%m-%d}"


def checkbox_help() -> str:
    return (f"Dates and months outside {window_text()} are refused unless you tick this: they are usually typos "
            "(9999-12-31, 1899-12-30). Tick it only for dates you have checked.")


def too_early(what: str = "date") -> str:
    """Why a date (or month) before EARLIEST is refused, and how to confirm it."""
    first = window_text(what).split(" to ")[0]
    return f"is before {first}; check the {what}, or confirm {what}s outside {window_text(what)} with {CONFIRM}"


def too_late(what: str = "date") -> str:
    """Why a date (or month) more than a year after today is refused, and how to confirm it."""
    last = window_text(what).split(" to ")[1]
    return (f"is more than a year after today (after {last}); check the {what}, or confirm {what}s outside "
            f"{window_text(what)} with {CONFIRM}")
