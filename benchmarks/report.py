"""The benchmark report: a run's raw figures (as results.json holds them) to docs/benchmarks.md and the summary.

render() builds the Markdown document (figures against the issue's goals with PASS/MISS, pages, peak memory,
growth between scales, the other imports, the import's profile, then benchmarks/changes.md as it is now) and the
summary table printed on stdout; write_report() writes it. It times nothing and imports nothing of the harness's:
the harness and `--render` both call it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from benchmarks.settings import (CALENDAR_MONTHS, CALENDAR_REPEATS, CALENDAR_UNITS, CLI_REPEATS, GOAL_BOARDPACK,
                                 GOAL_CALENDAR, GOAL_IMPORT_RATIO, GOAL_MEMORY_MIB, GOAL_PAGE_COLD, GOAL_PAGE_WARM,
                                 GOAL_SCORECARD, GOAL_SERVED_RATIO, KPI, LAST_MONTH, LOAD_REPEATS, LOAD_ROUNDS, MONTHS,
                                 SERVED_ROUNDS,
                                 OTHER_KINDS, ROOT, SEED, UNITS, dashboard_pages, machine_cores, progress)


def _secs(value) -> str:
    if value is None:
        return "–"
    return f"{value:.3f} s" if value < 1 else f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def _verdict(value, goal) -> str:
    if value is None or goal is None:
        return ""
    return " PASS" if value <= goal else " MISS"


def _cell(step: dict | None, key: str = "seconds", goal: float | None = None, fmt=_secs) -> str:
    if step is None:
        return "not run"
    if step["status"] != "ok":
        return step["status"] + (f" (after {_secs(step['wall'])})" if step.get("wall") else "")
    value = step.get(key)
    return "–" if value is None else fmt(value) + _verdict(value, goal)


def calendar_line(step: dict | None) -> str:
    """The calendar import's row (issue 19): its own table, since it does not depend on the survey's scale."""
    what = (f"calendar import (.ics + roster, {CALENDAR_UNITS} units × {CALENDAR_MONTHS} months"
            + (f": {step['meetings']:,} meetings, {step['invitations']:,} invitations, "
               f"{step['bytes'] / 2**20:.1f} MiB" if step and step.get("meetings") else "")
            + f"; best of {CALENDAR_REPEATS})")
    again = _secs(step.get("reimport_seconds")) if step and step.get("reimport_seconds") is not None else "–"
    peak = f"{step['rss_mib']:,.0f} MiB" if step and step.get("rss_mib") else "–"
    return (f"| {what} | ≤ {GOAL_CALENDAR:g} s | {_cell(step, goal=GOAL_CALENDAR)} | the same file again: {again}; "
            f"peak {peak} |")


def _round_ratios(step: dict | None) -> str:
    ratios = sorted((step or {}).get("round_ratios") or [])
    return "–" if not ratios else " ".join(f"{r:,.2f}×" for r in ratios)


def _page_steps(scale: dict) -> dict[str, dict]:
    return {name.removeprefix("page:"): step for name, step in scale["steps"].items() if name.startswith("page:")}


def _served_ratio(scale: dict, step: str, key: str = "seconds") -> float | None:
    """A step through the store's server ÷ the same step embedded in the rounds they took turns in, or None."""
    served = scale["steps"].get(f"served:{step}")
    if not served or served["status"] != "ok" or not served.get(f"embedded_{key}"):
        return None
    return served[key] / served[f"embedded_{key}"]


def _served_cell(scale: dict, step: str, key: str = "seconds") -> str:
    served = scale["steps"].get(f"served:{step}")
    if served is None or served["status"] != "ok":
        return _cell(served or scale["steps"].get("served:server"))
    ratio = _served_ratio(scale, step, key)
    return (_secs(served[key]) + f" vs {_secs(served.get(f'embedded_{key}'))}"
            + ("" if ratio is None else f" ({ratio:.2f}×{_verdict(ratio, GOAL_SERVED_RATIO)})"))


def _worst_served_ratio(scale: dict, key: str) -> str:
    ratios = [(r, page) for page in dashboard_pages() if (r := _served_ratio(scale, f"page:{page}", key)) is not None]
    if not ratios:
        return _cell(scale["steps"].get("served:server"))
    ratio, page = max(ratios)
    return f"{ratio:.2f}×{_verdict(ratio, GOAL_SERVED_RATIO)} (`{page}`)"


