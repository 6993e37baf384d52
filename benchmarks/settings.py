"""The benchmark's fixed settings, shared by the workers, the harness and the report.

The data set's shape, how many times each step is repeated, the issue's goals, the dashboard pages measured, and
the two small helpers both the harness and the report use (the progress line on stderr, the usable cores).
Standard library only, and it imports nothing else of the benchmark's, so every other module can import it.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED, UNITS, MONTHS, LAST_MONTH = 7, 40, 60, "2026-10"
KPI = "margin_growth_pct"
LOAD_ROUNDS, LOAD_REPEATS = 5, 2   # plain load and import: rounds of fresh processes taking turns, repeats in each
CLI_REPEATS = 3
SERVED_ROUNDS = 3   # pages and commands embedded and through the server: rounds taking turns, best of each
OTHER_KINDS = ("headcount", "meetings", "attendance", "projects", "kpis")

# The goals. Memory: 1.5 GB read as 1.5 GiB, the stricter reading would be 1430 MiB.
GOAL_IMPORT_RATIO = 1.5
GOAL_PAGE_WARM = 0.3
GOAL_PAGE_COLD = 2.0
GOAL_SCORECARD = 1.0
GOAL_BOARDPACK = 10.0
GOAL_MEMORY_MIB = 1536
GOAL_SERVED_RATIO = 1.5   # a page or command through the store's server ÷ the same embedded (issue 18)
# Calendars (issue 19): a year of a 40-unit company's calendars (about 500 meetings, 10,000 invitations), one .ics
# file with its people roster, imported in under 5 s.
GOAL_CALENDAR = 5.0
CALENDAR_UNITS, CALENDAR_MONTHS, CALENDAR_INVITEES, CALENDAR_REPEATS = 40, 12, 20, 3


def dashboard_pages() -> list[str]:
    """The page files of dashboard.py's navigation, in its order."""
    # st.Page(...) or dashboard.py's own page(...) helper, whose first argument is the page file
    return re.findall(r"(?:st\.Page|\bpage)\(\s*[\"'](pages/[^\"']+)[\"']", (ROOT / "dashboard.py").read_text(encoding="utf-8"))


def machine_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def progress(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)
