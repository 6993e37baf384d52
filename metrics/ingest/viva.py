"""Microsoft Viva Insights query exports read into the collaboration kind: the group-to-group query (its hours, meetings
and e-mails between two groups of an organizational attribute, per MetricDate) with its organizations mapped once to
marketing, IT or other (and a business unit where the names carry one), summed to months.

Column names are matched as Microsoft's exports write them ("Group collaboration time invested") and as its
`vivainsights` packages clean them ("Group_collaboration_time_invested"), case and punctuation aside. The meeting
query is recognised too: it holds meetings, not measured time between groups, so under this kind it is refused with
one line that says to import it as meetings (metrics.ingest.viva_meetings reads it there, through the same
organizations' mapping)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb
import pandas as pd

import metrics.ingest.mapping as mapping_module
import metrics.ingest.values as values
from metrics.ingest.decode import LayoutError
from metrics.vocabulary import DEPARTMENTS, SIDES

LAYOUT = "viva"
# The organizations' mapping, remembered in saved_mappings under this layout: one map for every Viva file, since
# an organization is the same organization whichever query it comes in.
MAPPING_LAYOUT, MAPPING_SIGNATURE = "viva_organizations", "organizations"


def normalised(column: str) -> str:
    """A column's name as matched here: '% Group collaboration time invested' -> 'pct_group_collaboration_time_
    invested'; 'PrimaryCollaborator_Organization' -> 'primarycollaborator_organization'."""
    return re.sub(r"[^a-z0-9]+", "_", str(column).replace("%", " pct ").lower()).strip("_")


# Each field of the group-to-group query and the names it goes by (normalised), Microsoft's export first.
G2G_COLUMNS: dict[str, tuple[str, ...]] = {
    "primary": ("primarycollaborator_organization", "timeinvestors_organization"),
    "secondary": ("secondarycollaborator_organization", "collaborators_organization"),
    "date": ("metricdate", "date"),
    "hours": ("group_collaboration_time_invested", "collaboration_hours"),
    "meetings": ("group_meeting_count", "meeting_count", "meetings"),
    "emails": ("group_email_sent_count", "email_sent_count", "emails_sent"),
    "people": ("primarycollaborator_groupsize", "timeinvestors_groupsize"),
}
G2G_REQUIRED = ("primary", "secondary", "date", "hours", "people")
MEETING_QUERY = {"meetingid", "subject", "number_of_attendees", "organization", "cancelled", "accept_count",
                 "organizer_organization", "iscancelled", "totalaccept"}   # and Workplace Analytics' older names
# Columns that hold a person's identity in Viva's other queries: never stored, and named in the report as such.
PERSONAL = ("personid", "organizer", "zid", "ado_personsk", "hashedemail", "email", "name", "subject")
# What Viva writes for the secondary group that is the primary group itself, and for collaborators it could not
# place: neither is the other function.
WITHIN_GROUP = ("within group",)
UNPLACED = "unclassified collaborators"
SIDE_WORDS = {"marketing": re.compile(r"\bmarketing\b", re.IGNORECASE),
              "it": re.compile(r"\bIT\b|\bICT\b|^\s*information technology\s*$|^\s*technology\s*$", re.IGNORECASE)}
NAME_PARTS = re.compile(r"\s+[-–—|:/]\s+")


@dataclass
class Organization:
    """Where an organization of the file goes: a side (marketing, it, other, or None: not mapped), a business unit
    (None: the file's constant), and how that was settled."""

    side: str | None
    unit: str | None
    how: str   # "mapped by you", "remembered", "guessed by name", "not mapped"


@dataclass
class VivaRead:
    """A Viva export read into the collaboration kind's native columns (text cells), before validation."""

    query: str                                       # "group_to_group" or "meeting"
    file_rows: int = 0                               # the file's data rows
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)
    row_numbers: list[int] = field(default_factory=list)
    problems: list[tuple[int, str, str | None, str]] = field(default_factory=list)   # the file's row, column, ...
    blocking: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped_columns: list[str] = field(default_factory=list)
    organizations: pd.DataFrame = field(default_factory=pd.DataFrame)   # organization, side, business unit, how
    remember: dict[str, str] = field(default_factory=dict)              # the analyst's mapping, to keep
    rules: dict[str, str] = field(default_factory=dict)   # a meeting query's subject rules, to keep (as a calendar's)


