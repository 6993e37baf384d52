"""Crashes and concurrent use: an import killed mid-way leaves nothing of its file; imports and reads at the same
time give right results or a plain "busy, try again"; nothing is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from metrics import ingest, scorecard, store
from tests.conftest import load_fixture, store_rows

ROOT = Path(__file__).resolve().parent.parent
HEADER = "response_id,submitted_at,business_unit,department,role,comm_vocabulary,comm_unheard,partner_strategic," \
         "partner_nps,comment\n"


def big_survey(path: Path, rows: int, prefix: str, general: bool = False) -> Path:
    """A survey file of `rows` responses in 2026-01 (units Big1-Big8). `general`: answers written as labels, which
    only the general reader takes (the slower path, in pandas)."""
    answer = "Agree" if general else "4"
    units = [f"Big{n}" for n in range(1, 9)]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for n in range(rows):
            handle.write(f"{prefix}{n:07d},2026-01-{1 + n % 28:02d} 10:00:00,{units[n % 8]},"
                         f"{('marketing', 'it')[n % 2]},staff,{answer},2,{answer},{n % 11},\n")
    return path




def cli(*args: str, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "metrics", *args, "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    con = store.connect(path)
    load_fixture(con, tmp_path)
    con.close()
    return path


def _kill_when_importing(process: subprocess.Popen, delay: float) -> bool:
    """SIGKILL the import `delay` seconds after it started; True if it was killed while still running."""
    time.sleep(delay)
    if process.poll() is not None:
        return False
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return process.returncode == -signal.SIGKILL


@pytest.mark.parametrize("general", [False, True], ids=["one-pass path", "general reader"])
def test_an_import_killed_mid_way_leaves_nothing_of_its_file(db, tmp_path, general):
    """SIGKILL at several moments: the store is then exactly as before, or (killed after its commit) holds the
    whole file; never part of it. The killed-before-commit cases are counted."""
    rows = 60_000 if general else 600_000
    survey = big_survey(tmp_path / "big.csv", rows, "K", general)
    pristine = tmp_path / "pristine.duckdb"
    shutil.copy(db, pristine)
    before = store_rows(db)
    killed_mid_way = after_commit = 0
    for delay in (0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.3, 2.6, 3.0):
        process = cli("import", "survey", str(survey), db=db)
        if not _kill_when_importing(process, delay):
            continue  # it finished first: not a crash
        after = store_rows(db)
        if after == before:
            killed_mid_way += 1
            continue
        # Killed after the commit: the whole file is there, with its log line, and nothing else changed.
        con = store.connect(db)
        assert con.cursor().execute("SELECT count(*) FROM survey_responses WHERE response_id LIKE 'K%'"
                                    ).fetchall() == [(rows,)], f"killed after {delay} s: part of the file landed"
        assert con.cursor().execute("SELECT rows_imported FROM imports WHERE file_name = 'big.csv'").fetchall() \
            == [(rows,)]
        con.close()
        after_commit += 1
        shutil.copy(pristine, db)
        Path(f"{db}.wal").unlink(missing_ok=True)
    rows_compared = sum(len(v) for v in before.values())
    print(f"SIGKILL: {killed_mid_way} mid-way (store unchanged, {rows_compared} rows compared), "
          f"{after_commit} after the commit (whole file)")
    assert killed_mid_way >= 3, "too few imports were still running when killed; make the file bigger"
    # The database is whole and usable: the same file now imports completely.
    done = subprocess.run([sys.executable, "-m", "metrics", "import", "survey", str(survey), "--db", str(db)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    con = store.connect(db)
    assert con.cursor().execute("SELECT count(*) FROM survey_responses WHERE response_id LIKE 'K%'"
                                ).fetchall() == [(rows,)]
    con.close()


def test_an_import_while_the_dashboard_holds_the_store_is_told_busy(db, tmp_path):
    """A running dashboard holds the database file: the command line says so plainly and writes nothing."""
    small = big_survey(tmp_path / "small.csv", 10, "S")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
                               "print('holding', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        busy = subprocess.run([sys.executable, "-m", "metrics", "import", "survey", str(small), "--db", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
    finally:
        holder.communicate("", timeout=30)
    assert busy.returncode == 3
    assert "in use by another process; try again" in busy.stderr and "Traceback" not in busy.stderr
    again = subprocess.run([sys.executable, "-m", "metrics", "import", "survey", str(small), "--db", str(db)],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    con = store.connect(db)
    assert con.cursor().execute("SELECT count(*) FROM survey_responses WHERE response_id LIKE 'S%'"
                                ).fetchall() == [(10,)]
    con.close()


def test_two_processes_importing_at_once_both_land_or_one_is_told_busy(db, tmp_path):
    files = [big_survey(tmp_path / f"p{n}.csv", 200_000, f"P{n}-") for n in range(2)]
    processes = [cli("import", "survey", str(f), db=db) for f in files]
    outcomes = [(p.wait(timeout=600), p.stderr.read()) for p in processes]
    for code, err in outcomes:
        assert code in (0, 3), err
        assert "Traceback" not in err
        if code == 3:
            assert "in use by another process; try again" in err
    con = store.connect(db)
    for n, (code, _) in enumerate(outcomes):
        landed = con.cursor().execute(f"SELECT count(*) FROM survey_responses WHERE response_id LIKE 'P{n}-%'"
                                      ).fetchall()[0][0]
        assert landed == (200_000 if code == 0 else 0)
    con.close()


def test_two_imports_at_once_in_one_process_both_land(tmp_path):
    """Two analysts importing in the same dashboard: writes take turns; both files land whole."""
    con = store.connect(":memory:")
    load_fixture(con, tmp_path)
    files = [big_survey(tmp_path / f"f{n}.csv", 20_000, f"T{n}-") for n in range(2)]
    results, errors = [], []

    def run(path: Path) -> None:
        try:
            results.append(ingest.import_file(con, "survey", path, user="tests").rows_imported)
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    threads = [threading.Thread(target=run, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == [] and sorted(results) == [20_000, 20_000]
    assert con.cursor().execute("SELECT count(*), count(DISTINCT response_id) FROM survey_responses "
                                "WHERE response_id LIKE 'T%'").fetchall() == [(40_000, 40_000)]


def test_the_same_file_twice_at_once_lands_once(tmp_path):
    con = store.connect(":memory:")
    load_fixture(con, tmp_path)
    path = big_survey(tmp_path / "same.csv", 20_000, "D")
    results, errors = [], []

    def run() -> None:
        try:
            report = ingest.import_file(con, "survey", path, user="tests")
            results.append((report.rows_imported, report.rows_unchanged))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []
    assert sorted(results) == [(0, 20_000), (20_000, 0)]
    assert con.cursor().execute("SELECT count(*), count(DISTINCT response_id) FROM survey_responses "
                                "WHERE response_id LIKE 'D%'").fetchall() == [(20_000, 20_000)]


def test_reading_during_an_import_sees_before_or_after_never_half(tmp_path):
    """The dashboard reading while an import lands: every read is the old figure or the new one."""
    con = store.connect(":memory:")
    load_fixture(con, tmp_path)
    before = scorecard.scorecard(con, "2026-01")["company"]["alignment_index_n"]
    path = big_survey(tmp_path / "landing.csv", 100_000, "L")
    seen, errors = set(), []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                seen.add(scorecard.scorecard(con, "2026-01")["company"]["alignment_index_n"])
            except Exception as error:  # noqa: BLE001
                errors.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    ingest.import_file(con, "survey", path, user="tests")
    done.set()
    reader.join(timeout=60)
    after = scorecard.scorecard(con, "2026-01")["company"]["alignment_index_n"]
    assert errors == []
    assert after == before + 100_000
    assert seen <= {before, after} and before in seen
