"""Calendars as they come (issue 19): an iCalendar (.ics) export of Outlook, Google Calendar and others read into
meetings and attendance, with a people roster mapping attendees to department, role and business unit.

Parsing is icalendar's; recurrence (RRULE, RDATE, EXDATE, moved occurrences by RECURRENCE-ID) is
recurring-ical-events'; Google's X-WR-TIMEZONE calendars are made standard by x-wr-timezone. This module decides
what an occurrence means for the product:

- meeting_id: "CAL-" and a hash of the event's UID (a UID may look like an e-mail address), and for an occurrence of
  a series its original date (RECURRENCE-ID), so a moved occurrence keeps its id and is updated, not doubled.
- date: the occurrence's start in the event's own time zone (a 23:30 meeting in New York is on New York's date).
- status: `cancelled` for STATUS:CANCELLED or a subject starting "Canceled:"/"Cancelled:", else `held`. An
  occurrence removed by EXDATE is no meeting at all.
- meeting_type: the subject rules (PATTERN=TYPE, a case-insensitive regular expression searched in the subject);
  the analyst's own rules first (longest pattern first), then DEFAULT_RULES. TYPE `ignore` leaves such events out on
  purpose; an event no rule matches is a problem (reported, not guessed). The analyst's rules are remembered.
- business_unit: --set business_unit, else the organizer's unit in the roster, else the unit most known invitees
  share; none or a tie is a problem.
- attendance: one row per invitee found in the roster (ATTENDEE, and the ORGANIZER as an invitee who accepted when
  not listed); rooms and resources (CUTYPE=ROOM/RESOURCE) are no people. attended = the meeting was held and the
  invitee's PARTSTAT is ACCEPTED; DECLINED, TENTATIVE, NEEDS-ACTION, DELEGATED or no answer count as not attended
  (iCalendar records answers, not presence; an accepted invitation is the best record of presence it has).
- person_id: "P-" and HMAC-SHA256 of the normalised address under the store's own secret key (person_key table,
  migration step 6): the same person gets the same id at every import into that store, and nobody can work an id
  back from a list of addresses without the store. Addresses, names (CN), descriptions, locations, subjects and
  organizers are never stored.
- an invitee not in the roster is reported by position (event and attendee number), never by address, and not
  stored.

A "row" of a calendar is the VEVENT's position in the file (the first VEVENT is row 1); a problem names the event's
UID and the occurrence's date as well. Expansion is bounded: occurrences from the start of the data window
(metrics.dates.EARLIEST, or 1900 with --allow-any-date) to today are read; later ones have not taken place and are
left for a later import; a series repeating more often than daily is refused, as is a file whose series would make
more than MAX_OCCURRENCES meetings or take longer than EXPANSION_SECONDS to expand."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import icalendar
import pandas as pd
import recurring_ical_events
import x_wr_timezone

import metrics.ingest.layouts as layouts
import metrics.ingest.mapping as mapping_module
from metrics import dates, store
from metrics.ingest.decode import LayoutError, decode
from metrics.ingest.kinds import KINDS, ImportReport, Problem
from metrics.ingest.writing import _set_aside, log_import
from metrics.vocabulary import MEETING_TYPES

LAYOUT = "calendar"                     # the import log's layout of a calendar import
RULES_LAYOUT, RULES_SIGNATURE = "calendar_rules", "subject"   # where saved_mappings keeps the subject rules
IGNORE = "ignore"                       # a rule's type for events that are no collaboration meeting
# Offered until the analyst says otherwise; a rule of the analyst's with the same pattern replaces one of these.
DEFAULT_RULES: tuple[tuple[str, str], ...] = (
    ("steering", "joint_steering"),
    ("staff exchange|job swap|shadowing", "staff_exchange"),
    ("brainstorm|ideation|hackathon", "brainstorm"),
    (r"marketing\W+(and|&|x|/|–|-)\W*it\b|\bit\W+(and|&|x|/|–|-)\W*marketing|co-department|joint working session",
     "co_department"),
)
CANCELLED_PREFIX = re.compile(r"^\s*(canceled|cancelled)\s*:", re.IGNORECASE)
NOT_PEOPLE = ("ROOM", "RESOURCE")
TOO_OFTEN = ("SECONDLY", "MINUTELY", "HOURLY")
# RRULE parts Outlook and Google never write for a meeting, and which make a rule expand without bound or search
# for centuries (BYHOUR, BYMINUTE, BYSECOND multiply a day; BYYEARDAY, BYWEEKNO, impossible ones, scan 8,000 years).
REFUSED_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND", "BYYEARDAY", "BYWEEKNO")
MAX_OCCURRENCES = 100_000     # meetings one file may expand to (a year of a 40-unit company is about 500)
EXPANSION_SECONDS = 30.0      # checked between series: a file cannot keep the reader busy for long
ANY_DATE_START = date(1900, 1, 1)
SHOWN = 20                    # positions listed in a note before "and N more"

ROSTER_COLUMNS = {
    "email": ("email", "e mail", "email address", "e mail address", "mail", "work email", "address",
              "user principal name", "upn"),
    "department": ("department", "dept", "function"),
    "role": ("role", "level", "job level"),
    "business_unit": ("business unit", "business_unit", "unit", "bu", "division"),
}


@dataclass
class Roster:
    """The people roster: normalised address -> (department, role, business unit or None). Never stored."""

    people: dict[str, tuple[str, str, str | None]]
    blocking: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class CalendarRead:
    """A calendar read into native meetings and attendance rows (text cells), not yet validated or written."""

    meetings: pd.DataFrame
    attendance: pd.DataFrame
    row_numbers: list[int]              # each meeting's event position
    attendance_rows: list[int]          # each invitation's event position
    problems: list[Problem] = field(default_factory=list)
    blocking: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)    # the analyst's rules, as they will be remembered


def is_calendar(data: bytes) -> bool:
    """Whether the bytes are an iCalendar file, by content (a BOM and blank lines may come first)."""
    head = data[:4096]
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            head = head[len(bom):].decode(codec, "ignore").encode()
            break
    return head.lstrip().upper().startswith(b"BEGIN:VCALENDAR")


# ----------------------------------------------------------------------------------------------------------
# Keyed person ids


def person_key(con) -> bytes:
    """The store's secret key for person ids (created by migration step 6; made here if a store lacks it)."""
    cur = con.cursor()
    rows = cur.execute("SELECT key FROM person_key").fetchall()
    if not rows:
        store.create_person_key(cur)
        rows = cur.execute("SELECT key FROM person_key").fetchall()
    return bytes.fromhex(rows[0][0])


