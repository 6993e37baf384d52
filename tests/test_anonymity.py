"""Attacks on anonymity: each test tries to recover a group under the threshold, and must fail.

The fixture gets one more unit, Delta, whose IT group has 2 respondents with a distinctive index (91.7): if that
number, or anything that gives it away, shows anywhere, a hidden group has leaked.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import alignment, boardpack, comments, ingest, opening, scorecard, store
from tests.conftest import chart_spec, fixture_file, fixture_store, load_fixture

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-01"
# Delta IT: comm_vocabulary 5, comm_unheard 2 (reverse-scored: 4), partner_strategic 5 -> mean 14/3 -> index 91.67.
DELTA_IT_INDEX = (14 / 3 - 1) / 4 * 100
DELTA = ("response_id,submitted_at,business_unit,department,role,comm_vocabulary,comm_unheard,partner_strategic,"
         "partner_nps,comment\n"
         + "".join(f"DM{i},2026-01-12 10:00:00,Delta,marketing,staff,3,3,3,7,\n" for i in range(6))
         + "DI1,2026-01-12 11:00:00,Delta,it,lead,5,2,5,9,The CMO never listens to me\n"
         + "DI2,2026-01-12 11:05:00,Delta,it,staff,5,2,5,9,\n")


def _load(con, directory: Path) -> None:
    load_fixture(con, directory, extra_responses=DELTA)


@pytest.fixture
def attack_con(tmp_path):
    con = fixture_store(":memory:", tmp_path, _load)
    yield con
    con.close()


@pytest.fixture
def attack_db(tmp_path, monkeypatch) -> Path:
    return fixture_file(tmp_path, monkeypatch, _load)


def _numbers(value) -> list[float]:
    """Every number inside a JSON-like value (chart specs, scorecard JSON)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _numbers(v)]
    return []


def _leaks(numbers, secret: float = DELTA_IT_INDEX) -> list[float]:
    return [n for n in numbers if not math.isnan(n) and abs(n - secret) < 0.05]


def test_the_hidden_group_is_really_there(attack_con):
    # The attack target exists in the data: the live (unsuppressed) figure is the secret.
    live = attack_con.cursor().execute(
        "SELECT value, n FROM survey_group_measures_live WHERE business_unit = 'Delta' AND department = 'it' "
        "AND measure = 'index'").fetchall()
    assert live == [(pytest.approx(DELTA_IT_INDEX), 2)]


def test_subtracting_shown_units_from_the_company_never_isolates_a_small_group(attack_con, tmp_path):
    """For every month, department and measure whose company figure is shown, the hidden units together hold 0 or
    at least 5 respondents, so company minus the shown units gives at best a blend, never one small group."""
    sample = opening.open_store(tmp_path / "sample.duckdb")  # the sample data set: 24 months, six groups under 5
    checked = with_hidden = 0
    for con in (attack_con, sample):
        rows = con.cursor().execute(
            """SELECT u.month, u.department, u.measure,
                      sum(s.n) FILTER (WHERE u.suppressed) AS hidden_n, count(*) FILTER (WHERE u.suppressed) AS hidden
               FROM survey_measures u
               JOIN survey_group_stats s USING (month, business_unit, department, measure)
               JOIN survey_measures c ON c.business_unit IS NULL AND NOT c.suppressed AND c.month = u.month
                    AND c.department = u.department AND c.measure = u.measure
               WHERE u.business_unit IS NOT NULL GROUP BY ALL""").fetchall()
        checked += len(rows)
        with_hidden += sum(1 for r in rows if r[4])
        bad = [r for r in rows if r[4] and r[3] < 5]
        assert bad == []
    assert checked > 2000 and with_hidden > 50   # the rule was exercised, not vacuously true


def test_the_subtraction_attack_on_the_fixture_gives_a_blend_not_the_secret(attack_con):
    card = scorecard.scorecard(attack_con, MONTH)
    company = card["company"]
    units = {u["business_unit"]: u for u in card["business_units"]}
    assert units["Delta"]["it_index"] is None
    shown = [(u["it_index"], u["it_index_n"]) for u in units.values() if u["it_index"] is not None]
    hidden_n = company["it_index_n"] - sum(n for _, n in shown)
    recovered = (company["it_index"] * company["it_index_n"] - sum(v * n for v, n in shown)) / hidden_n
    assert hidden_n >= 5                        # Delta (2) and Beta (3) are hidden together...
    assert abs(recovered - DELTA_IT_INDEX) > 5  # ...so the attacker gets their blend, not Delta


def test_narrowing_the_filter_to_the_unit_does_not_unhide_it(attack_con):
    card = scorecard.scorecard(attack_con, MONTH, "Delta")
    delta = next(u for u in card["business_units"] if u["business_unit"] == "Delta")
    assert delta["it_index"] is None and delta["alignment_index"] is None and delta["perception_gap_abs"] is None
    assert _leaks(_numbers(card)) == []
    likert = alignment.likert_distribution(attack_con, MONTH, "Delta")
    assert likert["suppressed"].all() and likert["pct_favourable"].isna().all()
    dims = alignment.scope_dimensions(attack_con, MONTH, "Delta")
    assert _leaks(_numbers(json.loads(dims.to_json()))) == []


def test_no_department_figure_of_the_pooled_nps_is_published(attack_con):
    # The pooled marketing+IT NPS of Delta is shown (8 respondents); a per-department NPS would let the shown
    # marketing one be subtracted from it. None exists.
    per_department = attack_con.cursor().execute(
        "SELECT count(*) FROM survey_measures WHERE measure LIKE 'nps:%' AND department <> 'marketing+it'").fetchall()
    assert per_department == [(0,)]


