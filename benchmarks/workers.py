"""The benchmark's workers: each times one step in a child process of its own and returns one JSON-able result.

The harness starts each worker in a fresh interpreter (`python -m benchmarks.run --worker NAME --params JSON
--result FILE`), so the worker's module imports are not in its in-process figures and its peak memory is its own.
Only the standard library is imported at the top; each worker imports what it measures. This module imports
nothing of the harness's or the report's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from benchmarks.settings import (CALENDAR_INVITEES, CALENDAR_MONTHS, CALENDAR_REPEATS, CALENDAR_UNITS, LAST_MONTH,
                                 MONTHS, OTHER_KINDS, ROOT, SEED, UNITS)


def worker_generate(p: dict) -> dict:
    from metrics.sample import write_sample

    started = time.perf_counter()
    paths = write_sample(p["dir"], seed=SEED, scale=p["scale"], units=UNITS, months=MONTHS, last_month=LAST_MONTH)
    seconds = time.perf_counter() - started
    import duckdb

    rows = duckdb.connect().execute("SELECT count(*) FROM read_csv(?)", [str(paths["survey"])]).fetchall()[0][0]
    return {"seconds": seconds, "rows": rows, "files": {k: str(v) for k, v in paths.items()},
            "bytes": {k: Path(v).stat().st_size for k, v in paths.items()}}


def worker_plain_load(p: dict) -> dict:
    import duckdb

    # Into a fresh database file, as the import writes one: the like-for-like load, which the goal is measured
    # against; and into memory, written down beside it.
    times, memory_times = [], []
    db = Path(p["db"])
    for _ in range(p["repeats"]):
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
        for target, into in ((str(db), times), (":memory:", memory_times)):
            con = duckdb.connect(target)
            started = time.perf_counter()
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [p["path"]])
            into.append(time.perf_counter() - started)
            rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
            con.close()
    db.unlink(missing_ok=True)
    return {"times": times, "seconds": min(times), "memory_times": memory_times, "memory_seconds": min(memory_times),
            "rows": rows}


def worker_import(p: dict) -> dict:
    """The survey import, timed as the plain load is: best of `repeats`, each into a fresh database file holding
    the catalogue (imported first, untimed). The last store then takes the other kinds, for the later steps."""
    from metrics import ingest, store

    db = Path(p["db"])
    files = p["files"]
    times, timings, rows = [], {}, {}
    for repeat in range(p["repeats"]):
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
        con = store.connect(db)
        started = time.perf_counter()
        rows["items"] = ingest.import_file(con, "items", files["items"], user="benchmark").rows_imported
        timings["items"] = time.perf_counter() - started
        started = time.perf_counter()
        report = ingest.import_file(con, "survey", files["survey"], user="benchmark")
        times.append(time.perf_counter() - started)
        rows["survey"] = report.rows_imported
        if repeat < p["repeats"] - 1:
            con.close()
    for kind in OTHER_KINDS:
        started = time.perf_counter()
        rows[kind] = ingest.import_file(con, kind, files[kind], user="benchmark").rows_imported
        timings[kind] = time.perf_counter() - started
    con.close()
    timings["survey"] = min(times)
    return {"seconds": min(times), "times": times, "timings": timings, "rows": rows, "db_bytes": db.stat().st_size}


def worker_profile_import(p: dict) -> dict:
    """One survey import under cProfile: where the import's time goes."""
    import cProfile
    import io
    import pstats

    from metrics import ingest, store

    db = Path(p["db"])
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    con = store.connect(db)
    ingest.import_file(con, "items", p["files"]["items"], user="benchmark")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    ingest.import_file(con, "survey", p["files"]["survey"], user="benchmark")
    profiler.disable()
    seconds = time.perf_counter() - started
    con.close()
    db.unlink(missing_ok=True)
    out = {"seconds": seconds}
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats(order).print_stats(p.get("top", 10))
        lines = text.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
        out[order] = "\n".join(_short_paths(line) for line in lines[start:] if line.strip())
    return out


def _short_paths(line: str) -> str:
    for prefix in (str(ROOT), sys.prefix, sys.base_prefix):
        line = line.replace(prefix + "/", "")
    return line


