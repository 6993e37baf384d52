"""The sample data set's monthly-review record: the leaders' notes, the decision-rights register, the decisions and
the actions (DESIGN.md, "The monthly review").

metrics.sample.write_sample calls review_tables once the other tables are built. The record is drawn from its own
random stream, outside metrics.sample.STREAMS, so that adding it left the seven older files byte for byte as they
were. It reads the invented world (units, months, climate) and the tables already drawn (meetings, projects, the
survey's observed scores) so that the notes talk about what the dashboard shows: a steering meeting cancelled, a
pilot delivered late, the second unit's staff exchange, the fifth unit's slide.

Nothing downstream reads this module's choices. The effect of every action, the staff exchange's among them, is
measured by metrics.review.action_effect from the survey answers, like any action an analyst imports.

One thing at some length (about 670 lines): most of it is data, the notes' sentences by side and theme, the
register's areas and the actions' titles, read by the few functions that draw the record.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from metrics.sample.world import DECLINING_UNIT, IMPROVING_UNIT, LIKERT_ITEMS, World
from metrics.vocabulary import SIDES

REVIEW_COLUMNS = {
    "commentary": ("month", "side", "text", "written_by", "written_at"),
    "decision_rights": ("area_id", "area", "accountable", "consulted", "informed", "agreed_on"),
    "decisions": ("decision_id", "month", "business_unit", "area_id", "text", "decided_by", "due", "status"),
    "actions": ("action_id", "business_unit", "title", "owner", "target", "start_month", "due", "status",
                "effect_window"),
}
AUTHOR = {"marketing": "CMO", "it": "CIO"}   # a role, never a person's name or address

# Month positions below are written for the default 24-month period and scaled to any other length.
REFERENCE_MONTHS = 24


# --- the decision-rights register -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Area:
    area_id: str
    area: str
    accountable: str        # marketing, it, joint, or "" (nobody accountable yet)
    consulted: str
    informed: str
    agreed_at: int | None   # month position (of 24) at which both leadership teams agreed it; None = not agreed


AREAS = (
    Area("DR-01", "Choose and buy marketing technology", "joint", "Enterprise architecture; procurement",
         "Marketing and IT staff", 4),
    Area("DR-02", "Own customer data", "it", "Marketing analytics; data protection officer",
         "Customer service", 6),
    Area("DR-03", "Marketing-technology budget", "", "Finance", "Both leadership teams", None),
    Area("DR-04", "Respond to a data incident in a marketing tool", "it",
         "Marketing operations; data protection officer", "Executive team", 11),
    Area("DR-05", "Brief and approve campaign content and channels", "marketing", "IT product owners",
         "Service desk", 8),
    Area("DR-06", "Prioritise the joint backlog of marketing requests", "joint", "Business unit heads",
         "Marketing and IT staff", 14),
    # Proposed (IT and marketing jointly) but not signed off by both leadership teams yet.
    Area("DR-07", "Scale a successful pilot to production", "joint", "Finance; enterprise architecture",
         "Business unit heads", None),
    Area("DR-08", "Consent and privacy settings in marketing tools", "", "Legal; data protection officer",
         "Marketing operations", None),
)


# --- the actions ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionSpec:
    """An action as the leaders would write it. `unit` is an index into the world's units (None = the company).
    `start` is a month position of 24, or "exchange" (the month the staff exchange starts); `nil` is a range of
    such positions from which the start is chosen where the unit's climate runs level (see _place_nil). `due` is
    (months after the start, or after the last month when `from_end`) and the due date is that month's last day.
    """

    unit: int | None
    title: str
    owner: str
    target: str
    status: str
    start: int | str | None = None
    nil: tuple[int, int] | None = None
    due: int = 3
    from_end: bool = False
    window: int = 3
    area_id: str = ""
    decided_by: str = "joint"


ACTION_SPECS = (
    ActionSpec(None, "Monthly joint steering in every unit, with both heads present", "CMO and CIO",
               "alignment_index", "done", start=1, due=3),
    ActionSpec(0, "Shared glossary of customer, campaign and data terms", "Head of Marketing Operations",
               "communication", "done", nil=(3, 8), due=3, decided_by="marketing"),
    # The second unit's programme: staff from each function spend two days a month with the other. It runs on, so
    # it is measured over its first half-year.
    ActionSpec(IMPROVING_UNIT, "Staff exchange between marketing and IT", "HR Business Partner, Wholesale",
               "partnership", "in_progress", start="exchange", due=2, from_end=True, window=6),
    ActionSpec(3, "Plan the year's priorities together, marketing and IT", "Head of Strategy, Services",
               "shared_goals", "done", nil=(5, 12), due=3),
    ActionSpec(5, "One intake for marketing's technology requests", "IT Business Partner, Financial Services",
               "agility", "done", nil=(8, 15), due=4, area_id="DR-06", decided_by="it"),
    ActionSpec(None, "Every new marketing tool reviewed with enterprise architecture", "Enterprise Architect",
               "governance", "done", start=13, due=5, area_id="DR-01", decided_by="it"),
    ActionSpec(2, "Joint customer dashboard for marketing and IT", "Head of Data and Analytics",
               "data_insight", "done", nil=(11, 16), due=4, area_id="DR-02"),
    ActionSpec(5, "Shadow-IT amnesty: register every tool marketing pays for", "IT Business Partner, "
               "Financial Services", "governance", "dropped", start=15, due=4, area_id="DR-01",
               decided_by="it"),
    ActionSpec(DECLINING_UNIT, "Leaders' monthly one-to-one and a reset of shared priorities",
               "Head of Marketing, Logistics", "trust", "in_progress", start=17, due=-1, from_end=True),
    ActionSpec(3, "Monthly customer-insight review with IT", "Head of Customer Insight",
               "customer_focus", "in_progress", nil=(16, 19), due=-2, from_end=True, decided_by="marketing"),
    ActionSpec(0, "Two-week start for joint pilots", "Head of Digital, Retail", "agility", "in_progress",
               start=21, due=2, from_end=True, area_id="DR-07"),
    ActionSpec(2, "Consent settings agreed for every marketing tool", "Data Protection Lead",
               "data_insight", "in_progress", start=22, due=3, from_end=True, area_id="DR-08", decided_by="it"),
    ActionSpec(None, "Decision-rights register signed off by both leadership teams", "Chief of Staff to the CMO",
               "governance", "planned", start=23, due=2, from_end=True),
)


@dataclass
class Action:
    action_id: str
    unit: int | None
    spec: ActionSpec
    start: int
    due: np.datetime64   # a day

    @property
    def due_month(self) -> np.datetime64:
        return self.due.astype("datetime64[M]")


@dataclass
class Decision:
    month: int
    unit: int | None
    area_id: str
    text: str
    decided_by: str
    due: np.datetime64 | None
    status: str = "done"
    decision_id: str = ""


@dataclass
class Record:
    """The review record as it is drawn, before it becomes tables."""

    world: World
    areas: list[tuple[Area, np.datetime64 | None]]
    actions: list[Action]
    decisions: list[Decision] = field(default_factory=list)


def review_tables(world: World, respondents: np.ndarray, observed: np.ndarray, meetings: pd.DataFrame,
                  projects: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The four review tables in their native columns. `respondents` is (unit, department, month) as drawn,
    `observed` the (unit, month) alignment index computed from the survey answers written."""
    record = Record(world, _register(world, rng), _actions(world, respondents))
    facts = _Facts(world, observed, meetings, projects)
    record.decisions = _decisions(record, facts, rng)
    return {
        "commentary": _commentary(record, facts, rng),
        "decision_rights": pd.DataFrame(
            [(a.area_id, a.area, a.accountable, a.consulted, a.informed, "" if day is None else str(day))
             for a, day in record.areas], columns=REVIEW_COLUMNS["decision_rights"]),
        "decisions": pd.DataFrame(
            [(d.decision_id, world.month_labels[d.month], _unit_name(world, d.unit), d.area_id, d.text,
              d.decided_by, "" if d.due is None else str(d.due), d.status) for d in record.decisions],
            columns=REVIEW_COLUMNS["decisions"]),
        "actions": pd.DataFrame(
            [(a.action_id, _unit_name(world, a.unit), a.spec.title, a.spec.owner, a.spec.target,
              world.month_labels[a.start], str(a.due), a.spec.status, str(a.spec.window))
             for a in record.actions], columns=REVIEW_COLUMNS["actions"]),
    }