def detect(columns) -> str | None:
    """'group_to_group', 'meeting' or None: which Viva query a header is."""
    names = {normalised(c) for c in columns}
    if all(any(n in names for n in G2G_COLUMNS[f]) for f in ("primary", "secondary", "hours")):
        return "group_to_group"
    if "meetingid" in names and len(names & MEETING_QUERY) >= 3:
        return "meeting"
    return None


def parse_map(value: str) -> tuple[str, str | None] | None:
    """A --map value: 'marketing', 'it' or 'other', optionally '@UNIT' ('marketing@Retail'); None if it is not one."""
    side, at, unit = value.partition("@")
    side = side.strip().lower()
    if side not in DEPARTMENTS or (at and not unit.strip()):
        return None
    return side, unit.strip() or None


def guess(name: str) -> tuple[str, str | None] | None:
    """(side, unit) from an organization's name, when it says so plainly: 'Marketing' -> marketing, 'IT - Retail'
    -> it in Retail, 'Sales and Marketing' -> marketing. A name that reads as both sides, or neither, is not guessed."""
    parts = NAME_PARTS.split(name.strip())
    sided = [(i, [s for s, pattern in SIDE_WORDS.items() if pattern.search(p)]) for i, p in enumerate(parts)]
    found = [(i, sides[0]) for i, sides in sided if len(sides) == 1]
    if len(found) != 1 or any(len(sides) > 1 for _, sides in sided):
        return None
    index, side = found[0]
    rest = [p.strip() for i, p in enumerate(parts) if i != index and p.strip()]
    return side, (" - ".join(rest) if rest else None)


def organizations(con: duckdb.DuckDBPyConnection, names, mapping: dict[str, str]) -> tuple[dict[str, Organization],
                                                                                          list[str]]:
    """Each organization of the file mapped: the analyst's --map first, then the remembered map, then a guess by
    name; problems with the mapping given (a side that is not one)."""
    remembered = mapping_module.saved_mapping(con, MAPPING_LAYOUT, MAPPING_SIGNATURE)
    problems = []
    for source, target in mapping.items():
        if parse_map(target) is None:
            problems.append(f"--map {source!r}={target!r}: an organization maps to marketing, it or other, "
                            "optionally with @BUSINESS_UNIT: choose one (e.g. 'Marketing - Retail=marketing@Retail')")
    result = {}
    for name in names:
        if name in mapping and parse_map(mapping[name]) is not None:
            result[name] = Organization(*parse_map(mapping[name]), "mapped by you")
        elif name in remembered and parse_map(remembered[name]) is not None:
            result[name] = Organization(*parse_map(remembered[name]), "remembered")
        elif guess(name) is not None:
            result[name] = Organization(*guess(name), "guessed by name")
        else:
            result[name] = Organization(None, None, "not mapped")
    return result, problems


def guessed_notes(organizations: pd.DataFrame) -> list[str]:
    """A note for each organization taken by its name, saying how to map it otherwise (both Viva readers')."""
    return [f"organization {org.organization!r} taken as {org.side}"
            + (f" in {org.business_unit}" if org.business_unit else "")
            + f" by its name: to change it, --map '{org.organization}=marketing|it|other[@UNIT]'"
            for org in organizations.itertuples() if org.how == "guessed by name"]


