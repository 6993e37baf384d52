"""The import layer's declarations: each kind's table, key and fields (each column's type, whether it is required,
its choices, length and bounds), from which its columns, checks and stored types follow; the refusal and the report
of an import. The value lists themselves are metrics.vocabulary's."""

from __future__ import annotations

from dataclasses import dataclass, field

from metrics import personal
from metrics.printable import printable
from metrics.vocabulary import (ACTION_STATUSES, COLLABORATION_PEOPLE_MAX, COMMENT_MAX, DECIDERS, DECISION_MAX,
                                DECISION_STATUSES, DEFAULT_EFFECT_WINDOW, DEPARTMENTS, EFFECT_WINDOW_MAX,
                                EFFECT_WINDOW_MIN, LEAD_FUNCTIONS, MEETING_STATUSES, MEETING_TYPES, NAME_MAX, NOTE_MAX,
                                PROJECT_OUTCOMES, PROJECT_STAGES, PROJECT_STATUSES, RESPONDENT_ROLES, SCALES, SIDES)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# What a field holds. The text types are read and stored as text; the others are converted (validation._typed).
#   id         a code naming a row (1 to NAME_MAX characters, one line, never an e-mail address)
#   unit       a business unit's name (the same, with the unit's own advice)
#   text       one line of 1 to max_length characters: a name, a title, a group of people
#   long text  up to max_length characters, tabs and line breaks allowed: a note, a decision, a comment
#   choice     one of `choices`
#   snake      snake_case: an item id, a dimension, a KPI's name
#   month      YYYY-MM
#   target     what an action targets: alignment_index or a dimension of the stored catalogue
#   date       YYYY-MM-DD within the data's span (metrics.dates); due: a plan's date, up to years ahead
#   datetime   a date and time (or a date)
#   whole      a whole number of `unit`s, `low` to `high` (no high: as many as the stored INTEGER takes)
#   number     an ordinary number, at least `low` when it has one
#   bool       true/false, yes/no, 1/0
TEXT_TYPES = ("id", "unit", "text", "long text", "choice", "snake", "month", "target")
DATE_TYPES = ("date", "due")
FIELD_TYPES = (*TEXT_TYPES, *DATE_TYPES, "datetime", "whole", "number", "bool")
# Where a field's column stands in a file: the header must have it (required), the template has it but a file may
# leave it out (optional), or the template leaves it out and a file may add it (extra).
HEADERS = ("required", "optional", "extra")


@dataclass(frozen=True)
class Field:
    """One column of a kind: what it holds and what a cell of it may be."""

    name: str
    type: str
    required: bool = True             # a value in every row (False: a cell may be empty)
    choices: tuple[str, ...] = ()     # a choice's values
    max_length: int | None = None     # a text's longest, in characters
    low: float | None = None          # a number's smallest
    high: int | None = None           # a whole number's largest
    unit: str = ""                    # what a whole number counts ("people", "months")
    default: int | None = None        # what an empty whole number is stored as
    free_text: bool = False           # masked before storage (metrics.personal)
    header: str = "required"

    def __post_init__(self):
        assert self.type in FIELD_TYPES and self.header in HEADERS, self
        assert bool(self.choices) == (self.type == "choice"), self
        if self.type == "whole":   # a count from 0 (high None), or a short range; an empty one is stored as its default
            assert self.low is not None and (self.high is not None or self.low == 0), self
            assert self.required or self.default is not None, self


def _id(name: str, required: bool = True) -> Field:
    return Field(name, "id", required, max_length=NAME_MAX)


def _unit(required: bool = True) -> Field:
    return Field("business_unit", "unit", required, max_length=NAME_MAX)


def _text(name: str, required: bool = True) -> Field:
    """A line anyone may type (a name, a title, people): free text, masked before storage."""
    return Field(name, "text", required, max_length=NAME_MAX, free_text=True)


def _choice(name: str, choices: tuple[str, ...], required: bool = True) -> Field:
    return Field(name, "choice", required, choices=tuple(choices))