def observed_index(world: World, survey: pd.DataFrame) -> np.ndarray:
    """(unit, month) alignment index of the written survey answers, as the scorecard reads it before anonymity:
    each marketing and IT respondent's mean favourable Likert answer on 0-100, averaged per department, then the
    mean of the two departments. NaN where a department has no answer."""
    favourable = pd.DataFrame({item.item_id: (6 - survey[item.item_id]) if item.reverse_scored
                               else survey[item.item_id] for item in LIKERT_ITEMS}).astype(float)
    frame = pd.DataFrame({
        "score": (favourable.mean(axis=1) - 1) / 4 * 100,
        "unit": survey["business_unit"].cat.codes.to_numpy(),
        "month": (survey["submitted_at"].to_numpy().astype("datetime64[M]") - world.months[0]).astype(int),
        "department": survey["department"].astype(str).to_numpy(),
    })
    frame = frame[frame["department"].isin(SIDES)]
    departments = frame.groupby(["unit", "month", "department"])["score"].mean().unstack("department")
    alignment = departments.reindex(columns=list(SIDES)).mean(axis=1, skipna=False)
    out = np.full(world.climate.shape, np.nan)
    for (unit, month), value in alignment.items():
        out[unit, month] = value
    return out


# --- positions, days and names -----------------------------------------------------------------------------------

