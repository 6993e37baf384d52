"""The benchmark harness: import, CLI, pages and board pack timed and sized at each scale of survey responses.

    python -m benchmarks.run [--scales 10000,100000,1000000] [--out docs/benchmarks.md] [--keep DIR]

Every measured step runs in a fresh subprocess (`python -m benchmarks.run --worker STEP ...`), so module imports
are not counted in the in-process figures, each step's peak memory is its own (os.wait4 of that child), and a
step that hangs is killed after --timeout seconds and reported as "timeout". This module imports only the
standard library at the top, so the orchestrator stays small; each worker imports what it measures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED, UNITS, MONTHS, LAST_MONTH = 7, 40, 60, "2026-10"
KPI = "margin_growth_pct"
DEFAULT_SCALES = (10_000, 100_000, 1_000_000)
CALIBRATION_SCALE = 1.0      # generate once at this `scale`, count responses, then scale linearly
LOAD_ROUNDS, LOAD_REPEATS = 5, 2   # plain load and import: rounds of fresh processes taking turns, repeats in each
CLI_REPEATS = 3
OTHER_KINDS = ("headcount", "meetings", "attendance", "projects", "kpis")
VERSIONS = ("duckdb", "streamlit", "pandas", "numpy", "pandera", "plotly", "kaleido", "pyarrow")

# The goals. Memory: 1.5 GB read as 1.5 GiB, the stricter reading would be 1430 MiB.
GOAL_IMPORT_RATIO = 1.5
GOAL_PAGE_WARM = 0.3
GOAL_PAGE_COLD = 2.0
GOAL_SCORECARD = 1.0
GOAL_BOARDPACK = 10.0
GOAL_MEMORY_MIB = 1536


# ==========================================================================================================
# Workers: each runs in its own process and writes one JSON result.


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


WORKERS = {"generate": worker_generate, "plain_load": worker_plain_load, "import": worker_import,
           "profile_import": worker_profile_import, "inproc": worker_inproc, "page": worker_page,
           "boardpack": worker_boardpack}


# ==========================================================================================================
# Running a step


def run_child(argv: list[str], timeout: float, env: dict[str, str]) -> dict:
    """Run `python ARGV` in its own session; wall time, exit, and the peak RSS of it and what it started."""
    load = os.getloadavg()[0]       # other work on the machine slows every figure: recorded, not hidden
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, start_new_session=True)
        reaped: dict = {}

        def reap() -> None:
            # wait4 gives this child's own rusage: ru_maxrss is the largest RSS of it or of any process it
            # started and reaped (e.g. kaleido's Chromium), in KiB on Linux. Not a sum over processes.
            _, status, usage = os.wait4(proc.pid, 0)
            reaped.update(end=time.perf_counter(), status=status, usage=usage)

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        waiter.join(timeout)
        timed_out = waiter.is_alive()
        _kill_group(proc.pid)           # on timeout the step; otherwise any stray browser it left behind
        waiter.join()
        proc.returncode = os.waitstatus_to_exitcode(reaped["status"])
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return {"status": "timeout" if timed_out else ("ok" if proc.returncode == 0 else "failed"),
            "wall": reaped["end"] - started, "rss_mib": reaped["usage"].ru_maxrss / 1024,
            "returncode": proc.returncode, "stdout": stdout, "stderr": stderr, "load": load}


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_worker(name: str, params: dict, timeout: float, env: dict[str, str], scratch: Path) -> dict:
    result_file = scratch / f"result-{name}-{os.getpid()}-{time.monotonic_ns()}.json"
    child = run_child(["-m", "benchmarks.run", "--worker", name, "--params", json.dumps(params),
                       "--result", str(result_file)], timeout, env)
    step = {"status": child["status"], "wall": child["wall"], "rss_mib": child["rss_mib"], "load": child["load"]}
    if result_file.exists():
        step.update(json.loads(result_file.read_text()))
        result_file.unlink()
    if child["status"] == "failed":
        step["error"] = _last_line(child["stderr"])
    if child["status"] == "timeout":
        step["error"] = f"killed after {timeout:g} s"
    return step


def merge_rounds(results: list[dict]) -> dict:
    """One step from its rounds: every time, the best of them, the largest memory; the first failure if any."""
    failed = [r for r in results if r["status"] != "ok"]
    if failed:
        return failed[0]
    merged = dict(results[-1])   # the last round's store is the one the later steps read
    merged["rss_mib"] = max(r["rss_mib"] for r in results)
    merged["load"] = max(r["load"] for r in results)
    for times, best in (("times", "seconds"), ("memory_times", "memory_seconds")):
        if times in merged:
            merged[times] = [t for r in results for t in r[times]]
            merged[best] = min(merged[times])
    if "timings" in merged:
        merged["timings"] = {**merged["timings"], "survey": merged["seconds"]}
    return merged


def run_cli(argv: list[str], repeats: int, timeout: float, env: dict[str, str]) -> dict:
    """A `python -m metrics ...` command as a user runs it: wall time of the whole process, best of `repeats`."""
    walls, rss, load, last = [], 0.0, 0.0, None
    for _ in range(repeats):
        last = run_child(["-m", "metrics", *argv], timeout, env)
        rss, load = max(rss, last["rss_mib"]), max(load, last["load"])
        if last["status"] != "ok":
            break
        walls.append(last["wall"])
    step = {"status": last["status"], "wall": last["wall"], "rss_mib": rss, "times": walls, "load": load}
    if walls:
        step["seconds"] = min(walls)
    if last["status"] == "failed":
        step["error"] = _last_line(last["stderr"])
    elif last["status"] == "timeout":
        step["error"] = f"killed after {timeout:g} s"
    return step


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def progress(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# ==========================================================================================================
# Data sets: generated once per scale and cached in the work directory


def generator_fingerprint() -> str:
    """The generator's source and shape: a cached data set is reused only while these are unchanged."""
    source = (ROOT / "metrics" / "sample.py").read_bytes()
    return hashlib.sha256(source + f"{SEED}/{UNITS}/{MONTHS}/{LAST_MONTH}".encode()).hexdigest()[:16]