@dataclass(frozen=True)
class Kind:
    """One kind of data: its table, its fields (the native columns, in template order), key, and what follows from
    the fields: the columns a file must have, those it may have, the text, date and free-text columns."""

    name: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.header == "required")

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.header != "required")

    @property
    def text_columns(self) -> tuple[str, ...]:
        """The template's columns stored as text (an extra column, the survey's wave, is not the template's)."""
        return tuple(f.name for f in self.fields if f.type in TEXT_TYPES and f.header != "extra")

    @property
    def date_columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.type in DATE_TYPES)

    @property
    def free_text(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.free_text)

    @property
    def by_name(self) -> dict[str, Field]:
        return {f.name: f for f in self.fields}


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("items", "survey_items", (
            Field("item_id", "snake"), Field("dimension", "snake"), _text("text"),
            _choice("scale", tuple(SCALES)), Field("reverse_scored", "bool"),
        ), ("item_id",)),
        Kind("survey", "survey_responses", (
            _id("response_id"), Field("submitted_at", "datetime"), _unit(), _choice("department", DEPARTMENTS),
            _choice("role", RESPONDENT_ROLES),
            Field("comment", "long text", False, max_length=COMMENT_MAX, free_text=True, header="optional"),
            Field("wave", "month", False, header="extra"),   # the month of submitted_at unless a file or --set says
        ), ("response_id",)),
        Kind("headcount", "headcount", (
            _unit(), _choice("department", DEPARTMENTS), Field("month", "month"),
            Field("headcount", "whole", low=0, unit="people"),
        ), ("business_unit", "department", "month")),
        Kind("meetings", "meetings", (
            _id("meeting_id"), _unit(), Field("date", "date"), _choice("meeting_type", MEETING_TYPES),
            _choice("status", MEETING_STATUSES),
        ), ("meeting_id",)),
        Kind("attendance", "attendance", (
            _id("meeting_id"), _id("person_id"), _choice("department", DEPARTMENTS), _choice("role", RESPONDENT_ROLES),
            Field("attended", "bool"),
        ), ("meeting_id", "person_id")),
        Kind("projects", "joint_projects", (
            _id("project_id"), _unit(), _text("name"), _choice("lead_function", LEAD_FUNCTIONS),
            _choice("stage", PROJECT_STAGES), _id("parent_project_id", required=False), Field("start_date", "date"),
            Field("planned_end", "date"), Field("actual_end", "date", False), Field("budget", "number", low=0),
            Field("spend", "number", False, low=0), _choice("status", PROJECT_STATUSES),
            _choice("outcome", PROJECT_OUTCOMES, required=False), Field("roi_pct", "number", False),
        ), ("project_id",)),
        Kind("kpis", "kpis", (
            _unit(), Field("month", "month"), Field("kpi", "snake"), Field("value", "number"),
        ), ("business_unit", "month", "kpi")),
        # The monthly review's record (DESIGN.md, "The monthly review"): written on the Review page or imported.
        Kind("commentary", "commentary", (
            Field("month", "month"), _choice("side", SIDES),
            Field("text", "long text", max_length=NOTE_MAX, free_text=True), _text("written_by"),
            Field("written_at", "datetime"),
        ), ("month", "side")),
        Kind("decision_rights", "decision_rights", (
            _id("area_id"), _text("area"), _choice("accountable", DECIDERS, required=False),
            _text("consulted", required=False), _text("informed", required=False), Field("agreed_on", "date", False),
        ), ("area_id",)),
        Kind("decisions", "decisions", (
            _id("decision_id"), Field("month", "month"), _unit(required=False), _id("area_id", required=False),
            Field("text", "long text", max_length=DECISION_MAX, free_text=True), _choice("decided_by", DECIDERS),
            Field("due", "due", False), _choice("status", DECISION_STATUSES),
        ), ("decision_id",)),
        Kind("actions", "actions", (
            _id("action_id"), _unit(required=False), _text("title"), _text("owner", required=False),
            Field("target", "target"), Field("start_month", "month"), Field("due", "due", False),
            _choice("status", ACTION_STATUSES),
            Field("effect_window", "whole", False, low=EFFECT_WINDOW_MIN, high=EFFECT_WINDOW_MAX, unit="months",
                  default=DEFAULT_EFFECT_WINDOW),
        ), ("action_id",)),
        # ---- collaboration (issue 19, Viva Insights) ----
        # Measured time between marketing and IT (DESIGN.md, "Inputs as they come"): per unit, month and direction,
        # the hours, meetings and e-mails the from side's people spent with the to side, and how many people the
        # from side had (Viva's PrimaryCollaborator_GroupSize), so hours per person can be worked out.
        Kind("collaboration", "collaboration", (
            _unit(), Field("month", "month"), _choice("from_side", SIDES), _choice("to_side", SIDES),
            Field("hours", "number", low=0), Field("meetings", "number", False, low=0),
            Field("emails", "number", False, low=0),
            Field("people", "whole", low=1, high=COLLABORATION_PEOPLE_MAX, unit="people"),
        ), ("business_unit", "month", "from_side", "to_side")),
        # ---- end collaboration ----
    )
}
REVIEW_KINDS = ("commentary", "decision_rights", "decisions", "actions")

# In import order: the review kinds come after the catalogue and the survey, since an action's target is checked
# against the dimensions stored.
SAMPLE_FILES = {
    "items": "survey_items.csv", "survey": "survey_responses.csv", "headcount": "headcount.csv",
    "meetings": "meetings.csv", "attendance": "attendance.csv", "projects": "joint_projects.csv", "kpis": "kpis.csv",
    "collaboration": "collaboration.csv",   # beside it, the same as Viva Insights exports it (viva_group_to_group.csv)
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
    notes: list[str] = field(default_factory=list)          # what a reader did besides problems (issue 19)

    @property
    def rows_skipped(self) -> int:
        return self.rows_read - self.rows_valid