def normalise_address(value) -> str:
    """An attendee's address as compared: without 'mailto:', spaces or case."""
    text = str(value or "").strip()
    if text[:7].casefold() == "mailto:":
        text = text[7:]
    return text.strip().casefold()


def person_id(key: bytes, address: str) -> str:
    return "P-" + hmac.new(key, normalise_address(address).encode("utf-8"), hashlib.sha256).hexdigest()[:24]


# ----------------------------------------------------------------------------------------------------------
# Subject rules


def saved_rules(con) -> dict[str, str]:
    return mapping_module.saved_mapping(con, RULES_LAYOUT, RULES_SIGNATURE)


def remember_rules(cur, rules: dict[str, str]) -> None:
    mapping_module.remember_mapping(cur, RULES_LAYOUT, RULES_SIGNATURE, rules)


def parse_rule(text: str) -> tuple[str, str]:
    """'PATTERN=TYPE' (the last '=' divides, so a pattern may hold one)."""
    pattern, sep, kind = str(text).rpartition("=")
    if not sep or not pattern.strip():
        raise ValueError(f"a subject rule is PATTERN=TYPE, not {text!r}")
    return pattern.strip(), kind.strip()


def rule_problems(rules: dict[str, str]) -> list[Problem]:
    """Each rule's pattern must be a regular expression and its type a meeting type or 'ignore'."""
    problems = []
    for pattern, kind in rules.items():
        if kind not in (*MEETING_TYPES, IGNORE):
            problems.append(Problem(None, "rule", pattern, f"the rule's type {kind!r} is not one of: "
                                    f"{', '.join((*MEETING_TYPES, IGNORE))}; choose one of them"))
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as error:
            problems.append(Problem(None, "rule", pattern, f"the rule's pattern is not a regular expression "
                                    f"({error}); check that its brackets are closed, or write it as plain words"))
    return problems


