"""Each metric of DESIGN.md on the hand-made fixture, against values worked out by hand."""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from metrics import store
from metrics.catalog import CHI_WEIGHTS, METRICS, metric
from metrics.scorecard import scorecard


def index(mean_score) -> float:
    """DESIGN.md: (mean of respondent scores - 1) / 4 x 100."""
    return float((F(mean_score) - 1) / 4 * 100)


@pytest.fixture
def card(con):
    result = scorecard(con, "2026-01")
    result["units"] = {u["business_unit"]: u for u in result["business_units"]}
    return result


def test_department_index_weighs_each_respondent_the_same(card):
    # Alpha marketing respondent scores (comm_unheard flipped to 6 - x; a missing answer is left out):
    # (5+5+5)/3=5, (4+4+4)/3=4, (3+3+2)/3=8/3, (2+2+1)/3=5/3, (4+4)/2=4  -> mean 52/15.
    # (An answer-weighted mean would be 48/14, a different number.)
    assert card["units"]["Alpha"]["marketing_index"] == pytest.approx(index(F(52, 15)))  # 61.67
    assert card["units"]["Alpha"]["marketing_index_n"] == 5
    assert card["units"]["Gamma"]["marketing_index"] == pytest.approx(75.0)   # everyone scores 4
    assert card["units"]["Gamma"]["it_index"] == pytest.approx(50.0)          # everyone scores 3
    assert card["units"]["Beta"]["marketing_index"] == pytest.approx(50.0)


def test_alignment_index_is_the_mean_of_both_departments(card):
    assert card["units"]["Gamma"]["alignment_index"] == pytest.approx((75 + 50) / 2)
    assert card["units"]["Gamma"]["alignment_index_n"] == 7 + 8


def test_suppression_hides_small_groups_and_their_complement(card):
    # Beta IT has 3 respondents (< 5): hidden. The company IT figure is shown, so Beta IT could be
    # recovered by subtraction from it and the other units; the next-smallest IT group (Alpha, 6) is hidden too.
    beta, alpha, gamma = card["units"]["Beta"], card["units"]["Alpha"], card["units"]["Gamma"]
    assert beta["it_index"] is None and beta["alignment_index"] is None
    assert alpha["it_index"] is None and alpha["alignment_index"] is None
    assert gamma["it_index"] is not None
    assert beta["strategic_partner_rate_it"] is None and alpha["strategic_partner_rate_it"] is None
    assert beta["perception_gap_abs"] is None and alpha["perception_gap_abs"] is None
    # Marketing has no small group: nothing hidden there.
    assert all(u["marketing_index"] is not None for u in card["units"].values())


def test_company_indexes_are_respondent_weighted(card):
    # Marketing: Alpha 52/3 (sum of 5 scores) + Beta 6 x 3 + Gamma 7 x 4 over 18 respondents.
    marketing = index((F(52, 3) + 18 + 28) / 18)
    # IT: Alpha 6 x 5 + Beta 3 x 1 + Gamma 8 x 3 over 17 (the company figure includes hidden groups).
    it = index(F(30 + 3 + 24, 17))
    company = card["company"]
    assert company["marketing_index"] == pytest.approx(marketing)     # 62.96
    assert company["it_index"] == pytest.approx(it)                   # 58.82
    assert company["alignment_index"] == pytest.approx((marketing + it) / 2)
    assert company["marketing_index_n"] == 18 and company["it_index_n"] == 17
    # "other" respondents never enter the marketing/IT figures.
    assert company["alignment_index_n"] == 35


def test_perception_gap(card):
    gamma = card["units"]["Gamma"]
    # communication: marketing (4+4)/2 -> 75, IT 3 -> 50; partnership: 75 vs 50.
    assert gamma["perception_gap"] == {"communication": pytest.approx(25.0), "partnership": pytest.approx(25.0)}
    assert gamma["perception_gap_abs"] == pytest.approx(25.0)
    # Company communication: marketing respondent comm scores Alpha 5,4,3,2,4 (r5 has only comm_vocabulary=4)
    # = 18, Beta 6x3, Gamma 7x4 -> 64/18; IT 6x5 + 3x1 + 8x3 = 57 over 17.
    communication = index(F(64, 18)) - index(F(57, 17))
    # partnership: marketing Alpha 5+4+2+1+4=16, Beta 18, Gamma 28 -> 62/18; IT 57/17.
    partnership = index(F(62, 18)) - index(F(57, 17))
    assert card["company"]["perception_gap"]["communication"] == pytest.approx(communication)
    assert card["company"]["perception_gap_abs"] == pytest.approx((abs(communication) + abs(partnership)) / 2)


