"""Deterministic sample data set: one CSV per native template, with effects the analysis can find.

The generator invents a company whose business units each have a latent collaboration
climate (0-100, the index scale) that drifts month by month. Everything else follows from
that climate with noise: survey answers, meeting cadence and attendance, joint-project
outcomes and the business KPIs (margin growth lags the climate by about two months).
Two units carry a story: the second improves markedly once a staff-exchange programme
starts, the fifth declines steadily. Nothing downstream reads these parameters; the
dashboard has to find the effects in the files.

The monthly review's record (the leaders' notes, the decision-rights register, decisions
and actions) is written by metrics.sample.review from a random stream of its own.

The same seed, scale and shape give byte-identical files.

One thing at some length (about 620 lines): the invented company's draws, table by table, from one seeded
random stream each (STREAMS), in an order that must not change, or the committed sample_data/ would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from metrics.sample.calendar import write_calendar
from metrics.sample import tool_exports
from metrics.sample.review import observed_index, review_tables
from metrics.sample.viva import FILE_NAME as VIVA_FILE_NAME, NATIVE_FILE_NAME as VIVA_NATIVE_FILE_NAME  # issue 19
from metrics.sample.viva import write_viva
from metrics.vocabulary import DEPARTMENTS, LEAD_FUNCTIONS, MEETING_TYPES, PROJECT_OUTCOMES, RESPONDENT_ROLES
from metrics.sample.world import (DECLINING_UNIT, DIMENSIONS, IMPROVING_UNIT, ITEMS, LIKERT_ITEMS, Item,  # noqa: F401
                                  World)

DEFAULT_SEED = 7

FILE_NAMES = {
    "items": "survey_items.csv",
    "survey": "survey_responses.csv",
    "headcount": "headcount.csv",
    "meetings": "meetings.csv",
    "attendance": "attendance.csv",
    "projects": "joint_projects.csv",
    "kpis": "kpis.csv",
    # The monthly review's record (metrics.sample.review): imported after the survey, whose dimensions an
    # action's target is checked against.
    "commentary": "commentary.csv",
    "decision_rights": "decision_rights.csv",
    "decisions": "decisions.csv",
    "actions": "actions.csv",
}



COLUMNS = {
    "items": ("item_id", "dimension", "text", "scale", "reverse_scored"),
    "survey": ("response_id", "submitted_at", "business_unit", "department", "role",
               *(item.item_id for item in ITEMS), "comment"),
    "headcount": ("business_unit", "department", "month", "headcount"),
    "meetings": ("meeting_id", "business_unit", "date", "meeting_type", "status"),
    "attendance": ("meeting_id", "person_id", "department", "role", "attended"),
    "projects": ("project_id", "business_unit", "name", "lead_function", "stage",
                 "parent_project_id", "start_date", "planned_end", "actual_end", "budget",
                 "spend", "status", "outcome", "roi_pct"),
    "kpis": ("business_unit", "month", "kpi", "value"),
    "commentary": ("month", "side", "text", "written_by", "written_at"),
    "decision_rights": ("area_id", "area", "accountable", "consulted", "informed", "agreed_on"),
    "decisions": ("decision_id", "month", "business_unit", "area_id", "text", "decided_by", "due", "status"),
    "actions": ("action_id", "business_unit", "title", "owner", "target", "start_month", "due", "status",
                "effect_window"),
}

UNIT_NAMES = ("Retail", "Wholesale", "Online", "Services", "Logistics", "Financial Services")
UNIT_CODES = ("RET", "WHO", "ONL", "SER", "LOG", "FIN")


# How each function sees the relationship, in index points by dimension: marketing finds IT
# a poor partner, slow and a gatekeeper; IT finds marketing poor at talking and at sharing
# what customers want. These perception gaps are what the dumbbell chart should show.
DEPARTMENT_VIEW = {
    "marketing": {"partnership": -9, "agility": -7, "governance": -8,
                  "communication": 3, "customer_focus": 4},
    "it": {"communication": -7, "customer_focus": -9,
           "partnership": 3, "governance": 4, "data_insight": 2},
    "other": {},
}
NPS_VIEW = {"marketing": -0.6, "it": 0.2, "other": 0.0}

SURVEY_MISSING_RATE = 0.02
SURVEY_COMMENT_RATE = 0.06
HOLIDAY_MONTHS = (8, 12)  # pulse surveys in August and December get fewer answers
MISSED_PULSE_RATE = 0.03

COMMENTS = {
    "positive": (
        "The monthly steering meeting has become genuinely useful.",
        "Good to be involved from the start of the last campaign.",
        "The staff exchange helped us understand how the other team works.",
        "Shared dashboards have made our conversations much easier.",
        "Quick turnaround on the last pilot thanks to both teams.",
    ),
    "neutral": (
        "Some progress, but the budget process is still unclear.",
        "More regular check-ins would help.",
        "We would like clearer decision rights on customer data.",
        "Mixed experience depending on the project.",
    ),
    "negative": (
        "We still find out about new tools after they have been bought.",
        "Priorities change without warning and nobody explains why.",
        "Requests sit in the queue for weeks.",
        "Steering meetings keep getting cancelled.",
        "We report different numbers for the same customers.",
        "It feels like we are treated as a service desk.",
    ),
}

PROJECT_THEMES = (
    "Customer data platform", "Campaign automation", "Personalised email journeys",
    "Marketing data lake", "Multi-touch attribution", "Loyalty app", "Web analytics consolidation",
    "Lead scoring", "Product recommendation engine", "Customer service chatbot",
    "Social listening", "Marketing resource management", "Consent management",
    "Real-time offers", "Content platform migration", "Customer 360 dashboard",
    "Price optimisation", "Mobile checkout", "Creative testing", "Customer journey analytics",
)

# Who sits on the meetings: a small stable roster per unit and function.
ROSTER_ROLES = ("lead",) + ("manager",) * 3 + ("staff",) * 8
KPI_NAMES = ("margin_growth_pct", "revenue_growth_pct", "customer_nps",
             "campaign_time_to_market_days", "martech_budget_share_pct", "shadow_it_tools")

# One random stream per table, so a change to how one table is drawn leaves the others as
# they were (and the climate, which everything shares, never depends on `scale`).
STREAMS = ("climate", "sizes", "survey", "meetings", "projects", "kpis")
# The monthly review's record has a stream of its own, np.random.default_rng([seed, REVIEW_STREAM]), outside
# STREAMS, so that adding it cannot move any of the streams above (the seven older files stay byte for byte as
# they were; tests/test_sample_review.py checks them against sample_data/). 16: the issue that added it.
REVIEW_STREAM = 16



def write_sample(
    out_dir: str | Path,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    units: int = 6,
    months: int = 24,
    last_month: str = "2026-10",
) -> dict[str, Path]:
    """Write the sample data set into `out_dir`; return {kind: path} for the eleven files: the seven
    tables of the survey, meetings, projects and KPIs, then the monthly review's four
    (metrics.sample.review), drawn from their own random stream. Beside them it writes two examples of files
    as tools export them (metrics.sample.tool_exports.FILE_NAMES), which load_sample does not load.

    `scale` multiplies the number of survey respondents (and headcount with it, so that
    response rates stay believable); everything else is the same at any scale.
    """
    if units < 1 or months < 1:
        raise ValueError("units and months must be at least 1")
    if not scale > 0:
        raise ValueError("scale must be positive")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = dict(zip(STREAMS, np.random.default_rng(seed).spawn(len(STREAMS)), strict=True))

    world = _world(rng["climate"], units, months, last_month, scale)
    headcount, respondents = _survey_sizes(world, rng["sizes"])
    meetings, attendance = _meeting_tables(world, rng["meetings"])
    # Each table is written as soon as it is built, so the large survey table is never
    # held alongside the others; the review's notes keep only its (unit, month) index.
    paths = {"items": _write_csv(_items_table(), "items", out)}
    survey = _survey_table(world, respondents, rng["survey"])
    paths["survey"] = _write_csv(survey, "survey", out)
    observed = observed_index(world, survey)
    del survey
    paths["headcount"] = _write_csv(_headcount_table(world, headcount), "headcount", out)
    paths["meetings"] = _write_csv(meetings, "meetings", out)
    paths["attendance"] = _write_csv(attendance, "attendance", out)
    # the same meetings as a calendar export with its people roster (issue 19), from a stream of their own; not in
    # the returned paths, which are the native files the store loads (metrics.sample.calendar.FILE_NAMES)
    write_calendar(out, world, meetings, attendance, seed)
    del attendance
    projects = _projects_table(world, rng["projects"])
    paths["projects"] = _write_csv(projects, "projects", out)
    kpis = _kpis_table(world, rng["kpis"])
    paths["kpis"] = _write_csv(kpis, "kpis", out)
    # issue 19: the same projects and KPIs as Jira and finance would export them (examples on the Data page)
    for name, table in (("projects_jira", tool_exports.jira_export(projects)),
                        ("kpis_wide", tool_exports.finance_wide(kpis))):
        table.to_csv(out / tool_exports.FILE_NAMES[name], index=False, encoding="utf-8", lineterminator="\n")
    review = review_tables(world, respondents, observed, meetings, projects,
                           np.random.default_rng([seed, REVIEW_STREAM]))
    for kind, table in review.items():
        paths[kind] = _write_csv(table, kind, out)
    # Measured collaboration (issue 19), from a stream of its own, written beside the eleven files (collaboration_paths
    # names them): as Microsoft Viva Insights exports it (the Data page's example), and in the native template (what
    # the sample store loads, ingest.SAMPLE_FILES).
    write_viva(world, headcount, seed, out)
    return paths


def collaboration_paths(out_dir: str | Path) -> dict[str, Path]:
    """The two collaboration files write_sample writes: the native template and the Viva Insights export."""
    return {"collaboration": Path(out_dir) / VIVA_NATIVE_FILE_NAME,
            "collaboration (Viva)": Path(out_dir) / VIVA_FILE_NAME}


def _write_csv(table: pd.DataFrame, kind: str, out: Path) -> Path:
    path = out / FILE_NAMES[kind]
    table.loc[:, list(COLUMNS[kind])].to_csv(
        path, index=False, encoding="utf-8", lineterminator="\n",
        date_format="%Y-%m-%d %H:%M:%S",
    )
    return path


def _bool_text(values) -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), "true", "false")


# --- the company and its climate -------------------------------------------------------


def _unit_names(units: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names = list(UNIT_NAMES[:units])
    codes = list(UNIT_CODES[:units])
    for number in range(len(names) + 1, units + 1):
        names.append(f"Unit {number:02d}")
        codes.append(f"U{number:02d}")
    return tuple(names), tuple(codes)


def _world(rng: np.random.Generator, units: int, months: int, last_month: str,
           scale: float) -> World:
    names, codes = _unit_names(units)
    last = np.datetime64(last_month, "M")
    month_axis = np.arange(last - months + 1, last + 1)
    exchange_start = int(months * 0.4)  # month 10 of 24
    return World(names, codes, month_axis, _climate(rng, units, months, exchange_start),
                 exchange_start, scale)


def _climate(rng: np.random.Generator, units: int, months: int,
             exchange_start: int) -> np.ndarray:
    """Latent climate per unit and month: an AR(1) drift around each unit's own level."""
    level = rng.uniform(50, 74, units)
    drift = np.empty((units, months))
    drift[:, 0] = rng.normal(0, 4, units)
    for month in range(1, months):
        drift[:, month] = 0.55 * drift[:, month - 1] + rng.normal(0, 3.3, units)
    climate = level[:, None] + drift

    t = np.arange(months)
    if units > IMPROVING_UNIT:
        # Starts low, then gains 15-20 points over the few months after the exchange starts.
        gain = rng.uniform(15, 20)
        climate[IMPROVING_UNIT] += (52 - level[IMPROVING_UNIT]) + gain / (
            1 + np.exp(-(t - exchange_start - 2.5) / 0.9))
    if units > DECLINING_UNIT:
        loss = rng.uniform(16, 22)
        climate[DECLINING_UNIT] += (72 - level[DECLINING_UNIT]) - loss * t / max(months - 1, 1)
    return np.clip(climate, 25, 92)