def _position(world: World, position: int) -> int:
    """A month position written for 24 months, on this world's axis."""
    months = world.months.size
    return int(np.clip(round(position * months / REFERENCE_MONTHS), 0, months - 1))


def _unit_name(world: World, unit: int | None) -> str:
    return "" if unit is None else world.units[unit]


def _month_end(month: np.datetime64) -> np.datetime64:
    return (month.astype("datetime64[M]") + 1).astype("datetime64[D]") - 1


def _month_words(world: World, month: int) -> str:
    year, mon = map(int, world.month_labels[month].split("-"))
    return f"{calendar.month_name[mon]} {year}"


def _register(world: World, rng: np.random.Generator) -> list[tuple[Area, np.datetime64 | None]]:
    """Each area with the day both leadership teams agreed it (a weekday of its month), None for a gap."""
    register = []
    for area in AREAS:
        day = None
        if area.agreed_at is not None and area.accountable:
            first = world.months[_position(world, area.agreed_at)].astype("datetime64[D]")
            day = np.busday_offset(first, int(rng.integers(2, 18)), roll="forward")
        register.append((area, day))
    return register


# --- actions and the nil actions' placement --------------------------------------------------------------------

def _actions(world: World, respondents: np.ndarray) -> list[Action]:
    """ACTION_SPECS on this world: the ones whose unit exists and whose start falls in the period."""
    units, months = world.climate.shape
    weights = respondents[:, :2].sum(axis=1).astype(float)   # marketing and IT respondents per unit and month
    placed: list[tuple[ActionSpec, int]] = []
    for spec in ACTION_SPECS:
        if spec.unit is not None and spec.unit >= units:
            continue
        if spec.start == "exchange":
            start = world.exchange_start
        elif spec.start is not None:
            start = _position(world, spec.start)
        else:
            start = None   # placed below, once the fixed actions are known
        placed.append((spec, start))
    for i, (spec, start) in enumerate(placed):
        if start is None:
            placed[i] = (spec, _place_nil(world, weights, spec, placed))
    placed = [(spec, start) for spec, start in placed if start is not None]
    placed.sort(key=lambda p: p[1])   # numbered in order of their start, as a register would be

    last = world.months[-1]
    actions = []
    for number, (spec, start) in enumerate(placed, start=1):
        due_month = (last if spec.from_end else world.months[start]) + spec.due
        due_month = max(due_month, world.months[start])   # never before the start (the import refuses that)
        actions.append(Action(f"A-{number:02d}", spec.unit, spec, start, _month_end(due_month)))
    return actions


