"""The sample data set's monthly-review record (issue 16): the leaders' notes, the decision-rights register, the
decisions and the actions, and the effects the review measures on them.

The effects are read the way the Review page reads them, by metrics.review.action_effect on a store loaded from the
files; the staff exchange's start month is read from the meetings file, not from the generator.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from metrics import ingest, personal, review, store
from metrics.sample import DEFAULT_SEED, write_sample
from tests.conftest import fixture_store

ROOT = Path(__file__).resolve().parent.parent
REVIEW_KINDS = ("commentary", "decision_rights", "decisions", "actions")
OLDER_KINDS = ("items", "survey", "headcount", "meetings", "attendance", "projects", "kpis")
HEADERS = {
    "commentary": "month,side,text,written_by,written_at",
    "decision_rights": "area_id,area,accountable,consulted,informed,agreed_on",
    "decisions": "decision_id,month,business_unit,area_id,text,decided_by,due,status",
    "actions": "action_id,business_unit,title,owner,target,start_month,due,status,effect_window",
}
MONTHS = [str(m) for m in pd.period_range("2024-11", "2026-10", freq="M")]
NEWEST = MONTHS[-1]


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def tables(paths):
    return {kind: pd.read_csv(paths[kind], dtype=str, keep_default_na=False) for kind in (*REVIEW_KINDS,
                                                                                         "meetings", "items")}


def load_sample_files(directory: Path):
    """A load for conftest.fixture_store: the written sample, every kind in ingest.SAMPLE_FILES' order, each
    import checked to have taken every row of its file."""
    def load(con, _directory):
        for kind, name in ingest.SAMPLE_FILES.items():
            report = ingest.import_file(con, kind, directory / name, user="tests")
            rows = len(pd.read_csv(directory / name, dtype=str, keep_default_na=False))
            assert report.rows_imported == rows and not report.rows_skipped and not report.masked, (kind, report)
    return load


@pytest.fixture(scope="module")
def db(paths, tmp_path_factory) -> Path:
    """A database file holding the freshly written sample, all eleven files; beside it a copy for the command line
    (a store is opened by one process at a time, and `con` holds this one)."""
    path = tmp_path_factory.mktemp("store") / "sample.duckdb"
    fixture_store(path, path.parent, load=load_sample_files(paths["actions"].parent)).close()
    shutil.copy(path, cli_copy(path))
    return path


def cli_copy(db: Path) -> Path:
    return db.with_name("sample-cli.duckdb")


@pytest.fixture(scope="module")
def con(db):
    connection = store.connect(db)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def effects(con, tables) -> dict[str, dict]:
    """Every sample action's effect, by action id, as the Review page computes it."""
    actions = store.fetch_rows(con, "SELECT action_id, business_unit, target, start_month, effect_window "
                                    "FROM actions ORDER BY action_id")
    columns = ("action_id", "business_unit", "target", "start_month", "effect_window")
    return {row[0]: review.action_effect(con, dict(zip(columns, row))) for row in actions}


# --- the files --------------------------------------------------------------------------------------------------


def test_the_generator_is_deterministic_and_wrote_the_committed_sample(paths, tmp_path):
    again = write_sample(tmp_path / "again", seed=DEFAULT_SEED)
    assert list(again) == [*OLDER_KINDS, *REVIEW_KINDS]
    for kind in again:
        assert again[kind].read_bytes() == paths[kind].read_bytes(), kind
        # sample_data/ is this output: the review files were added without moving a byte of the older seven.
        assert (store.SAMPLE_DIR / paths[kind].name).read_bytes() == paths[kind].read_bytes(), kind
    other = write_sample(tmp_path / "other", seed=DEFAULT_SEED + 1)
    assert other["commentary"].read_bytes() != paths["commentary"].read_bytes()


def test_headers_are_the_native_templates(paths):
    for kind, header in HEADERS.items():
        assert paths[kind].read_text(encoding="utf-8").split("\n", 1)[0] == header, kind
        assert header.split(",") == list(ingest.KINDS[kind].columns)


def test_the_review_files_are_imported_after_the_survey():
    order = list(ingest.SAMPLE_FILES)
    assert order[-len(REVIEW_KINDS):] == list(REVIEW_KINDS)
    assert order.index("items") < order.index("actions") and order.index("survey") < order.index("actions")


def test_the_four_files_import_cleanly_and_export_back_the_same(con, tables):
    for kind in REVIEW_KINDS:
        imports = store.fetch_rows(con, "SELECT rows_imported, rows_skipped FROM imports WHERE kind = $kind",
                                   {"kind": kind})
        assert imports == [(len(tables[kind]), 0)], kind
        data, rows = ingest.export_bytes(con, kind)
        exported = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
        original = tables[kind]
        assert rows == len(original)
        key = list(ingest.KINDS[kind].key)
        pd.testing.assert_frame_equal(exported.sort_values(key).reset_index(drop=True),
                                      original.sort_values(key).reset_index(drop=True), check_like=False)