def _worst_page(scale: dict, key: str) -> dict | None:
    pages = _page_steps(scale)
    if not pages:
        return None
    bad = [s for s in pages.values() if s["status"] != "ok"]
    if bad:
        return bad[0]
    page, step = max(pages.items(), key=lambda item: item[1][key])
    return {**step, "page": page}


def _product_peak(scale: dict) -> tuple[float | None, str]:
    """The largest RSS of any product step (generating data and DuckDB's plain load are not the product)."""
    candidates = [(s["rss_mib"], n) for n, s in scale["steps"].items() if n not in ("plain_load", "profile_import")]
    if not candidates:
        return None, ""
    return max(candidates)


def timed_measures(scale: dict) -> dict[str, float | None]:
    """Every timed figure of one scale by a readable name (for the growth table)."""
    steps = scale["steps"]

    def get(step: str, key: str = "seconds"):
        s = steps.get(step)
        return s.get(key) if s and s["status"] == "ok" else None

    inproc = steps.get("inproc") if steps.get("inproc", {}).get("status") == "ok" else {}
    out = {"DuckDB read_csv load": get("plain_load"), "survey import": get("import"),
           "`scorecard` command (wall)": get("scorecard_cli"),
           "`scorecard()` in-process": (inproc.get("scorecard") or {}).get("first"),
           "`linkage` command (wall)": get("linkage_cli"),
           "`linkage()` in-process": (inproc.get("linkage") or {}).get("first"),
           "board pack": get("boardpack")}
    for page, step in _page_steps(scale).items():
        ok = step["status"] == "ok"
        out[f"{page} cold"] = step["cold"] if ok else None
        out[f"{page} warm"] = step["warm"] if ok else None
    return out