def _place_nil(world: World, weights: np.ndarray, spec: ActionSpec,
               placed: list[tuple[ActionSpec, int | None]]) -> int | None:
    """The start, within spec.nil, at which the unit's latent climate moves least against the comparison units'.

    These actions do nothing to the answers: they are the sample's nil actions. Their start is put where the
    treated unit's climate runs level with the comparison units' over the pre and post months (the respondent-
    weighted difference in differences of the latent climate closest to zero). The caveat, which holds for real
    actions too: each unit's climate drifts month by month (an AR(1) shock shared by all its respondents), and the
    effect's HC1 interval, built on respondents, does not allow for that; placed at random, a nil action would
    now and then pick up a unit's drift and look like a gain or a loss. The effect itself is still measured by
    metrics.review.action_effect from the survey answers; nothing here is read downstream."""
    units, months = world.climate.shape
    low, high = (_position(world, p) for p in spec.nil)
    window = spec.window
    best, best_gap = None, np.inf
    for start in range(low, high + 1):
        if start - window < 0 or start + window > months - 1:
            continue
        pre, post = np.arange(start - window, start), np.arange(start + 1, start + window + 1)
        acting = {other.unit for other, other_start in placed
                  if other.target == spec.target and other.unit is not None and other_start is not None
                  and start - window <= other_start <= start + window}
        comparison = [u for u in range(units) if u != spec.unit and u not in acting]
        if not comparison:
            continue

        def mean(group: list[int], period: np.ndarray) -> float:
            w = weights[np.ix_(group, period)]
            return float((w * world.climate[np.ix_(group, period)]).sum() / w.sum())

        gap = abs((mean([spec.unit], post) - mean([spec.unit], pre)) - (mean(comparison, post) - mean(comparison, pre)))
        if gap < best_gap - 1e-9:
            best, best_gap = start, gap
    return best


# --- what happened each month, as the leaders saw it -----------------------------------------------------------

class _Facts:
    """The month-by-month events the notes and decisions talk about, read from the tables already drawn."""

    def __init__(self, world: World, observed: np.ndarray, meetings: pd.DataFrame, projects: pd.DataFrame):
        self.world = world
        self.observed = observed
        months = world.month_labels
        steering = meetings[meetings["meeting_type"] == "joint_steering"]
        self.steering = {(unit, month): status for unit, month, status in
                         zip(steering["business_unit"], steering["date"].str[:7], steering["status"], strict=True)}
        exchange = meetings[(meetings["meeting_type"] == "staff_exchange") & (meetings["status"] == "held")]
        self.exchange_sessions = exchange.groupby(exchange["date"].str[:7]).size().to_dict()
        self.projects = projects
        self.delivered = {m: projects[projects["actual_end"].str[:7] == m] for m in months}
        self.started = {m: projects[(projects["start_date"].str[:7] == m) & (projects["status"] != "planned")]
                        for m in months}

    def cancelled(self, month: int) -> list[str]:
        label = self.world.month_labels[month]
        return [u for u in self.world.units if self.steering.get((u, label)) == "cancelled"]

    def unscheduled(self, month: int) -> list[str]:
        label = self.world.month_labels[month]
        return [u for u in self.world.units if (u, label) not in self.steering]

    def held(self, month: int) -> int:
        label = self.world.month_labels[month]
        return sum(self.steering.get((u, label)) == "held" for u in self.world.units)

    def change(self, unit: int, month: int, over: int = 1) -> float:
        if month - over < 0:
            return np.nan
        return float(self.observed[unit, month] - self.observed[unit, month - over])


def _names(units: list[str]) -> str:
    if len(units) <= 1:
        return "".join(units)
    return ", ".join(units[:-1]) + " and " + units[-1]


