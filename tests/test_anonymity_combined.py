"""Attacks that combine figures: across items, measures, departments, units and time (issue 14).

Each test builds a month in which some group or item rests on fewer than 5 respondents, lets the attacker of
tests/attacker.py solve for it from everything shown, and requires it to fail. A control shows the attacker does
find such a figure when only the plain threshold is applied, so these tests can fail.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from metrics import alignment, comments, ingest, scorecard, store
from metrics.store import answers
from tests.attacker import attack, counts, sums, truth, _catalogue
from tests.conftest import FIXTURES, chart_spec, fixture_store, load_fixture

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2026-03"
HEADER = ("response_id,submitted_at,business_unit,department,role,comm_vocabulary,comm_unheard,partner_strategic,"
          "partner_nps,comment\n")


def _rows(groups) -> str:
    """CSV rows: groups of (unit, department, [(comm_vocabulary, comm_unheard, partner_strategic, nps), ...])."""
    lines, k = [], 0
    for unit, department, people in groups:
        for answers_ in people:
            k += 1
            cells = ["" if a is None else str(a) for a in answers_]
            lines.append(f"X{unit[:3]}{department[:2]}{k:03d},{MONTH}-10 09:00:00,{unit},{department},staff,"
                         f"{','.join(cells)},")
    return "\n".join(lines) + "\n"


def _store(tmp_path, groups):
    return fixture_store(":memory:", tmp_path, lambda con, d: load_fixture(con, d, extra_responses=_rows(groups)))


def _full(n, answer=(4, 2, 4, 8)):
    return [answer] * n


# The first case: Kappa's IT group of 5 has its index shown, but only 3 answered partner_strategic.
ITEM_GAP = [
    ("Kappa", "marketing", _full(6, (3, 3, 2, 7))),                       # 0% favourable on partner_strategic
    ("Kappa", "it", [(4, 2, 5, 9), (4, 2, 4, 9), (3, 3, 2, 6), (4, 2, None, 8), (5, 1, None, 10)]),
    ("Lambda", "marketing", _full(8)), ("Lambda", "it", _full(7, (2, 4, 2, 5))),
    ("Mu", "marketing", _full(9, (5, 1, 5, 10))), ("Mu", "it", _full(9, (3, 2, 3, 7))),
]
# The second case: Nu's IT group of 2 is hidden; in Xi two IT respondents skipped the partnership item.
MEASURE_GAP = [
    ("Nu", "marketing", _full(7)), ("Nu", "it", [(5, 1, 5, 10), (5, 1, 5, 10)]),
    ("Xi", "marketing", _full(8, (3, 3, 3, 7))),
    ("Xi", "it", [(4, 2, 4, 8)] * 4 + [(2, 4, None, 5), (3, 3, None, 6)]),
    ("Omicron", "marketing", _full(6, (2, 4, 2, 4))), ("Omicron", "it", _full(7, (4, 1, 4, 9))),
    ("Pi", "marketing", _full(10, (4, 2, 5, 9))), ("Pi", "it", _full(12, (3, 3, 4, 8))),
]


def _plain_threshold(con) -> None:
    """The rule before issue 14, as a control: each figure hidden only under 5, company figures always shown."""
    con.cursor().execute("""CREATE OR REPLACE VIEW survey_measures AS
        SELECT month, business_unit, department, measure, n, n < 5 AS suppressed, CASE WHEN n >= 5 THEN value END AS value
        FROM survey_group_stats
        UNION ALL
        SELECT month, NULL, department, measure, sum(n), false, sum(value * n) / sum(n) FROM survey_group_stats
        GROUP BY ALL""")


def test_the_attacker_finds_what_a_plain_threshold_leaves(tmp_path):
    for groups, secret in ((ITEM_GAP, ("F", ("Kappa", "it"), "partner_strategic")), (MEASURE_GAP, ("I", ("Nu", "it")))):
        con = _store(tmp_path, groups)
        _plain_threshold(con)
        leaks = attack(con, MONTH)
        assert (secret,) in {combo for combo, _, _ in leaks}
        assert all(recovered == pytest.approx(true) for _, recovered, true in leaks)   # and it gets them right
        con.close()


def test_item_non_response_cannot_be_solved_for(tmp_path):
    con = _store(tmp_path, ITEM_GAP)
    card = scorecard.scorecard(con, MONTH)
    kappa = next(u for u in card["business_units"] if u["business_unit"] == "Kappa")
    assert kappa["it_index"] is not None and kappa["it_index_n"] == 5          # the index is shown...
    assert kappa["strategic_partner_rate_it"] is None                          # ...the item is not...
    assert kappa["strategic_partner_rate_it_n"] is None                        # ...nor its n
    assert kappa["strategic_partner_rate_marketing"] == 0.0
    # The subtraction: the pooled Likert row of the statement minus marketing's. The row is hidden now.
    rows = alignment.likert_distribution(con, MONTH, "Kappa")
    statement = rows[rows["item_id"] == "partner_strategic"].iloc[0]
    assert statement["suppressed"] and pd_isna(statement["pct_favourable"]) and pd_isna(statement["n"])
    # The company's IT figure for the item would give it too (the company minus Lambda and Mu): hidden.
    assert card["company"]["strategic_partner_rate_it"] is None
    assert attack(con, MONTH) == []


def pd_isna(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_a_variant_another_unit_and_item(tmp_path):
    # Lambda's marketing group of 8: 4 answered comm_vocabulary, the rest skipped it.
    variant = [("Kappa", "marketing", _full(6)), ("Kappa", "it", _full(6)),
               ("Lambda", "marketing", [(5, 2, 4, 8)] * 4 + [(None, 2, 4, 8)] * 4), ("Lambda", "it", _full(9)),
               ("Mu", "marketing", _full(5, (1, 5, 1, 2))), ("Mu", "it", _full(5))]
    con = _store(tmp_path, variant)
    figures = {(u, d, m): v for u, d, m, v in con.cursor().execute(
        "SELECT business_unit, department, measure, value FROM survey_measures WHERE month = $m", {"m": MONTH}).fetchall()}
    assert figures[("Lambda", "marketing", "favourable:comm_vocabulary")] is None
    assert figures[(None, "marketing", "favourable:comm_vocabulary")] is None
    assert figures[("Lambda", "marketing", "index")] is not None
    assert attack(con, MONTH) == []


def test_measures_cannot_be_combined_to_solve_for_a_hidden_group(tmp_path):
    con = _store(tmp_path, MEASURE_GAP)
    cur = con.cursor()
    hidden = {(u, d) for u, d in cur.execute("SELECT business_unit, department FROM survey_hidden_groups "
                                             "WHERE month = $m AND hidden", {"m": MONTH}).fetchall()}
    assert ("Nu", "it") in hidden and len({u for u, d in hidden if d == "it"}) == 2   # Nu and one complement
    # the same groups are hidden for every measure made from them
    by_measure = {}
    for u, d, m in cur.execute("SELECT business_unit, department, measure FROM survey_measures WHERE month = $m "
                               "AND suppressed AND business_unit IS NOT NULL AND department = 'it'",
                               {"m": MONTH}).fetchall():
        by_measure.setdefault(m, set()).add(u)
    complement = next(u for u, d in hidden if d == "it" and u != "Nu")
    for measure in ("index", "dimension:communication", "dimension:partnership"):
        assert {"Nu", complement} <= by_measure[measure]
    # the combination: the index as the weighted mean of the dimensions, Nu's partnership from the rest
    assert attack(con, MONTH) == []


def test_every_figure_shown_has_its_n_and_no_hidden_one_does(tmp_path):
    con = _store(tmp_path, ITEM_GAP + MEASURE_GAP)
    card = scorecard.scorecard(con, MONTH)
    checked = 0
    for record in [card["company"], *card["business_units"]]:
        for key, value in record.items():
            if key.endswith("_n") and key[:-2] in record and key[:-2] != "response_rate":
                checked += 1
                assert (record[key[:-2]] is None) == (value is None), (record.get("business_unit"), key)
    assert checked > 40
    rates = alignment.unit_rates(con, MONTH)
    spec = json.loads(alignment_chart_json(rates))
    for trace in spec["data"]:
        for y, n in zip(trace.get("y", []), trace.get("customdata", [])):
            if y is None:
                assert n == "hidden"


def alignment_chart_json(rates) -> str:
    from metrics.charts import alignment as charts

    return charts.partner_rates(rates, "March 2026", alignment.SEED_PARTNER_RATES).to_json()


# ----------------------------------------------------------------------------------------------------------
# Time: a late response, and undo


def _late(tmp_path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _survey_figures(card: dict) -> dict:
    keys = [k for k in card["company"] if not k.startswith(("response_rate", "chi"))]
    return {(u.get("business_unit"), k): u[k] for u in [card["company"], *card["business_units"]] for k in keys
            if k != "perception_gap"}


def test_a_late_response_is_held_back_until_the_threshold(tmp_path):
    con = _store(tmp_path, MEASURE_GAP)
    before = _survey_figures(scorecard.scorecard(con, MONTH))
    first = ingest.import_file(con, "survey", _late(tmp_path, "late1.csv", [
        f"L1,{MONTH}-20 10:00:00,Pi,it,staff,1,5,1,0,"]), user="tests")
    after = _survey_figures(scorecard.scorecard(con, MONTH))
    assert after == before                                   # new x n2 - old x n1 gives nothing: nothing moved
    assert answers.held_back(con.cursor()) == [(MONTH, "Pi", "it", 1, 0, 1)]
    # three more: still under 5
    ingest.import_file(con, "survey", _late(tmp_path, "late2.csv", [
        f"L{i},{MONTH}-21 10:00:00,Pi,it,staff,2,4,2,3," for i in (2, 3, 4)]), user="tests")
    assert _survey_figures(scorecard.scorecard(con, MONTH)) == before
    # the fifth change releases them all together: the difference is a blend of five
    fifth = ingest.import_file(con, "survey", _late(tmp_path, "late3.csv", [
        f"L5,{MONTH}-22 10:00:00,Pi,it,staff,3,3,3,5,"]), user="tests")
    released = scorecard.scorecard(con, MONTH)
    pi = next(u for u in released["business_units"] if u["business_unit"] == "Pi")
    assert pi["it_index_n"] == 12 + 5 and answers.held_back(con.cursor()) == []
    blend = (pi["it_index"] * pi["it_index_n"] - before[("Pi", "it_index")] * before[("Pi", "it_index_n")]) / 5
    lone = ((1 + 1 + 1) / 3 - 1) / 4 * 100      # L1's own index (reverse item 5 -> 1)
    assert blend != pytest.approx(lone)
    # undo works the same way: taking one back is held, the figures keep the five
    ingest.undo(con, fifth.import_id)
    assert scorecard.scorecard(con, MONTH)["business_units"] == released["business_units"]
    assert answers.held_back(con.cursor()) == [(MONTH, "Pi", "it", 0, 1, 1)]
    ingest.undo(con, first.import_id)
    assert answers.held_back(con.cursor()) == [(MONTH, "Pi", "it", 0, 2, 2)]
    assert attack(con, MONTH) == []


def test_a_replaced_response_is_a_change_too(tmp_path):
    con = _store(tmp_path, MEASURE_GAP)
    before = _survey_figures(scorecard.scorecard(con, MONTH))
    stored = con.cursor().execute("SELECT response_id FROM survey_responses WHERE business_unit = 'Pi' "
                                  "AND department = 'it' LIMIT 1").fetchall()[0][0]
    report = ingest.import_file(con, "survey", _late(tmp_path, "fix.csv", [
        f"{stored},{MONTH}-10 09:00:00,Pi,it,staff,1,5,1,0,"]), user="tests", replace=True)
    assert report.rows_replaced == 1
    assert _survey_figures(scorecard.scorecard(con, MONTH)) == before
    assert answers.held_back(con.cursor())[0][:3] == (MONTH, "Pi", "it")
    ingest.undo(con, report.import_id)                      # back as it was shown: nothing held
    assert answers.held_back(con.cursor()) == []
    assert _survey_figures(scorecard.scorecard(con, MONTH)) == before


def test_a_late_comment_waits_with_its_answers(tmp_path):
    # Pi's IT group of 12 shows its comments (10 or more); a late one must not appear alone.
    con = _store(tmp_path, MEASURE_GAP)
    ingest.import_file(con, "survey", _late(tmp_path, "c.csv", [
        f"C1,{MONTH}-20 10:00:00,Pi,it,staff,1,5,1,0,The CIO ignores us"]), user="tests")
    text = json.dumps(store.fetch_df(con, "comments", {"month": MONTH, "business_unit": "Pi"}).to_dict("records"))
    assert "The CIO ignores us" not in text
    ingest.import_file(con, "survey", _late(tmp_path, "c2.csv", [
        f"C{i},{MONTH}-21 10:00:00,Pi,it,staff,3,3,3,7,fine" for i in range(2, 6)]), user="tests")
    text = json.dumps(store.fetch_df(con, "comments", {"month": MONTH, "business_unit": "Pi"}).to_dict("records"))
    assert "The CIO ignores us" in text and text.count("fine") == 4


def test_the_data_page_says_what_is_held_back(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    path = tmp_path / "held.duckdb"
    fixture_store(path, tmp_path, lambda con, d: load_fixture(con, d, extra_responses=_rows(MEASURE_GAP))).close()
    con = store.connect(path)
    ingest.import_file(con, "survey", _late(tmp_path, "late1.csv", [f"L1,{MONTH}-20 10:00:00,Pi,it,staff,1,5,1,0,"]),
                       user="tests")
    con.close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/data.py").run()
    text = " ".join(str(e.value) for e in [*at.info, *at.warning, *at.markdown, *at.caption])
    assert "Held back: 1 new or changed response in Pi · IT · 2026-03" in text and "4 more changes arrive" in text


# ----------------------------------------------------------------------------------------------------------
# Generated months: groups of any size with item non-response, and late imports


answer = st.one_of(st.none(), st.integers(1, 5))
person = st.tuples(answer, answer, answer, st.one_of(st.none(), st.integers(0, 10)))
group_people = st.lists(person, min_size=0, max_size=9)
months = st.lists(st.tuples(group_people, group_people), min_size=2, max_size=4)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(units=months)
def test_generated_months_leave_nothing_to_solve_for(tmp_path_factory, units):
    groups = []
    for k, (marketing, it) in enumerate(units):
        groups += [(f"U{k}", "marketing", marketing), (f"U{k}", "it", it)]
    con = _store(tmp_path_factory.mktemp("gen"), [g for g in groups if g[2]])
    try:
        assert attack(con, MONTH) == []
    finally:
        con.close()


def _shown(con) -> dict:
    # Rounded to 9 places: the same answers summed in another order may differ in the 15th digit (39.35185185185185
    # and 39.351851851851855), which is no change of who is counted and tells an attacker nothing.
    return {(u, d, m): (None if v is None else round(v, 9), n) for u, d, m, v, n in con.cursor().execute(
        "SELECT business_unit, department, measure, value, n FROM survey_measures WHERE month = $m AND NOT suppressed",
        {"m": MONTH}).fetchall()}


def _members(con) -> dict:
    out: dict = {}
    for rid, unit, dept, row in con.cursor().execute(
            "SELECT response_id, business_unit, department, CAST(s AS VARCHAR) FROM survey_published s "
            "WHERE wave = $m", {"m": MONTH}).fetchall():
        out.setdefault((unit, dept), set()).add((rid, row))
    return out


step = st.one_of(st.tuples(st.just("add"), st.integers(0, 2), st.sampled_from(["marketing", "it"]), st.integers(1, 6)),
                 st.tuples(st.just("undo"), st.integers(0, 5), st.just(""), st.just(0)))


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=months, steps=st.lists(step, min_size=1, max_size=5))
def test_late_imports_and_undos_change_a_shown_figure_only_by_the_threshold(tmp_path_factory, start, steps):
    directory = tmp_path_factory.mktemp("late")
    groups = []
    for k, (marketing, it) in enumerate(start):
        groups += [(f"U{k}", "marketing", marketing), (f"U{k}", "it", it)]
    con = _store(directory, [g for g in groups if g[2]])
    units = [f"U{k}" for k in range(len(start))]
    imports: list[int] = []
    try:
        shown, members = _shown(con), _members(con)
        for number, (kind, which, department, count) in enumerate(steps):
            if kind == "add":
                unit = units[which % len(units)]
                path = _late(directory, f"s{number}.csv", [
                    f"S{number}_{i},{MONTH}-25 10:00:00,{unit},{department},staff,{1 + i % 5},{5 - i % 5},{i % 5 + 1},{i % 11},"
                    for i in range(count)])
                imports.append(ingest.import_file(con, "survey", path, user="tests").import_id)
            elif imports:
                ingest.undo(con, imports.pop(which % len(imports)))
            now_shown, now_members = _shown(con), _members(con)
            for (unit, dept, measure), figure in now_shown.items():
                if (unit, dept, measure) in shown and shown[(unit, dept, measure)] != figure:
                    cells = [(u, d) for (u, d) in set(members) | set(now_members)
                             if (unit is None or u == unit) and (dept == "marketing+it" and d in ("marketing", "it")
                                                                 or d == dept)]
                    changed = sum(len(members.get(c, set()) ^ now_members.get(c, set())) for c in cells)
                    assert changed >= 5, (unit, dept, measure, shown[(unit, dept, measure)], figure, changed)
            shown, members = now_shown, now_members
    finally:
        con.close()


def test_the_late_response_attack_through_the_commands(tmp_path):
    """The issue's attack as a viewer runs it: scorecard --json, one more response, scorecard --json again."""
    path = tmp_path / "late.duckdb"
    fixture_store(path, tmp_path, lambda con, d: load_fixture(con, d, extra_responses=_rows(MEASURE_GAP))).close()

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "metrics", *argv, "--db", str(path)], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)

    before = json.loads(run("scorecard", "--month", MONTH, "--json").stdout)
    late = _late(tmp_path, "one.csv", [f"L1,{MONTH}-20 10:00:00,Omicron,marketing,staff,5,1,5,10,Great team"])
    imported = run("import", "survey", str(late))
    assert imported.returncode == 0, imported.stderr
    assert "Held back: 1 new or changed response in Omicron · marketing · 2026-03" in imported.stdout
    after = json.loads(run("scorecard", "--month", MONTH, "--json").stdout)
    assert _survey_figures(after) == _survey_figures(before)
    omicron = [next(u for u in card["business_units"] if u["business_unit"] == "Omicron") for card in (before, after)]
    # new x n2 - old x n1 is 0 x ...: nothing of the one person; only the response count moved (6 -> 7 answered)
    assert omicron[1]["marketing_index"] * omicron[1]["marketing_index_n"] \
        - omicron[0]["marketing_index"] * omicron[0]["marketing_index_n"] == 0
    undone = run("undo", str(_last_import(path)))
    assert undone.returncode == 0, undone.stderr
    assert _survey_figures(json.loads(run("scorecard", "--month", MONTH, "--json").stdout)) == _survey_figures(before)


