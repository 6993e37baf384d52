"""Shared fixtures: a real in-memory store loaded with a small hand-made data set."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

from metrics import ingest, store

# The AppTests open a store each: served, each would start a quack server (some 130 threads) that lives as long as
# the test process. The dashboard serves by default; the tests of serving start real processes and say so.
os.environ.setdefault("COLLAB_DB_SERVE", "0")

FIXTURES = Path(__file__).parent / "fixtures"
REAL_EXPORTS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "real_exports"


def real_export(name: str) -> Path:
    """A real, unmodified survey-platform export from ../shared/fixtures/real_exports. Where ../shared is not
    beside the checkout the test is skipped with that reason; in CI (CI=true) it fails, so that the tests on
    real exports never stop running there unnoticed."""
    path = REAL_EXPORTS / name
    if path.is_file():
        return path
    reason = (f"the real export {name} is not at {REAL_EXPORTS}: these tests read ../shared/fixtures/real_exports "
              "beside the checkout")
    if in_ci():
        pytest.fail(f"{reason} (CI=true: it must be there)", pytrace=False)
    pytest.skip(reason)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1")


# Where a Chrome or Chromium may be, for the finders of kaleido (choreographer) and of scripts/chromium.sh.
BROWSER_FILES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
                 "/usr/bin/google-chrome-stable", "/usr/bin/chrome")


def without_chromium() -> list[str]:
    """A command prefix that runs a command on this machine as if no browser were installed: each one present is
    covered, in a private mount namespace, by /dev/null (not executable). Needs root; elsewhere the test is
    skipped with that reason, and in CI it fails."""
    present = [path for path in BROWSER_FILES if os.path.exists(path)]
    if not present:
        return []
    if os.geteuid() != 0 or not shutil.which("unshare"):
        reason = "hiding the installed Chromium takes root and unshare (a private mount namespace)"
        if in_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    mount = shlex.quote(shutil.which("mount") or "/bin/mount")
    mounts = " && ".join(f"{mount} --bind /dev/null {shlex.quote(path)}" for path in present)
    return [shutil.which("unshare"), "--mount", "/bin/sh", "-c", f'{mounts} && exec "$@"', "sh"]

# The hand-made survey: (business unit, department, month, respondents, raw answers to
# comm_vocabulary, comm_unheard (reverse-scored), partner_strategic, partner_nps). None = not answered.
SURVEY_GROUPS = [
    # Alpha marketing: five different respondents (scores worked out in test_metrics.py).
    ("Alpha", "marketing", "2026-01", 1, (5, 1, 5, 10)),
    ("Alpha", "marketing", "2026-01", 1, (4, 2, 4, 9)),
    ("Alpha", "marketing", "2026-01", 1, (3, 3, 2, 7)),
    ("Alpha", "marketing", "2026-01", 1, (2, 4, 1, 3)),
    ("Alpha", "marketing", "2026-01", 1, (4, None, 4, 8)),
    ("Alpha", "it", "2026-01", 6, (5, 1, 5, 10)),
    ("Alpha", "other", "2026-01", 2, (1, 5, 1, 0)),
    ("Beta", "marketing", "2026-01", 6, (3, 3, 3, 8)),
    ("Beta", "it", "2026-01", 3, (1, 5, 1, 0)),          # under the threshold of 5
    ("Gamma", "marketing", "2026-01", 7, (4, 2, 4, 9)),
    ("Gamma", "it", "2026-01", 8, (3, 3, 3, 6)),
    ("Gamma", "marketing", "2025-12", 5, (3, 3, 3, 7)),
    ("Gamma", "it", "2025-12", 5, (3, 3, 3, 7)),
]


def survey_csv(groups=SURVEY_GROUPS) -> str:
    lines = ["response_id,submitted_at,business_unit,department,role,comm_vocabulary,comm_unheard,"
             "partner_strategic,partner_nps,comment"]
    counter = 0
    for unit, department, month, count, answers in groups:
        for _ in range(count):
            counter += 1
            cells = ["" if a is None else str(a) for a in answers]
            lines.append(f"R{counter:03d},{month}-15 09:30:00,{unit},{department},staff,{','.join(cells)},")
    return "\n".join(lines) + "\n"


# The monthly review's kinds are in sample_data/ too (ingest.SAMPLE_FILES, after the survey: an action's target
# must be a dimension of the catalogue already stored), but the fixture data set has its own, hand-written in
# tests/fixtures under the same names, about the fixture's units (Alpha, Beta, Gamma) and months.
REVIEW_FIXTURES = {"commentary": "commentary.csv", "decision_rights": "decision_rights.csv",
                   "decisions": "decisions.csv", "actions": "actions.csv"}
# Every kind's file in the fixture data set, in SAMPLE_FILES' order (the review kinds last).
FIXTURE_FILES = {**ingest.SAMPLE_FILES, **REVIEW_FIXTURES}
assert list(FIXTURE_FILES)[-len(REVIEW_FIXTURES):] == list(REVIEW_FIXTURES), "the review kinds come last"


def use_roles(tmp_path: Path, monkeypatch, text: str) -> Path:
    """A roles file holding `text`, in force for the test (COLLAB_ROLES)."""
    path = tmp_path / "roles.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("COLLAB_ROLES", str(path))
    return path


def load_fixture(con, directory: Path, extra_responses: str = "") -> None:
    """The fixture data set, each kind in one import; `extra_responses` (CSV rows in survey_csv's columns, with or
    without its header) come in the same survey import, so their months' figures count them at once: an import
    into a month already shown would hold small changes back."""
    rows = extra_responses.split("\n", 1)[1] if extra_responses.startswith("response_id,") else extra_responses
    (directory / "survey_responses.csv").write_text(survey_csv() + rows, encoding="utf-8")
    for kind, name in FIXTURE_FILES.items():
        source = FIXTURES / name
        if source.exists():
            shutil.copy(source, directory / name)
        ingest.import_file(con, kind, directory / name, user="tests")


def fixture_store(path, directory: Path, load=load_fixture):
    """A store at `path` (":memory:" or a file) loaded by `load` (the hand-made fixture data set by default)."""
    connection = store.connect(path)
    load(connection, directory)
    return connection


def fixture_file(tmp_path: Path, monkeypatch, load=load_fixture) -> Path:
    """A database file loaded by `load`, which COLLAB_DB points the app at."""
    path = tmp_path / "fixture.duckdb"
    fixture_store(path, tmp_path, load).close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    return path


@pytest.fixture
def con(tmp_path):
    """A store in memory with the hand-made fixture data set."""
    connection = fixture_store(":memory:", tmp_path)
    yield connection
    connection.close()


@pytest.fixture
def fixture_db(tmp_path, monkeypatch) -> Path:
    """A database file holding the hand-made fixture data set, which COLLAB_DB points the app at."""
    return fixture_file(tmp_path, monkeypatch)


@pytest.fixture
def empty_con():
    connection = store.connect(":memory:")
    yield connection
    connection.close()


def store_rows(db: Path) -> dict[str, list]:
    """Every row of every table of a database file (and the survey_answers view), so "nothing changed" is counted,
    not assumed."""
    connection = store.connect(db)
    try:
        cur = connection.cursor()
        tables = [name for (name,) in cur.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT temporary "
            "ORDER BY table_name").fetchall()] + ["survey_answers"]
        return {t: sorted(map(repr, cur.execute(f"SELECT * FROM {t}").fetchall())) for t in tables}
    finally:
        connection.close()


def decode_plotly(value):
    """Plotly sends numeric arrays as {"dtype", "bdata"} (base64); turn them back into lists."""
    import base64

    import numpy as np

    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                array = array.reshape([int(s) for s in str(value["shape"]).split(",")])
            return array.tolist()
        return {k: decode_plotly(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_plotly(v) for v in value]
    return value


def chart_spec(element) -> dict:
    """The figure of an AppTest plotly_chart element as plain JSON."""
    import json

    return decode_plotly(json.loads(element.proto.spec))
