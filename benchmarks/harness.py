"""The benchmark harness: import, CLI, pages and board pack timed and sized at each scale of survey responses.

    python -m benchmarks.run [--scales 10000,100000,1000000] [--out docs/benchmarks.md] [--keep DIR]

Every measured step runs in a fresh subprocess (`python -m benchmarks.run --worker STEP ...`, a worker of
benchmarks/workers.py), so module imports are not counted in the in-process figures, each step's peak memory is
its own (os.wait4 of that child), and a step that hangs is killed after --timeout seconds and reported as
"timeout". This module runs the steps, caches the data sets, records the machine and hands the raw figures to
benchmarks/report.py. It imports only the standard library and the benchmark's own modules at the top, so the
orchestrator stays small; each worker imports what it measures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
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

from benchmarks.report import calendar_line, write_report
from benchmarks.settings import (CLI_REPEATS, KPI, LAST_MONTH, LOAD_REPEATS, LOAD_ROUNDS, MONTHS, ROOT, SEED,
                                 SERVED_ROUNDS, UNITS, dashboard_pages, machine_cores, progress)
from benchmarks.workers import WORKERS

DEFAULT_SCALES = (10_000, 100_000, 1_000_000)
CALIBRATION_SCALE = 1.0      # generate once at this `scale`, count responses, then scale linearly
VERSIONS = ("duckdb", "streamlit", "pandas", "numpy", "pandera", "plotly", "kaleido", "pyarrow")


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


# ==========================================================================================================
# Data sets: generated once per scale and cached in the work directory


def generator_fingerprint() -> str:
    """The generator's source and shape: a cached data set is reused only while these are unchanged."""
    source = b"".join(path.read_bytes() for path in sorted((ROOT / "metrics" / "sample").glob("*.py")))
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
    measure_served(db, env, args, steps, label, work)
    return {"target": target, "data": data, "steps": steps, "db_bytes": imported.get("db_bytes")}


def measure_served(db: Path, env: dict[str, str], args, steps: dict[str, dict], label: str, work: Path) -> None:
    """The commands and pages while another process holds the store and serves it (`python -m metrics serve`, as a
    running dashboard does; each reaches the store through the server, found through `STORE.server`), beside the
    same embedded. On a shared machine one process's speed can differ by half from the next one's, so the two take
    turns, SERVED_ROUNDS rounds of each, and each side's best is kept: steps `served:<step>`, with the embedded
    side's best in `embedded_<figure>`."""
    commands = {"scorecard_cli": ["scorecard", "--month", LAST_MONTH, "--json", "--db", str(db)],
                "linkage_cli": ["linkage", "--kpi", KPI, "--json", "--db", str(db)]}
    names = [*commands, *(f"page:{page}" for page in dashboard_pages())]
    rounds: dict[str, dict[str, list[dict]]] = {"embedded": {n: [] for n in names}, "served": {n: [] for n in names}}

    def measure(side: str) -> None:
        for name, argv in commands.items():
            rounds[side][name].append(run_cli(argv, 1, args.timeout, env))
        for page in dashboard_pages():
            rounds[side][f"page:{page}"].append(run_worker("page", {"page": page, "timeout": args.timeout},
                                                           args.timeout, env, work))

    for number in range(SERVED_ROUNDS):
        progress(f"{label}: commands and pages embedded, round {number + 1} of {SERVED_ROUNDS}")
        measure("embedded")
        progress(f"{label}: commands and pages through the server, round {number + 1} of {SERVED_ROUNDS}")
        server = subprocess.Popen([sys.executable, "-m", "metrics", "serve", "--db", str(db)], cwd=ROOT, env=env,
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  start_new_session=True)
        try:
            line = server.stdout.readline()
            if not line.startswith("Serving "):
                steps["served:server"] = {"status": "failed", "wall": 0.0, "rss_mib": 0.0, "error": _last_line(
                    server.stderr.read() if server.poll() is not None else line)}
                progress(f"{label}: the server did not start: {steps['served:server']['error']}")
                return
            measure("served")
        finally:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    _kill_group(server.pid)
                    server.wait()
    for name in names:
        steps[f"served:{name}"] = _paired(rounds["served"][name], rounds["embedded"][name])
        _say(label, f"served:{name}", steps[f"served:{name}"])


def _paired(served: list[dict], embedded: list[dict]) -> dict:
    """One served step from its rounds, the best of each side: a command's `seconds`, a page's `cold` and `warm`
    (the better of its two warm runs); the embedded side's best beside them as `embedded_<figure>`."""
    failed = [r for r in served + embedded if r["status"] != "ok"]
    if failed:
        return failed[0]
    step = dict(served[-1])
    step["rss_mib"] = max(r["rss_mib"] for r in served)
    step["load"] = max(r["load"] for r in served + embedded)
    figures = {"seconds": lambda r: r["seconds"]} if "seconds" in step else {
        "cold": lambda r: r["cold"], "warm": lambda r: min(r["warm"], r["warm_again"])}
    for key, figure in figures.items():
        step[key] = min(map(figure, served))
        step[f"embedded_{key}"] = min(map(figure, embedded))
    step["rounds"] = len(served)
    return step


def _say(label: str, step: str, result: dict) -> None:
    seconds = result.get("seconds", result.get("cold"))
    shown = f"{seconds:.3f} s" if isinstance(seconds, (int, float)) else ""
    extra = f" ({result['error']})" if result.get("error") else ""
    progress(f"{label}: {step} {result['status']} {shown} peak {result['rss_mib']:.0f} MiB{extra}")


def measure_calendar(work: Path, env: dict[str, str], timeout: float) -> dict:
    """The calendar import (issue 19), once per run: it does not depend on the survey's scale."""
    progress("calendar: a year of 40 units' calendars (.ics and roster)")
    result = run_worker("calendar", {"dir": str(work / "calendar")}, timeout, env, work)
    _say("calendar", "import", result)
    return result


def measure_floor(env: dict[str, str], timeout: float) -> dict:
    """Interpreter start-up plus the CLI's imports: what every command pays before any query."""
    progress("start-up floor: python -m metrics --help")
    return run_cli(["--help"], CLI_REPEATS, timeout, env)


# ==========================================================================================================
# The machine


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
    parser.add_argument("--calendar-only", action="store_true",
                        help="time the calendar import (.ics and roster, a year of 40 units) alone and print it; "
                             "writes no report")
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
    if args.calendar_only:
        try:
            calendar = measure_calendar(work, env, args.timeout)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
        print(calendar_line(calendar))
        return 0 if calendar["status"] == "ok" else 1
    try:
        floor = measure_floor(env, args.timeout)
        calendar = measure_calendar(work, env, args.timeout)
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
               "seconds": time.perf_counter() - clock, "calendar": calendar}
        (work / "results.json").write_text(json.dumps(run, indent=2))
        write_report(run, args.out)
        if args.keep:
            progress(f"raw figures in {work / 'results.json'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0