def _last_import(path: Path) -> int:
    con = store.connect(path)
    try:
        return con.cursor().execute("SELECT max(import_id) FROM imports").fetchall()[0][0]
    finally:
        con.close()


# ----------------------------------------------------------------------------------------------------------
# A second tester's attacks across states: a threshold raised, a complement that moves, an undo and the same file
# again, changes that change no answer, a release that moves an item by the few who answered it.


def _people(prefix: str, unit: str, department: str, answers_, count: int = 1, comment: str = "") -> list[str]:
    cells = ",".join("" if a is None else str(a) for a in answers_)
    return [f"{prefix}{i},{MONTH}-10 09:00:00,{unit},{department},staff,{cells},{comment}" for i in range(count)]


def _store_lines(tmp_path, lines: list[str]):
    return fixture_store(":memory:", tmp_path, lambda con, d: load_fixture(con, d, extra_responses="\n".join(lines) + "\n"))


def _unit(card: dict, name: str) -> dict:
    return next(u for u in card["business_units"] if u["business_unit"] == name)


def test_raising_the_threshold_does_not_show_a_company_figure_that_was_hidden(tmp_path):
    from metrics.store import settings

    lines = (_people("A1", "UA", "it", (4, 2, 5, 9), 2) + _people("A2", "UA", "it", (4, 2, 2, 9))
             + _people("A3", "UA", "it", (4, 2, None, 9), 3)                       # 3 of 6 answered the item
             + _people("B", "UB", "it", (3, 3, 4, 7), 3) + _people("Bx", "UB", "it", (3, 3, 2, 7), 2)
             + _people("C", "UC", "it", (3, 3, 4, 7), 6) + _people("Cx", "UC", "it", (3, 3, 1, 7), 4))
    for unit in ("UA", "UB", "UC"):
        lines += _people("M" + unit, unit, "marketing", (3, 3, 3, 7), 10)
    con = _store_lines(tmp_path, lines)
    at_five = scorecard.scorecard(con, MONTH)
    assert _unit(at_five, "UB")["strategic_partner_rate_it"] == 60.0             # 3 of 5, shown at 5
    assert at_five["company"]["strategic_partner_rate_it"] is None               # UA's 3 answers under it
    settings.save(con, {"anonymity_threshold": 6})
    at_six = scorecard.scorecard(con, MONTH)
    # At 6 the company's hidden units (UA 3 answers, UB 5) hold 8: computed alone it would be shown, and minus UC
    # (shown) and UB (known from the state at 5) it gave UA's 2 favourable of 3. Hidden before, it stays hidden.
    assert at_six["company"]["strategic_partner_rate_it"] is None
    assert at_six["company"]["strategic_partner_rate_it_n"] is None
    settings.save(con, {"anonymity_threshold": 5})
    assert scorecard.scorecard(con, MONTH)["company"]["strategic_partner_rate_it"] is None


