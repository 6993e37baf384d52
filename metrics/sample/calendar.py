"""The sample's meetings as a calendar export (issue 19): an .ics file written with the icalendar library the way
Outlook and Google write theirs, and the people roster HR would give with it, both from the same invented company
as meetings.csv and attendance.csv, so that importing them gives those meetings and that attendance back.

- Each unit's steering meetings are one monthly series (RRULE on the unit's usual business day, until the sample's
  last month). A month without a steering meeting is an EXDATE; every held or cancelled one is an occurrence of its
  own (a VEVENT with RECURRENCE-ID), carrying that month's invitees and their answers; one on another day than the
  rule's is moved (its DTSTART differs from its RECURRENCE-ID); a cancelled one has STATUS:CANCELLED, and the
  subject "Canceled: ..." as Outlook writes it, every other time.
- The other meetings are single events; a cancelled one is STATUS:CANCELLED, half of them with "Canceled:".
- Answers (PARTSTAT): an invitee who attended a held meeting ACCEPTED; one who did not DECLINED, was TENTATIVE or
  never answered; answers to a cancelled meeting are whatever they were before it was called off.
- Besides the people, some meetings book a room (CUTYPE=ROOM) and some brainstorms invite an agency guest who is
  not in the roster: the import reports both and stores neither, which is the one designed difference from
  attendance.csv (whose rows are the roster's people only).
- Each unit keeps its own time zone; meetings start at 10:00 or 14:00 local time.

Its own random stream (np.random.default_rng([seed, CALENDAR_STREAM])), so no byte of the other files moves."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import numpy as np
import pandas as pd

from metrics.sample.world import World

CALENDAR_STREAM = 19          # the issue that added it
FILE_NAMES = {"calendar": "meetings_calendar.ics", "roster": "people_roster.csv"}
DOMAIN = "sample.example.com"
TIME_ZONES = ("Europe/London", "Europe/Berlin", "America/New_York", "Europe/Madrid", "Europe/Warsaw",
              "Asia/Singapore")
SUBJECTS = {
    "joint_steering": "Marketing–IT steering ({unit})",
    "co_department": "Marketing & IT working session: {topic}",
    "brainstorm": "Brainstorm: {topic}",
    "staff_exchange": "Staff exchange ({unit}): a day with the other team",
}
TOPICS = ("customer data platform", "campaign analytics", "web personalisation", "loyalty app", "CRM clean-up",
          "marketing automation", "consent and privacy", "product feeds")
FIRST_NAMES = ("Alex", "Sam", "Robin", "Kim", "Jo", "Charlie", "Maria", "Luca", "Aisha", "Tomas", "Mei", "Noor")
LAST_NAMES = ("Berg", "Novak", "Silva", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Keller", "Costa", "Haddad",
              "Walsh", "Ibrahim")


def address(person_id: str) -> str:
    """The invented address of a sample person ("P-RET-M01" -> "ret.m01@sample.example.com")."""
    _, unit, person = person_id.split("-")
    return f"{unit.lower()}.{person.lower()}@{DOMAIN}"


def _name(person_id: str) -> str:
    digest = sum(map(ord, person_id))
    return f"{FIRST_NAMES[digest % len(FIRST_NAMES)]} {LAST_NAMES[(digest // 7) % len(LAST_NAMES)]}"


def write_calendar(out: Path, world: World, meetings: pd.DataFrame, attendance: pd.DataFrame,
                   seed: int) -> dict[str, Path]:
    """Write the calendar export and the roster into `out`; return {"calendar": path, "roster": path}."""
    rng = np.random.default_rng([seed, CALENDAR_STREAM])
    units = dict(zip(world.units, world.codes))
    zones = {unit: TIME_ZONES[i % len(TIME_ZONES)] for i, unit in enumerate(world.units)}
    stamp = datetime.combine((world.months[-1] + 1).astype("datetime64[D]").astype(date), time(), timezone.utc)
    invited = {m: group for m, group in attendance.groupby("meeting_id", sort=False)}

    cal = icalendar.Calendar()
    cal.add("prodid", "-//Collaboration Health//sample calendar export//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Marketing and IT meetings (sample)")
    # the time zones first, in a fixed order (icalendar's add_missing_timezones takes them in set order)
    for zone in sorted(set(zones.values())):
        cal.add_component(icalendar.Timezone.from_tzid(zone))

    def occurrence(row, zone: str, starts: datetime, extra: dict) -> icalendar.Event:
        event = icalendar.Event()
        held = row.status == "held"
        topic = TOPICS[int(rng.integers(len(TOPICS)))]
        subject = SUBJECTS[row.meeting_type].format(unit=row.business_unit, topic=topic)
        if not held and (row.meeting_type != "joint_steering" or rng.random() < 0.5):
            subject = "Canceled: " + subject
        event.add("summary", subject)
        event.add("dtstart", starts)
        event.add("dtend", starts + timedelta(hours=1))
        event.add("dtstamp", stamp)
        for key, value in extra.items():
            event.add(key, value)
        if not held:
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
        event.add("location", f"{row.business_unit} office, room {int(rng.integers(1, 9))}.0{int(rng.integers(1, 6))}")
        event.add("description", f"Agenda for the {row.meeting_type.replace('_', ' ')} meeting. Dial-in details "
                                 "in the invitation.")
        people = invited.get(row.meeting_id)
        organizer = people.iloc[0].person_id
        event.add("organizer", f"mailto:{address(organizer)}", parameters={"CN": _name(organizer)})
        for person in people.itertuples():
            if person.attended == "true":
                answer = "ACCEPTED"
            elif held:
                answer = ("DECLINED", "TENTATIVE", "NEEDS-ACTION")[int(rng.choice(3, p=[0.5, 0.25, 0.25]))]
            else:
                answer = ("ACCEPTED", "DECLINED", "NEEDS-ACTION")[int(rng.integers(3))]
            event.add("attendee", f"mailto:{address(person.person_id)}",
                      parameters={"CN": _name(person.person_id), "ROLE": "REQ-PARTICIPANT", "PARTSTAT": answer,
                                  "RSVP": "TRUE"})
        if rng.random() < 0.3:
            event.add("attendee", f"mailto:room-{units[row.business_unit].lower()}@{DOMAIN}",
                      parameters={"CUTYPE": "ROOM", "CN": f"{row.business_unit} meeting room",
                                  "PARTSTAT": "ACCEPTED", "ROLE": "NON-PARTICIPANT"})
        if row.meeting_type == "brainstorm" and rng.random() < 0.3:
            event.add("attendee", "mailto:hello@agency.example.org",
                      parameters={"CN": "Agency guest", "ROLE": "OPT-PARTICIPANT", "PARTSTAT": "ACCEPTED"})
        return event

    def local(day, zone: str, hour: int) -> datetime:
        return datetime.combine(pd.Timestamp(day).date(), time(hour), ZoneInfo(zone))

    steering = meetings[meetings["meeting_type"] == "joint_steering"]
    month_starts = world.months.astype("datetime64[D]")
    for unit in world.units:
        zone, code = zones[unit], units[unit]
        own = steering[steering["business_unit"] == unit]
        held_on = {str(d)[:7]: d for d in own["date"]}
        # the unit's usual slot: the business day of the month most of its steering meetings fall on
        offsets = [int(np.busday_count(np.datetime64(d[:7] + "-01"), np.datetime64(d))) for d in own["date"]]
        usual = int(np.bincount(offsets).argmax()) if offsets else 5
        rule_days = {str(m)[:7]: str(np.busday_offset(m, usual, roll="forward")) for m in month_starts}
        uid = f"steering-{code.lower()}@{DOMAIN}"
        first = min(rule_days.values())
        last_day = (world.months[-1] + 1).astype("datetime64[D]") - 1
        master = icalendar.Event()
        master.add("uid", uid)
        master.add("summary", SUBJECTS["joint_steering"].format(unit=unit))
        master.add("dtstart", local(first, zone, 10))
        master.add("dtend", local(first, zone, 11))
        master.add("dtstamp", stamp)
        until = datetime.combine(pd.Timestamp(str(last_day)).date(), time(23, 59, 59), timezone.utc)
        master.add("rrule", {"freq": "monthly", "byday": ["MO", "TU", "WE", "TH", "FR"], "bysetpos": usual + 1,
                             "until": until})
        for month, rule_day in rule_days.items():
            if month not in held_on:
                master.add("exdate", local(rule_day, zone, 10))
        lead = f"P-{code}-M01"
        master.add("organizer", f"mailto:{address(lead)}", parameters={"CN": _name(lead)})
        master.add("attendee", f"mailto:{address(lead)}", parameters={"CN": _name(lead), "PARTSTAT": "ACCEPTED"})
        cal.add_component(master)
        for row in own.itertuples():
            month = row.date[:7]
            cal.add_component(occurrence(row, zone, local(row.date, zone, 10),
                                         {"uid": uid, "recurrence-id": local(rule_days[month], zone, 10)}))
    for row in meetings[meetings["meeting_type"] != "joint_steering"].itertuples():
        zone = zones[row.business_unit]
        cal.add_component(occurrence(row, zone, local(row.date, zone, 14 if rng.random() < 0.5 else 10),
                                     {"uid": f"{row.meeting_id.lower()}@{DOMAIN}"}))
    paths = {"calendar": out / FILE_NAMES["calendar"], "roster": out / FILE_NAMES["roster"]}
    paths["calendar"].write_bytes(cal.to_ical())
    people = attendance.drop_duplicates("person_id").sort_values("person_id")
    code_unit = {code: unit for unit, code in units.items()}
    roster = pd.DataFrame({
        "Email": [address(p) for p in people["person_id"]],
        "Name": [_name(p) for p in people["person_id"]],
        "Department": people["department"].map({"marketing": "Marketing", "it": "IT", "other": "Other"}),
        "Role": people["role"].map({"lead": "Head", "manager": "Manager", "staff": "Staff"}),
        "Business unit": [code_unit[p.split("-")[1]] for p in people["person_id"]],
    })
    roster.to_csv(paths["roster"], index=False, encoding="utf-8", lineterminator="\n")
    return paths