def test_raising_the_threshold_hides_more_and_never_less(attack_con):
    # Units only: a company figure hidden at 5 (its hidden units held 4) can be shown at 7, where more units are
    # hidden under it and they hold 7 or more together.
    def hidden() -> set:
        return set(attack_con.cursor().execute(
            "SELECT month, business_unit, department, measure FROM survey_measures WHERE suppressed "
            "AND business_unit IS NOT NULL").fetchall())

    at_five = hidden()
    attack_con.cursor().execute("UPDATE settings SET value = '7' WHERE key = 'anonymity_threshold'")
    at_seven = hidden()
    assert at_five < at_seven
    assert ("2026-01", "Beta", "marketing", "index") in at_seven - at_five   # 6 respondents


def test_the_scorecard_command_does_not_leak_it(attack_db):
    for argv in (["scorecard", "--month", MONTH, "--json"],
                 ["scorecard", "--month", MONTH, "--business-unit", "Delta", "--json"]):
        result = subprocess.run([sys.executable, "-m", "metrics", *argv], capture_output=True, text=True, cwd=ROOT,
                                timeout=120)
        assert result.returncode == 0, result.stderr
        card = json.loads(result.stdout)
        assert _leaks(_numbers(card)) == []
        assert next(u for u in card["business_units"] if u["business_unit"] == "Delta")["it_index"] is None


def test_the_board_pack_does_not_leak_it(attack_con):
    slides = boardpack.build_slides(attack_con, MONTH)
    text = " ".join(f"{s.title} {s.takeaway} {s.subtitle}" for s in slides)
    text += " ".join(s.table.to_csv() for s in slides if s.table is not None)
    assert "91.7" not in text and "92" not in text
    figures = [json.loads(s.figure().to_json()) for s in slides if s.figure is not None]
    assert len(figures) >= 5
    assert _leaks(_numbers(figures)) == []


@pytest.mark.parametrize("page", ["pages/scorecard.py", "pages/alignment.py", "pages/results.py"])
@pytest.mark.parametrize("unit", [None, "Delta"])
def test_no_page_shows_it_whatever_the_filter(attack_db, page, unit):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["month"] = MONTH
    if unit:
        at.session_state["business_unit"] = unit
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    shown = [chart_spec(c) for c in at.get("plotly_chart")]
    shown += [json.loads(frame.value.to_json()) for frame in at.dataframe]
    shown += [m.value for m in at.metric]
    assert len(shown) > 2
    assert _leaks(_numbers(shown)) == []
    text = " ".join(str(e.value) for e in (*at.markdown, *at.caption, *at.metric, *at.info, *at.warning))
    assert "91.7" not in text
    assert "never listens" not in text          # Delta IT's comment: a group of 2


def test_comments_need_a_group_of_ten(attack_con):
    assert comments.comment_threshold(attack_con) == 10
    assert comments.comments(attack_con, MONTH).empty          # no group of the fixture reaches 10
    assert comments.withheld(attack_con, MONTH) == 1           # Delta IT's comment is withheld, and counted
    # Nine more IT respondents in Delta make a group of 11: now its comments are shown, without who or when.
    more = "".join(f"DX{i},2026-01-13 10:00:00,Delta,it,staff,4,2,4,8,\n" for i in range(9))
    cur = attack_con.cursor()
    prepared = ingest.prepare_import(attack_con, "survey", (DELTA.splitlines()[0] + "\n" + more).encode(), "more.csv")
    ingest.commit_import(attack_con, prepared, user="tests")
    shown = comments.comments(attack_con, MONTH, "Delta")
    assert list(shown.columns) == ["business_unit", "department", "comment"]
    assert list(shown["comment"]) == ["The CMO never listens to me"]
    assert cur.execute("SELECT count(*) FROM survey_responses WHERE business_unit = 'Delta' AND department = 'it'"
                       ).fetchall() == [(11,)]


def test_a_group_of_nine_keeps_its_comments_hidden(attack_con):
    rows = "".join(f"DN{i},2026-01-14 10:00:00,Epsilon,marketing,staff,4,2,4,8,Comment {i}\n" for i in range(9))
    prepared = ingest.prepare_import(attack_con, "survey", (DELTA.splitlines()[0] + "\n" + rows).encode(), "e.csv")
    ingest.commit_import(attack_con, prepared, user="tests")
    assert comments.comments(attack_con, MONTH, "Epsilon").empty
    assert comments.comments(attack_con, MONTH).empty
    assert comments.withheld(attack_con, MONTH, "Epsilon") == 9


def test_the_alignment_page_shows_comments_only_from_groups_of_ten(attack_db):
    def page():
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.session_state["month"] = MONTH
        at.session_state["business_unit"] = "Delta"
        at.run()
        at.switch_page("pages/alignment.py").run()
        assert not at.exception, at.exception
        tables = [frame.value for frame in at.dataframe if "Comment" in frame.value.columns]
        captions = " ".join(c.value for c in at.caption)
        return tables, captions

    tables, captions = page()
    assert tables == [] and "1 comment(s) come from groups of fewer than 10 respondents" in captions
    con = store.connect(attack_db)
    more = "".join(f"DX{i},2026-01-13 10:00:00,Delta,it,staff,4,2,4,8,\n" for i in range(9))
    ingest.commit_import(con, ingest.prepare_import(con, "survey", (DELTA.splitlines()[0] + "\n" + more).encode(),
                                                    "more.csv"), user="tests")
    con.close()
    tables, captions = page()
    assert [list(t["Comment"]) for t in tables] == [["The CMO never listens to me"]]
    assert "are not shown" not in captions