def render(results: list[dict], floor: dict, info: dict, started: datetime, seconds: float, args,
           calendar: dict | None = None) -> tuple[str, str]:
    """(the whole Markdown document, the summary table alone for stdout)."""
    scales = [r for r in results]
    heads = [f"{r['target']:,}" for r in scales]
    largest = heads[-1] if heads else ""

    def row(name: str, goal: str, cells: list[str]) -> str:
        return f"| {name} | {goal} | " + " | ".join(cells) + " |"

    header = "| measure | goal | " + " | ".join(f"{h} responses" for h in heads) + " |\n" + \
        "| --- | --- | " + " | ".join("---:" for _ in heads) + " |"
    lines = [header]
    lines.append(row("survey responses (actual)", "", [f"{r['data']['rows']:,}" for r in scales]))
    lines.append(row(f"survey import (`ingest.import_file`, in-process, best of {LOAD_ROUNDS * LOAD_REPEATS})", "", [_cell(r["steps"].get("import")) for r in scales]))
    lines.append(row(f"DuckDB `read_csv` plain load into a database file (best of {LOAD_ROUNDS * LOAD_REPEATS})", "",
                     [_cell(r["steps"].get("plain_load")) for r in scales]))
    lines.append(row("**import ÷ plain load**", f"≤ {GOAL_IMPORT_RATIO:g}×",
                     [_cell(r["steps"].get("import"), "ratio", GOAL_IMPORT_RATIO, lambda v: f"{v:,.2f}×")
                      for r in scales]))
    lines.append(row(f"import ÷ plain load in each round (best of {LOAD_REPEATS} each), lowest to highest", "–",
                     [_round_ratios(r["steps"].get("import")) for r in scales]))
    lines.append(row(f"DuckDB `read_csv` plain load into memory (best of {LOAD_ROUNDS * LOAD_REPEATS})", "–",
                     [_cell(r["steps"].get("plain_load"), "memory_seconds") for r in scales]))
    lines.append(row("import ÷ in-memory load", "–",
                     [_cell(r["steps"].get("import"), "memory_ratio", None, lambda v: f"{v:,.2f}×")
                      for r in scales]))
    lines.append(row(f"`scorecard` command, wall (best of {CLI_REPEATS})", f"≤ {GOAL_SCORECARD:g} s",
                     [_cell(r["steps"].get("scorecard_cli"), goal=GOAL_SCORECARD) for r in scales]))
    lines.append(row("`scorecard()` in-process, first call", f"≤ {GOAL_SCORECARD:g} s",
                     [_inproc(r, "scorecard", GOAL_SCORECARD) for r in scales]))
    lines.append(row(f"`linkage` command, wall (best of {CLI_REPEATS})", "–",
                     [_cell(r["steps"].get("linkage_cli")) for r in scales]))
    lines.append(row("`linkage()` in-process, first call", "–", [_inproc(r, "linkage") for r in scales]))
    lines.append(row("app's first run (home page, fresh process)", "–",
                     [_worst_cell(r, "first_run", None) for r in scales]))
    lines.append(row("slowest page, cold", f"≤ {GOAL_PAGE_COLD:g} s at 1M", [_worst_cell(r, "cold", GOAL_PAGE_COLD)
                                                                            for r in scales]))
    lines.append(row("slowest page, warm", f"≤ {GOAL_PAGE_WARM:g} s at 1M", [_worst_cell(r, "warm", GOAL_PAGE_WARM)
                                                                            for r in scales]))
    lines.append(row("board pack (`build_pack`, PPTX + PDF)", f"≤ {GOAL_BOARDPACK:g} s",
                     [_cell(r["steps"].get("boardpack"), goal=GOAL_BOARDPACK) for r in scales]))
    lines.append(row(f"`scorecard` command through the store's server vs embedded (best of {SERVED_ROUNDS} rounds each)", f"≤ {GOAL_SERVED_RATIO:g}×",
                     [_served_cell(r, "scorecard_cli") for r in scales]))
    lines.append(row(f"`linkage` command through the store's server vs embedded (best of {SERVED_ROUNDS} rounds each)", f"≤ {GOAL_SERVED_RATIO:g}×",
                     [_served_cell(r, "linkage_cli") for r in scales]))
    lines.append(row("page through the server ÷ embedded, cold (the largest)", f"≤ {GOAL_SERVED_RATIO:g}×",
                     [_worst_served_ratio(r, "cold") for r in scales]))
    lines.append(row("page through the server ÷ embedded, warm (the largest)", f"≤ {GOAL_SERVED_RATIO:g}×",
                     [_worst_served_ratio(r, "warm") for r in scales]))
    peak_cells = []
    for r in scales:
        peak, step = _product_peak(r)
        peak_cells.append("–" if peak is None else f"{peak:,.0f} MiB{_verdict(peak, GOAL_MEMORY_MIB)} ({step})")
    lines.append(row("peak memory (largest step)", f"≤ {GOAL_MEMORY_MIB:,} MiB", peak_cells))
    lines.append(row("database file", "–", ["–" if not r.get("db_bytes") else f"{r['db_bytes'] / 2**20:,.0f} MiB"
                                            for r in scales]))
    lines.append(row(f"1-minute load average before a step, max ({machine_cores()} cores)", "–",
                     [_max_load(r) for r in scales]))
    summary = "\n".join(lines)
    if calendar is not None:   # a row of its own: the calendar import does not grow with the survey's scale
        summary += "\n\n| measure | goal | figure | also |\n| --- | --- | ---: | --- |\n" + calendar_line(calendar)

    doc = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m benchmarks.run`); do not edit by hand. The figures are from one run "
        "on the machine below; rerun to compare.",
        "",
        f"- **Run**: {started:%Y-%m-%d %H:%M} local time, {seconds / 60:.1f} min in all; code at {info['commit']}",
        _load_line(scales, info),
        f"- **Machine**: {info['cpu']}; {info['cores']} cores ({info['usable_cores']} usable); "
        f"{info['memory_gib']:.1f} GiB memory; {info['os']}",
        "- **Versions**: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"- **Data**: `metrics.sample.write_sample(seed={SEED}, units={UNITS}, months={MONTHS}, "
        f"last_month=\"{LAST_MONTH}\")`, `scale` chosen per row so the survey has about the target number of "
        f"responses; scorecard and board pack for {LAST_MONTH}, linkage for `{KPI}`.",
        "",
        "## Figures",
        "",
        "PASS/MISS compares each figure with the issue's goal at that scale (the page goals are stated for 1 million "
        "responses; they are checked at every scale). Every step ran in a fresh process. The survey import and "
        "the plain load it is compared with, `CREATE TABLE t AS SELECT * FROM read_csv(file)`, take turns: "
        f"{LOAD_ROUNDS} rounds of a plain-load process then an import process, {LOAD_REPEATS} runs in each, every "
        "run into a fresh database file (the import's holding the catalogue); each figure is the best of its "
        f"{LOAD_ROUNDS * LOAD_REPEATS} runs. The plain load into memory, timed beside the one into a file, is "
        "written down too.",
        "",
        summary,
        "",
        f"Start-up floor: `python -m metrics --help` (interpreter and the CLI's imports, no query) takes "
        f"{_cell(floor)} wall (best of {CLI_REPEATS}), peak {floor['rss_mib']:.0f} MiB. Every command pays it "
        + (f"(measured before the scales), so of the `scorecard` command's {GOAL_SCORECARD:g} s it leaves "
           f"{GOAL_SCORECARD - floor['seconds']:.2f} s for the work; "
           if floor.get("seconds") is not None and floor["seconds"] < GOAL_SCORECARD else
           f"(measured before the scales), so the `scorecard` command cannot meet {GOAL_SCORECARD:g} s wall until "
           "start-up is cut; ")
        + "the in-process rows are the calls' own cost.",
        "",
        "## Pages",
        "",
        "Each page in a fresh process: `AppTest.from_file(\"dashboard.py\").run()` (the home page; connection "
        "opened, filters read), then `switch_page(page).run()` timed as **cold** (the page's first run: its "
        "cached reads empty), then `run()` again as **warm**. The Scorecard page is the home page, so its cold run "
        "reuses what the first run cached; the app's first run is its truly cold figure. AppTest runs the script "
        "only: the browser's drawing of charts is not included.",
        "",
        "| page | " + " | ".join(f"{h} cold | {h} warm | {h} first run" for h in heads) + " |",
        "| --- | " + " | ".join("---: | ---: | ---:" for _ in heads) + " |",
    ]
    for page in dashboard_pages():
        cells = []
        for r in scales:
            step = r["steps"].get(f"page:{page}")
            if step is None or step["status"] != "ok":
                state = "not run" if step is None else step["status"] + (f": {step.get('error', '')}")
                cells += [state, "", ""]
                continue
            note = " ⚠ " + "; ".join(step["exceptions"]) if step.get("exceptions") else ""
            cells += [_secs(step["cold"]) + _verdict(step["cold"], GOAL_PAGE_COLD) + note,
                      _secs(step["warm"]) + _verdict(step["warm"], GOAL_PAGE_WARM), _secs(step["first_run"])]
        doc.append(f"| `{page}` | " + " | ".join(cells) + " |")

    doc += ["", "## Pages through the store's server", "",
            "The same pages while another process holds the store and serves it (`python -m metrics serve`, as a "
            "running dashboard does): the page's process reaches the store through the server. Served and embedded "
            f"took turns, {SERVED_ROUNDS} rounds of each, in fresh processes; each cell is the best through the "
            f"server vs the best embedded and their ratio (goal ≤ {GOAL_SERVED_RATIO:g}×); warm is the better of the "
            "page's two warm runs. The commands' rows above are paired the same way.", "",
            "| page | " + " | ".join(f"{h} cold | {h} warm" for h in heads) + " |",
            "| --- | " + " | ".join("---: | ---:" for _ in heads) + " |"]
    for page in dashboard_pages():
        cells = []
        for r in scales:
            cells += [_served_cell(r, f"page:{page}", "cold"), _served_cell(r, f"page:{page}", "warm")]
        doc.append(f"| `{page}` | " + " | ".join(cells) + " |")

    doc += ["", "## Peak memory by step", "",
            "Largest resident set size of the step's process or of any process it started and waited for (for the "
            "board pack, kaleido's Chromium), from `os.wait4`; the largest single process, not a sum.", "",
            "| step | " + " | ".join(heads) + " |", "| --- | " + " | ".join("---:" for _ in heads) + " |"]
    names = list(dict.fromkeys(n for r in scales for n in r["steps"]))
    for name in names:
        cells = []
        for r in scales:
            step = r["steps"].get(name)
            cells.append("–" if step is None else f"{step['rss_mib']:,.0f} MiB"
                         + _verdict(step["rss_mib"], GOAL_MEMORY_MIB if name not in ("plain_load", "profile_import")
                                    else None))
        doc.append(f"| {name} | " + " | ".join(cells) + " |")
    doc.append("| (generating the data set, not the product) | "
               + " | ".join(f"{r['data'].get('generate_rss_mib', 0):,.0f} MiB" for r in scales) + " |")

    doc += ["", "## Growth", ""]
    growth = growth_table(scales)
    doc += growth if growth else ["Needs at least two scales."]

    doc += ["", "## Other imports and the data sets", "",
            "| | " + " | ".join(heads) + " |", "| --- | " + " | ".join("---:" for _ in heads) + " |"]
    for kind in ("items", *OTHER_KINDS):
        doc.append(f"| import {kind} | " + " | ".join(_kind_time(r, kind) for r in scales) + " |")
    doc.append("| `scale` passed to `write_sample` | " + " | ".join(f"{r['data']['scale']:.4g}" for r in scales) + " |")
    doc.append("| survey file | " + " | ".join(f"{r['data']['bytes']['survey'] / 2**20:,.1f} MiB" for r in scales)
               + " |")

    profiled = [r for r in scales if r["steps"].get("profile_import", {}).get("status") == "ok"]
    if profiled:
        step, target = profiled[0]["steps"]["profile_import"], profiled[0]["target"]
        doc += ["", f"## Where the import's time goes ({target:,} responses)", "",
                f"One survey import under cProfile ({_secs(step['seconds'])} with the profiler's overhead); the top "
                "ten by cumulative time, then by own time. DuckDB's work shows as the own time of the Python "
                "function that runs the query.", "", "```", step["cumulative"], "```", "", "```",
                step["tottime"], "```"]

    changes = Path(__file__).with_name("changes.md")   # hand-written: the design changes and what is still open
    doc += ["", changes.read_text(encoding="utf-8").strip() if changes.exists() else
            "## What was changed to get there\n\n(benchmarks/changes.md is missing)", ""]
    return "\n".join(doc), summary