def rules_in_force(analyst: dict[str, str]) -> list[tuple[re.Pattern, str, str]]:
    """(compiled pattern, type, pattern) in the order they are tried: the analyst's (longest first), then the
    defaults whose pattern the analyst has not redefined."""
    ordered = sorted(analyst.items(), key=lambda rule: (-len(rule[0]), rule[0]))
    ordered += [(p, k) for p, k in DEFAULT_RULES if p not in analyst]
    return [(re.compile(p, re.IGNORECASE), k, p) for p, k in ordered]


def rules_table(con, given: dict[str, str] | None = None) -> pd.DataFrame:
    """The rules in force, for the Data page: pattern, type, and where each comes from."""
    saved = saved_rules(con)
    analyst = {**saved, **(given or {})}
    rows = [(p, k, "yours" if p in analyst else "default") for _, k, p in rules_in_force(analyst)]
    return pd.DataFrame(rows, columns=["pattern", "meeting_type", "from"])


RULE_TYPES = (*MEETING_TYPES, IGNORE)


def chosen_rules(table: pd.DataFrame) -> dict[str, str]:
    """The rules of the Data page's table (pattern, meeting_type) that are the analyst's: every row but an unchanged
    default, and no empty one."""
    defaults = set(DEFAULT_RULES)
    rules = {}
    for pattern, kind in zip(table["pattern"], table["meeting_type"]):
        pattern, kind = str(pattern or "").strip(), str(kind or "").strip()
        if pattern and kind and (pattern, kind) not in defaults:
            rules[pattern] = kind
    return rules


# The sample data set's calendar export and its roster (metrics.sample.calendar writes them), offered on the Data
# page as examples of files as they come.
EXAMPLES = {"meetings_calendar.ics": ("Example calendar export (.ics)", "text/calendar"),
            "people_roster.csv": ("Example people roster (CSV)", "text/csv")}


def subject_type(subject: str, rules: list[tuple[re.Pattern, str, str]]) -> str | None:
    text = CANCELLED_PREFIX.sub("", subject or "").strip()
    for pattern, kind, _ in rules:
        if pattern.search(text):
            return kind
    return None


# ----------------------------------------------------------------------------------------------------------
# Roster


def read_roster(data: bytes, file_name: str, max_unpacked: int) -> Roster:
    """An HR roster (CSV or .xlsx, one header row): e-mail, department, role and, optionally, business unit.
    Departments and roles are read as the survey's words are (marketing/mkt, it/technology, lead/head, ...)."""
    try:
        frame, row_numbers, _, _, _ = layouts.read_table(data, file_name, max_unpacked=max_unpacked)
    except LayoutError as error:
        return Roster({}, [Problem(None, None, None, f"the roster: {str(error).removeprefix(file_name + ': ')}")])
    found: dict[str, str] = {}
    for column in frame.columns:
        name = mapping_module.normalise(column)
        for target, names in ROSTER_COLUMNS.items():
            if name in names and target not in found:
                found[target] = column
    missing = [t for t in ("email", "department", "role") if t not in found]
    if missing:
        return Roster({}, [Problem(None, None, None, f"the roster {file_name} has no {' or '.join(missing)} column: "
                                   "it needs one row per person with e-mail, department and role (and business "
                                   "unit), under a header row: export it again with those columns")])
    people: dict[str, tuple[str, str, str | None]] = {}
    problems = []
    for i, row_number in enumerate(row_numbers):
        address = normalise_address(frame[found["email"]].iat[i])
        if not address:
            continue
        cell = {target: str(frame[column].iat[i] or "").strip() for target, column in found.items()}
        department = mapping_module.DEPARTMENT_WORDS.get(cell["department"].casefold())
        role = mapping_module.ROLE_WORDS.get(cell["role"].casefold())
        unit = cell.get("business_unit", "")
        if department is None:
            problems.append(Problem(row_number, found["department"], None, "the roster's department is not "
                                    "marketing, IT or other (nor a word for one): correct it in the roster, or remove "
                                    "the row"))
        if role is None:
            problems.append(Problem(row_number, found["role"], None, "the roster's role is not lead, manager or "
                                    "staff (nor a word for one): correct it in the roster, or remove the row"))
        if department is None or role is None:
            continue
        person = (department, role, unit or None)
        if address in people and people[address] != person:
            problems.append(Problem(row_number, found["email"], None, "the roster lists this person twice, with "
                                    "different department, role or unit: remove one of the rows"))
        people[address] = person
    for problem in problems:   # a roster row's problem names the roster, never the address
        problem.reason = f"the roster {file_name}, row {problem.row}: {problem.reason}"
        problem.row = None
    ignored = [str(c) for c in frame.columns if c not in found.values()]
    return Roster(people, problems, ignored)


