"""Files in a tool's own layout read into a kind's native columns (issue 19: project trackers, finance sheets): the
one shape the readers give back (Adapted), the analyst's rules as one dict, and the rules remembered. The import
route (metrics.ingest.importing.prepare_import) validates and commits an Adapted frame as it does a native file,
so all or nothing, the import log and undo are the same for every layout."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd



@dataclass
class Adapted:
    """A file read by a tool's own reader: the kind's native columns (text cells), each row's line in the file,
    what was said about it, and the rules to remember when it is committed."""

    layout: str
    frame: pd.DataFrame
    row_numbers: list[int]
    notes: list[str] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)        # why -> the file's columns not stored
    blocking: list[str] = field(default_factory=list)                  # whole-file problems
    cell_problems: list[tuple[int, str, str | None, str]] = field(default_factory=list)   # row, column, value, why
    rules: pd.DataFrame | None = None                                  # rule, target, how: for the report and page
    remember: tuple[str, dict[str, str]] | None = None                 # (saved_mappings layout, the analyst's rules)

    @property
    def dropped_columns(self) -> list[str]:
        return [column for columns in self.dropped.values() for column in columns]


SIGNATURE = "rules"   # one set of rules per tool (saved_mappings' signature): a tracker's columns vary by query


def rules_table(rules: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """{rule: (target, how)} as the table the report and the Data page show."""
    return pd.DataFrame([(rule, target, how) for rule, (target, how) in rules.items()],
                        columns=["rule", "target", "how"])


def changed_rules(table: pd.DataFrame, edited: pd.DataFrame) -> dict[str, str]:
    """The analyst's changes to a rules table (the Data page's editable table): rule -> target, only where it
    differs from what the reader used; new rows count too. Rules are written as the command line's --map takes
    them ('Status:In Review' -> 'active', 'Custom field (Budget)' -> 'budget')."""
    before = dict(zip(table["rule"], table["target"]))
    changes = {}
    for rule, target in zip(edited["rule"], edited["target"]):
        if not isinstance(rule, str) or not rule.strip():
            continue
        target = "" if target is None or (isinstance(target, float) and pd.isna(target)) else str(target).strip()
        if before.get(rule.strip()) != target:
            changes[rule.strip()] = target
    return changes