# --- the record -------------------------------------------------------------------------------------------------


def test_about_eight_decision_areas_with_two_or_three_gaps(tables):
    areas = tables["decision_rights"]
    assert 7 <= len(areas) <= 9 and areas.area_id.is_unique
    assert set(areas.accountable) <= {"marketing", "it", "joint", ""}
    agreed = areas.accountable.isin(["marketing", "it", "joint"]) & (areas.agreed_on != "")
    assert 2 <= (~agreed).sum() <= 3
    assert (areas.accountable == "").any()                              # nobody accountable
    assert ((areas.accountable != "") & (areas.agreed_on == "")).any()  # proposed, not agreed yet
    assert {"marketing", "it", "joint"} <= set(areas.accountable[agreed])
    assert areas.agreed_on[agreed].str[:7].isin(MONTHS).all()
    assert "Choose and buy marketing technology" in set(areas.area)


def test_about_thirty_decisions_across_the_months(tables):
    decisions = tables["decisions"]
    assert 25 <= len(decisions) <= 35 and decisions.decision_id.is_unique
    assert decisions.month.isin(MONTHS).all() and decisions.month.nunique() >= 15
    assert set(decisions.decided_by) == {"marketing", "it", "joint"}
    assert set(decisions.status) == {"open", "done", "reversed"}
    with_area = decisions.area_id != ""
    assert 0 < with_area.sum() < len(decisions)
    assert set(decisions.area_id[with_area]) <= set(tables["decision_rights"].area_id)
    assert 0 < (decisions.due != "").sum() < len(decisions)
    units = set(pd.read_csv(store.SAMPLE_DIR / "headcount.csv").business_unit)
    assert set(decisions.business_unit) - {""} <= units and (decisions.business_unit == "").any()


def test_about_a_dozen_actions_with_roles_as_owners(tables):
    actions = tables["actions"]
    assert 10 <= len(actions) <= 14 and actions.action_id.is_unique
    dimensions = set(tables["items"].dimension[tables["items"].scale == "likert5"])
    assert set(actions.target) <= dimensions | {"alignment_index"}
    assert set(actions.status) == {"planned", "in_progress", "done", "dropped"}
    assert actions.start_month.isin(MONTHS).all()
    assert (actions.due >= actions.start_month).all()
    assert actions.effect_window.str.fullmatch(r"[1-9]|1[0-2]").all() and (actions.effect_window == "3").mean() > 0.5
    assert (actions.business_unit == "").any()                  # company-wide ones too
    # Owners are roles the leaders write, nothing taken from the survey or the rosters.
    assert not actions.owner.str.contains(r"@|\bP-[A-Z]{3}-|\bR-\d", regex=True).any()
    assert actions.owner.str.contains(r"\b(?:Head|CMO|CIO|Partner|Architect|Lead|Chief)\b", regex=True).all()


def test_both_leaders_write_most_months_in_markdown_without_addresses(tables):
    notes = tables["commentary"]
    assert 40 <= len(notes) <= 46
    assert set(notes.side) == {"marketing", "it"}
    assert (notes.written_by == notes.side.map({"marketing": "CMO", "it": "CIO"})).all()
    per_month = notes.groupby("month").side.nunique()
    assert sorted(per_month.index) == MONTHS                    # every month has a note
    assert (per_month == 2).sum() >= 18 and (per_month == 1).sum() >= 2
    assert per_month[NEWEST] == 2
    assert not notes[notes.month == NEWEST].text.eq("").any()
    assert not any(personal.has_personal(text) for column in ("text", "written_by") for text in notes[column])
    assert notes.text.str.len().between(100, 4000).all()
    assert notes.text.is_unique
    assert notes.text.str.match(r"(#{2,3} |\*\*)").all()          # a heading or a bold first line
    assert notes.text.str.contains("\n- ").mean() > 0.5           # bullets, mostly
    assert not notes.text.str.contains("lorem|ipsum", case=False).any()
    # Written after the month's steering: in the month or the first days of the next.
    written = pd.to_datetime(notes.written_at, format="%Y-%m-%d %H:%M:%S")
    start = pd.to_datetime(notes.month + "-01")
    assert ((written >= start) & (written < start + pd.offsets.MonthBegin(1) + pd.Timedelta(days=7))).all()
    # About the month's themes.
    text = "\n".join(notes.text)
    for theme in ("staff exchange", "Logistics", "pilot", "steering", "overdue"):
        assert theme in text, theme