def test_strategic_partner_rate(card):
    # Alpha marketing partner_strategic answers 5,4,2,1,4 -> 3 of 5 favourable.
    assert card["units"]["Alpha"]["strategic_partner_rate_marketing"] == pytest.approx(60.0)
    assert card["units"]["Gamma"]["strategic_partner_rate_marketing"] == pytest.approx(100.0)
    assert card["units"]["Gamma"]["strategic_partner_rate_it"] == pytest.approx(0.0)
    # Company marketing: Alpha 3 + Beta 0 + Gamma 7 of 18.
    assert card["company"]["strategic_partner_rate_marketing"] == pytest.approx(100 * 10 / 18)


def test_partner_nps(card):
    # Gamma: 7 marketing answers of 9 (promoters), 8 IT answers of 6 (detractors).
    assert card["units"]["Gamma"]["partner_nps"] == pytest.approx(100 * (7 - 8) / 15)
    # Alpha's IT group (6) is the complement of Beta's hidden IT group (3): the groups hidden are decided once, for
    # every measure made from them, so Alpha's pooled NPS is hidden too, with its n.
    assert card["units"]["Alpha"]["partner_nps"] is None and card["units"]["Alpha"]["partner_nps_n"] is None
    # The company: Alpha marketing 10, 9, 7, 3, 8 and IT 6 x 10, Beta marketing 6 x 8 and IT 3 x 0, Gamma 7 x 9
    # and 8 x 6 -> promoters 2 + 6 + 7 = 15, detractors 1 + 3 + 8 = 12 of 35. Hidden under it: Alpha 11 and Beta 9.
    assert card["company"]["partner_nps"] == pytest.approx(100 * (15 - 12) / 35)
    assert card["company"]["partner_nps_n"] == 35


def test_response_rate(card):
    assert card["units"]["Alpha"]["response_rate"] == pytest.approx(100 * 11 / 20)
    assert card["units"]["Gamma"]["response_rate"] == pytest.approx(100 * 15 / 26)
    assert card["units"]["Beta"]["response_rate_it"] == pytest.approx(30.0)
    assert card["company"]["response_rate"] == pytest.approx(100 * 35 / 66)
    assert metric("response_rate").status(card["company"]["response_rate"]) != "green"  # under 60% is flagged


def test_cadence_adherence(card):
    # Meetings data starts 2025-11. Gamma: held, cancelled, held -> 2 of 3. Alpha: none, none, held -> 1 of 3.
    assert card["units"]["Gamma"]["cadence_adherence_3m"] == pytest.approx(200 / 3)
    assert card["units"]["Alpha"]["cadence_adherence_3m"] == pytest.approx(100 / 3)
    assert card["units"]["Alpha"]["cadence_adherence"] == pytest.approx(100.0)
    assert card["units"]["Beta"]["cadence_adherence_3m"] is None          # no meeting data for Beta at all
    assert card["company"]["cadence_adherence_3m"] == pytest.approx(50.0)


def test_attendance_rate_and_leadership_presence(card):
    # Gamma held: steering (M1 yes, I1 yes, M2 yes, I2 no; "other" not counted) + brainstorm (2 of 2) -> 5 of 6.
    assert card["units"]["Gamma"]["attendance_rate"] == pytest.approx(100 * 5 / 6)
    assert card["units"]["Gamma"]["attendance_rate_n"] == 6
    assert card["units"]["Alpha"]["attendance_rate"] == pytest.approx(100 * 2 / 3)
    assert card["units"]["Alpha"]["attendance_rate_it"] == pytest.approx(50.0)
    assert card["company"]["attendance_rate"] == pytest.approx(100 * 7 / 9)
    # Both leads at Gamma's steering meeting; Alpha's IT lead missed (a manager came instead).
    assert card["units"]["Gamma"]["leadership_presence"] == pytest.approx(100.0)
    assert card["units"]["Alpha"]["leadership_presence"] == pytest.approx(0.0)
    assert card["company"]["leadership_presence"] == pytest.approx(50.0)