# ----------------------------------------------------------------------------------------------------------
# Reading a calendar


def _occurrence_day(value) -> date:
    """The date an occurrence starts on, in its own time zone."""
    return value.date() if isinstance(value, datetime) else value


def _key(value) -> object:
    """A RECURRENCE-ID or start as compared between the file's overrides and the occurrences (UTC when aware)."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    return value


def _uid_label(uid: str) -> str:
    return uid if len(uid) <= 40 else uid[:37] + "..."


def _rule_problem(event) -> str | None:
    """Why a VEVENT's RRULE cannot be expanded safely, or None."""
    try:
        return _unsafe_rule(event)
    except Exception as error:   # icalendar's BrokenCalendarProperty for a rule it could not parse
        return f"its RRULE cannot be read ({str(error).splitlines()[0][:160]}): export the event again or remove it"


def _unsafe_rule(event) -> str | None:
    for rule in event.get("RRULE") if isinstance(event.get("RRULE"), list) else [event.get("RRULE")]:
        if rule is None:
            continue
        freq = [str(f).upper() for f in rule.get("FREQ", [])]
        if not freq:
            return "its RRULE has no FREQ"
        if freq[0] in TOO_OFTEN:
            return (f"its RRULE repeats {freq[0].lower()} (more often than daily): no meeting series does; export "
                    "the calendar again or remove the event")
        parts = [p for p in REFUSED_PARTS if p in rule]
        if parts:
            return (f"its RRULE uses {', '.join(parts)}, which calendars do not write for meetings and which could "
                    "expand without bound; remove the event or export it again")
    return None


def _start_problem(event) -> str | None:
    """Why a VEVENT's DTSTART cannot be used, or None."""
    if "DTSTART" not in event:
        return "the event has no DTSTART (no start): a meeting needs a date; export it again or remove it"
    try:
        start = event.decoded("DTSTART")
    except Exception as error:  # icalendar's own, for a value it cannot read
        return f"the event's DTSTART cannot be read as a date or time ({error})"
    if not isinstance(start, (date, datetime)):
        return "the event's DTSTART is not a date or time"
    tzid = event["DTSTART"].params.get("TZID") if hasattr(event["DTSTART"], "params") else None
    if tzid and isinstance(start, datetime) and start.tzinfo is None:
        return (f"the event's time zone {str(tzid)[:60]!r} is neither defined in the file (VTIMEZONE) nor a known "
                "time zone: export the calendar again with its time zones")
    return None