def test_the_notes_are_stored_as_written(con, tables):
    stored = dict(((m, s), t) for m, s, t in store.fetch_rows(con, "SELECT month, side, text FROM commentary"))
    assert stored == {(r.month, r.side): r.text for r in tables["commentary"].itertuples()}


# --- the effects --------------------------------------------------------------------------------------------------


def exchange_start(tables) -> tuple[str, str]:
    """(unit, month) of the first staff-exchange meeting: where and when the programme began, from the data."""
    meetings = tables["meetings"]
    exchange = meetings[meetings.meeting_type == "staff_exchange"].sort_values("date")
    assert exchange.business_unit.nunique() == 1
    return exchange.business_unit.iloc[0], exchange.date.iloc[0][:7]


def test_the_staff_exchange_has_a_positive_effect(tables, effects):
    unit, month = exchange_start(tables)
    actions = tables["actions"]
    exchange = actions[(actions.business_unit == unit) & actions.title.str.contains("exchange", case=False)]
    assert len(exchange) == 1
    action = exchange.iloc[0]
    assert (action.start_month, action.target) in {(month, "partnership"), (month, "alignment_index")}
    effect = effects[action.action_id]
    assert effect["method"] == "did" and effect["withheld"] is None
    assert effect["estimate"] > 0 and effect["ci_low"] > 0
    assert all(n >= 5 for n in effect["n"].values())


def test_some_actions_have_no_effect_and_late_ones_are_withheld(tables, effects):
    shown = {i: e for i, e in effects.items() if e["estimate"] is not None}
    nil = [i for i, e in shown.items() if e["ci_low"] < 0 < e["ci_high"]]
    assert len(nil) >= 2
    assert sum(effects[i]["method"] == "did" for i in nil) >= 2
    withheld = [e["withheld"] for e in effects.values() if e["withheld"]]
    assert withheld and all(reason.startswith("shown once") for reason in withheld)
    assert len(shown) >= 8


def by_hand(tables, month: str) -> dict:
    """DESIGN.md's review metrics for `month`, from the two CSV files with pandas."""
    areas, actions = tables["decision_rights"], tables["actions"]
    agreed = areas.accountable.isin(["marketing", "it", "joint"]) & (areas.agreed_on != "")
    year, mon = map(int, month.split("-"))
    last_day = f"{month}-{calendar.monthrange(year, mon)[1]:02d}"
    open_ = actions[(actions.start_month <= month) & (actions.status != "done")]   # "not done": dropped too
    on_track = (open_.due == "") | (open_.due >= last_day)
    return {"decision_rights_clarity": 100 * agreed.sum() / len(areas),
            "actions_on_track": 100 * on_track.sum() / len(open_),
            "overdue_actions": int((~on_track).sum())}


def test_the_newest_months_metrics_by_hand(con, tables):
    expected = by_hand(tables, NEWEST)
    assert review.review_metrics(con, NEWEST) == pytest.approx(expected)
    assert 55 <= expected["decision_rights_clarity"] <= 80
    assert 0 < expected["actions_on_track"] < 100            # a realistic mix: most on track,
    assert 1 <= expected["overdue_actions"] <= 3             # a few overdue (a dropped action past its due date too)
    assert review.review_metrics(con, "2026-06") == pytest.approx(by_hand(tables, "2026-06"))


def test_the_cli_prints_the_sample_review(db, effects, tables):
    result = subprocess.run([sys.executable, "-m", "metrics", "review", "--month", NEWEST,
                             "--db", str(cli_copy(db)), "--json"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert all(printed["commentary"][side] for side in ("marketing", "it"))
    assert printed["metrics"] == pytest.approx(by_hand(tables, NEWEST))
    for action in printed["actions"]:
        assert action["effect"] == effects[action["action_id"]], action["action_id"]   # JSON keeps floats exact
    unit, month = exchange_start(tables)
    assert any(a["business_unit"] == unit and a["start_month"] == month for a in printed["actions"])
    assert re.search(r"Staff exchange", result.stdout)


def test_the_review_page_shows_the_sample_record(db, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    copy = Path(shutil.copy(cli_copy(db), tmp_path / "collab.duckdb"))
    monkeypatch.setenv("COLLAB_DB", str(copy))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=90).run()
    at.switch_page("pages/review.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Monthly review · October 2026"
    shown = "\n".join(str(m.value) for m in at.markdown)
    con = store.connect(copy)
    try:
        notes = review.review(con, NEWEST)["commentary"]
    finally:
        con.close()
    for side in ("marketing", "it"):
        assert notes[side].splitlines()[0] in shown, side   # each leader's note, from its heading on
    assert len(at.get("plotly_chart")) >= 1                  # the actions' forest plot