def _of(name: str) -> str:
    """The possessive: "Retail's", "Logistics'"."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


LEAD_WORDS = {"marketing": "marketing", "it": "IT", "joint": "both functions"}


# --- decisions -------------------------------------------------------------------------------------------------

def _decisions(record: Record, facts: _Facts, rng: np.random.Generator) -> list[Decision]:
    """The decisions of the period: one to start each action, one for each area agreed, and a sample of the ones
    a steering takes about its month's events (a cancelled meeting, a pilot delivered, a project over budget)."""
    world = record.world
    last = world.months.size - 1
    decisions: list[Decision] = []
    for action in record.actions:
        spec = action.spec
        where = "across the company" if action.unit is None else f"in {world.units[action.unit]}"
        # Taken and carried out (the action started), reversed when the action was dropped, open while planned.
        status = {"dropped": "reversed", "planned": "open"}.get(spec.status, "done")
        decisions.append(Decision(action.start, action.unit, spec.area_id,
                                  f"Start \"{spec.title}\" {where}; owner: {spec.owner}, reporting at each "
                                  f"steering.", spec.decided_by, action.due if status == "open" else None,
                                  status))
    for area, day in record.areas:
        if day is not None:
            month = int((day.astype("datetime64[M]") - world.months[0]).astype(int))
            who = {"marketing": "Marketing", "it": "IT", "joint": "Marketing and IT jointly"}[area.accountable]
            decisions.append(Decision(month, None, area.area_id,
                                      f"{who} accountable for \"{area.area}\"; consulted: {area.consulted}; "
                                      f"informed: {area.informed}.", "joint", None, "done"))

    candidates: list[Decision] = []
    for month in range(world.months.size):
        label = world.month_labels[month]
        end = _month_end(world.months[month])
        for unit in facts.cancelled(month):
            candidates.append(Decision(month, world.units.index(unit), "",
                                       f"Hold {_of(unit)} cancelled steering within two weeks, with both heads.",
                                       "joint", end + 14))
        for row in facts.delivered[label].itertuples():
            unit = world.units.index(row.business_unit)
            if row.stage == "pilot" and row.outcome == "success":
                candidates.append(Decision(month, unit, "DR-07", f"Take the {row.name} to scale, led jointly; "
                                           "finance to confirm the budget.", "joint", end + 60))
            elif row.outcome == "failed":
                candidates.append(Decision(month, unit, "", f"Close the {row.name} and present what we learnt "
                                           "at the next steering.", row.lead_function, end + 30))
            if row.spend and row.budget and float(row.spend) > 1.1 * float(row.budget):
                candidates.append(Decision(month, unit, "DR-03", f"Hold further spend on follow-ons to the "
                                           f"{row.name} until marketing and IT agree the scope.", "it", None))
    if world.months.size > 2:
        # The reversed one: a freeze on new tools, lifted when the buying rule was agreed.
        freeze = _position(world, 2)
        candidates.append(Decision(freeze, None, "DR-01", "Freeze new marketing-tool purchases until the buying "
                                   "rule is agreed.", "it", None, "reversed"))
    wanted = max(0, round(world.months.size * 1.25) - len(decisions))   # about 30 over 24 months
    if candidates and wanted:
        chosen = np.sort(rng.choice(len(candidates), size=min(wanted, len(candidates)), replace=False))
        # The freeze is kept whenever there is one: it is the record's reversed decision.
        keep = set(chosen.tolist()) | ({len(candidates) - 1} if world.months.size > 2 else set())
        decisions += [candidates[i] for i in sorted(keep)]

    for decision in decisions:
        # What is still open at the end: the last two months' decisions, and anything due after the period.
        if decision.status == "done" and (decision.month >= last - 1 or
                                          (decision.due is not None and decision.due > world.as_of)):
            decision.status = "open"
    decisions.sort(key=lambda d: (d.month, d.unit is not None, -1 if d.unit is None else d.unit, d.text))
    for number, decision in enumerate(decisions, start=1):
        decision.decision_id = f"D-{number:03d}"
    return decisions


# --- the leaders' notes ----------------------------------------------------------------------------------------

def _commentary(record: Record, facts: _Facts, rng: np.random.Generator) -> pd.DataFrame:
    """Both leaders' notes for most months; a few months lack one side (a leader away, a note never written).
    The newest month has both."""
    world = record.world
    months = world.months.size
    missing = {}
    if months > 2:
        gaps = rng.choice(months - 1, size=max(1, round(months / 6)), replace=False)
        missing = {int(m): SIDES[int(rng.integers(len(SIDES)))] for m in gaps}
    rows = []
    for month in range(months):
        for side in SIDES:
            if missing.get(month) == side:
                continue
            text = _note(record, facts, month, side, rng)
            rows.append((world.month_labels[month], side, text, AUTHOR[side], _written_at(world, month, rng)))
    return pd.DataFrame(rows, columns=REVIEW_COLUMNS["commentary"])