def _max_load(scale: dict) -> str:
    loads = [s["load"] for s in scale["steps"].values() if "load" in s]
    return f"{max(loads):.1f}" if loads else "–"


def _load_line(scales: list[dict], info: dict) -> str:
    loads = [s["load"] for r in scales for s in r["steps"].values() if "load" in s]
    if not loads:
        return "- **Load**: not recorded"
    busy = max(loads) > info["usable_cores"]
    return (f"- **Load**: 1-minute load average before each step {min(loads):.1f} to {max(loads):.1f} on "
            f"{info['usable_cores']} cores" + ("; above the core count other work was sharing the CPU, so those "
                                              "steps' times are inflated" if busy else ""))


def _inproc(scale: dict, name: str, goal: float | None = None) -> str:
    step = scale["steps"].get("inproc")
    if step is None or step["status"] != "ok":
        return _cell(step)
    value = step[name]["first"]
    return _secs(value) + _verdict(value, goal) + f" (again {_secs(step[name]['again'])})"


def _worst_cell(scale: dict, key: str, goal: float | None) -> str:
    worst = _worst_page(scale, key)
    if worst is None or worst["status"] != "ok":
        return _cell(worst)
    return _secs(worst[key]) + _verdict(worst[key], goal) + ("" if key == "first_run" else f" (`{worst['page']}`)")