def read(con: duckdb.DuckDBPyConnection, source: pd.DataFrame, row_numbers: list[int], mapping: dict[str, str] | None,
         constants: dict[str, str] | None, date_order: str | None, file_name: str) -> VivaRead | None:
    """A Viva export (its one-header table, as read) in the collaboration kind's native columns, or None when the
    header is not a Viva query's."""
    query = detect(source.columns)
    if query is None:
        return None
    if query == "meeting":
        return VivaRead(query, blocking=[
            "this is a Viva Insights meeting query (one row a meeting), not measured collaboration: import it as "
            "meetings instead (python -m metrics import meetings FILE; on the Data page, choose Meetings)"])
    mapping, constants = dict(mapping or {}), dict(constants or {})
    result = VivaRead(query, file_rows=len(source))
    by_name = {normalised(c): c for c in source.columns}
    columns = {f: next((by_name[n] for n in names if n in by_name), None) for f, names in G2G_COLUMNS.items()}
    missing = [G2G_COLUMNS[f][0] for f in G2G_REQUIRED if columns[f] is None]
    if missing:
        what = ", ".join(missing)
        result.blocking.append(
            f"a Viva Insights group-to-group query without {what}: "
            + ("the primary group's size is what spreads its hours over its people; run the query again with "
               "PrimaryCollaborator_GroupSize in it. " if "primarycollaborator_groupsize" in missing else "")
            + "Export the query again with these columns.")
        return result
    unknown_constants = [c for c in constants if c != "business_unit"]
    if unknown_constants:
        result.blocking.append(f"--set {', '.join(unknown_constants)}: a Viva export takes only --set "
                               "business_unit=NAME (for organizations whose names carry no unit)")
        return result
    used = {c for c in columns.values() if c is not None}
    personal = [c for c in source.columns if normalised(c) in PERSONAL]
    result.dropped_columns = ([f"{c} (personal data, never stored)" for c in personal]
                              + [c for c in source.columns if c not in used and c not in personal])

    frame = source.reset_index(drop=True)
    rows = pd.Series(row_numbers)
    try:
        stamps = values.parse_timestamps(frame[columns["date"]].astype(object), date_order, file_name=file_name)
    except LayoutError as error:
        result.blocking.append(str(error).removeprefix(f"{file_name}: "))
        return result
    bad: dict[int, tuple[int, str, str | None, str]] = {}

    def flag(mask: pd.Series, column: str, reason: str) -> None:
        for i in mask[mask].index:
            bad.setdefault(i, (int(rows[i]), column, frame.at[i, column], reason))

    for side in ("primary", "secondary"):
        flag(frame[columns[side]].isna() | (frame[columns[side]].astype(str).str.strip() == ""), columns[side],
             "is required but empty: the group's organization")
    flag(stamps.isna(), columns["date"], "not a date (expected YYYY-MM-DD, as Viva Insights writes MetricDate)")
    numbers = {}
    for name in ("hours", "meetings", "emails", "people"):
        if columns[name] is None:
            continue
        text = frame[columns[name]]
        number = pd.to_numeric(text, errors="coerce")
        finite = number.notna() & number.abs().ne(float("inf"))
        required = name in ("hours", "people")
        empty = text.isna() | (text.astype(str).str.strip() == "")
        flag((~finite & ~empty) | (number < 0), columns[name], "must be a number, 0 or more")
        if required:
            flag(empty, columns[name], "is required but empty")
        if name == "people":
            flag(finite & ((number < 1) | (number % 1 != 0)), columns[name],
                 "must be a whole number of people, 1 or more (the primary group's size)")
        numbers[name] = number.where(finite)
    result.problems = [bad[i] for i in sorted(bad)]

    names = sorted(set(frame[columns["primary"]].dropna().astype(str)) | set(frame[columns["secondary"]].dropna()
                                                                             .astype(str)))
    names = [n for n in names if n.strip().lower() not in (*WITHIN_GROUP, UNPLACED)]
    mapped, problems = organizations(con, names, mapping)
    if problems:
        result.blocking += problems
        return result
    result.remember = {**mapping_module.saved_mapping(con, MAPPING_LAYOUT, MAPPING_SIGNATURE),
                       **{k: v for k, v in mapping.items() if k in mapped}}
    unknown = sorted(set(mapping) - set(mapped))
    if unknown:
        result.notes.append(f"--map names organizations this file does not have: {', '.join(unknown)}")
    result.organizations = pd.DataFrame(
        [(name, org.side or "", org.unit or constants.get("business_unit", ""), org.how) for name, org in
         mapped.items()], columns=["organization", "side", "business_unit", "how"])

    # Each row's fate: kept (marketing <-> IT within one unit) or dropped, with why.
    kept, dropped = [], {}
    for i in range(len(frame)):
        if i in bad:
            continue
        primary, secondary = str(frame.at[i, columns["primary"]]), str(frame.at[i, columns["secondary"]])
        if secondary.strip().lower() in WITHIN_GROUP:
            dropped.setdefault("within the same group", []).append(int(rows[i]))
            continue
        if secondary.strip().lower() == UNPLACED or primary.strip().lower() == UNPLACED:
            dropped.setdefault("with collaborators Viva could not place", []).append(int(rows[i]))
            continue
        a, b = mapped[primary], mapped[secondary]
        unmapped = [n for n, o in ((primary, a), (secondary, b)) if o.side is None]
        if unmapped:
            for name in unmapped:
                dropped.setdefault(f"organization {name!r} not mapped", []).append(int(rows[i]))
            continue
        if a.side not in SIDES or b.side not in SIDES or a.side == b.side:
            dropped.setdefault("not between marketing and IT", []).append(int(rows[i]))
            continue
        unit_a, unit_b = (o.unit or constants.get("business_unit") for o in (a, b))
        if unit_a is None or unit_b is None:
            result.blocking.append(
                f"no business unit for {primary!r} and {secondary!r}: their names carry none. Choose one for the "
                "whole file (--set business_unit=NAME) or per organization (--map 'ORGANIZATION=SIDE@UNIT').")
            return result
        if unit_a != unit_b:
            dropped.setdefault("across two business units", []).append(int(rows[i]))
            continue
        kept.append((i, unit_a, stamps[i].strftime("%Y-%m"), a.side, b.side, primary))
    for why, lines in dropped.items():
        shown = ", ".join(map(str, lines[:20])) + (f" and {len(lines) - 20} more" if len(lines) > 20 else "")
        result.notes.append(f"dropped {len(lines)} row{'s' if len(lines) != 1 else ''}, not stored ({why}): "
                            f"row{'s' if len(lines) != 1 else ''} {shown}")
    result.notes += guessed_notes(result.organizations)
    for org in result.organizations.itertuples():
        if org.how == "not mapped":
            result.notes.append(f"organization {org.organization!r} is not mapped: its rows are not stored. Map it "
                                f"with --map '{org.organization}=marketing|it|other[@UNIT]' (remembered).")
    if not kept:
        if not result.problems:
            result.blocking.append("no row is between a marketing and an IT organization: choose each organization's "
                                   "side (--map 'ORGANIZATION=marketing|it|other[@UNIT]', remembered) and import "
                                   "again")
        return result

    # Summed to months: a week's (or a day's) hours, meetings and e-mails add up; the group's size is the mean of
    # its sizes over the month's periods, each primary organization counted once (hours per person are over it).
    rows_kept = pd.DataFrame(kept, columns=["i", "business_unit", "month", "from_side", "to_side", "primary"])
    for name in ("hours", "meetings", "emails", "people"):
        rows_kept[name] = numbers[name][rows_kept["i"]].to_numpy() if name in numbers else float("nan")
    rows_kept["date"] = stamps[rows_kept["i"]].to_numpy()
    rows_kept["row"] = rows[rows_kept["i"]].to_numpy()
    key = ["business_unit", "month", "from_side", "to_side"]
    sizes = (rows_kept.groupby([*key, "primary", "date"])["people"].max().groupby([*key, "primary"]).mean()
             .groupby(key).sum())
    summed = rows_kept.groupby(key).agg(hours=("hours", "sum"), meetings=("meetings", lambda s: s.sum(min_count=1)),
                                        emails=("emails", lambda s: s.sum(min_count=1)), row=("row", "min"))
    summed["people"] = sizes.round().astype(int)
    summed = summed.reset_index().sort_values("row")
    result.frame = pd.DataFrame({
        "business_unit": summed["business_unit"], "month": summed["month"], "from_side": summed["from_side"],
        "to_side": summed["to_side"], "hours": summed["hours"].map(_text),
        "meetings": summed["meetings"].map(_text), "emails": summed["emails"].map(_text),
        "people": summed["people"].astype(str)}).reset_index(drop=True).astype(object)
    result.frame = result.frame.where(result.frame.notna(), None)
    result.row_numbers = [int(r) for r in summed["row"]]
    result.notes.insert(0, f"Viva Insights group-to-group query: {len(kept)} of {len(frame)} rows between marketing "
                           f"and IT, summed to {len(result.frame)} rows (business unit, month, direction)")
    return result