def read_calendar(con, data: bytes, file_name: str, *, roster: Roster | None, rules: dict[str, str] | None,
                  constants: dict[str, str] | None, allow_any_date: bool = False,
                  today: date | None = None) -> CalendarRead:
    """Read an .ics file's events into meetings and attendance (see the module's docstring)."""
    empty = pd.DataFrame(columns=list(KINDS["meetings"].columns))
    out = CalendarRead(empty, pd.DataFrame(columns=list(KINDS["attendance"].columns)), [], [])
    constants = dict(constants or {})
    unknown = [c for c in constants if c != "business_unit"]
    if unknown:
        out.blocking.append(Problem(None, None, None, f"a calendar takes a constant for business_unit only, not "
                                    f"{', '.join(map(repr, unknown))}: the rest comes from the roster and the rules"))
    analyst = {**saved_rules(con), **(rules or {})}
    out.blocking += rule_problems(rules or {})
    if roster is None:
        out.blocking.append(Problem(None, None, None, "a calendar needs a people roster (CSV or Excel: e-mail, "
                                    "department, role, business unit) to map attendees: give it with --roster FILE "
                                    "(on the Data page: the roster uploader)"))
    else:
        out.blocking += roster.blocking
    try:
        text = decode(data, file_name)[0]
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
        if not calendars:
            raise ValueError("no VCALENDAR in it")
        calendars = [x_wr_timezone.to_standard(c) for c in calendars]
    except LayoutError as error:
        out.blocking.append(Problem(None, None, None, str(error).removeprefix(f"{file_name}: ")))
        return out
    except Exception as error:   # icalendar and x-wr-timezone raise ValueError and others for a broken file
        reason = str(error).splitlines()[0][:200]
        out.blocking.append(Problem(None, None, None, f"not a complete iCalendar file ({reason}). Is it cut short "
                                    "or damaged? Export the calendar again (BEGIN:VCALENDAR ... END:VCALENDAR)."))
        return out
    if out.blocking:
        return out
    in_force = rules_in_force(analyst)
    out.rules = analyst if rules else {}
    today = today or date.today()
    first_day = ANY_DATE_START if allow_any_date else dates.EARLIEST
    last_day = dates.latest(today) if not allow_any_date else date(today.year + 10, 12, 31)
    key = person_key(con)
    people = roster.people

    # The events, in file order, with their positions; those that cannot be expanded are problems of their own.
    positions: dict[int, int] = {}
    by_uid: dict[str, list] = {}
    timezones = []
    present: set[str] = set()
    position = 0
    for cal in calendars:
        timezones += list(cal.walk("VTIMEZONE"))
        for event in cal.walk("VEVENT"):
            position += 1
            positions[id(event)] = position
            present |= {name for name in ("ATTENDEE", "ORGANIZER", "DESCRIPTION", "LOCATION", "SUMMARY", "COMMENT",
                                          "CONTACT", "URL", "ATTACH") if name in event}
            uid = str(event.get("UID") or f"no-uid-{position}")
            why = _start_problem(event) or _rule_problem(event)
            if why:
                out.problems.append(Problem(position, "DTSTART" if "RRULE" not in why else "RRULE", None,
                                            f"event {_uid_label(uid)!r}: {why}"))
                continue
            by_uid.setdefault(uid, []).append(event)
    if position == 0:
        out.blocking.append(Problem(None, None, None, "the calendar has no events (VEVENT): nothing to import. "
                                    "Export the calendar with its events."))
        return out

    found_meetings: dict[str, tuple[tuple, int, list[tuple]]] = {}   # meeting_id -> (row, position, invitations)
    counts = Counter()
    unknown_at: list[str] = []
    started = time.monotonic()
    context = dict(first_day=first_day, last_day=last_day, today=today, timezones=timezones, positions=positions,
                   in_force=in_force, people=people, key=key, unit=constants.get("business_unit"))
    for uid, events in by_uid.items():
        if time.monotonic() - started > EXPANSION_SECONDS:
            out.blocking.append(Problem(None, None, None, f"the file's recurring events take more than "
                                        f"{EXPANSION_SECONDS:.0f} s to expand: split the export into smaller ones"))
            return out
        local_counts, local_unknown, problems = Counter(), [], []
        try:
            series = _read_series(uid, events, context, local_counts, local_unknown, problems)
        except Exception as error:   # a property icalendar could not read (it raises on first use), and the like
            where = min(positions[id(e)] for e in events)
            why = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
            out.problems.append(Problem(where, None, None, f"event {_uid_label(uid)!r} cannot be read ({why}): "
                                        "export it again or remove it"))
            continue
        out.problems += problems
        counts.update(local_counts)
        unknown_at += local_unknown
        for meeting_id, entry in series:
            if meeting_id in found_meetings:   # the same occurrence twice (a duplicated event): the later one stands
                counts["duplicate"] += 1
            found_meetings[meeting_id] = entry
        if len(found_meetings) > MAX_OCCURRENCES:
            out.blocking.append(Problem(None, None, None, f"the file's events make more than {MAX_OCCURRENCES:,} "
                                        "meetings: split the export into smaller ones (a month or a year each)"))
            return out
    entries = list(found_meetings.values())
    out.meetings = pd.DataFrame([m for m, _, _ in entries], columns=list(KINDS["meetings"].columns), dtype=object)
    out.row_numbers = [where for _, where, _ in entries]
    invitations = {(a[0], a[1]): (a, where) for _, where, listed in entries for a in listed}
    out.attendance = pd.DataFrame([a for a, _ in invitations.values()], columns=list(KINDS["attendance"].columns),
                                  dtype=object)
    out.attendance_rows = [where for _, where in invitations.values()]
    out.notes = _notes(counts, unknown_at, len(out.attendance), first_day, today)
    out.dropped = [f"{name} ({why})" for name, why in (
        ("ATTENDEE", "e-mail addresses and names: only a keyed hash of the address is stored"),
        ("ORGANIZER", "e-mail address and name"), ("SUMMARY", "the subject: it gives the meeting type only"),
        ("DESCRIPTION", "the meeting's text"), ("LOCATION", "the meeting's place"), ("COMMENT", "comments"),
        ("CONTACT", "contact details"), ("URL", "links"), ("ATTACH", "attachments")) if name in present]
    if roster.ignored_columns:
        out.dropped.append(f"roster columns {', '.join(roster.ignored_columns)} (not used)")
    return out