def _kind_time(scale: dict, kind: str) -> str:
    step = scale["steps"].get("import")
    if not step or step["status"] != "ok":
        return _cell(step)
    return f"{_secs(step['timings'][kind])} ({step['rows'][kind]:,} rows)"


def growth_table(scales: list[dict]) -> list[str]:
    """time(larger) / time(smaller) for each pair of neighbouring scales, against the data's own ratio."""
    pairs = list(zip(scales, scales[1:]))
    if not pairs:
        return []
    out = ["Time at the larger scale ÷ time at the smaller, against the ratio of responses. A step "
           "**grows no faster than the data** when its ratio is at most the data's. Sub-10 ms figures are mostly "
           "noise.", "",
           "| step | " + " | ".join(f"{a['target']:,} → {b['target']:,}" for a, b in pairs) + " |",
           "| --- | " + " | ".join("---" for _ in pairs) + " |",
           "| responses | " + " | ".join(f"× {b['data']['rows'] / a['data']['rows']:.2f}" for a, b in pairs) + " |"]
    measures = [timed_measures(s) for s in scales]
    for name in measures[0]:
        cells = []
        for (a, b), (ma, mb) in zip(pairs, zip(measures, measures[1:])):
            ta, tb = ma.get(name), mb.get(name)
            if ta is None or tb is None or ta <= 0:
                cells.append("–")
                continue
            ratio, data_ratio = tb / ta, b["data"]["rows"] / a["data"]["rows"]
            words = "grows no faster than the data" if ratio <= data_ratio else "grows faster than the data"
            cells.append(f"× {ratio:.2f}: {words}")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def write_report(run: dict, out_name: str) -> None:
    """The Markdown report of a run (its raw figures as results.json holds them), with benchmarks/changes.md as it
    is now: the narrative can be brought up to date without timing anything again."""
    document, summary = render(run["scales"], run["floor"], run["info"], datetime.fromisoformat(run["started"]),
                               run["seconds"], None, run.get("calendar"))
    out = Path(out_name)
    if not out.is_absolute():
        out = ROOT / out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    print(summary)
    progress(f"wrote {out}")
