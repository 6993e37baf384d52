"""Microsoft Viva Insights' meeting query read into the meetings kind (issue 19): one row a meeting, in the column names
Microsoft's export writes ("Collaboration start time") and its `vivainsights` packages clean them
("Collaboration_start_time"), as metrics.ingest.viva matches them.

A meeting query covers every meeting of the company (focus time, one-to-ones, town halls ...), and names only the
organizer's organization. So a row is a marketing-IT meeting only when both say so:

- its subject matches one of the calendar's subject rules (metrics.ingest.calendar: the analyst's `--rule`, remembered,
  then the defaults, steering -> joint_steering and so on), which gives its meeting type; a rule to `ignore` leaves
  it out. A subject no rule matches is not a problem here (unlike in a calendar chosen for the purpose): the meeting
  is counted in the report's notes and left out;
- its organizer's organization maps to marketing or IT, through the same organizations' mapping as the
  group-to-group query (remembered under 'viva_organizations', `--map 'ORGANIZATION=marketing|it|other[@UNIT]'`,
  or taken by a name that says so plainly). A meeting organized by another function is counted and left out; one
  whose organization nobody mapped is reported with its rows, never guessed.

What a kept row becomes: meeting_id "VIVA-" and a hash of MeetingId (and, for a recurring meeting, the occurrence's
date, as a calendar's occurrences have theirs), so the same meeting imported again keeps its id; business_unit
the organization's unit, else --set business_unit; date the day of Collaboration_start_time as the export writes it
(day-first or month-first settled by the column, or --date-order); status cancelled when Cancelled is TRUE, else
held; meeting_type the rule's. The Subject is read to apply the rules and never stored, reported or logged;
Organizer and every other column about a person are dropped. The query counts attendees, it does not name them, so
no attendance is written (a calendar export with a roster gives that)."""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd

import metrics.ingest.calendar as calendar
import metrics.ingest.mapping as mapping_module
import metrics.ingest.values as values
import metrics.ingest.viva as viva
from metrics.ingest.decode import LayoutError
from metrics.vocabulary import SIDES

LAYOUT = "viva_meetings"   # the import log's layout of a meeting query
# Each field of the meeting query and the names it goes by (normalised, metrics.ingest.viva.normalised): Viva
# Insights' export first, then the older Workplace Analytics names (Organizer_Organization, IsCancelled, StartDate).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("meetingid",),
    "subject": ("subject",),
    "cancelled": ("cancelled", "iscancelled"),
    "start": ("collaboration_start_time", "startdate", "start_date", "starttimeutc"),
    "organization": ("organization", "organizer_organization"),
    "recurring": ("recurring", "isrecurring"),
    "accepted": ("accept_count", "totalaccept"),
    "intended": ("intended_participant_count",),
}
REQUIRED = ("id", "subject", "cancelled", "start", "organization")
# The rest of a meeting query's columns about a person (the organizer's ids and HR attributes of one person).
PERSONAL = (*viva.PERSONAL, "organizer_personid", "organizer_zid", "organizer_domain")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
SHOWN = 20   # rows listed in a note before "and N more"


def meeting_id(source_id: str, day: str | None) -> str:
    """'VIVA-' and a hash of the query's MeetingId (a long Exchange id), with the occurrence's date for a recurring
    meeting: the same meeting in a later export keeps its id."""
    return "VIVA-" + hashlib.sha256(source_id.strip().encode("utf-8")).hexdigest()[:16] + (
        f"-{day.replace('-', '')}" if day else "")


def _rows(lines: list[int]) -> str:
    shown = ", ".join(map(str, lines[:SHOWN])) + (f" and {len(lines) - SHOWN} more" if len(lines) > SHOWN else "")
    return f"row{'s' if len(lines) != 1 else ''} {shown}"


def _meetings(n: int) -> str:
    return f"{n} meeting{'s' if n != 1 else ''}"


