"""Every value list of the data, declared once: departments, roles, meeting types, statuses, stages, outcomes, the
review's sides and deciders, the survey scales with their ranges, the longest texts, the effect window and the month
and date patterns.

It imports nothing of the project, so that every layer reads the same lists: the store (the CHECK constraints of
sql/schema.sql name them as {{NAME}}), the import layer (each kind's fields, metrics.ingest.kinds), the clean survey
file's fast path (metrics.ingest.native_survey), the analysis and the pages. tests/test_declarations.py fails when one of
these lists is typed again anywhere else."""

from __future__ import annotations

import re

# ---- who --------------------------------------------------------------------------------------------------
SIDES = ("marketing", "it")                   # the two functions: a leader's note, a leader's side
DEPARTMENTS = (*SIDES, "other")               # a respondent's or an invitee's department
DECIDERS = (*SIDES, "joint")                  # who took a decision, who is accountable for a decision area
LEAD_FUNCTIONS = DECIDERS                     # who leads a joint project: one function or both
RESPONDENT_ROLES = ("lead", "manager", "staff")   # a respondent's or an invitee's role (not a sign-in role)

# ---- meetings and projects --------------------------------------------------------------------------------
MEETING_TYPES = ("joint_steering", "co_department", "brainstorm", "staff_exchange")
MEETING_STATUSES = ("held", "cancelled")
PROJECT_STAGES = ("pilot", "scale")
PROJECT_STATUSES = ("planned", "active", "delivered", "cancelled")
PROJECT_OUTCOMES = ("success", "partial", "failed")

# ---- the monthly review -----------------------------------------------------------------------------------
DECISION_STATUSES = ("open", "done", "reversed")
ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
# An action's effect window: the months before and after its start month that its effect compares.
EFFECT_WINDOW_MIN, EFFECT_WINDOW_MAX, DEFAULT_EFFECT_WINDOW = 1, 12, 3

# ---- the survey -------------------------------------------------------------------------------------------
SCALES = {"likert5": (1, 5), "nps11": (0, 10)}   # each catalogue scale's lowest and highest answer
BOOL_WORDS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}

# ---- lengths and patterns ---------------------------------------------------------------------------------
NAME_MAX = 200          # an id, a unit, a name, a label: one line of 1 to this many characters
COMMENT_MAX = 5000      # a respondent's comment
NOTE_MAX = 4000         # a leader's note
DECISION_MAX = 2000     # a decision's text
COLLABORATION_PEOPLE_MAX = 10_000_000   # the most people one side of a collaboration row may count
MONTH = r"\d{4}-(0[1-9]|1[0-2])"              # YYYY-MM, matched whole
MONTH_FORMAT = "%Y-%m"
DATE_FORMAT = "%Y-%m-%d"
SNAKE = r"[a-z][a-z0-9_]{0,62}"               # an item id, a dimension, a KPI's name, matched whole

MONTH_PATTERN = re.compile(MONTH)

# The vocabularies proper (lists of allowed words), by name: what schema.sql's {{NAME}} placeholders and
# tests/test_declarations.py go by.
VOCABULARIES: dict[str, tuple[str, ...]] = {
    "SIDES": SIDES, "DEPARTMENTS": DEPARTMENTS, "DECIDERS": DECIDERS, "LEAD_FUNCTIONS": LEAD_FUNCTIONS,
    "RESPONDENT_ROLES": RESPONDENT_ROLES, "MEETING_TYPES": MEETING_TYPES, "MEETING_STATUSES": MEETING_STATUSES,
    "PROJECT_STAGES": PROJECT_STAGES, "PROJECT_STATUSES": PROJECT_STATUSES, "PROJECT_OUTCOMES": PROJECT_OUTCOMES,
    "DECISION_STATUSES": DECISION_STATUSES, "ACTION_STATUSES": ACTION_STATUSES, "SCALES": tuple(SCALES),
}


def sql_literal(value: object) -> str:
    """A declaration as SQL text: a word or a pattern as a quoted string, a list as its quoted words joined by
    commas (for IN (...)), a number as itself. The values are this module's constants; they are quoted all the same."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        raise TypeError("a truth value is not a declaration of this module")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (tuple, list, dict)):
        return ", ".join(sql_literal(v) for v in value)
    raise TypeError(f"no SQL literal for {value!r}")


def fill(sql: str) -> str:
    """SQL text with each {{NAME}} replaced by sql_literal of this module's NAME (an unknown name is an error)."""
    def literal(match: re.Match) -> str:
        name = match.group(1)
        if name in VOCABULARIES:
            return sql_literal(VOCABULARIES[name])
        value = globals().get(name)
        if not isinstance(value, (str, int)):
            raise KeyError(f"{{{{{name}}}}} names nothing metrics.vocabulary declares")
        return sql_literal(value)

    return re.sub(r"\{\{([A-Z_0-9]+)\}\}", literal, sql)