def _read_series(uid: str, events: list, c: dict, counts: Counter, unknown_at: list[str],
                 problems: list[Problem]) -> list[tuple[str, tuple[tuple, int, list[tuple]]]]:
    """One UID's events (a single event, or a series with its overrides) expanded over the window: each occurrence
    as (meeting_id, (meeting row, event position, its invitations)). Problems and counts are added to those given."""
    positions, people = c["positions"], c["people"]
    master = next((e for e in events if "RECURRENCE-ID" not in e), events[0])
    recurring = any(("RRULE" in e or "RDATE" in e) for e in events) or any("RECURRENCE-ID" in e for e in events)
    overrides = {_key(e.decoded("RECURRENCE-ID")): e for e in events if "RECURRENCE-ID" in e}
    mini = icalendar.Calendar()
    for component in c["timezones"]:
        mini.add_component(component)
    for event in events:
        mini.add_component(event)
    try:
        found = recurring_ical_events.of(mini).between(c["first_day"], c["last_day"] + timedelta(days=1))
    except Exception as error:   # the library's InvalidCalendar and what dateutil raises for a bad rule
        problems.append(Problem(positions[id(master)], "RRULE", None, f"event {_uid_label(uid)!r}: its recurrence "
                                f"cannot be expanded ({str(error).splitlines()[0][:160]}); export it again or "
                                "remove it"))
        return []
    if not found:
        # Nothing in the window: a single event outside it is a problem; a series wholly outside is noted.
        start = _occurrence_day(master.decoded("DTSTART"))
        if not recurring and start < c["first_day"]:
            problems.append(Problem(positions[id(master)], "DTSTART", str(start), f"event {_uid_label(uid)!r}: the "
                                    f"date {dates.too_early()}"))
        elif not recurring and start > c["last_day"]:
            problems.append(Problem(positions[id(master)], "DTSTART", str(start), f"event {_uid_label(uid)!r}: the "
                                    f"date {dates.too_late()}"))
        else:
            counts["outside"] += 1
        return []
    series = []
    for component in found:
        start = component.decoded("DTSTART")
        day = _occurrence_day(start)
        original = component.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in component else start
        where = positions[id(overrides.get(_key(original), master))]
        if day > c["today"]:
            counts["future"] += 1
            continue
        meeting_id = "CAL-" + hashlib.sha256(uid.encode("utf-8")).hexdigest()[:16]
        if recurring:
            meeting_id += f"-{_occurrence_day(original):%Y%m%d}"
        label = f"event {_uid_label(uid)!r} on {day:%Y-%m-%d}"
        subject = str(component.get("SUMMARY") or "")
        cancelled = (str(component.get("STATUS") or "").upper() == "CANCELLED" or bool(CANCELLED_PREFIX.match(subject)))
        status = "cancelled" if cancelled else "held"
        kind = subject_type(subject, c["in_force"])
        if kind == IGNORE:
            counts["ignored"] += 1
            continue
        if kind is None:
            problems.append(Problem(where, "SUMMARY", subject, f"{label}: no subject rule gives this meeting's type; "
                                    "add one (--rule 'PATTERN=TYPE', or PATTERN=ignore to leave such events out)"))
            kind = ""
        invitees = []
        listed = component.get("ATTENDEE", [])
        addresses = set()
        for number, attendee in enumerate(listed if isinstance(listed, list) else [listed], start=1):
            counts["invitations"] += 1
            params = getattr(attendee, "params", {})
            if str(params.get("CUTYPE", "INDIVIDUAL")).upper() in NOT_PEOPLE:
                counts["rooms"] += 1
                continue
            address = normalise_address(attendee)
            if address in addresses:
                continue
            addresses.add(address)
            person = people.get(address)
            if person is None:
                counts["unknown"] += 1
                unknown_at.append(f"row {where} ({day:%Y-%m-%d}) attendee {number}")
                continue
            invitees.append((address, person, str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()))
        organizer = component.get("ORGANIZER")
        organizer_address = normalise_address(organizer) if organizer is not None else ""
        if organizer_address and organizer_address not in addresses and organizer_address in people:
            counts["organizers"] += 1   # an organizer is an invitee who accepted their own meeting
            invitees.append((organizer_address, people[organizer_address], "ACCEPTED"))
        unit = c["unit"]
        if not unit:
            units = Counter(p[2] for _, p, _ in invitees if p[2])
            organizer_unit = people.get(organizer_address, (None, None, None))[2]
            ranked = units.most_common(2)
            if organizer_unit:
                unit = organizer_unit
            elif ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
                unit = ranked[0][0]
            else:
                why = ("its invitees come from several business units in equal numbers" if ranked else
                       "none of its invitees is in the roster with a business unit")
                problems.append(Problem(where, "ATTENDEE", None, f"{label}: no business unit: {why}; add them to the "
                                        "roster, or set the unit for the file (--set business_unit=NAME)"))
                unit = ""
        invitations = []
        for address, (department, role, _), answer in invitees:
            counts[f"answer {answer}"] += 1
            attended = status == "held" and answer == "ACCEPTED"
            invitations.append((meeting_id, person_id(c["key"], address), department, role,
                                "true" if attended else "false"))
        series.append((meeting_id, ((meeting_id, unit, f"{day:%Y-%m-%d}", kind, status), where, invitations)))
    return series