def _written_at(world: World, month: int, rng: np.random.Generator) -> str:
    """After the month's steering: from the 15th to a few days into the next month, in working hours or so."""
    first = world.months[month].astype("datetime64[D]")
    day = first + int(rng.integers(14, 35))
    seconds = int(rng.integers(7 * 3600 + 1800, 21 * 3600)) // 60 * 60
    return str(day.astype("datetime64[s]") + np.timedelta64(seconds, "s")).replace("T", " ")


def _note(record: Record, facts: _Facts, month: int, side: str, rng: np.random.Generator) -> str:
    """One leader's note: a heading (or a bold first line), two to four points on the month, sometimes a line on
    what comes next. Markdown, well under 4,000 characters."""
    world = record.world
    words = _month_words(world, month)
    points = _points(record, facts, month, side, rng)
    order = sorted(points, key=lambda p: (-p[0], rng.random()))
    chosen = [text for _, text in order[:int(rng.integers(2, 5))]]

    style = int(rng.integers(4))
    heading = (f"## {words} steering", f"### {words}: {'marketing' if side == 'marketing' else 'IT'}'s view",
               f"**{words} in short**", f"## {'CMO' if side == 'marketing' else 'CIO'} note, {words}")[style]
    body = "\n".join(f"- {text}" for text in chosen)
    if style == 2 and len(chosen) > 2 and rng.random() < 0.5:   # now and then prose rather than bullets
        body = " ".join(chosen)
    note = f"{heading}\n\n{body}"
    if rng.random() < 0.55:
        note += "\n\n" + _pick(rng, NEXT[side])
    return note


NEXT = {
    "marketing": (
        "**Next:** the campaign calendar for the coming quarter goes to IT before the creative work starts.",
        "**Next:** one list of martech spend for finance, written with IT, not two.",
        "**Ask of IT:** a named person for each campaign launch, as we have for releases.",
        "**Next:** the unit heads bring one joint win each to the next steering.",
        "**Next:** I want the pulse comments read together, not by each team on its own.",
    ),
    "it": (
        "**Next:** the platform roadmap goes to marketing's leadership team before it is final.",
        "**Next:** security reviews of marketing tools in days, not weeks; we will report the times.",
        "**Ask of marketing:** bring the customer questions, not the tool you have already chosen.",
        "**Next:** one backlog per unit, ordered together at the steering.",
        "**Next:** architects at the campaign kick-offs in the two units that asked.",
    ),
}

FILLERS = {
    "marketing": (
        "We briefed IT on next quarter's campaigns before the creative work began, which is new for us.",
        "The martech spend review with finance went better with IT's architects in the room.",
        "Customer research from the last wave is shared with IT; they asked for the raw data too.",
        "Marketing operations and the service desk now meet weekly on campaign requests.",
        "Two campaign launches this month needed no emergency change from IT. That used to be rare.",
        "We still report different customer numbers from IT's; the glossary has not reached every team.",
        "Our agency contracts come up for renewal: IT reviews the data clauses with us this time.",
        "The pulse comments ask for fewer status meetings and more working sessions. I agree.",
    ),
    "it": (
        "The platform roadmap was walked through with marketing's leadership team; good questions on data.",
        "Security reviewed two marketing tools together with marketing operations, without holding up a launch.",
        "We opened our release calendar to marketing, so campaign dates and freezes no longer clash.",
        "The data team sat in on marketing's planning day; we owe them a view of the customer data model.",
        "Marketing's requests in the queue are fewer but larger; we will size them together before we commit.",
        "Our on-call rota now covers the campaign weekends marketing flagged.",
        "Two tools bought outside IT turned up in the licence review; we talked before anyone escalated.",
        "IT staff read the pulse comments this month. The one about being a service desk stung, fairly.",
    ),
}