def _text(value: float) -> str | None:
    """A sum as the native template writes it: no trailing zeros, no float noise (12.1 + 0.2 is 12.3)."""
    if pd.isna(value):
        return None
    return f"{round(float(value), 6):.6f}".rstrip("0").rstrip(".")


# ----------------------------------------------------------------------------------------------------------
# For the Data page: the organizations' form and the sample company's export


UNMAPPED = ""   # the form's choice for an organization left out


def organization_choices() -> list[str]:
    """What the Data page offers for an organization: not mapped, or one of the departments."""
    return [UNMAPPED, *DEPARTMENTS]


def changed_organizations(table: pd.DataFrame, chosen: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The analyst's changes to the organizations' mapping as --map values ('marketing@Retail'): only those that
    differ from what the file was read with (the rest are remembered or guessed already)."""
    current = {row.organization: (row.side, row.business_unit) for row in table.itertuples()}
    changes = {}
    for name, (side, unit) in chosen.items():
        if side and (side, unit.strip()) != current.get(name):
            changes[name] = side + (f"@{unit.strip()}" if unit.strip() else "")
    return changes


# The sample company's group-to-group export (metrics.sample.viva writes it), offered on the Data page as an example.
EXAMPLES = {"viva_group_to_group.csv": ("Example: a Viva Insights group-to-group export (the sample company)",
                                        "text/csv")}
