"""Project trackers' CSV exports (Jira, Asana) read into the joint-projects kind's native columns (issue 19).

Each tool is recognised by its header. Its columns go to the kind's fields by rules the analyst can change, written
as the command line's --map takes them: a column to a field ('Custom field (Budget)=budget'), or a value of a
column to a value of the field it feeds ('Status:In Review=active'). Defaults are the tools' own names; the
analyst's rules are remembered per tool (saved_mappings, layout 'jira_rules' or 'asana_rules'). What a tracker
lacks (business unit, lead function, stage, outcome, budget) comes, in this order, from a column mapped to it (a
custom field named after the field is mapped by default), from labels or tags ('pilot', 'stage:scale', 'lead:it',
'unit:Retail'), or from a constant (--set budget=0) for the rows still without one. A status no rule covers is
reported with its rows, never guessed. The scale project's pilot comes from the tracker's own parent or link
column. People's names and e-mail addresses (assignee, reporter, creator, watchers, comments) are never stored:
they are listed as dropped.

Dates: Jira writes `12/Mar/26 3:45 PM` (its default format), read with the standard library's strptime; numeric
dates (Asana's ISO dates, a spreadsheet's 22/9/2025) go through metrics.ingest.values.parse_timestamps, which
settles the day-month order from the whole column or asks for it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pandas as pd

import metrics.ingest.layouts as layouts
import metrics.ingest.mapping as mapping_module
from metrics.ingest.adapted import SIGNATURE, Adapted, rules_table
from metrics.ingest.decode import LayoutError
from metrics.ingest.kinds import KINDS
from metrics.ingest.values import AmbiguousDates, parse_timestamps
from metrics.vocabulary import LEAD_FUNCTIONS, PROJECT_OUTCOMES, PROJECT_STAGES, PROJECT_STATUSES

LAYOUTS: tuple[str, ...] = ("jira", "asana")
FIELDS = tuple(KINDS["projects"].by_name)
CHOICES = {"lead_function": LEAD_FUNCTIONS, "stage": PROJECT_STAGES, "outcome": PROJECT_OUTCOMES,
           "status": PROJECT_STATUSES}
# What a label or tag may set, and the words it may use for the field ('lead:it', 'unit=Retail').
LABEL_FIELDS = {"business_unit": "business_unit", "unit": "business_unit", "bu": "business_unit",
                "lead_function": "lead_function", "lead": "lead_function", "stage": "stage", "outcome": "outcome"}
# A column's name (a custom field's, unwrapped) that means a field: 'Custom field (Business Unit)' is business_unit.
FIELD_NAMES = {"business_unit": "business_unit", "unit": "business_unit", "lead_function": "lead_function",
               "stage": "stage", "outcome": "outcome", "budget": "budget", "spend": "spend", "actual_spend": "spend",
               "roi": "roi_pct", "roi_pct": "roi_pct"}


@dataclass(frozen=True)
class Tool:
    """One tracker's export: which of its columns are what, and its default status rules."""

    layout: str
    label: str
    signature: frozenset[str]               # header names (casefolded) every export of it has
    id: str
    name: str
    start: tuple[str, ...]                  # the first of these that has a date
    planned_end: tuple[str, ...]
    actual_end: tuple[str, ...]
    status: tuple[str, ...]                 # columns whose values the status rules read, the first rule found wins
    parent: tuple[str, ...]                 # the pilot: the first of these that is filled
    labels: tuple[str, ...]
    personal: tuple[str, ...]               # never stored (and a column named like one, "Assignee Id")
    rules: dict[str, str]                   # 'Column:value' (value casefolded) -> status
    completed: str | None = None            # a column whose date means the task is done (Asana)


