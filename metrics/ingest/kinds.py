"""The import layer's declarations: each kind's file, table, columns, key and text, date and free-text columns; the
vocabularies and patterns its checks use; the refusal and the report of an import."""

from __future__ import annotations

from dataclasses import dataclass, field

from metrics import personal
from metrics.printable import printable

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