def _points(record: Record, facts: _Facts, month: int, side: str,
            rng: np.random.Generator) -> list[tuple[int, str]]:
    """(priority, Markdown text) of everything this leader might write about the month."""
    world = record.world
    label = world.month_labels[month]
    cmo = side == "marketing"
    points: list[tuple[int, str]] = [(0, FILLERS[side][i])
                                     for i in rng.choice(len(FILLERS[side]), size=2, replace=False)]

    # The steering meetings.
    cancelled, unscheduled = facts.cancelled(month), facts.unscheduled(month)
    if cancelled:
        points.append((3, _pick(rng, (
            f"Steering met in {facts.held(month)} of {len(world.units)} units; {_names(cancelled)} cancelled. "
            "I have asked for new dates within two weeks.",
            f"**{_names(cancelled)}** cancelled the joint steering this month. A missed month is how the "
            "habit goes; both heads are to re-book it.",
        ) if cmo else (
            f"{_of(_names(cancelled))} steering was cancelled. IT's side will hold the slot open until it is "
            "re-booked.",
            f"{facts.held(month)} of {len(world.units)} steering meetings held; {_names(cancelled)} cancelled, "
            "which we have to stop treating as normal.",
        ))))
    elif not unscheduled:
        points.append((1, _pick(rng, (
            f"All {len(world.units)} units held their joint steering.",
            "Every unit's steering met this month, most with both heads in the room.",
        ))))
    if unscheduled:
        points.append((2, f"{_names(unscheduled)} did not schedule a steering at all this month; "
                          + ("I will raise it with the unit heads." if cmo else "we will put it in the calendar.")))

    # The second unit's staff exchange.
    if len(world.units) > IMPROVING_UNIT and month >= world.exchange_start:
        unit = world.units[IMPROVING_UNIT]
        sessions = facts.exchange_sessions.get(label, 0)
        if month == world.exchange_start:
            points.append((6, (
                f"**Staff exchange starts in {unit}.** Campaign managers spend two days a month with the IT "
                "product team, and IT's analysts sit with us; the first sessions are booked."
            ) if cmo else (
                f"We launched the staff exchange in {unit}: two sessions a month, {sessions} held already. "
                "I have asked the IT team there to take campaign briefs in person."
            )))
        else:
            rise = facts.change(IMPROVING_UNIT, month, month - world.exchange_start + 1)
            if month >= world.exchange_start + 3 and rise >= 6:
                points.append((4, _pick(rng, (
                    f"{_of(unit)} scores are well up on where they were before the staff exchange. It is a survey "
                    "reading, not proof, but it is the clearest move in the company.",
                    f"**{unit}** keeps its gains since the exchange began; I would like a second unit to try it.",
                ) if cmo else (
                    f"{_of(unit)} index is well above where it stood before the exchange; we should decide whether "
                    "a second unit runs one.",
                    f"The exchange in {unit} is showing in the pulse. Before we copy it I want the measured effect "
                    "on the Review page, not our impressions.",
                ))))
            if sessions:
                points.append((2, _pick(rng, (
                    f"{_of(unit)} staff exchange: {sessions} sessions this month. The campaign team now brings IT in "
                    "at the brief, not at go-live.",
                    f"The staff exchange in {unit} carried on ({sessions} sessions); people ask to take part.",
                ) if cmo else (
                    f"Staff exchange in {unit}: {sessions} sessions held. My architects say they understand the "
                    "campaign calendar for the first time.",
                    f"{sessions} exchange sessions in {unit}; the IT staff who took part want to keep the days.",
                ))))

    # The fifth unit's slide, once it shows on the quarter.
    if len(world.units) > DECLINING_UNIT:
        unit = world.units[DECLINING_UNIT]
        fall = facts.change(DECLINING_UNIT, month, 3)
        if fall <= -3:
            reset = [a for a in record.actions if a.unit == DECLINING_UNIT and a.start <= month]
            if reset:
                points.append((5, _pick(rng, (
                    f"**{unit}**: the leaders' one-to-ones have started, but the scores have not turned yet.",
                    f"{unit} is still down on the quarter despite the reset of priorities. We keep at it.",
                ))))
            else:
                points.append((4, _pick(rng, (
                    f"**{unit}** worries me: its index is lower than three months ago, and its marketing team "
                    "says requests wait in IT's queue for weeks.",
                    f"{unit} again: scores down on the quarter. I will join their next steering.",
                ) if cmo else (
                    f"{unit} keeps slipping. IT there feels it only hears from marketing when something has gone "
                    "wrong; I have asked both heads for a joint plan.",
                    f"**{unit}** is down on the quarter. We need to look at it together, not unit by unit.",
                ))))

    # The unit that moved most.
    changes = [facts.change(u, month) for u in range(len(world.units))]
    if month and not np.all(np.isnan(changes)):
        best = int(np.nanargmax(changes))
        if changes[best] >= 4 and best != DECLINING_UNIT:
            points.append((2, _pick(rng, (
                f"{_of(world.units[best])} index rose most this month.",
                f"Good month for {world.units[best]}: the biggest rise in the pulse.",
            ))))

    # Joint projects delivered and started.
    for row in facts.delivered[label].itertuples():
        late = (np.datetime64(row.actual_end) - np.datetime64(row.planned_end)).astype(int)
        timing = "on time" if late <= 0 else f"{late} days late"
        if cmo:
            outcome = {"success": f"a clear win, ROI {float(row.roi_pct):.0f}%. We should show it off together",
                       "partial": "a partial success; the campaign side is live, the data side is not yet",
                       "failed": "it did not deliver what we hoped, and we will write up why"}[row.outcome]
            points.append((3, f"The {row.name} in {row.business_unit} was delivered {timing}: {outcome}."))
        else:
            overrun = (float(row.spend) - float(row.budget)) / float(row.budget) * 100
            spend = (f"{overrun:.0f}% over budget" if overrun > 1 else
                     f"{-overrun:.0f}% under budget" if overrun < -1 else "on budget")
            points.append((3, f"{row.name} ({row.business_unit}) went live {timing}, {spend}"
                              + (", and it worked." if row.outcome == "success" else ".")))
    for row in facts.started[label].itertuples():
        points.append((1, f"New: the {row.name} in {row.business_unit}, led by {LEAD_WORDS[row.lead_function]}."
                       if cmo else f"We kicked off the {row.name} in {row.business_unit} "
                                   f"({LEAD_WORDS[row.lead_function]} leading)."))

    # The actions: started, finished, stopped, late.
    month_end = _month_end(world.months[month])
    for action in record.actions:
        spec = action.spec
        where = "across the company" if action.unit is None else f"in {world.units[action.unit]}"
        if action.start == month and spec.start != "exchange":
            points.append((4, f"We start **{spec.title}** {where}; owner: {spec.owner}." if cmo else
                              f"New action {where}: **{spec.title}**, owned by {spec.owner}, due {action.due}."))
        elif action.due_month == world.months[month] and spec.status == "done":
            points.append((3, f"Done: **{spec.title}** {where}."))
        elif action.due_month == world.months[month] and spec.status == "dropped":
            points.append((3, f"We stopped **{spec.title}**: it overlapped with the architecture review of new "
                              "tools." if not cmo else
                              f"We dropped **{spec.title}** {where}; the tool review covers it."))
        elif spec.status in ("planned", "in_progress") and action.due < month_end and month >= action.start:
            points.append((5, f"**{spec.title}** {where} is overdue (due {action.due}). {spec.owner} brings a "
                              "new date to the next steering."))

    # The register: an area agreed, or one still open.
    for area, day in record.areas:
        if day is not None and str(day)[:7] == label:
            who = {"marketing": "marketing decides", "it": "IT decides", "joint": "we decide together"}
            points.append((4, f"We agreed who decides on *{area.area.lower()}*: {who[area.accountable]} "
                              f"(consulted: {area.consulted})."))
    gaps = [area for area, day in record.areas if day is None]
    if gaps and month >= _position(world, 12) and rng.random() < 0.3:
        area = gaps[int(rng.integers(len(gaps)))]
        points.append((2, f"Still nobody clearly accountable for *{area.area.lower()}*; it keeps coming back in "
                          + ("budget talks." if cmo else "every incident review.")))
    return points