def _lagged(values: np.ndarray, lag: int) -> np.ndarray:
    """values[:, m - lag], with months before the first taking the first month's value."""
    index = np.clip(np.arange(values.shape[1]) - lag, 0, None)
    return values[:, index]


# --- survey ------------------------------------------------------------------------------


def _survey_sizes(world: World, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Headcount (unit, marketing|it, month) and respondents (unit, marketing|it|other, month)."""
    units, months = world.climate.shape
    base = np.stack([rng.integers(20, 61, units), rng.integers(15, 51, units)], axis=1)
    steps = rng.choice([-1, 0, 1], p=[0.2, 0.6, 0.2], size=(units, 2, months))
    steps[:, :, 0] = 0
    low, high = np.array([20, 15])[:, None], np.array([60, 50])[:, None]
    headcount = np.clip(base[:, :, None] + np.cumsum(steps, axis=2), low, high)

    # People answer more readily where the climate is good, and less in holiday months.
    rate = (rng.uniform(0.5, 0.88, (units, 2))[:, :, None]
            + 0.004 * (world.climate[:, None, :] - 60)
            + rng.normal(0, 0.07, (units, 2, months)))
    rate = np.clip(rate, 0.35, 0.95)
    holiday = np.isin(world.months.astype(int) % 12 + 1, HOLIDAY_MONTHS)
    rate[:, :, holiday] *= rng.uniform(0.6, 0.95, (units, 2, int(holiday.sum())))
    # Now and then a pulse reaches a team late and only a handful answer: these are the
    # groups that fall under the anonymity threshold.
    missed = rng.random((units, 2, months)) < MISSED_PULSE_RATE
    rate[missed] = rng.uniform(0.05, 0.2, int(missed.sum()))
    answered = np.clip(np.rint(headcount * rate), 3, 40)
    others = rng.integers(0, 4, (units, 1, months))

    respondents = np.concatenate([answered, others], axis=1) * world.scale
    respondents = np.rint(respondents).astype(np.int64)
    respondents[:, :2] = np.maximum(respondents[:, :2], 1)
    headcount = np.maximum(np.rint(headcount * world.scale).astype(np.int64), respondents[:, :2])
    return headcount, respondents


def _headcount_table(world: World, headcount: np.ndarray) -> pd.DataFrame:
    unit, department, month = np.indices(headcount.shape).reshape(3, -1)
    return pd.DataFrame({
        "business_unit": np.asarray(world.units)[unit],
        "department": np.asarray(DEPARTMENTS)[department],
        "month": np.asarray(world.month_labels)[month],
        "headcount": headcount.ravel(),
    })


@dataclass(frozen=True)
class Respondents:
    """One entry per response, as parallel arrays of indexes into the world's axes."""

    unit: np.ndarray
    month: np.ndarray
    department: np.ndarray
    role: np.ndarray

    def take(self, order: np.ndarray) -> Respondents:
        return Respondents(self.unit[order], self.month[order], self.department[order],
                           self.role[order])


def _respondents(respondents: np.ndarray, rng: np.random.Generator) -> Respondents:
    """Expand group sizes into rows, with at most one lead per department and month."""
    unit, department, month = (axis.ravel() for axis in np.indices(respondents.shape))
    sizes = respondents.ravel()
    group = np.repeat(np.arange(sizes.size), sizes)
    position = np.arange(group.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)

    lead_answered = (rng.random(sizes.size) < 0.6) & (department < 2)
    role = np.where(rng.random(group.size) < 0.2, 1, 2)
    role[(position == 0) & lead_answered[group]] = 0
    return Respondents(unit[group], month[group], department[group], role)


def _survey_table(world: World, respondents: np.ndarray,
                  rng: np.random.Generator) -> pd.DataFrame:
    people = _respondents(respondents, rng)
    submitted_at = _submission_times(world, people, rng)
    order = np.argsort(submitted_at, kind="stable")
    people, submitted_at = people.take(order), submitted_at[order]

    answers = _answers(world, people, rng)
    favourable_mean = _favourable_mean(answers)
    width = max(6, len(str(order.size)))
    table = pd.DataFrame({
        "response_id": pd.Series(np.arange(1, order.size + 1)).astype(str).str.zfill(width)
        .radd("R-"),
        "submitted_at": submitted_at,
        "business_unit": pd.Categorical.from_codes(people.unit, world.units),
        "department": pd.Categorical.from_codes(people.department, DEPARTMENTS),
        "role": pd.Categorical.from_codes(people.role, RESPONDENT_ROLES),
    })
    for item in ITEMS:
        table[item.item_id] = _with_missing(answers[item.item_id], rng)
    table["comment"] = _comments(favourable_mean, rng)
    return table


def _submission_times(world: World, people: Respondents,
                      rng: np.random.Generator) -> np.ndarray:
    """A pulse stays open for the first three weeks of the month; people answer by day."""
    month_start = world.months.astype("datetime64[s]")[people.month]
    day = rng.integers(0, 21, people.unit.size)
    second = rng.integers(7 * 3600, 21 * 3600, people.unit.size)
    return month_start + (day * 86400 + second).astype("timedelta64[s]")


def _answers(world: World, people: Respondents, rng: np.random.Generator) -> dict:
    """Raw answers per item id, as a respondent would tick them (reverse items unflipped)."""
    climate = world.climate[people.unit, people.month]
    # A respondent's general mood, shared by all their answers.
    disposition = rng.standard_normal(people.unit.size)
    view = np.array([[DEPARTMENT_VIEW[dept].get(dim, 0) for dim in DIMENSIONS]
                     for dept in DEPARTMENTS]) / 25  # index points -> Likert points

    answers = {}
    for item in LIKERT_ITEMS:
        mean = (3 + item.loading * (climate - 50) / 25 + item.difficulty
                + view[people.department, DIMENSIONS.index(item.dimension)])
        favourable = mean + 0.5 * disposition + rng.normal(0, 0.7, climate.size)
        favourable = np.clip(np.rint(favourable), 1, 5).astype(np.int8)
        answers[item.item_id] = 6 - favourable if item.reverse_scored else favourable

    nps_view = np.array([NPS_VIEW[dept] for dept in DEPARTMENTS])
    nps = (6.6 + 0.11 * (climate - 60) + nps_view[people.department] + 1.5 * disposition
           + rng.normal(0, 1.3, climate.size))
    answers["partner_nps"] = np.clip(np.rint(nps), 0, 10).astype(np.int8)
    return answers


def _favourable_mean(answers: dict) -> np.ndarray:
    total = sum((6 - answers[item.item_id]) if item.reverse_scored else answers[item.item_id]
                for item in LIKERT_ITEMS)
    return total / len(LIKERT_ITEMS)


def _with_missing(values: np.ndarray, rng: np.random.Generator) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(values, rng.random(values.size) < SURVEY_MISSING_RATE)


def _comments(favourable_mean: np.ndarray, rng: np.random.Generator) -> pd.Categorical:
    """A few respondents leave a comment whose tone matches their answers."""
    tone = np.where(favourable_mean >= 3.6, 0, np.where(favourable_mean <= 2.6, 2, 1))
    pools = [COMMENTS["positive"], COMMENTS["neutral"], COMMENTS["negative"]]
    first_code = np.cumsum([1] + [len(pool) for pool in pools])[:-1]  # code 0 is no comment
    choice = rng.integers(0, np.array([len(pool) for pool in pools])[tone])
    codes = np.where(rng.random(tone.size) < SURVEY_COMMENT_RATE, first_code[tone] + choice, 0)
    categories = [""] + [text for pool in pools for text in pool]
    return pd.Categorical.from_codes(codes, categories)


def _items_table() -> pd.DataFrame:
    return pd.DataFrame({
        "item_id": [item.item_id for item in ITEMS],
        "dimension": [item.dimension for item in ITEMS],
        "text": [item.text for item in ITEMS],
        "scale": [item.scale for item in ITEMS],
        "reverse_scored": _bool_text([item.reverse_scored for item in ITEMS]),
    })


# --- meetings and attendance ----------------------------------------------------------


def _attendance_rate(climate: float) -> float:
    return float(np.clip(0.6 + 0.35 * (climate - 45) / 35, 0.55, 0.95))


def _lead_attendance_rate(climate: float) -> float:
    # Leads turn up to almost every steering meeting until the relationship sours.
    return float(np.clip(0.97 - 0.025 * max(0.0, 62 - climate), 0.4, 0.97))


def _planned_meetings(world: World, rng: np.random.Generator) -> list[tuple]:
    """(unit, month, type, business-day offset in the month, held) for every meeting."""
    units, months = world.climate.shape
    usual_day = rng.integers(3, 12, units)  # each unit keeps its steering slot
    planned = []
    for unit in range(units):
        for month in range(months):
            climate = world.climate[unit, month]
            if rng.random() < 0.94:  # now and then nobody even schedules it
                cancel = np.clip(0.05 + 0.012 * (65 - climate), 0.02, 0.5)
                day = usual_day[unit] + rng.integers(-1, 2)
                planned.append((unit, month, "joint_steering", day, rng.random() >= cancel))
            for _ in range(rng.choice(3, p=[0.35, 0.4, 0.25])):
                kind = ("co_department", "brainstorm")[rng.integers(2)]
                planned.append((unit, month, kind, rng.integers(0, 19), rng.random() >= 0.1))
            if unit == IMPROVING_UNIT and month >= world.exchange_start:
                for day in (rng.integers(0, 9), rng.integers(10, 19)):
                    planned.append((unit, month, "staff_exchange", day, rng.random() >= 0.05))
    return planned


def _invitees(meeting_type: str, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(department, roster index) of the people invited; roster index 0 is the lead."""
    low, high = {"joint_steering": (2, 5), "co_department": (2, 5),
                 "brainstorm": (3, 6), "staff_exchange": (1, 3)}[meeting_type]
    # Exchanges are for staff; the other meetings draw on managers and staff alike.
    pool = np.arange(ROSTER_ROLES.index("staff" if meeting_type == "staff_exchange" else "manager"),
                     len(ROSTER_ROLES))
    people = []
    for department in (0, 1):
        if meeting_type == "joint_steering":
            people.append((department, 0))
        chosen = rng.choice(pool, size=rng.integers(low, high), replace=False)
        people.extend((department, int(index)) for index in np.sort(chosen))
    return people


def _meeting_tables(world: World, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    planned = _planned_meetings(world, rng)
    month_start = world.months.astype("datetime64[D]")
    dates = [np.busday_offset(month_start[month], day, roll="forward")
             for _, month, _, day, _ in planned]
    order = sorted(range(len(planned)), key=lambda i: (dates[i], planned[i][0],
                                                        MEETING_TYPES.index(planned[i][2])))
    width = max(4, len(str(len(planned))))
    meetings, attendance = [], []
    for number, i in enumerate(order, start=1):
        unit, month, meeting_type, _, held = planned[i]
        meeting_id = f"MTG-{number:0{width}d}"
        meetings.append((meeting_id, world.units[unit], str(dates[i]), meeting_type,
                         "held" if held else "cancelled"))
        climate = world.climate[unit, month]
        for department, index in _invitees(meeting_type, rng):
            role = ROSTER_ROLES[index]
            rate = _lead_attendance_rate(climate) if role == "lead" else _attendance_rate(climate)
            # Invitations to a cancelled meeting stay on record, nobody attended.
            attended = held and rng.random() < rate
            side = "MI"[department]
            attendance.append((meeting_id, f"P-{world.codes[unit]}-{side}{index + 1:02d}",
                               DEPARTMENTS[department], role, "true" if attended else "false"))
    return (pd.DataFrame(meetings, columns=COLUMNS["meetings"]),
            pd.DataFrame(attendance, columns=COLUMNS["attendance"]))


# --- joint projects -------------------------------------------------------------------


def _month_index(world: World, day: np.datetime64) -> int:
    """The month of `day` on the world's axis; dates after the last month count as the last."""
    months = (day.astype("datetime64[M]") - world.months[0]).astype(int)
    return int(np.clip(months, 0, world.months.size - 1))


def _project(world: World, rng: np.random.Generator, unit: int, name: str, stage: str,
             start: np.datetime64, lead_function: str) -> dict:
    """One project and how it went as of the data set's end, given the climate at its start."""
    as_of = world.as_of
    climate = world.climate[unit, _month_index(world, start)]
    duration = int(rng.integers(90, 181) if stage == "pilot" else rng.integers(180, 361))
    budget = (round(rng.uniform(40_000, 250_000), -3) if stage == "pilot"
              else round(rng.uniform(250_000, 1_200_000), -4))
    planned_end = start + duration
    project = dict(business_unit=world.units[unit], name=name, lead_function=lead_function,
                   stage=stage, start_date=start, planned_end=planned_end, actual_end=None,
                   budget=int(budget), spend=0, status="planned", outcome=None, roi_pct=None)
    if start > as_of:
        return project

    # Collaboration shows in delivery: fewer cancellations, less delay, more successes.
    cancel_at = start + int(duration * rng.uniform(0.3, 0.8))
    delay = max(-20, int(rng.normal(10 - 1.5 * (climate - 55), 25)))
    actual_end = planned_end + delay
    if rng.random() < np.clip(0.12 + 0.015 * (60 - climate), 0.05, 0.35) and cancel_at <= as_of:
        project.update(status="cancelled", spend=int(budget * rng.uniform(0.2, 0.7)))
    elif actual_end <= as_of:
        success = np.clip(0.25 + 0.015 * (climate - 45), 0.2, 0.85)
        outcome = rng.choice(PROJECT_OUTCOMES,
                             p=[success, 0.6 * (1 - success), 0.4 * (1 - success)])   # success, partial, failed
        roi = {"success": (25, 160), "partial": (-5, 30), "failed": (-70, -20)}[outcome]
        overrun = rng.normal(0.03 + 0.004 * (60 - climate), 0.1)
        project.update(status="delivered", actual_end=actual_end, outcome=str(outcome),
                       spend=int(round(budget * (1 + overrun))),
                       roi_pct=round(rng.uniform(*roi), 1))
    else:
        elapsed = (as_of - start).astype(int) / duration
        project.update(status="active",
                       spend=int(round(budget * min(elapsed, 1.0) * rng.uniform(0.8, 1.1))))
    return project


def _unit_projects(world: World, rng: np.random.Generator, unit: int) -> list[dict]:
    """Pilots started at random, plus scale-ups of the pilots that succeeded."""
    months = world.climate.shape[1]
    month_start = world.months.astype("datetime64[D]")
    pilots = max(1, round(rng.uniform(4, 6.5) * months / 24))
    starts = [month_start[month] + rng.integers(0, 28)
              for month in np.sort(rng.integers(0, months, pilots))]
    if rng.random() < 0.5:  # something already in the pipeline for the coming months
        starts.append(world.as_of + int(rng.integers(5, 90)))
    themes = rng.permutation(len(PROJECT_THEMES))

    projects = []
    for number, start in enumerate(starts):
        theme = PROJECT_THEMES[themes[number % len(themes)]]
        wave = number // len(themes)
        theme = f"{theme} {wave + 1}" if wave else theme
        climate = world.climate[unit, _month_index(world, start)]
        joint = np.clip(0.15 + 0.4 * (climate - 45) / 35, 0.1, 0.6)
        lead = str(rng.choice(LEAD_FUNCTIONS,
                              p=[0.6 * (1 - joint), 0.4 * (1 - joint), joint]))   # marketing, it, joint
        pilot = _project(world, rng, unit, f"{theme} pilot", "pilot", start, lead)
        projects.append(pilot)
        if pilot["outcome"] == "success" and rng.random() < 0.75:
            scale_start = pilot["actual_end"] + int(rng.integers(15, 76))
            if scale_start <= world.as_of + 90:  # later follow-ons are not planned yet
                scale_lead = "joint" if rng.random() < 0.6 else lead
                scale = _project(world, rng, unit, f"{theme} scale-up", "scale", scale_start,
                                 scale_lead)
                scale["parent"] = pilot
                projects.append(scale)
    return projects


def _projects_table(world: World, rng: np.random.Generator) -> pd.DataFrame:
    projects = [project for unit in range(len(world.units))
                for project in _unit_projects(world, rng, unit)]
    projects.sort(key=lambda p: (p["start_date"], world.units.index(p["business_unit"]),
                                 p["stage"] == "scale"))
    width = max(3, len(str(len(projects))))
    for number, project in enumerate(projects, start=1):
        project["project_id"] = f"JP-{number:0{width}d}"
    rows = []
    for project in projects:
        parent = project.get("parent")
        rows.append({
            **{key: project[key] for key in ("project_id", "business_unit", "name",
                                             "lead_function", "stage", "budget", "spend",
                                             "status")},
            "parent_project_id": parent["project_id"] if parent else "",
            "start_date": str(project["start_date"]),
            "planned_end": str(project["planned_end"]),
            "actual_end": "" if project["actual_end"] is None else str(project["actual_end"]),
            "outcome": project["outcome"] or "",
            "roi_pct": "" if project["roi_pct"] is None else f"{project['roi_pct']:.1f}",
        })
    return pd.DataFrame(rows, columns=COLUMNS["projects"])


# --- business KPIs --------------------------------------------------------------------


def _kpi_values(world: World, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each KPI per (unit, month); collaboration shows in results after a delay."""
    climate = world.climate
    shape = climate.shape
    units = shape[0]
    noise = rng.normal
    margin = 2.0 + 0.15 * (_lagged(climate, 2) - 55) + noise(0, 1.5, shape)
    revenue = (2.0 + 0.05 * (_lagged(climate, 3) - 55) + 0.3 * (margin - 2.0)
               + noise(0, 1.8, shape))
    customer_nps = np.clip(rng.uniform(28, 42, units)[:, None]
                           + 0.3 * (_lagged(climate, 1) - 60) + noise(0, 3.5, shape), 20, 50)
    time_to_market = np.clip(40 - 0.5 * (climate - 60) + noise(0, 4, shape), 20, 60)
    budget_share = np.clip(rng.normal(22, 2.5, units)[:, None] + noise(0, 0.8, shape), 14, 30)
    shadow_it = np.clip(np.rint(8 - 0.2 * (climate - 60) + noise(0, 1.5, shape)), 2, 15)
    return {"margin_growth_pct": margin, "revenue_growth_pct": revenue,
            "customer_nps": customer_nps, "campaign_time_to_market_days": time_to_market,
            "martech_budget_share_pct": budget_share, "shadow_it_tools": shadow_it}


def _kpis_table(world: World, rng: np.random.Generator) -> pd.DataFrame:
    values = _kpi_values(world, rng)
    cube = np.stack([values[kpi] for kpi in KPI_NAMES], axis=2)  # (unit, month, kpi)
    unit, month, kpi = (axis.ravel() for axis in np.indices(cube.shape))
    numbers = cube.ravel()
    # `+ 0.0` turns a rounded -0.0 into 0.0, so no "-0.00" appears.
    text = [f"{int(value)}" if KPI_NAMES[k] == "shadow_it_tools"
            else f"{round(value, 2) + 0.0:.2f}"
            for value, k in zip(numbers, kpi, strict=True)]
    return pd.DataFrame({
        "business_unit": np.asarray(world.units)[unit],
        "month": np.asarray(world.month_labels)[month],
        "kpi": np.asarray(KPI_NAMES)[kpi],
        "value": text,
    })