def test_joint_project_delivery(card):
    # Trailing 12 months to 2026-01-31: Gamma delivered P1, P2, P3, P6 (P4 ended 2024-12, P5 cancelled).
    gamma = card["units"]["Gamma"]
    assert gamma["project_on_time_rate"] == pytest.approx(50.0)        # P1, P3 on time
    assert gamma["project_on_time_rate_n"] == 4
    assert gamma["project_success_rate"] == pytest.approx(50.0)        # P1, P3 success
    assert gamma["pilot_to_scale_rate"] == pytest.approx(50.0)         # P1 scaled by P2, P3 not
    assert gamma["project_mean_roi"] == pytest.approx((20 + 10 + 30 - 5) / 4)
    assert gamma["project_budget_variance"] == pytest.approx(100 * (520 - 450) / 450)
    company = card["company"]
    assert company["project_success_rate"] == pytest.approx(60.0)      # 3 of 5 with Alpha's A1
    assert company["pilot_to_scale_rate"] == pytest.approx(100 / 3)
    assert company["project_budget_variance"] == pytest.approx(100 * (600 - 550) / 550)


def test_chi_weights_and_rescaling(card):
    w = CHI_WEIGHTS
    gamma = (w["alignment_index"] * 62.5 + w["cadence_adherence_3m"] * 200 / 3
             + w["attendance_rate"] * 500 / 6 + w["project_success_rate"] * 50)
    assert card["units"]["Gamma"]["chi"] == pytest.approx(gamma)           # 63.75
    # Alpha's alignment is suppressed: it drops out and the other weights are rescaled to 1.
    alpha = (w["cadence_adherence_3m"] * 100 / 3 + w["attendance_rate"] * 200 / 3 + w["project_success_rate"] * 100)
    alpha /= w["cadence_adherence_3m"] + w["attendance_rate"] + w["project_success_rate"]
    assert card["units"]["Alpha"]["chi"] == pytest.approx(alpha)           # 70
    assert card["units"]["Beta"]["chi"] is None                           # nothing left to weigh


def test_company_chi(card):
    c = card["company"]
    expected = (0.5 * c["alignment_index"] + 0.15 * 50 + 0.15 * 700 / 9 + 0.2 * 60)
    assert c["chi"] == pytest.approx(expected)                             # 61.61


def test_business_unit_filter_keeps_company_and_suppression(con):
    only_alpha = scorecard(con, "2026-01", "Alpha")
    assert [u["business_unit"] for u in only_alpha["business_units"]] == ["Alpha"]
    # Narrowing the filter must not un-hide Alpha IT (its suppression protects Beta IT).
    assert only_alpha["business_units"][0]["it_index"] is None


def test_anonymity_threshold_is_a_setting(con):
    con.cursor().execute("UPDATE settings SET value = '3' WHERE key = 'anonymity_threshold'")
    card = scorecard(con, "2026-01")
    beta = next(u for u in card["business_units"] if u["business_unit"] == "Beta")
    assert beta["it_index"] == pytest.approx(0.0)


def test_status_against_target():
    chi = metric("chi")
    assert chi.status(chi.target) == "green"
    assert chi.status(chi.target - chi.amber_band) == "amber"
    assert chi.status(chi.target - chi.amber_band - 0.1) == "red"
    gap = metric("perception_gap_abs")
    assert gap.status(gap.target) == "green" and gap.status(gap.target + gap.amber_band + 1) == "red"
    assert chi.status(None) is None


def test_scorecard_json_has_every_catalogue_metric(card):
    required = {"alignment_index", "marketing_index", "it_index", "perception_gap_abs",
                "strategic_partner_rate_marketing", "strategic_partner_rate_it", "partner_nps", "response_rate",
                "cadence_adherence_3m", "attendance_rate", "leadership_presence", "project_on_time_rate",
                "project_success_rate", "chi", "alignment_index_n"}
    names = {m.name for m in METRICS} | {m.n_name for m in METRICS if m.n_name}
    assert required <= names
    for record in [card["company"], *card["business_units"]]:
        assert names <= set(record)


def test_a_store_without_stored_survey_figures_gets_them_on_connect(tmp_path):
    from tests.conftest import load_fixture

    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    load_fixture(con, tmp_path)
    expected = scorecard(con, "2026-01")["company"]["alignment_index"]
    cur = con.cursor()   # as a store from before they were stored: neither the figures nor their view
    cur.execute("DROP VIEW survey_group_stats")
    cur.execute("DROP TABLE survey_group_figures")
    cur.execute("DROP TABLE migrations")   # nor the record of migration steps, which came later
    con.close()
    con = store.connect(path)
    assert scorecard(con, "2026-01")["company"]["alignment_index"] == pytest.approx(expected)
    con.close()