def _notes(counts: Counter, unknown_at: list[str], stored: int, first_day: date, today: date) -> list[str]:
    notes = ["In a calendar, a row is the event's position in the file (the first VEVENT is row 1)."]
    answers = ", ".join(f"{counts[k]} {k.split()[1].lower()}" for k in sorted(counts) if k.startswith("answer "))
    notes.append(f"{counts['invitations']} invitations read: {stored} to be stored through the roster"
                 + (f" ({answers})" if answers else "")
                 + (f", {counts['organizers']} of them organizers not listed as attendees (counted as accepted)"
                    if counts["organizers"] else "")
                 + (f"; {counts['rooms']} rooms or resources (no people)" if counts["rooms"] else "")
                 + ". An invitee who accepted a held meeting counts as attended; any other answer, or none, as not.")
    if counts["unknown"]:
        more = f" and {len(unknown_at) - SHOWN} more" if len(unknown_at) > SHOWN else ""
        shown = ", ".join(unknown_at[:SHOWN]) + more
        notes.append(f"{counts['unknown']} invitees are not in the roster and are not stored (add them to the "
                     f"roster to count them): {shown}.")
    if counts["ignored"]:
        notes.append(f"{counts['ignored']} occurrences left out by an 'ignore' subject rule.")
    if counts["future"]:
        notes.append(f"{counts['future']} occurrences after today ({today:%Y-%m-%d}) have not taken place: they "
                     "are left for a later import.")
    if counts["outside"]:
        notes.append(f"{counts['outside']} recurring events have no occurrence from {first_day:%Y-%m-%d} to a year "
                     "from today (the data window): nothing of them is read.")
    if counts["duplicate"]:
        notes.append(f"{counts['duplicate']} occurrences appear twice in the file: the later copy is read.")
    return notes


