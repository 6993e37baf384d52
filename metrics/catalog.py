"""The metric catalogue: every metric's name, label, description, unit, direction, target and amber band."""

from __future__ import annotations

from dataclasses import dataclass

RESPONSE_RATE_FLAG = 60.0   # the response rate's target: a group below it is flagged

HIGHER = "higher_is_better"
LOWER = "lower_is_better"


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    unit: str
    direction: str = HIGHER
    target: float | None = None
    amber_band: float | None = None
    n_name: str | None = None
    survey: bool = False  # a survey figure: suppressed under the anonymity threshold
    short: str = ""       # a column heading for tables and slides

    @property
    def short_label(self) -> str:
        return self.short or self.label

    def status(self, value: float | None) -> str | None:
        """red / amber / green against the target; None when there is no value or no target."""
        if value is None or self.target is None:
            return None
        band = self.amber_band or 0.0
        if self.direction == HIGHER:
            if value >= self.target:
                return "green"
            return "amber" if value >= self.target - band else "red"
        if value <= self.target:
            return "green"
        return "amber" if value <= self.target + band else "red"


# The Collaboration Health Index: weights of its parts (rescaled when a part is missing).
CHI_WEIGHTS: dict[str, float] = {
    "alignment_index": 0.5,
    "cadence_adherence_3m": 0.15,
    "attendance_rate": 0.15,
    "project_success_rate": 0.2,
}