def data_set(target: int, work: Path, calibration: dict, timeout: float, env: dict[str, str]) -> dict:
    """A data set of about `target` survey responses: `scale` from the calibration, corrected until within 3%."""
    directory = work / "data" / f"n{target}"
    meta_file = directory / "meta.json"
    fingerprint = generator_fingerprint()
    if meta_file.exists():
        meta = json.loads(meta_file.read_text())
        files = meta.get("files") or {}
        if meta.get("fingerprint") == fingerprint and files and all(Path(f).exists() for f in files.values()):
            progress(f"{target:,}: reusing {directory} ({meta['rows']:,} responses)")
            return meta
    scale = target / calibration["rows_per_scale"]
    for _ in range(4):
        progress(f"{target:,}: generating with scale={scale:.4g}")
        step = run_worker("generate", {"dir": str(directory), "scale": scale}, timeout, env, work)
        if step["status"] != "ok":
            raise SystemExit(f"generating {target:,} responses failed: {step.get('error')}")
        if abs(step["rows"] / target - 1) <= 0.03:
            break
        # At small scales rounding of each group's size bends the line; correct proportionally.
        scale *= target / step["rows"]
    meta = {"fingerprint": fingerprint, "target": target, "scale": scale, "rows": step["rows"],
            "files": step["files"], "bytes": step["bytes"], "generate_seconds": step["seconds"], "generate_rss_mib": step["rss_mib"],
            "dir": str(directory)}
    meta_file.write_text(json.dumps(meta, indent=2))
    return meta


def calibrate(work: Path, timeout: float, env: dict[str, str]) -> dict:
    cache = work / "data" / "calibration.json"
    fingerprint = generator_fingerprint()
    if cache.exists():
        known = json.loads(cache.read_text())
        if known.get("fingerprint") == fingerprint:
            return known
    directory = work / "data" / "calibration"
    progress(f"calibrating: generating at scale={CALIBRATION_SCALE}")
    step = run_worker("generate", {"dir": str(directory), "scale": CALIBRATION_SCALE}, timeout, env, work)
    if step["status"] != "ok":
        raise SystemExit(f"calibration failed: {step.get('error')}")
    shutil.rmtree(directory, ignore_errors=True)
    known = {"fingerprint": fingerprint, "scale": CALIBRATION_SCALE, "rows": step["rows"],
             "rows_per_scale": step["rows"] / CALIBRATION_SCALE}
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(known, indent=2))
    return known


# ==========================================================================================================
# One scale


