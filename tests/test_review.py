"""The monthly review (DESIGN.md, "The monthly review"): action effects, the review's metrics, review() and the
`review` command, on a small hand-made store whose numbers are worked out by hand below."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from metrics import ingest, review, store
from metrics.store import settings
from tests.conftest import FIXTURES, survey_csv

ROOT = Path(__file__).resolve().parent.parent

# Answers to (comm_vocabulary, comm_unheard (reverse-scored), partner_strategic, partner_nps); None = not answered.
# A respondent's communication score is the mean of comm_vocabulary and 6 - comm_unheard, and
# y = (score - 1) / 4 x 100:  (3,3) -> 3 -> 50;  (2,4) -> 2 -> 25;  (4,2) -> 4 -> 75;  (5,1) -> 5 -> 100;
# (1,5) -> 1 -> 0;  (4,3) -> 3.5 -> 62.5;  (4,None) -> 4 -> 75 (the missing answer is left out).
# Each row below stands for REPLICATE respondents in the store, so that every group (unit, month, department) has 5
# or more and none is hidden: an effect leaves hidden groups out (Anonymity), and the means worked out below are
# those of the rows either way. The counts in the comments are per row.
REPLICATE = 5
GROUPS = [
    # North, the treated unit of action A-N (communication, start 2026-04, window 2)
    ("North", "marketing", "2026-02", 2, (3, 3, None, None)),     # 50, 50
    ("North", "marketing", "2026-02", 1, (2, 4, None, None)),     # 25
    ("North", "it", "2026-03", 1, (3, 3, None, None)),            # 50
    ("North", "it", "2026-03", 1, (4, 2, None, None)),            # 75      pre: 250 / 5 = 50
    ("North", "marketing", "2026-04", 2, (1, 5, None, None)),     # 0, 0: the start month, left out
    ("North", "marketing", "2026-05", 2, (4, 2, 1, 0)),           # 75, 75 (partner answers: another dimension)
    ("North", "it", "2026-06", 1, (5, 1, None, None)),            # 100
    ("North", "it", "2026-06", 1, (3, 3, None, None)),            # 50
    ("North", "it", "2026-06", 1, (4, None, None, None)),         # 75      post: 375 / 5 = 75
    ("North", "other", "2026-05", 3, (1, 5, None, None)),         # 0 x 3: neither marketing nor IT, left out
    ("North", "marketing", "2026-06", 1, (None, None, 4, 10)),    # no communication answer: left out of it
    # South, the comparison unit
    ("South", "it", "2026-02", 2, (3, 3, None, None)),            # 50, 50
    ("South", "marketing", "2026-03", 1, (3, 3, None, None)),     # 50
    ("South", "marketing", "2026-03", 1, (2, 4, None, None)),     # 25
    ("South", "marketing", "2026-03", 1, (4, 2, None, None)),     # 75      pre: 250 / 5 = 50
    ("South", "marketing", "2026-05", 2, (4, 3, None, None)),     # 62.5, 62.5
    ("South", "marketing", "2026-05", 1, (3, 3, None, None)),     # 50
    ("South", "it", "2026-06", 2, (4, 2, None, None)),            # 75, 75
    ("South", "it", "2026-06", 1, (3, 3, None, None)),            # 50      post: 375 / 6 = 62.5
    # East, which has an action of its own on communication (A-E, start 2026-03): not a comparison unit
    ("East", "marketing", "2026-02", 5, (1, 5, None, None)),      # 0 x 5
    ("East", "it", "2026-05", 5, (5, 1, None, None)),             # 100 x 5
]

ACTION_NORTH = {"action_id": "A-N", "business_unit": "North", "title": "Joint stand-up every Monday",
                "owner": "CMO and CIO", "target": "communication", "start_month": "2026-04", "due": "2026-09-30",
                "status": "in_progress", "effect_window": 2}
ACTION_EAST = {"action_id": "A-E", "business_unit": "East", "title": "Shared glossary of customer terms",
               "owner": "Head of digital", "target": "communication", "start_month": "2026-03", "due": "2026-05-31",
               "status": "in_progress", "effect_window": 2}


def add_actions(con, *actions: dict) -> None:
    with store.transaction(con) as cur:
        for a in actions:
            cur.execute("""INSERT INTO actions VALUES ($action_id, $business_unit, $title, $owner, $target,
                           $start_month, $due, $status, $effect_window, 0)""",
                        {k: a.get(k) for k in ("action_id", "business_unit", "title", "owner", "target",
                                               "start_month", "due", "status", "effect_window")})


def load(con, directory: Path) -> None:
    shutil.copy(FIXTURES / "survey_items.csv", directory / "survey_items.csv")
    ingest.import_file(con, "items", directory / "survey_items.csv", user="tests")
    stored = [(unit, department, month, count * REPLICATE, answers) for unit, department, month, count, answers in GROUPS]
    (directory / "survey_responses.csv").write_text(survey_csv(stored), encoding="utf-8")
    ingest.import_file(con, "survey", directory / "survey_responses.csv", user="tests")
    add_actions(con, ACTION_NORTH, ACTION_EAST)


@pytest.fixture
def con(tmp_path):
    connection = store.connect(":memory:")
    load(connection, tmp_path)
    assert settings.anonymity_threshold(connection) == 5   # the lowest the setting allows: every cell here has 5+
    yield connection
    connection.close()


def did_by_means(scores: pd.DataFrame, treated_unit: str, comparison_units: list[str], pre, post) -> float:
    """The difference in differences as four plain means, the way a reader would check it."""
    def mean(units, months):
        return scores[scores.business_unit.isin(units) & scores.month.isin(months)].y.mean()
    return ((mean([treated_unit], post) - mean([treated_unit], pre))
            - (mean(comparison_units, post) - mean(comparison_units, pre)))


PRE, POST = ["2026-02", "2026-03"], ["2026-05", "2026-06"]


# ----------------------------------------------------------------------------------------------------------
# Respondent scores


def test_respondent_scores_are_published_marketing_and_it_answers_on_0_100(con):
    scores = review.respondent_scores(con, "communication", PRE + POST, units=["North"])
    assert list(scores.columns) == ["response_id", "business_unit", "department", "month", "y"]
    assert set(scores.department) == {"marketing", "it"}          # the three 'other' respondents are not there
    # 5 before and 5 after (each 5 times); the start month was not asked for, the partner-only respondent has no
    # score.
    assert len(scores) == 10 * REPLICATE
    assert sorted(scores[scores.month.isin(PRE)].y) == sorted([25, 50, 50, 50, 75] * REPLICATE)
    assert sorted(scores[scores.month.isin(POST)].y) == sorted([50, 75, 75, 75, 100] * REPLICATE)


def test_alignment_index_scores_use_every_likert_item_and_not_the_nps(con):
    scores = review.respondent_scores(con, "alignment_index", ["2026-05", "2026-06"], units=["North"]).set_index(
        "month")
    may = scores.loc["2026-05"].y.tolist()
    # (4, 6-2, 1) -> 9/3 = 3 -> 50 (the NPS answer 0 is not a Likert answer: with it the mean would be 9/4)
    assert may == [50.0] * 2 * REPLICATE
    june = sorted(scores.loc["2026-06"].y)
    # the partner-only respondent counts here: partner_strategic 4 -> 75
    assert june == sorted([50.0, 75.0, 75.0, 100.0] * REPLICATE)


# ----------------------------------------------------------------------------------------------------------
# Difference in differences


def test_did_effect_against_the_hand_worked_value(con):
    effect = review.action_effect(con, ACTION_NORTH)
    assert set(effect) == {"estimate", "ci_low", "ci_high", "n", "method", "withheld"}
    assert effect["method"] == "did" and effect["withheld"] is None
    # North: before 250/5 = 50, after 375/5 = 75; South: before 250/5 = 50, after 375/6 = 62.5.
    # East has its own communication action (2026-03, within 2026-02..2026-06): not a comparison unit.
    # effect = (75 - 50) - (62.5 - 50) = 12.5
    assert effect["estimate"] == pytest.approx(12.5)
    assert effect["n"] == {"treated_pre": 25, "treated_post": 25, "comparison_pre": 25, "comparison_post": 30}
    # HC1: in this saturated model the interaction's variance is n/(n-k) x the sum over the cells of
    # (sum of squared residuals about the cell mean) / n_cell^2; per row of GROUPS (each row 5 times, which
    # multiplies each sum of squares by 5 and each n_cell^2 by 25):
    #   North before 50,50,25,50,75: residuals 0,0,-25,0,25 -> 1250/25 = 50
    #   North after 75,75,100,50,75: 0,0,25,-25,0           -> 1250/25 = 50
    #   South before 50,50,50,25,75: 0,0,0,-25,25           -> 1250/25 = 50
    #   South after 62.5,62.5,50,75,75,50: 0,0,-12.5,12.5,12.5,-12.5 -> 625/36
    # n = 105, k = 4: variance = 105/101 x (150 + 625/36) / 5 = 34.80..., se = 5.899...
    se = np.sqrt(105 / 101 * (150 + 625 / 36) / 5)
    z = stats.norm.ppf(0.975)
    assert effect["ci_low"] == pytest.approx(12.5 - z * se)     # 0.94
    assert effect["ci_high"] == pytest.approx(12.5 + z * se)    # 24.06
    assert effect["ci_low"] == pytest.approx(0.938, abs=1e-3)


def test_did_effect_equals_four_means_and_an_independent_hc1_interval(con):
    effect = review.action_effect(con, ACTION_NORTH)
    scores = review.respondent_scores(con, "communication", PRE + POST)
    assert effect["estimate"] == pytest.approx(did_by_means(scores, "North", ["South"], PRE, POST))
    # The sandwich by hand: (X'X)^-1 X' diag(e^2) X (X'X)^-1 x n/(n-k), over North and South.
    used = scores[scores.business_unit.isin(["North", "South"])]
    treated = (used.business_unit == "North").to_numpy(float)
    post = used.month.isin(POST).to_numpy(float)
    X = np.column_stack([np.ones(len(used)), treated, post, treated * post])
    y = used.y.to_numpy(float)
    bread = np.linalg.inv(X.T @ X)
    beta = bread @ X.T @ y
    e = y - X @ beta
    n, k = X.shape
    cov = bread @ (X.T * e ** 2) @ X @ bread * n / (n - k)
    se = np.sqrt(cov[3, 3])
    assert beta[3] == pytest.approx(effect["estimate"])
    assert (effect["ci_low"], effect["ci_high"]) == pytest.approx(
        (beta[3] - stats.norm.ppf(0.975) * se, beta[3] + stats.norm.ppf(0.975) * se))


def test_comparison_units_leave_out_a_unit_acting_on_the_same_target_in_the_window(con):
    scores = review.respondent_scores(con, "communication", PRE + POST)
    # East's action moved to 2026-07, after s+w = 2026-06: East is a comparison unit again.
    con.execute("UPDATE actions SET start_month = '2026-07' WHERE action_id = 'A-E'")
    effect = review.action_effect(con, ACTION_NORTH)
    # comparison before: South 250 + East 0 over 10 = 25; after: South 375 + East 500 over 11 = 875/11
    # effect = (75 - 50) - (875/11 - 25) = 50 - 875/11 = -29.545...
    assert effect["estimate"] == pytest.approx(50 - 875 / 11)
    assert effect["estimate"] == pytest.approx(did_by_means(scores, "North", ["South", "East"], PRE, POST))
    assert effect["n"] == {"treated_pre": 25, "treated_post": 25, "comparison_pre": 50, "comparison_post": 55}
    # At s-w = 2026-02, the window's first month, it is left out again.
    con.execute("UPDATE actions SET start_month = '2026-02' WHERE action_id = 'A-E'")
    assert review.action_effect(con, ACTION_NORTH)["estimate"] == pytest.approx(12.5)
    # An action on another target does not count.
    con.execute("UPDATE actions SET target = 'partnership' WHERE action_id = 'A-E'")
    assert review.action_effect(con, ACTION_NORTH)["n"]["comparison_pre"] == 50
    # A company-wide action on the same target reaches both groups alike: no unit is left out for it.
    add_actions(con, {**ACTION_EAST, "action_id": "A-C", "business_unit": None, "start_month": "2026-04"})
    assert review.action_effect(con, ACTION_NORTH)["n"]["comparison_pre"] == 50


def test_no_comparison_respondents_gives_before_after(con):
    # South acts on communication too (2026-05, in the window): no unit is left to compare with.
    add_actions(con, {**ACTION_EAST, "action_id": "A-S", "business_unit": "South", "start_month": "2026-05"})
    effect = review.action_effect(con, ACTION_NORTH)
    assert effect["method"] == "before_after" and effect["withheld"] is None
    assert effect["estimate"] == pytest.approx(75 - 50)
    assert effect["n"] == {"treated_pre": 25, "treated_post": 25, "comparison_pre": 0, "comparison_post": 0}
    welch = stats.ttest_ind([75, 75, 100, 50, 75] * REPLICATE, [50, 50, 25, 50, 75] * REPLICATE,
                            equal_var=False).confidence_interval(0.95)
    assert (effect["ci_low"], effect["ci_high"]) == pytest.approx((welch.low, welch.high))
    assert "no comparison group" in review.effect_note(effect)


# ----------------------------------------------------------------------------------------------------------
# Before and after, company-wide


def test_company_wide_action_is_before_after_with_a_welch_interval(con):
    action = {**ACTION_NORTH, "action_id": "A-CO", "business_unit": ""}    # empty = the company
    effect = review.action_effect(con, action)
    assert effect["method"] == "before_after" and effect["withheld"] is None
    # every marketing and IT respondent: before North 250 + South 250 + East 0 over 15;
    # after North 375 + South 375 + East 500 over 16: 1250/16 - 500/15 = 78.125 - 33.333 = 44.79
    assert effect["estimate"] == pytest.approx(1250 / 16 - 500 / 15)
    assert effect["n"] == {"treated_pre": 75, "treated_post": 80, "comparison_pre": 0, "comparison_post": 0}
    scores = review.respondent_scores(con, "communication", PRE + POST)
    after, before = scores[scores.month.isin(POST)].y, scores[scores.month.isin(PRE)].y
    # Welch by hand: se^2 = s_a^2/n_a + s_b^2/n_b, Welch-Satterthwaite degrees of freedom.
    va, vb = after.var(ddof=1) / len(after), before.var(ddof=1) / len(before)
    df = (va + vb) ** 2 / (va ** 2 / (len(after) - 1) + vb ** 2 / (len(before) - 1))
    half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
    assert (effect["ci_low"], effect["ci_high"]) == pytest.approx((1250 / 16 - 500 / 15 - half,
                                                                   1250 / 16 - 500 / 15 + half))
    welch = stats.ttest_ind(after, before, equal_var=False).confidence_interval(0.95)
    assert (effect["ci_low"], effect["ci_high"]) == pytest.approx((welch.low, welch.high))
    assert review.action_effect(con, {**action, "business_unit": None}) == effect


# ----------------------------------------------------------------------------------------------------------
# Withheld


def test_a_cell_under_the_stored_threshold_withholds_the_effect_and_its_size(con):
    settings.save(con, {"anonymity_threshold": 26, "comment_threshold": 26})
    # The company's action, window 1: before = 2026-03 (North IT 2 + South marketing 3 rows = 25 respondents),
    # after = 2026-05 (North marketing 2 + South marketing 3 + East IT 5 rows = 50): the first is under 26.
    effect = review.action_effect(con, {**ACTION_NORTH, "business_unit": None, "start_month": "2026-04",
                                        "effect_window": 1})
    assert effect["estimate"] is None and effect["ci_low"] is None and effect["ci_high"] is None
    assert effect["n"] == {"treated_pre": None, "treated_post": 50, "comparison_pre": 0, "comparison_post": 0}
    reason = effect["withheld"]
    assert "fewer than 26 respondents" in reason and "the company before the start (treated_pre)" in reason
    assert "treated_post" not in reason
    assert effect["method"] == "before_after"
    assert review.effect_note(effect).startswith("Withheld: ")
    # A unit's action: at 26 every group here is hidden, so every cell is empty (no comparison group is left:
    # before and after) and no size is given.
    effect = review.action_effect(con, ACTION_NORTH)
    assert effect["estimate"] is None and effect["method"] == "before_after"
    assert effect["n"] == {"treated_pre": None, "treated_post": None, "comparison_pre": 0, "comparison_post": 0}
    assert "fewer than 26 respondents" in effect["withheld"]


def hidden_group_store(tmp_path, answers: tuple) -> "duckdb.DuckDBPyConnection":
    """The test data set with three more respondents: North's IT group in 2026-02, under the threshold and so
    hidden, each answering `answers`."""
    connection = store.connect(":memory:")
    stored = [(u, d, m, c * REPLICATE, a) for u, d, m, c, a in GROUPS] + [("North", "it", "2026-02", 3, answers)]
    shutil.copy(FIXTURES / "survey_items.csv", tmp_path / "survey_items.csv")
    ingest.import_file(connection, "items", tmp_path / "survey_items.csv", user="tests")
    (tmp_path / "survey_responses.csv").write_text(survey_csv(stored), encoding="utf-8")
    ingest.import_file(connection, "survey", tmp_path / "survey_responses.csv", user="tests")
    add_actions(connection, ACTION_NORTH, ACTION_EAST)
    return connection


@pytest.mark.parametrize("target", ["communication", "alignment_index"])
def test_an_effect_gives_nothing_away_about_a_hidden_group(tmp_path, target):
    # The attack: a unit's effect pools its months and departments; if a hidden group were in a cell, the cell's
    # n minus the shown groups' n would give its size, and the estimate with the shown figures its mean. So the
    # effect leaves hidden groups out: whatever the hidden group answered, the effect and its sizes are the same.
    action = {**ACTION_NORTH, "target": target}
    effects, shown = [], []
    for k, answers in enumerate([(1, 5, 1, 0), (5, 1, 5, 10)]):
        directory = tmp_path / str(k)
        directory.mkdir()
        con = hidden_group_store(directory, answers)
        measure = "index" if target == "alignment_index" else f"dimension:{target}"
        hidden = store.fetch_rows(con, "SELECT business_unit, department FROM survey_measures WHERE suppressed AND "
                                       "month = '2026-02' AND business_unit IS NOT NULL AND measure = $m", {"m": measure})
        assert ("North", "it") in hidden                                   # the group is hidden on the scorecard
        effects.append(review.action_effect(con, action))
        # the treated cell before the start is what the shown groups hold: nothing to subtract
        shown.append(store.fetch_rows(con, "SELECT sum(n) FROM survey_measures WHERE business_unit = 'North' AND "
                                           "department IN ('marketing', 'it') AND NOT suppressed AND "
                                           "month IN ('2026-02', '2026-03') AND measure = $m", {"m": measure})[0][0])
        con.close()
    assert effects[0] == effects[1] and effects[0]["estimate"] is not None
    assert effects[0]["n"]["treated_pre"] == shown[0] == shown[1]


def test_before_month_s_plus_w_has_data_the_effect_waits(con):
    later = {**ACTION_NORTH, "start_month": "2026-05"}   # s+w = 2026-07: no survey data yet
    effect = review.action_effect(con, later)
    assert effect["withheld"] == "shown once 2026-07 has survey data"
    assert effect["method"] is None and effect["estimate"] is None and effect["ci_low"] is None
    # what is there is counted: North before 2026-03 (2 rows) + 2026-04 (2 rows: the start month of A-N, a pre
    # month here) = 20 respondents; after, 2026-06 only: 3 rows with an answer on communication = 15
    assert effect["n"]["treated_pre"] == 20 and effect["n"]["treated_post"] == 15
    # A window of 1 ends at 2026-06, which has data.
    assert review.action_effect(con, {**later, "effect_window": 1})["withheld"] != effect["withheld"]


def test_an_unknown_target_is_withheld_in_words(con):
    effect = review.action_effect(con, {**ACTION_NORTH, "target": "morale"})
    assert effect["estimate"] is None and "'morale'" in effect["withheld"]


# ----------------------------------------------------------------------------------------------------------
# The review's metrics and review()

MORE_ACTIONS = [
    # month 2026-06 (last day 2026-06-30): A-N due 09-30 on track, A-E due 05-31 overdue
    {"action_id": "A-D", "business_unit": "South", "title": "Retire the old CRM", "owner": "CIO",
     "target": "partnership", "start_month": "2026-01", "due": "2026-03-31", "status": "done", "effect_window": 3},
    {"action_id": "A-X", "business_unit": None, "title": "Quarterly offsite", "owner": "CMO",
     "target": "partnership", "start_month": "2026-02", "due": "2026-04-30", "status": "dropped", "effect_window": 3},
    {"action_id": "A-F", "business_unit": "South", "title": "Not started yet", "owner": "CMO",
     "target": "partnership", "start_month": "2026-08", "due": "2026-05-01", "status": "planned", "effect_window": 3},
    {"action_id": "A-T", "business_unit": None, "title": "Publish the decision register", "owner": "COO",
     "target": "partnership", "start_month": "2026-05", "due": "2026-06-30", "status": "planned", "effect_window": 3},
    {"action_id": "A-U", "business_unit": "North", "title": "Staff exchange", "owner": "HR",
     "target": "partnership", "start_month": "2026-06", "due": None, "status": "planned", "effect_window": 3},
    {"action_id": "A-O", "business_unit": "North", "title": "Long finished", "owner": "CIO",
     "target": "partnership", "start_month": "2024-01", "due": "2024-06-30", "status": "done", "effect_window": 3},
]


def add_register(con) -> None:
    add_actions(con, *MORE_ACTIONS)
    with store.transaction(con) as cur:
        cur.execute("""INSERT INTO decision_rights VALUES
            ('DR1', 'Choose and buy marketing technology', 'joint', 'finance', 'staff', DATE '2026-01-10', 0),
            ('DR2', 'Own customer data', 'it', 'marketing', NULL, DATE '2026-02-01', 0),
            ('DR3', 'Marketing-technology budget', 'marketing', 'it', NULL, NULL, 0),
            ('DR4', 'Respond to a data incident in a marketing tool', NULL, NULL, NULL, NULL, 0)""")
        cur.execute("""INSERT INTO decisions VALUES
            ('D1', '2026-06', 'North', 'DR1', 'Buy one CRM for both teams', 'joint', DATE '2026-09-30', 'open', 0),
            ('D2', '2026-06', NULL, NULL, 'Monthly meeting on the first Monday', 'joint', NULL, 'done', 0),
            ('D3', '2026-05', 'South', 'DR2', 'An older decision', 'it', NULL, 'open', 0)""")
        cur.execute("""INSERT INTO commentary VALUES
            ('2026-06', 'marketing', 'We *agreed* the CRM.' || chr(10) || 'Next: budget.', 'cmo@example.com',
             TIMESTAMP '2026-06-28 10:00:00', 0),
            ('2026-05', 'it', 'A May note', 'cio@example.com', TIMESTAMP '2026-05-28 10:00:00', 0)""")


def test_review_metrics_on_hand_made_registers_and_actions(con):
    assert review.review_metrics(con, "2026-06") == {"decision_rights_clarity": None, "actions_on_track": 50.0,
                                                     "overdue_actions": 1}
    add_register(con)
    # register: DR1 and DR2 agreed; DR3 has no agreed_on, DR4 nobody accountable -> 2 / 4 = 50
    # 2026-06: not done and started by June: A-N (due 09-30), A-E (05-31, passed), A-T (06-30: the last day, not
    # passed), A-U (no due date), A-X (dropped is not done: due 04-30, passed) -> 3 on track of 5 = 60; overdue 2.
    # Done (A-D, A-O) and not yet started (A-F) actions do not count.
    assert review.review_metrics(con, "2026-06") == {"decision_rights_clarity": 50.0, "actions_on_track": 60.0,
                                                     "overdue_actions": 2}
    # 2026-05 (last day 05-31): A-N, A-E (due that day), A-T on track; A-X overdue -> 3 of 4 = 75
    assert review.review_metrics(con, "2026-05") == {"decision_rights_clarity": 50.0, "actions_on_track": 75.0,
                                                     "overdue_actions": 1}
    # a unit counts its own actions and has no clarity (the register is the company's). North in 2026-06: A-N
    # (due 09-30) and A-U (no due) on track of 2; East: A-E overdue, 0 of 1; South: A-D done, A-F not started
    assert review.review_metrics(con, "2026-06", "North") == {"decision_rights_clarity": None,
                                                              "actions_on_track": 100.0, "overdue_actions": 0}
    assert review.review_metrics(con, "2026-06", "East") == {"decision_rights_clarity": None,
                                                             "actions_on_track": 0.0, "overdue_actions": 1}
    assert review.review_metrics(con, "2026-06", "South") == {"decision_rights_clarity": None,
                                                              "actions_on_track": None, "overdue_actions": 0}
    # before anything started: no open action, no rate
    assert review.review_metrics(con, "2025-12")["actions_on_track"] is None


def test_the_overdue_actions_named_are_the_ones_counted(con):
    # The board pack tints due dates from review.overdue_action_ids: the same rule (sql/views.sql) the metric
    # counts. By hand, as above: June's overdue are A-E (due 05-31) and A-X (dropped, due 04-30); in May only A-X
    # (A-E is due on May's last day, not passed); before anything started, none.
    add_register(con)
    assert review.overdue_action_ids(con, "2026-06") == {"A-E", "A-X"}
    assert review.overdue_action_ids(con, "2026-05") == {"A-X"}
    assert review.overdue_action_ids(con, "2025-12") == set()
    for month in ("2026-05", "2026-06"):
        assert len(review.overdue_action_ids(con, month)) == review.review_metrics(con, month)["overdue_actions"]


def test_the_scorecard_carries_the_review_metrics_per_unit_and_for_the_company(con):
    from metrics import scorecard

    add_register(con)
    card = scorecard.scorecard(con, "2026-06")
    company = card["company"]
    # the same hand counts as above: clarity 2 / 4, 3 of 5 not-done actions on track, 2 overdue
    assert (company["decision_rights_clarity"], company["actions_on_track"], company["overdue_actions"]) == \
        (50.0, 60.0, 2)
    units = {u["business_unit"]: u for u in card["business_units"]}
    assert {k: units["North"][k] for k in ("decision_rights_clarity", "actions_on_track", "overdue_actions")} == \
        {"decision_rights_clarity": None, "actions_on_track": 100.0, "overdue_actions": 0}
    assert (units["East"]["actions_on_track"], units["East"]["overdue_actions"]) == (0.0, 1)
    assert (units["South"]["actions_on_track"], units["South"]["overdue_actions"]) == (None, 0)
    # the months of a trend read the same definition: May as review_metrics counts it
    frame = scorecard.unit_month_metrics(con, "2026-05", "2026-06")
    may = frame[(frame["month"] == "2026-05") & frame["business_unit"].isna()].iloc[0]
    assert (may["actions_on_track"], may["overdue_actions"]) == (75.0, 1)
    # and the scorecard's red/amber/green follows the catalogue's targets
    from metrics.catalog import metric
    assert metric("actions_on_track").status(60.0) == "red"          # target 80, amber down to 65
    assert metric("overdue_actions").status(2) == "amber"            # target 0, amber up to 2
    assert metric("decision_rights_clarity").status(62.5) == "amber"  # target 80, amber down to 60


def test_review_has_exactly_the_keys_of_the_design(con):
    add_register(con)
    result = review.review(con, "2026-06")
    assert set(result) == {"month", "commentary", "decisions", "decision_rights", "actions", "metrics"}
    assert result["month"] == "2026-06"
    assert result["commentary"] == {"marketing": "We *agreed* the CRM.\nNext: budget.", "it": None}
    assert [d["decision_id"] for d in result["decisions"]] == ["D1", "D2"]
    assert set(result["decisions"][0]) == {"decision_id", "month", "business_unit", "area_id", "text", "decided_by",
                                           "due", "status"}
    assert result["decisions"][0]["due"] == "2026-09-30"
    assert [a["area_id"] for a in result["decision_rights"]] == ["DR1", "DR2", "DR3", "DR4"]
    assert set(result["decision_rights"][0]) == {"area_id", "area", "accountable", "consulted", "informed",
                                                 "agreed_on"}
    assert result["decision_rights"][0]["agreed_on"] == "2026-01-10"
    assert [a["area_id"] for a in review.register_gaps(result["decision_rights"])] == ["DR3", "DR4"]
    # started by June and open, or closed with a due date within 2025-07..: A-O (due 2024) and A-F (starts in
    # August) are not shown
    assert [a["action_id"] for a in result["actions"]] == ["A-D", "A-X", "A-E", "A-N", "A-T", "A-U"]
    for action in result["actions"]:
        assert set(action) == {"action_id", "business_unit", "title", "owner", "target", "start_month", "due",
                               "status", "effect_window", "effect"}
        assert set(action["effect"]) == {"estimate", "ci_low", "ci_high", "n", "method", "withheld"}
        assert set(action["effect"]["n"]) == {"treated_pre", "treated_post", "comparison_pre", "comparison_post"}
    north = next(a for a in result["actions"] if a["action_id"] == "A-N")
    assert north["effect"]["estimate"] == pytest.approx(12.5) and north["due"] == "2026-09-30"
    assert result["metrics"] == review.review_metrics(con, "2026-06")
    json.dumps(result, allow_nan=False)    # no NaN, no date objects


def test_review_refuses_a_month_that_is_not_one(con):
    with pytest.raises(ValueError, match="use YYYY-MM"):
        review.review(con, "June")


# ----------------------------------------------------------------------------------------------------------
# The command


@pytest.fixture
def review_db(tmp_path) -> Path:
    path = tmp_path / "review.duckdb"
    connection = store.connect(path)
    load(connection, tmp_path)
    add_register(connection)
    connection.close()
    return path


def cli(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", *args, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_review_command_json_equals_the_library(review_db):
    result = cli("review", "--month", "2026-06", "--json", db=review_db)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    connection = store.connect(review_db)
    try:
        assert printed == json.loads(json.dumps(review.review(connection, "2026-06")))
    finally:
        connection.close()
    assert printed["metrics"]["actions_on_track"] == 60.0


def test_review_command_text_shows_notes_register_gaps_and_actions(review_db):
    result = cli("review", "--month", "2026-06", db=review_db)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for action in (ACTION_NORTH, ACTION_EAST, *MORE_ACTIONS[:2], *MORE_ACTIONS[3:5]):
        assert action["title"] in text
    assert "Long finished" not in text and "Not started yet" not in text
    assert "We *agreed* the CRM." in text and "Buy one CRM for both teams" in text
    assert text.count("GAP") == 2 and "GAP: nobody accountable" in text
    assert "effect +12.5 points (95% interval +0.9 to +24.1)" in text
    assert "not proof of cause" in text
    assert "Actions on track         60.0%" in text and "Overdue actions          2" in text


def test_review_command_refuses_a_bad_month_and_a_busy_store(review_db):
    bad = cli("review", "--month", "2026-6", db=review_db)
    assert bad.returncode == 2 and "use YYYY-MM" in bad.stderr
    holder = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; con = duckdb.connect(sys.argv[1]); "
                               "print('holding', flush=True); sys.stdin.read()", str(review_db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        busy = cli("review", "--month", "2026-06", "--json", db=review_db)
    finally:
        holder.communicate("", timeout=30)
    assert busy.returncode == 3
    assert "in use by another process" in busy.stderr and "Traceback" not in busy.stderr
    assert len(busy.stderr.strip().splitlines()) == 1


# The forest plot --------------------------------------------------------------------------------------------------

def test_the_forest_plot_draws_each_measured_effect_with_its_interval_and_a_zero_line():
    from metrics.charts.review import CAUTION, effect_forest

    def action(action_id, estimate, low, high, method, unit="North"):
        return {"action_id": action_id, "business_unit": unit, "title": f"Action {action_id}", "target": "trust",
                "start_month": "2026-03", "effect": {"estimate": estimate, "ci_low": low, "ci_high": high,
                                                     "n": {"treated_pre": 12, "treated_post": 11,
                                                           "comparison_pre": None, "comparison_post": 30},
                                                     "method": method, "withheld": None}}

    withheld = {**action("W", None, None, None, None), "effect": {"estimate": None, "ci_low": None, "ci_high": None,
                                                                  "n": {}, "method": None, "withheld": "too few"}}
    fig = effect_forest([action("A", 9.4, 3.4, 15.3, "did"), action("B", -0.5, -4.0, 3.0, "before_after", None),
                         withheld], "October 2026")
    did, before_after = fig.data
    assert list(did.x) == [9.4] and list(did.y) == ["A Action A · North"]   # the id first: two actions alike stay two rows
    assert list(did.error_x.array) == pytest.approx([15.3 - 9.4]) and list(did.error_x.arrayminus) == pytest.approx([9.4 - 3.4])
    assert list(before_after.y) == ["B Action B · Company"]                 # company-wide: no comparison group
    assert "comparison before hidden" in before_after.customdata[0][3]      # an n under the threshold stays hidden
    assert [shape.x0 for shape in fig.layout.shapes] == [0]                 # the zero line
    assert CAUTION in fig.layout.title.text
    empty = effect_forest([withheld], "October 2026")
    assert not empty.data and "No action has a measured effect yet" in empty.layout.annotations[0].text