def test_a_complement_stays_hidden_when_the_small_group_it_covered_grows(tmp_path):
    lines = (_people("A", "UA", "it", (5, 1, 5, 10), 3) + _people("Ay", "UA", "it", (2, 4, 3, 5))   # UA: 4
             + _people("B", "UB", "it", (3, 3, 3, 7), 6) + _people("C", "UC", "it", (3, 2, 4, 8), 10)
             + _people("D", "UD", "it", (2, 3, 3, 6), 10))
    for unit in ("UA", "UB", "UC", "UD"):
        lines += _people("M" + unit, unit, "marketing", (3, 3, 3, 7), 10)
    con = _store_lines(tmp_path, lines)
    before = scorecard.scorecard(con, MONTH)
    assert _unit(before, "UA")["it_index"] is None and _unit(before, "UB")["it_index"] is None   # UB: complement
    late = tmp_path / "five.csv"
    late.write_text(HEADER + "\n".join(_people("LA", "UA", "it", (1, 5, 1, 0), 5)) + "\n", encoding="utf-8")
    ingest.import_file(con, "survey", late, user="tests")
    after = scorecard.scorecard(con, MONTH)
    assert _unit(after, "UA")["it_index_n"] == 9                                 # UA grew by 5: shown
    # UB is no longer needed as a complement, but shown now, unchanged, it would give UA's old index:
    # company_before - UC - UD - UB = UA before (83.33). It stays hidden.
    assert _unit(after, "UB")["it_index"] is None
    assert attack(con, MONTH) == []