# ----------------------------------------------------------------------------------------------------------
# Writing: meetings and attendance of one calendar in one transaction, one log entry


def write(cur, meetings: pd.DataFrame, attendance: pd.DataFrame, report: ImportReport, digest: str,
          user: str) -> None:
    """Write a calendar's meetings and their attendance inside the caller's transaction. A meeting stored with the
    same values and the same invitations is unchanged; one that differs in either (an occurrence moved, cancelled,
    an answer changed) is replaced whole, its old row and invitations set aside so undo restores them."""
    import_id = cur.execute("SELECT nextval('import_id_seq')").fetchall()[0][0]
    incoming_m = meetings[list(KINDS["meetings"].columns)].copy()
    incoming_m["import_id"] = import_id
    incoming_a = attendance[list(KINDS["attendance"].columns)].copy()
    incoming_a["import_id"] = import_id
    cur.register("incoming_meetings", incoming_m)
    cur.register("incoming_attendance", incoming_a)
    same = cur.execute("""
        WITH stored AS (SELECT meeting_id FROM meetings WHERE meeting_id IN (SELECT meeting_id FROM incoming_meetings)),
             m_diff AS (SELECT i.meeting_id FROM incoming_meetings i JOIN meetings s USING (meeting_id)
                        WHERE s.business_unit IS DISTINCT FROM i.business_unit OR s.date IS DISTINCT FROM i.date
                           OR s.meeting_type IS DISTINCT FROM i.meeting_type OR s.status IS DISTINCT FROM i.status),
             a_new AS (SELECT meeting_id, person_id, department, role, attended FROM incoming_attendance
                       WHERE meeting_id IN (SELECT meeting_id FROM stored)),
             a_old AS (SELECT meeting_id, person_id, department, role, attended FROM attendance
                       WHERE meeting_id IN (SELECT meeting_id FROM stored)),
             a_diff AS (SELECT meeting_id FROM (SELECT * FROM a_new EXCEPT SELECT * FROM a_old)
                        UNION SELECT meeting_id FROM (SELECT * FROM a_old EXCEPT SELECT * FROM a_new))
        SELECT s.meeting_id, s.meeting_id NOT IN (SELECT meeting_id FROM m_diff UNION SELECT meeting_id FROM a_diff)
        FROM stored s ORDER BY 1""").fetchall()
    unchanged = [m for m, keep in same if keep]
    changed = [m for m, keep in same if not keep]
    report.rows_unchanged = len(unchanged)
    report.rows_replaced = len(changed)
    report.rows_imported = len(incoming_m) - len(unchanged)
    if report.rows_imported == 0:
        return   # the same calendar twice changes nothing, not even the log
    if changed:
        keys = [(m,) for m in changed]
        _set_aside(cur, KINDS["meetings"], keys, import_id)
        cur.register("changed_meetings", pd.DataFrame({"meeting_id": changed}))
        cur.execute("INSERT INTO replaced_attendance BY NAME SELECT a.*, $id AS replaced_by FROM attendance a "
                    "WHERE meeting_id IN (SELECT meeting_id FROM changed_meetings)", {"id": import_id})
        cur.execute("DELETE FROM attendance WHERE meeting_id IN (SELECT meeting_id FROM changed_meetings)")
    cur.execute("INSERT INTO meetings BY NAME SELECT * FROM incoming_meetings i "
                "WHERE NOT EXISTS (SELECT 1 FROM meetings s WHERE s.meeting_id = i.meeting_id)")
    cur.execute("INSERT INTO attendance BY NAME SELECT * FROM incoming_attendance i "
                "WHERE NOT EXISTS (SELECT 1 FROM attendance s WHERE s.meeting_id = i.meeting_id)")
    log_import(cur, import_id, report, digest, user)


def rules_argument(pairs: list[str] | None) -> dict[str, str]:
    """--rule 'PATTERN=TYPE' options as a dict (a later one for the same pattern wins)."""
    return dict(parse_rule(pair) for pair in pairs or [])