def worker_inproc(p: dict) -> dict:
    """scorecard() and linkage() called in an already started interpreter: first call, then best of the next two."""
    started = time.perf_counter()
    from metrics import linkage, scorecard, store
    imports = time.perf_counter() - started

    started = time.perf_counter()
    con = store.connect(p["db"])
    connect = time.perf_counter() - started
    out = {"imports": imports, "connect": connect}
    calls = {"scorecard": lambda: scorecard.scorecard(con, p["month"]),
             "linkage": lambda: linkage.linkage(con, p["kpi"])}
    for name, call in calls.items():
        times = []
        for _ in range(3):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        out[name] = {"first": times[0], "again": min(times[1:])}
    con.close()
    return out


def worker_page(p: dict) -> dict:
    """A fresh process: the app's first run (home page), then the page's first run (cold) and a second (warm)."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=p["timeout"])
    started = time.perf_counter()
    app.run()
    first = time.perf_counter() - started
    problems = _exceptions(app)
    # AppTest drops the sidebar's widget state after a run under st.navigation (tests/test_pages.py says the
    # same), and a page then finds no month and shows "No data yet". Each run is given the filters the first run
    # chose, as the browser keeps them, so every timed run draws the real page.
    filters = {key: app.session_state[key] for key in ("month", "business_unit") if key in app.session_state}

    def timed_run() -> tuple[float, dict]:
        for key, value in filters.items():
            app.session_state[key] = value
        started = time.perf_counter()
        app.run()
        seconds = time.perf_counter() - started
        problems.extend(_exceptions(app))
        return seconds, _shown(app)

    app.switch_page(p["page"])
    cold, cold_shown = timed_run()
    warm, warm_shown = timed_run()
    again, _ = timed_run()
    if cold_shown["no_data"]:
        problems.append("the page said 'No data yet'")
    if warm_shown != cold_shown:
        problems.append(f"the warm run showed {warm_shown}, the cold run {cold_shown}")
    return {"first_run": first, "cold": cold, "warm": warm, "warm_again": again, "title": cold_shown["title"],
            "shown": cold_shown, "filters": filters, "exceptions": problems[:3]}


def _shown(app) -> dict:
    """What a run drew, to check that the timed runs drew the same, real page."""
    counts = {kind: len(app.get(kind)) for kind in ("plotly_chart", "dataframe", "metric", "table")}
    return {"title": app.title[0].value if len(app.title) else "", **counts,
            "no_data": any("No data yet" in str(info.value) for info in app.info)}


def _exceptions(app) -> list[str]:
    return [str(getattr(e, "message", e)).splitlines()[0][:200] for e in app.exception]


def worker_boardpack(p: dict) -> dict:
    from metrics import boardpack, store

    con = store.connect(p["db"])
    out = Path(p["out_dir"])
    out.mkdir(parents=True, exist_ok=True)
    pptx, pdf = out / "boardpack.pptx", out / "boardpack.pdf"
    started = time.perf_counter()
    result = boardpack.build_pack(con, p["month"], pptx_path=pptx, pdf_path=pdf)
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": seconds, "slides": len(result["slides"]), "pptx_bytes": pptx.stat().st_size,
            "pdf_bytes": pdf.stat().st_size}


def calendar_files(directory: Path) -> tuple[Path, Path, int, int]:
    """A year of a 40-unit company's calendars as one Outlook-style export, and its roster: per unit a monthly steering
    series whose every occurrence is an exception carrying its own answers (the most work a series can be), one of
    them moved and one cancelled, and one working session in the year; 20 invitees each from the unit's 25 people.
    Returns (the .ics, the roster, meetings, invitations)."""
    from datetime import datetime, timedelta, timezone

    import icalendar

    directory.mkdir(parents=True, exist_ok=True)
    zone = timezone.utc
    stamp = datetime(2026, 11, 1, tzinfo=zone)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN")
    cal.add("version", "2.0")
    roster = ["Email,Name,Department,Role,Business unit"]
    meetings = invitations = 0
    answers = ("ACCEPTED", "ACCEPTED", "ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION")
    for unit in range(CALENDAR_UNITS):
        people = [f"u{unit:02d}.p{n:02d}@bench.example.com" for n in range(25)]
        for n, person in enumerate(people):
            roster.append(f"{person},Person {n},{'Marketing' if n < 12 else 'IT'},"
                          f"{'Head' if n in (0, 12) else 'Manager' if n % 4 == 1 else 'Staff'},Unit {unit:02d}")
        uid = f"steering-{unit:02d}@bench.example.com"
        first = datetime(2025, 11, 3, 9, tzinfo=zone)
        master = icalendar.Event()
        for key, value in (("uid", uid), ("summary", f"Marketing–IT steering, unit {unit:02d}"), ("dtstart", first),
                           ("dtend", first + timedelta(hours=1)), ("dtstamp", stamp)):
            master.add(key, value)
        master.add("rrule", {"freq": "monthly", "byday": "1MO", "count": CALENDAR_MONTHS})
        cal.add_component(master)
        for month in range(CALENDAR_MONTHS):
            year, number = 2025 + (10 + month) // 12, (10 + month) % 12 + 1
            rule_day = datetime(year, number, 1, 9, tzinfo=zone)
            rule_day += timedelta(days=(7 - rule_day.weekday()) % 7)        # the first Monday
            for kind in ("steering", "session") if month == unit % CALENDAR_MONTHS else ("steering",):
                event = icalendar.Event()
                start = rule_day + timedelta(days=2 if month == 3 else 0) if kind == "steering" else \
                    rule_day + timedelta(days=9)
                event.add("uid", uid if kind == "steering" else f"session-{unit:02d}-{month:02d}@bench.example.com")
                if kind == "steering":
                    event.add("recurrence-id", rule_day)
                summary = (f"Marketing–IT steering, unit {unit:02d}" if kind == "steering"
                           else "Marketing & IT working session")
                event.add("summary", ("Canceled: " if kind == "steering" and month == 7 else "") + summary)
                event.add("dtstart", start)
                event.add("dtend", start + timedelta(hours=1))
                event.add("dtstamp", stamp)
                event.add("organizer", f"mailto:{people[0]}")
                for i in range(CALENDAR_INVITEES):
                    person = people[(i + month) % 25 if i else 0]
                    event.add("attendee", f"mailto:{person}", parameters={
                        "CN": f"Person {i}", "PARTSTAT": answers[(i * 7 + month + unit) % len(answers)]})
                    invitations += 1
                cal.add_component(event)
                meetings += 1
    ics, people_csv = directory / "calendar.ics", directory / "roster.csv"
    ics.write_bytes(cal.to_ical())
    people_csv.write_text("\n".join(roster) + "\n", encoding="utf-8")
    return ics, people_csv, meetings, invitations


def worker_calendar(p: dict) -> dict:
    """A calendar import (.ics and roster: prepare and commit, meetings and attendance) into a fresh store, best of
    CALENDAR_REPEATS; then the same file again, which changes nothing."""
    from metrics import ingest, store

    ics, roster, meetings, invitations = calendar_files(Path(p["dir"]))
    times = []
    for _ in range(CALENDAR_REPEATS):
        db = Path(p["dir"]) / "calendar.duckdb"
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
        con = store.connect(db)
        started = time.perf_counter()
        report = ingest.import_file(con, "meetings", ics, roster=roster, user="benchmark")
        times.append(time.perf_counter() - started)
        stored = con.execute("SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM attendance)").fetchall()[0]
        started = time.perf_counter()
        again = ingest.import_file(con, "meetings", ics, roster=roster, user="benchmark")
        reimport = time.perf_counter() - started
        con.close()
    if report.rows_imported != meetings or again.rows_unchanged != meetings:
        raise RuntimeError(f"imported {report.rows_imported} meetings of {meetings}; {again.rows_unchanged} unchanged")
    return {"seconds": min(times), "times": times, "meetings": stored[0], "invitations": invitations,
            "attendance": stored[1], "reimport_seconds": reimport, "bytes": ics.stat().st_size}


WORKERS = {"generate": worker_generate, "plain_load": worker_plain_load, "import": worker_import,
           "profile_import": worker_profile_import, "inproc": worker_inproc, "page": worker_page,
           "boardpack": worker_boardpack, "calendar": worker_calendar}