def dashboard_pages() -> list[str]:
    """The page files of dashboard.py's navigation, in its order."""
    # st.Page(...) or dashboard.py's own page(...) helper, whose first argument is the page file
    return re.findall(r"(?:st\.Page|\bpage)\(\s*[\"'](pages/[^\"']+)[\"']", (ROOT / "dashboard.py").read_text(encoding="utf-8"))


def measure_scale(target: int, work: Path, calibration: dict, args, base_env: dict[str, str]) -> dict:
    data = data_set(target, work, calibration, args.timeout, base_env)
    files = data["files"]
    db = work / "db" / f"n{target}.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    env = {**base_env, "COLLAB_DB": str(db)}
    steps: dict[str, dict] = {}
    label = f"{target:,}"

    def worker(step: str, name: str, params: dict) -> dict:
        progress(f"{label}: {step}")
        steps[step] = run_worker(name, params, args.timeout, env, work)
        _say(label, step, steps[step])
        return steps[step]

    # The plain load and the import take turns, each round in fresh processes, so that both see the machine in
    # the same states (on this kind of machine a process's speed can differ by half from the next one's).
    rounds: dict[str, list[dict]] = {"plain_load": [], "import": []}
    for round_number in range(LOAD_ROUNDS):
        progress(f"{label}: plain load and import, round {round_number + 1} of {LOAD_ROUNDS}")
        rounds["plain_load"].append(run_worker("plain_load", {"path": files["survey"], "repeats": LOAD_REPEATS,
                                                              "db": str(work / "db" / "plain.duckdb")},
                                               args.timeout, env, work))
        rounds["import"].append(run_worker("import", {"db": str(db), "files": files, "repeats": LOAD_REPEATS},
                                           args.timeout, env, work))
    for step, results in rounds.items():
        steps[step] = merge_rounds(results)
        _say(label, step, steps[step])
    imported = steps["import"]
    if imported["status"] == "ok" and imported["rows"]["survey"] != data["rows"]:
        imported["error"] = f"imported {imported['rows']['survey']:,} of {data['rows']:,} responses"
    if imported["status"] == "ok" and steps["plain_load"]["status"] == "ok":
        imported["ratio"] = imported["seconds"] / steps["plain_load"]["seconds"]
        imported["memory_ratio"] = imported["seconds"] / steps["plain_load"]["memory_seconds"]
        # each round's import against the plain load run just before it: how much the ratio moves with the machine
        imported["round_ratios"] = [min(i["times"]) / min(p["times"])
                                    for p, i in zip(rounds["plain_load"], rounds["import"])]
    if args.profile == target:
        worker("profile_import", "profile_import", {"db": str(work / "db" / "profile.duckdb"), "files": files})
    if imported["status"] != "ok":
        progress(f"{label}: the import did not finish ({imported['status']}); the later steps need its database")
        return {"target": target, "data": data, "steps": steps, "db_bytes": None}

    for step, argv in (("scorecard_cli", ["scorecard", "--month", LAST_MONTH, "--json", "--db", str(db)]),
                       ("linkage_cli", ["linkage", "--kpi", KPI, "--json", "--db", str(db)])):
        progress(f"{label}: {step} (best of {CLI_REPEATS})")
        steps[step] = run_cli(argv, CLI_REPEATS, args.timeout, env)
        _say(label, step, steps[step])
    worker("inproc", "inproc", {"db": str(db), "month": LAST_MONTH, "kpi": KPI})
    for page in dashboard_pages():
        worker(f"page:{page}", "page", {"page": page, "timeout": args.timeout})
    worker("boardpack", "boardpack", {"db": str(db), "month": LAST_MONTH, "out_dir": str(work / "packs" / f"n{target}")})
    return {"target": target, "data": data, "steps": steps, "db_bytes": imported.get("db_bytes")}


def _say(label: str, step: str, result: dict) -> None:
    seconds = result.get("seconds", result.get("cold"))
    shown = f"{seconds:.3f} s" if isinstance(seconds, (int, float)) else ""
    extra = f" ({result['error']})" if result.get("error") else ""
    progress(f"{label}: {step} {result['status']} {shown} peak {result['rss_mib']:.0f} MiB{extra}")


def measure_floor(env: dict[str, str], timeout: float) -> dict:
    """Interpreter start-up plus the CLI's imports: what every command pays before any query."""
    progress("start-up floor: python -m metrics --help")
    return run_cli(["--help"], CLI_REPEATS, timeout, env)