def test_undo_and_the_same_file_again_do_not_release_one_late_response(tmp_path):
    con = _store_lines(tmp_path, [])
    first_file = tmp_path / "s.csv"
    first_file.write_text(HEADER + "\n".join(
        _people("A", "UA", "it", (3, 3, 3, 7), 3) + _people("Ax", "UA", "it", (4, 2, 4, 9), 3)
        + _people("MA", "UA", "marketing", (3, 3, 3, 7), 6)) + "\n", encoding="utf-8")
    first = ingest.import_file(con, "survey", first_file, user="tests")
    shown = _unit(scorecard.scorecard(con, MONTH), "UA")
    assert shown["it_index"] == pytest.approx(62.5) and shown["it_index_n"] == 6
    ingest.import_file(con, "survey", _late(tmp_path, "p1.csv", [f"P1,{MONTH}-20 09:00:00,UA,it,staff,5,1,5,10,"]),
                       user="tests")
    ingest.undo(con, first.import_id)          # 7 changes: counted (UA's IT group is then P1 alone: hidden)
    ingest.import_file(con, "survey", first_file, user="tests")    # the same file again: S + P1 against S
    again = _unit(scorecard.scorecard(con, MONTH), "UA")
    # were S + P1 shown now, 7 x it_index - 6 x 62.5 would be P1's index (100): it is held, and the page says so
    assert again["it_index"] is None or again["it_index_n"] != 7
    assert any(group[:3] == (MONTH, "UA", "it") for group in answers.held_back(con.cursor()))