def read(con: duckdb.DuckDBPyConnection, source: pd.DataFrame, row_numbers: list[int], mapping: dict[str, str] | None,
         constants: dict[str, str] | None, rules: dict[str, str] | None, date_order: str | None,
         file_name: str) -> viva.VivaRead:
    """A Viva Insights meeting query (its one-header table, as read) in the meetings kind's native columns: the
    marketing-IT meetings among its rows (see the module's docstring), each row's problems, and notes that count
    what was left out and why."""
    mapping, constants = dict(mapping or {}), dict(constants or {})
    result = viva.VivaRead("meeting", file_rows=len(source))
    by_name = {viva.normalised(c): c for c in source.columns}
    columns = {f: next((by_name[n] for n in names if n in by_name), None) for f, names in COLUMNS.items()}
    missing = [COLUMNS[f][0] for f in REQUIRED if columns[f] is None]
    if missing:
        result.blocking.append(
            f"a Viva Insights meeting query without {', '.join(missing)}: "
            + ("the subject is what tells a marketing-IT meeting from the rest (it is read for the subject rules and "
               "never stored); if your tenant hides meeting subjects, an admin can turn them on. "
               if "subject" in missing else "")
            + "Run the query again with these attributes, then export it again.")
        return result
    unknown_constants = [c for c in constants if c != "business_unit"]
    if unknown_constants:
        result.blocking.append(f"--set {', '.join(unknown_constants)}: a Viva meeting query takes only --set "
                               "business_unit=NAME (for organizations whose names carry no unit); remove the rest")
        return result
    result.blocking += [f"--rule {p.value!r}: {p.reason}" for p in calendar.rule_problems(rules or {})]
    if result.blocking:
        return result
    analyst = {**calendar.saved_rules(con), **(rules or {})}
    in_force = calendar.rules_in_force(analyst)
    result.rules = analyst if rules else {}   # remembered as it commits, as a calendar's are
    used = {c for c in columns.values() if c is not None}
    personal = [c for c in source.columns if viva.normalised(c) in PERSONAL and c != columns["subject"]]
    result.dropped_columns = ([f"{columns['subject']} (read for the subject rules only, never stored)"]
                              + [f"{c} (personal data, never stored)" for c in personal]
                              + [c for c in source.columns if c not in used and c not in personal])

    frame = source.reset_index(drop=True)
    text = {f: frame[c].astype(object).where(frame[c].notna(), "").astype(str).str.strip()
            for f, c in columns.items() if c is not None}

    # Each row's fate, in this order: its subject (a rule's type, 'ignore', or none), then its organizer's
    # organization (marketing or IT, another function, or not mapped). Only the rows that pass both are read further.
    kinds = [calendar.subject_type(subject, in_force) for subject in text["subject"]]
    del text["subject"]   # read for the rules, and no further
    matched = [i for i, kind in enumerate(kinds) if kind not in (None, calendar.IGNORE)]
    no_rule = [row_numbers[i] for i, kind in enumerate(kinds) if kind is None]
    ignored = [row_numbers[i] for i, kind in enumerate(kinds) if kind == calendar.IGNORE]
    names = sorted({text["organization"][i] for i in matched} - {""})
    mapped, problems = viva.organizations(con, names, mapping)
    if problems:
        result.blocking += problems
        return result
    result.remember = {**mapping_module.saved_mapping(con, viva.MAPPING_LAYOUT, viva.MAPPING_SIGNATURE),
                       **{k: v for k, v in mapping.items() if k in mapped}}
    result.organizations = pd.DataFrame(
        [(name, org.side or "", org.unit or constants.get("business_unit", ""), org.how) for name, org in
         mapped.items()], columns=["organization", "side", "business_unit", "how"])

    try:   # the column as a whole settles day-first or month-first, as the group-to-group query's MetricDate
        stamps = values.parse_timestamps(frame[columns["start"]].astype(object), date_order, file_name=file_name)
    except LayoutError as error:
        if matched:
            result.blocking.append(str(error).removeprefix(f"{file_name}: "))
            return result
        stamps = pd.Series(pd.NaT, index=frame.index)

    bad: dict[int, tuple[int, str, str | None, str]] = {}
    outside, unmapped, kept = [], {}, []
    for i in matched:
        organization = text["organization"][i]
        if not organization:
            bad[i] = (row_numbers[i], columns["organization"], None, "is required but empty: the organizer's "
                      "organization, which says whether marketing or IT organized the meeting")
            continue
        org = mapped[organization]
        if org.side is None:
            unmapped.setdefault(organization, []).append(row_numbers[i])
            continue
        if org.side not in SIDES:
            outside.append(row_numbers[i])
            continue
        unit = org.unit or constants.get("business_unit")
        if unit is None:
            result.blocking.append(
                f"no business unit for the meetings organized by {organization!r}: its name carries none. Choose one "
                "for the whole file (--set business_unit=NAME) or for the organization "
                f"(--map '{organization}=marketing|it@UNIT')")
            return result
        cancelled = text["cancelled"][i].lower()
        for field, reason in (
                ("id", "is required but empty: the meeting's id" if not text["id"][i] else None),
                ("start", "not a date (expected the date and time as Viva Insights writes them, e.g. 2026-03-05 "
                          "14:30)" if pd.isna(stamps[i]) else None),
                ("cancelled", "must be TRUE or FALSE (whether the meeting was cancelled)"
                 if cancelled not in (*TRUE, *FALSE) else None)):
            if reason is not None and i not in bad:
                cell = frame.at[i, columns[field]]
                bad[i] = (row_numbers[i], columns[field], None if pd.isna(cell) else str(cell), reason)
        if i in bad:
            continue
        day = stamps[i].strftime("%Y-%m-%d")
        recurring = "recurring" in text and text["recurring"][i].lower() in TRUE
        kept.append((i, meeting_id(text["id"][i], day if recurring else None), unit, day, kinds[i],
                     "cancelled" if cancelled in TRUE else "held"))
    result.problems = [bad[i] for i in sorted(bad)]

    result.notes.append(f"Viva Insights meeting query: {_meetings(len(kept))} of {len(frame)} rows are marketing-IT "
                        "meetings by the subject rules and the organizers' organizations")
    if no_rule:
        result.notes.append(f"{_meetings(len(no_rule))} matched no subject rule: not a marketing-IT meeting by the "
                            "rules, left out (not stored). A meeting query holds every meeting of the company; add "
                            "a rule (--rule 'PATTERN=TYPE') for a kind of meeting that is one.")
    if ignored:
        result.notes.append(f"{_meetings(len(ignored))} left out by an 'ignore' subject rule.")
    if outside:
        result.notes.append(f"{_meetings(len(outside))} organized outside marketing and IT, left out (not stored): "
                            f"{_rows(outside)}.")
    for name, lines in unmapped.items():
        result.notes.append(f"organization {name!r} is not mapped: its {_meetings(len(lines))} ({_rows(lines)}) are "
                            f"not stored. Map it with --map '{name}=marketing|it|other[@UNIT]' (remembered).")
    result.notes += viva.guessed_notes(result.organizations)
    unknown = sorted(set(mapping) - set(mapped))
    if unknown:
        result.notes.append(f"--map names organizations no marketing-IT meeting of this file has: {', '.join(unknown)}")
    counts = ""
    if kept and columns["accepted"] is not None and columns["intended"] is not None:
        accepted = pd.to_numeric(frame.loc[[i for i, *_ in kept], columns["accepted"]], errors="coerce")
        intended = pd.to_numeric(frame.loc[[i for i, *_ in kept], columns["intended"]], errors="coerce")
        if accepted.notna().all() and intended.notna().all():
            counts = (f" (its counts, for the meetings above: {accepted.sum():.0f} acceptances of "
                      f"{intended.sum():.0f} intended participants)")
    result.notes.append("No attendance is written: the meeting query counts attendees but does not name them"
                        + counts + "; attendance comes from a calendar export with its people roster.")
    if not kept:
        if not len(frame):
            result.blocking.append("the file has a header but no rows below it: nothing to import. Export the query "
                                   "again with its rows.")
        elif not result.problems:
            why = [f"{_meetings(len(lines))} {what}" for lines, what in (
                (no_rule, "matched no subject rule"), (ignored, "left out by an 'ignore' rule"),
                (outside, "organized outside marketing and IT"),
                ([r for lines in unmapped.values() for r in lines], "organized by organizations not mapped")) if lines]
            result.blocking.append(
                f"no row is a marketing-IT meeting ({'; '.join(why)}): none has both a subject a rule gives a meeting "
                "type and an organizer's organization mapped to marketing or IT. Choose the organizations' sides "
                "(--map 'ORGANIZATION=marketing|it|other[@UNIT]', remembered) or add subject rules (--rule "
                "'PATTERN=TYPE'), and import again")
        return result

    result.frame = pd.DataFrame([row[1:] for row in kept], columns=["meeting_id", "business_unit", "date",
                                                                    "meeting_type", "status"], dtype=object)
    result.row_numbers = [row_numbers[i] for i, *_ in kept]
    return result