# ==========================================================================================================
# The report


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    usable = machine_cores()
    versions = {"python": platform.python_version()}
    for name in VERSIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "memory_gib": memory,
            "os": f"{platform.system()} {platform.release()}", "versions": versions, "commit": _commit()}


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip()
        product = ["metrics", "pages", "dashboard.py"]
        dirty = subprocess.run(["git", "status", "--porcelain", "--", *product], cwd=ROOT, capture_output=True,
                               text=True, timeout=10).stdout.strip()
        diff = subprocess.run(["git", "diff", "HEAD", "--", *product], cwd=ROOT, capture_output=True,
                              timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    if not dirty:
        return head
    # Uncommitted work is named by a hash of its diff, so two runs on the same working tree can be told apart.
    return (f"{head} with uncommitted changes in metrics/, pages/ or dashboard.py "
            f"(diff {hashlib.sha256(diff + dirty.encode()).hexdigest()[:8]})")


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


def _round_ratios(step: dict | None) -> str:
    ratios = sorted((step or {}).get("round_ratios") or [])
    return "–" if not ratios else " ".join(f"{r:,.2f}×" for r in ratios)


def _page_steps(scale: dict) -> dict[str, dict]:
    return {name.removeprefix("page:"): step for name, step in scale["steps"].items() if name.startswith("page:")}


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


def render(results: list[dict], floor: dict, info: dict, started: datetime, seconds: float, args) -> tuple[str, str]:
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


def machine_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


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


# ==========================================================================================================
# Entry point


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=",".join(str(s) for s in DEFAULT_SCALES),
                        help="target numbers of survey responses, comma-separated (default: %(default)s)")
    parser.add_argument("--out", default="docs/benchmarks.md", help="the Markdown report (default: %(default)s)")
    parser.add_argument("--keep", metavar="DIR",
                        help="work directory kept between runs: generated data sets are reused (default: a temp dir)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per subprocess (default: %(default)s)")
    parser.add_argument("--profile", type=int, default=100_000,
                        help="profile one survey import at this scale, if it is among --scales; 0 for none "
                             "(default: %(default)s)")
    parser.add_argument("--render", metavar="RESULTS_JSON",
                        help="write the report again from a kept run's results.json (its figures, today's "
                             "benchmarks/changes.md), timing nothing")
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--params", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        result = WORKERS[args.worker](json.loads(args.params))
        Path(args.result).write_text(json.dumps(result))
        return 0
    if args.render:
        write_report(json.loads(Path(args.render).read_text()), args.out)
        return 0

    scales = sorted({int(s.replace("_", "")) for s in args.scales.split(",") if s.strip()})
    work = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="collab-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COLLAB_USER": "benchmark", "PYTHONPATH": str(ROOT)}
    env["COLLAB_DB"] = str(work / "db" / "unused.duckdb")   # never the user's data/collab.duckdb
    started, clock, info = datetime.now(), time.perf_counter(), machine()
    progress(f"work directory {work}; scales {', '.join(f'{s:,}' for s in scales)}; timeout {args.timeout:.0f} s")
    try:
        floor = measure_floor(env, args.timeout)
        calibration = calibrate(work, args.timeout, env)
        progress(f"calibration: scale {calibration['scale']:g} gives {calibration['rows']:,} responses")
        results = []
        for target in scales:
            results.append(measure_scale(target, work, calibration, args, env))
            (work / "results.json").write_text(json.dumps({"floor": floor, "scales": results}, indent=2))
        commit_now = _commit()
        if commit_now != info["commit"]:
            info["commit"] += f" at the start, {commit_now} at the end: the code changed during the run"
        run = {"floor": floor, "scales": results, "info": info, "started": started.isoformat(),
               "seconds": time.perf_counter() - clock}
        (work / "results.json").write_text(json.dumps(run, indent=2))
        write_report(run, args.out)
        if args.keep:
            progress(f"raw figures in {work / 'results.json'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def write_report(run: dict, out_name: str) -> None:
    """The Markdown report of a run (its raw figures as results.json holds them), with benchmarks/changes.md as it
    is now: the narrative can be brought up to date without timing anything again."""
    document, summary = render(run["scales"], run["floor"], run["info"], datetime.fromisoformat(run["started"]),
                               run["seconds"], None)
    out = Path(out_name)
    if not out.is_absolute():
        out = ROOT / out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    print(summary)
    progress(f"wrote {out}")


if __name__ == "__main__":
    sys.exit(main())