def test_changes_that_change_no_answer_do_not_release_a_late_one(tmp_path):
    lines = _people("A", "UA", "it", (3, 3, 3, 7), 6) + _people("MA", "UA", "marketing", (3, 3, 3, 7), 6)
    con = _store_lines(tmp_path, lines)
    before = _unit(scorecard.scorecard(con, MONTH), "UA")
    ingest.import_file(con, "survey", _late(tmp_path, "p1.csv", [f"P1,{MONTH}-20 09:00:00,UA,it,staff,5,1,4,10,"]),
                       user="tests")
    # four stored responses of the group replaced with a new comment only: five "changes", one of them real
    ingest.import_file(con, "survey", _late(tmp_path, "cosmetic.csv", [
        line[: line.rindex(",")] + ",reworded" for line in _people("A", "UA", "it", (3, 3, 3, 7), 4)]),
        user="tests", replace=True)
    after = _unit(scorecard.scorecard(con, MONTH), "UA")
    assert (after["it_index"], after["it_index_n"]) == (before["it_index"], before["it_index_n"])
    assert answers.held_back(con.cursor())[0][:3] == (MONTH, "UA", "it")


def test_a_release_waits_until_every_item_has_moved_by_the_threshold(tmp_path):
    lines = _people("A", "UA", "it", (3, 3, 3, 7), 10) + _people("MA", "UA", "marketing", (3, 3, 3, 7), 6)
    con = _store_lines(tmp_path, lines)
    before = con.cursor().execute("SELECT measure, value, n FROM survey_measures WHERE month = $m "
                                  "AND business_unit = 'UA' ORDER BY ALL", {"m": MONTH}).fetchall()
    # five late responses; only one of them answered partner_strategic and partner_nps
    ingest.import_file(con, "survey", _late(tmp_path, "five.csv", [f"P1,{MONTH}-20 09:00:00,UA,it,staff,4,2,2,3,"]
                                            + [f"P{i},{MONTH}-20 09:00:00,UA,it,staff,4,2,,," for i in range(2, 6)]),
                       user="tests")
    after = con.cursor().execute("SELECT measure, value, n FROM survey_measures WHERE month = $m "
                                 "AND business_unit = 'UA' ORDER BY ALL", {"m": MONTH}).fetchall()
    assert after == before        # partnership 50 -> 47.7 (n 10 -> 11) would give P1's answer: 2
    assert answers.held_back(con.cursor()) == [(MONTH, "UA", "it", 5, 0, 5)]