METRICS: tuple[Metric, ...] = (
    Metric(
        "chi", "Collaboration Health Index",
        "Weighted mean of the alignment index (0.5), cadence adherence over three months (0.15), "
        "attendance rate over both departments (0.15) and joint-project success rate (0.2). "
        "A missing part drops out and the remaining weights are rescaled.",
        "index 0-100", HIGHER, 70, 10, short='CHI',
    ),
    Metric(
        "alignment_index", "Alignment index",
        "Mean of the marketing and the IT department indexes: each side weighs the same whatever its "
        "headcount. Null when either side is missing or suppressed.",
        "index 0-100", HIGHER, 70, 10, "alignment_index_n", survey=True, short='Alignment',
    ),
    Metric(
        "marketing_index", "Marketing index",
        "Department index of marketing: (mean of respondents' scores over all Likert items - 1) / 4 x 100, "
        "reverse-scored items flipped first; each respondent weighs the same.",
        "index 0-100", HIGHER, 70, 10, "marketing_index_n", survey=True, short='Marketing',
    ),
    Metric(
        "it_index", "IT index",
        "Department index of IT: (mean of respondents' scores over all Likert items - 1) / 4 x 100, "
        "reverse-scored items flipped first; each respondent weighs the same.",
        "index 0-100", HIGHER, 70, 10, "it_index_n", survey=True, short='IT',
    ),
    Metric(
        "perception_gap_abs", "Mean absolute perception gap",
        "Mean over the dimensions of |marketing dimension score - IT dimension score|.",
        "points", LOWER, 5, 5, survey=True, short='Perception gap',
    ),
    Metric(
        "strategic_partner_rate_marketing", "Strategic-partner rate, marketing",
        "Percent favourable (4 or 5) of marketing's answers to 'partner_strategic': the share who see IT "
        "as a strategic partner (the seeds report 16% in B2C, 12% in B2B).",
        "%", HIGHER, 50, 20, "strategic_partner_rate_marketing_n", survey=True, short='Partner rate (mkt)',
    ),
    Metric(
        "strategic_partner_rate_it", "Strategic-partner rate, IT",
        "Percent favourable (4 or 5) of IT's answers to 'partner_strategic': the share who see marketing "
        "as a strategic partner.",
        "%", HIGHER, 50, 20, "strategic_partner_rate_it_n", survey=True, short='Partner rate (IT)',
    ),
    Metric(
        "partner_nps", "Partner NPS",
        "Of marketing and IT answers to 'partner_nps' (0-10): % answering 9-10 minus % answering 0-6.",
        "NPS points", HIGHER, 20, 20, "partner_nps_n", survey=True, short='Partner NPS',
    ),
    Metric(
        "response_rate", "Response rate",
        f"Marketing and IT respondents / their headcount x 100. Below {RESPONSE_RATE_FLAG:g}% is flagged.",
        "%", HIGHER, RESPONSE_RATE_FLAG, 10, "response_rate_n", short='Response rate',
    ),
    Metric(
        "cadence_adherence", "Cadence adherence (month)",
        "Joint steering meetings held in the month / 1 expected, capped at 100.",
        "%", HIGHER, 100, 0, short='Cadence',
    ),
    Metric(
        "cadence_adherence_3m", "Cadence adherence (3 months)",
        "Mean of the monthly cadence adherence over the month and the two before it.",
        "%", HIGHER, 100, 34, short='Cadence 3m',
    ),
    Metric(
        "attendance_rate", "Attendance rate",
        "Marketing and IT invitees who attended / invitees, over the month's held meetings.",
        "%", HIGHER, 80, 10, "attendance_rate_n", short='Attendance',
    ),
    Metric(
        "leadership_presence", "Leadership presence",
        "Share of the month's held joint steering meetings at which a marketing lead and an IT lead both attended.",
        "%", HIGHER, 100, 50, "leadership_presence_n", short='Leaders present',
    ),
    Metric(
        "project_on_time_rate", "Projects on time",
        "Joint projects delivered in the trailing 12 months with actual end on or before planned end / delivered.",
        "%", HIGHER, 70, 15, "project_on_time_rate_n", short='On time',
    ),
    Metric(
        "project_success_rate", "Project success rate",
        "Joint projects delivered in the trailing 12 months with outcome 'success' / delivered.",
        "%", HIGHER, 60, 15, "project_success_rate_n", short='Project success',
    ),
    Metric(
        "pilot_to_scale_rate", "Pilot-to-scale rate",
        "Successful pilots delivered in the trailing 12 months that a scale project names as its parent / "
        "successful pilots.",
        "%", HIGHER, 50, 20, "pilot_to_scale_rate_n", short='Pilot to scale',
    ),
    Metric(
        "project_mean_roi", "Mean project ROI",
        "Mean roi_pct of joint projects delivered in the trailing 12 months.",
        "%", HIGHER, 15, 10, "project_mean_roi_n", short='Mean ROI',
    ),
    Metric(
        "project_budget_variance", "Budget variance",
        "(spend - budget) / budget x 100, summed over joint projects delivered in the trailing 12 months.",
        "%", LOWER, 5, 10, short='Budget variance',
    ),
    Metric(
        "decision_rights_clarity", "Decision-rights clarity",
        "Decision areas of the register with an agreed single accountable side (marketing, IT or joint, with the "
        "date it was agreed) / all decision areas x 100. The register is the company's: units have none.",
        "%", HIGHER, 80, 20, short='Decision-rights clarity',
    ),
    Metric(
        "actions_on_track", "Actions on track",
        "Actions not done whose due date has not passed by the month's last day / actions not done x 100, over "
        "the actions started by the month (a unit's own; the company's are all of them).",
        "%", HIGHER, 80, 15, short='Actions on track',
    ),
    Metric(
        "overdue_actions", "Overdue actions",
        "Actions not done whose due date passed before the month's last day, over the actions started by the "
        "month (a dropped action is not done).",
        "actions", LOWER, 0, 2, short='Overdue actions',
    ),
    # Measured, not said (issue 19): Viva Insights' group-to-group query, or the collaboration template. Target: about
    # an hour a week with the other function (4 hours a month), a starting point for the leaders to set; no source
    # gives a benchmark.
    Metric(
        "collaboration_hours", "Measured collaboration (marketing and IT)",
        "Hours marketing and IT spent collaborating with each other (meetings, e-mails, chats and calls, as "
        "Microsoft Viva Insights measures them), per person per month: marketing's hours with IT plus IT's hours "
        "with marketing / marketing's people plus IT's people. The company's: the units' hours / their people. "
        "n is the people the hours are spread over. Not a survey figure: no one's answers are in it.",
        "hours per person per month", HIGHER, 4, 2, "collaboration_hours_n", short='Measured collab. (h/person)',
    ),
)

METRICS_BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}

# The order in which the scorecard shows the CHI and its parts.
SCORECARD_COLUMNS: tuple[str, ...] = (
    "chi", "alignment_index", "cadence_adherence_3m", "attendance_rate", "project_success_rate",
    "marketing_index", "it_index", "perception_gap_abs", "partner_nps", "response_rate",
)


# The indexes that the linkage with KPIs (metrics.linkage, the Results page, `linkage --index`) can set against a KPI.
LINKAGE_INDEXES: dict[str, str] = {"alignment_index": "Alignment index", "chi": "Collaboration Health Index",
                                   "collaboration_hours": "Measured collaboration (hours per person)"}


# The monthly review's metrics (metrics/review.py): tiles of their own on the scorecard and the Review page; the
# units' table shows the two that a unit has (the decision-rights register is the company's).
REVIEW_COLUMNS: tuple[str, ...] = ("decision_rights_clarity", "actions_on_track", "overdue_actions")
UNIT_REVIEW_COLUMNS: tuple[str, ...] = ("actions_on_track", "overdue_actions")


def metric(name: str) -> Metric:
    return METRICS_BY_NAME[name]