def _status_rules(column: str, statuses: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {f"{column}:{value}": status for status, values in statuses.items() for value in values}


JIRA = Tool(
    "jira", "Jira", frozenset({"issue key", "summary", "status"}), id="Issue key", name="Summary",
    start=("Custom field (Start date)", "Start date", "Created"), planned_end=("Due date",), actual_end=("Resolved",),
    status=("Resolution", "Status"),
    parent=("Parent key", "Parent", "Parent id", "Outward issue link (Parent)", "Outward issue link (Pilot)"),
    labels=("Labels",),
    personal=("Assignee", "Reporter", "Creator", "Watchers", "Project lead", "Comment", "Attachment", "Log Work",
              "Custom field (Request participants)", "Custom field (Responders)", "Custom field (Approvers)"),
    rules={**_status_rules("Status", {"planned": ("to do", "backlog"), "active": ("in progress",),
                                      "delivered": ("done", "closed", "resolved"),
                                      "cancelled": ("won't do", "cancelled", "canceled")}),
           **_status_rules("Resolution", {"cancelled": ("won't do", "won't fix", "cancelled", "canceled")})},
)
ASANA = Tool(
    "asana", "Asana", frozenset({"task id", "name", "section/column"}), id="Task ID", name="Name",
    start=("Start Date", "Created At"), planned_end=("Due Date",), actual_end=("Completed At",),
    status=("Section/Column",), parent=("Parent task",), labels=("Tags",),
    personal=("Assignee", "Assignee Email", "Created By", "Collaborators", "Followers"),
    rules=_status_rules("Section/Column", {"planned": ("to do", "backlog", "planned", "not started"),
                                           "active": ("in progress", "doing"),
                                           "delivered": ("done", "complete", "completed"),
                                           "cancelled": ("cancelled", "canceled", "won't do")}),
    completed="Completed At",
)
TOOLS = {tool.layout: tool for tool in (JIRA, ASANA)}
JIRA_DATE_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%y", "%d/%b/%Y %I:%M %p", "%d/%b/%Y")
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def detect(columns: list[str]) -> str | None:
    """The tracker whose export has this header, or None."""
    names = {_base(c).casefold() for c in columns}
    return next((tool.layout for tool in TOOLS.values() if tool.signature <= names), None)


def _base(key: str) -> str:
    """A header as the tool wrote it: the reader names a repeated 'Labels' 'Labels (2)', 'Labels (3)' ..."""
    return re.sub(r" \(\d+\)$", "", key)


class _Columns:
    """The file's columns by the name the tool wrote (case-insensitive); a repeated one has several keys."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.keys: dict[str, list[str]] = {}
        for key in frame.columns:
            base = _base(key) if _base(key) in frame.columns else key
            self.keys.setdefault(base.casefold(), []).append(key)
        self.used: set[str] = set()

    def find(self, *names: str) -> list[str]:
        """The keys of the first name the file has."""
        for name in names:
            if name.casefold() in self.keys:
                return self.keys[name.casefold()]
        return []

    def first(self, *names: str) -> str | None:
        keys = self.find(*names)
        return keys[0] if keys else None

    def values(self, key: str) -> pd.Series:
        self.used.add(key)
        return self.frame[key]


def read(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str, layout: str = "auto", *,
         constants: dict[str, str] | None = None, mapping: dict[str, str] | None = None,
         date_order: str | None = None, max_unpacked: int | None = None) -> Adapted | None:
    """A tracker's export read into the projects kind's columns; None when layout is auto and the header is no
    tracker's (the native reader takes the file). Raises LayoutError for a file that cannot be read at all."""
    options = {} if max_unpacked is None else {"max_unpacked": max_unpacked}
    frame, row_numbers, _, _, warnings = layouts.read_table(data, file_name, **options)
    detected = detect(list(frame.columns))
    if layout == "auto":
        if detected is None:
            return None
        layout = detected
    tool = TOOLS[layout]
    notes = [w for w in warnings if not w.startswith("two columns are headed")]
    if detected != layout:
        missing = ", ".join(sorted(n for n in tool.signature if n not in {_base(c).casefold() for c in frame.columns}))
        return Adapted(layout, pd.DataFrame(), [], blocking=[
            f"read as {tool.label}'s export as asked, but the header lacks {missing}: export the issues again from "
            f"{tool.label} as CSV (all fields), or choose another format"])
    return _Reader(con, tool, frame, row_numbers, notes, constants or {}, mapping or {}, date_order).read()


class _Reader:
    def __init__(self, con, tool: Tool, frame: pd.DataFrame, row_numbers: list[int], notes: list[str],
                 constants: dict[str, str], asked: dict[str, str], date_order: str | None):
        self.tool, self.rows, self.notes, self.constants, self.date_order = tool, row_numbers, notes, constants, date_order
        self.columns = _Columns(frame)
        self.saved = mapping_module.saved_mapping(con, f"{tool.layout}_rules", SIGNATURE)
        self.asked = dict(asked)
        self.blocking: list[str] = []
        self.problems: list[tuple[int, str, str | None, str]] = []
        self.used_rules: dict[str, tuple[str, str]] = {}
        self.fed: set[str] = set()   # fields some column or label of the file feeds, filled or not
        self.out = pd.DataFrame({f: pd.Series([None] * len(frame), dtype=object) for f in FIELDS})

    # -- the rules: the analyst's (asked), remembered, then the tool's defaults ------------------------------

    def rule(self, key: str) -> tuple[str, str] | None:
        """(target, how) for a rule key ('Status:in review' or a column's name), matched without case."""
        for how, rules in (("asked", self.asked), ("remembered", self.saved), ("default", self.tool.rules)):
            for rule, target in rules.items():
                if rule.casefold() == key.casefold():
                    return target, how
        return None

    def read(self) -> Adapted:
        self._check_rules()
        if self.blocking:
            return Adapted(self.tool.layout, pd.DataFrame(), [], blocking=self.blocking)
        tool, columns = self.tool, self.columns
        out = self.out
        out["project_id"] = self._text(columns.first(tool.id))
        out["name"] = self._text(columns.first(tool.name))
        out["start_date"] = self._dates("start_date", tool.start)
        out["planned_end"] = self._dates("planned_end", tool.planned_end)
        out["actual_end"] = self._dates("actual_end", tool.actual_end)
        self._mapped_fields()
        self._labels()
        out["status"] = self._statuses()
        out["parent_project_id"] = self._parents()
        self._constants()
        self._lacking()
        dropped = self._dropped()
        rules = rules_table(self.used_rules)
        said = [f"read as {tool.label}'s export: {len(out)} {'issues' if tool is JIRA else 'tasks'}"]
        if len(rules):
            said.append("rules used: " + "; ".join(f"{r} → {t or '(no rule)'} ({h})"
                                                    for r, t, h in rules.itertuples(index=False)))
        remember = dict(self.asked)   # the analyst's own rules, kept when the file is committed
        return Adapted(tool.layout, out, list(self.rows), notes=said + self.notes, dropped=dropped,
                       blocking=self.blocking, cell_problems=sorted(self.problems, key=lambda p: (p[0], p[1])),
                       rules=rules, remember=(f"{tool.layout}_rules", remember) if remember else None)

    def _check_rules(self) -> None:
        """Every rule the analyst gives must name a field, or a status or choice the field has."""
        for rule, target in self.asked.items():
            column, sep, value = rule.partition(":")
            if sep and value and self.columns.find(column):
                field_name = self._fed_by(self.columns.find(column)[0])
                choices = CHOICES.get(field_name, ())
                if target not in choices:
                    self.blocking.append(f"the rule {rule!r} → {target!r}: the column {column!r} feeds {field_name}: "
                                         f"choose one of {', '.join(choices) or '(none: map the column itself)'}")
            elif target and target not in FIELDS:
                self.blocking.append(f"the rule {rule!r} → {target!r}: {target!r} is not a field of joint projects: "
                                     f"choose one of {', '.join(FIELDS)}, or nothing to leave the column out")
            elif not self.columns.find(rule) and not sep:
                self.blocking.append(f"the rule {rule!r} names a column the file does not have: check that the "
                                     "rule's column is spelled as in the file's header")
            elif target and self._personal(rule):
                self.blocking.append(f"the rule {rule!r} → {target!r}: {rule!r} holds people's names or addresses, "
                                     "which are never stored: choose another column")
        for name in self.constants:
            if name not in FIELDS:
                self.blocking.append(f"--set {name}=…: {name!r} is not a field of joint projects: choose one of "
                                     f"{', '.join(FIELDS)}")

    def _fed_by(self, key: str) -> str:
        """The field a column's values feed: status for the status columns, else the field it is mapped to."""
        if _base(key).casefold() in {c.casefold() for c in self.tool.status}:
            return "status"
        return self._field_of(key) or ""

    def _field_of(self, key: str) -> str | None:
        """The field a column is mapped to: the analyst's or a remembered rule, else by its name."""
        found = self.rule(_base(key))
        if found is not None:
            self.used_rules[_base(key)] = found
            return found[0] or None
        inner = re.fullmatch(r"custom field \((.*)\)", _base(key), re.IGNORECASE)
        name = re.sub(r"[^a-z0-9]+", "_", (inner.group(1) if inner else _base(key)).casefold().replace("%", " pct"))
        target = FIELD_NAMES.get(name.strip("_"))
        if target is not None:
            self.used_rules[_base(key)] = (target, "default")
        return target

    # -- fields ------------------------------------------------------------------------------------------------

    def _text(self, key: str | None) -> pd.Series:
        if key is None:
            return pd.Series([None] * len(self.out), dtype=object)
        return self.columns.values(key).astype(object)

    def _dates(self, field_name: str, names: tuple[str, ...]) -> pd.Series:
        """ISO dates (YYYY-MM-DD) from the first of `names` the file has, per row the first one filled."""
        result = pd.Series([None] * len(self.out), dtype=object)
        for name in names:
            key = self.columns.first(name)
            if key is None:
                continue
            self.fed.add(field_name)
            parsed = self._date_column(self.columns.values(key), key)
            result = result.where(result.notna(), parsed)
        return result

    def _date_column(self, values: pd.Series, key: str) -> pd.Series:
        out = pd.Series([None] * len(values), dtype=object, index=values.index)
        numeric = []
        for i, value in values.items():
            if value is None:
                continue
            for fmt in JIRA_DATE_FORMATS:
                try:
                    out[i] = datetime.strptime(value, fmt).date().isoformat()
                    break
                except ValueError:
                    continue
            else:
                numeric.append(i)
        if numeric:
            try:
                stamps = parse_timestamps(values[numeric], self.date_order)
            except AmbiguousDates as error:
                self.blocking.append(str(error))
                return out
            except LayoutError as error:
                self.blocking.append(str(error))
                return out
            for i, stamp in stamps.items():
                if pd.isna(stamp):
                    self.problems.append((self.rows[i], key, values[i], "not a date: write it as 12/Mar/26, "
                                          "2026-03-12 or 12/03/2026"))
                else:
                    out[i] = stamp.date().isoformat()
        return out

    def _mapped_fields(self) -> None:
        """Columns mapped to a field (a custom field named after it, or by a rule): text, choices, numbers."""
        for keys in self.columns.keys.values():
            target = self._field_of(keys[0])
            if target is None or target in ("project_id", "name", "status"):
                continue
            self.fed.add(target)
            for key in keys:
                values = self.columns.values(key)
                for i, value in values.items():
                    if value is None or self.out.at[i, target] is not None:
                        continue
                    self.out.at[i, target] = self._cell(target, key, value, i)

    def _cell(self, target: str, key: str, value: str, i: int) -> str | None:
        if target in CHOICES:
            return self._choice(target, key, value, i)
        if target in ("budget", "spend", "roi_pct"):
            clean = re.sub(r"^[€$£]|[€$£%]$", "", value.replace("\u00a0", "").replace(" ", ""))
            if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", clean):
                clean = clean.replace(",", "")
            return clean
        return value

    def _choice(self, target: str, key: str, value: str, i: int) -> str | None:
        found = self.rule(f"{_base(key)}:{value}")
        if found is not None:
            self.used_rules[f"{_base(key)}:{value}"] = found
            return found[0]
        if value.strip().casefold() in CHOICES[target]:
            return value.strip().casefold()
        self.used_rules.setdefault(f"{_base(key)}:{value}", ("", "no rule"))
        self.problems.append((self.rows[i], _base(key), value,
                              f"{value!r} is not a {target} ({', '.join(CHOICES[target])}): add a rule, e.g. "
                              f"--map '{_base(key)}:{value}={CHOICES[target][0]}'"))
        return None

    def _labels(self) -> None:
        """Labels and tags that say a field: 'pilot', 'scale', 'it', 'joint', 'success', or 'field:value'."""
        keys = self.columns.find(*self.tool.labels)
        if not keys:
            return
        bare = {choice: field_name for field_name in ("stage", "lead_function", "outcome")
                for choice in CHOICES[field_name]}
        said: dict[tuple[int, str], set[str]] = {}
        for key in keys:
            for i, cell in self.columns.values(key).items():
                for token in re.split(r"[,;]", cell or ""):
                    token = token.strip()
                    said_field = re.fullmatch(r"([^:=]+?)\s*[:=]\s*(.+)", token)
                    if said_field and said_field.group(1).casefold() in LABEL_FIELDS:
                        target, value = LABEL_FIELDS[said_field.group(1).casefold()], said_field.group(2).strip()
                        value = value.casefold() if target in CHOICES else value
                    elif token.casefold() in bare:
                        target, value = bare[token.casefold()], token.casefold()
                    else:
                        continue
                    said.setdefault((i, target), set()).add(value)
                    self.fed.add(target)
        for (i, target), values in said.items():
            if self.out.at[i, target] is not None:
                continue   # a column mapped to the field says it
            if len(values) > 1:
                self.problems.append((self.rows[i], ", ".join(self.tool.labels), ", ".join(sorted(values)),
                                      f"the labels give two values of {target}: keep one"))
                continue
            self.out.at[i, target] = values.pop()

    def _statuses(self) -> pd.Series:
        """The status of each row by the rules; a row no rule covers is a problem naming the status."""
        tool, result = self.tool, []
        completed = self.columns.first(tool.completed) if tool.completed else None
        keys = [(name, self.columns.first(name)) for name in tool.status]
        keys = [(name, key) for name, key in keys if key is not None]
        if not keys and completed is None:
            self.blocking.append(f"the file has no {' or '.join(tool.status)} column: export it again with that "
                                 "column, or give every row one status with --set status=…")
            return pd.Series([None] * len(self.out), dtype=object)
        values = {key: self.columns.values(key) for _, key in keys}
        done = self.columns.values(completed) if completed else None
        for i in range(len(self.out)):
            status = None
            for name, key in keys:
                value = values[key].iloc[i]
                if value is None:
                    continue
                found = self.rule(f"{name}:{value}")
                if found is not None:
                    self.used_rules[f"{name}:{value}"] = found
                    status = found[0]
                    break
            if done is not None and done.iloc[i] is not None and status != "cancelled":
                status = "delivered"   # Asana: a task completed is delivered, whatever its section
            if status is None and "status" not in self.constants:
                written = next((values[k].iloc[i] for n, k in reversed(keys) if values[k].iloc[i] is not None), None)
                name = next((n for n, k in reversed(keys) if values[k].iloc[i] is not None), keys[-1][0] if keys else "")
                if written is not None:
                    self.used_rules.setdefault(f"{name}:{written}", ("", "no rule"))
                self.problems.append((self.rows[i], name, written,
                                      f"no rule says what {name} {written!r} is ({', '.join(PROJECT_STATUSES)}): add "
                                      f"one, e.g. --map '{name}:{written}=active' (remembered for the next file)"
                                      if written is not None else f"the {name} is empty: no status to give the row"))
            result.append(status)
        return pd.Series(result, dtype=object)

    def _parents(self) -> pd.Series:
        """The pilot of each row: its key, from the first parent or link column filled. An id (Jira's Parent
        holds the parent's Issue id) or a name (Asana's Parent task) is turned into the key the file gives it."""
        keys = [key for name in self.tool.parent for key in self.columns.find(name)]
        keys += [key for keys_ in self.columns.keys.values() for key in keys_
                 if self._field_of(key) == "parent_project_id" and key not in keys]
        result = pd.Series([None] * len(self.out), dtype=object)
        if not keys:
            return result
        project_ids = self.out["project_id"]
        by_issue_id = {}
        issue_id = self.columns.first("Issue id")
        if issue_id is not None:
            by_issue_id = dict(zip(self.columns.values(issue_id), project_ids))
        names = self.columns.first(self.tool.name)
        by_name: dict[str, list[str]] = {}
        if self.tool is ASANA and names is not None:
            for name, pid in zip(self.columns.values(names), project_ids):
                by_name.setdefault(name, []).append(pid)
        known = set(project_ids.dropna())
        for key in keys:
            for i, value in self.columns.values(key).items():
                if value is None or result[i] is not None:
                    continue
                target = value
                if value in by_issue_id:
                    target = by_issue_id[value]
                elif self.tool is ASANA and _base(key) == "Parent task":
                    matches = by_name.get(value, [])
                    if len(matches) != 1:
                        why = "no task of this file has that name" if not matches else "two tasks have that name"
                        self.problems.append((self.rows[i], _base(key), value, f"the parent task: {why}; export the "
                                              "pilot with its scale project, or give tasks different names"))
                        continue
                    target = matches[0]
                elif value.isdigit() and value not in known:
                    self.problems.append((self.rows[i], _base(key), value, "the parent's issue id is not in this "
                                          "file: export the pilot with its scale project (its key is what is "
                                          "stored)"))
                    continue
                result[i] = target
            if self.columns.values(key).notna().any():
                self.notes.append(f"the pilot of a scale project is taken from {_base(key)!r}")
        return result

    def _constants(self) -> None:
        for name, value in self.constants.items():
            if name in FIELDS:
                self.out[name] = self.out[name].where(self.out[name].notna(), value)
                self.notes.append(f"{name}: {value!r} for the rows the file gives none (--set)")

    def _lacking(self) -> None:
        """A required field no column, label or constant gives: what to do, once for the whole file."""
        for f in KINDS["projects"].fields:
            if f.required and f.name not in self.fed and self.out[f.name].isna().all() and len(self.out):
                how = {"business_unit": "a 'Custom field (Business unit)' column or labels like 'unit:Retail'",
                       "lead_function": "a 'Custom field (Lead function)' column or labels 'marketing', 'it', 'joint'",
                       "stage": "a 'Custom field (Stage)' column or labels 'pilot', 'scale'",
                       "budget": "a 'Custom field (Budget)' column"}.get(f.name, "a column")
                if f.name == "status":
                    continue   # reported row by row
                self.blocking.append(f"no column gives {f.name}: the export needs {how}; map another column with "
                                     f"--map 'COLUMN={f.name}', or give every row one value with --set {f.name}=…")

    def _personal(self, name: str) -> bool:
        """A column that names people (assignee, reporter, watchers, comments, e-mail addresses): never stored."""
        lowered = _base(name).casefold()
        return any(lowered == p.casefold() or lowered.startswith(p.casefold() + " id") for p in self.tool.personal) \
            or bool(re.search(r"e-?mail|assignee|reporter|creator|watcher|participant|responder", lowered))

    def _dropped(self) -> dict[str, list[str]]:
        personal, unused = [], []
        for base, keys in self.columns.keys.items():
            name = _base(keys[0])
            shown = f"{name} (×{len(keys)})" if len(keys) > 1 else name
            if any(k in self.columns.used for k in keys):
                continue
            if self._personal(name):
                personal.append(shown)
            else:
                unused.append(shown)
        return {k: v for k, v in (("personal data (never stored)", personal), ("not used", unused)) if v}
