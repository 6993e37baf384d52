"""Every listed platform's export, imported end to end: mapped, validated, stored without personal data."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from metrics import ingest, store
from metrics.ingest import layouts
from metrics.scorecard import scorecard
from tests.conftest import real_export

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
LAYOUT_OF = {
    "google_forms_uk": "google_forms", "google_forms_us": "google_forms", "google_forms_ambiguous": "google_forms",
    "limesurvey_codes": "limesurvey", "limesurvey_fulltext": "limesurvey", "ms_forms": "ms_forms",
    "native": "native", "qualtrics_legacy": "qualtrics_legacy", "qualtrics_matrix": "qualtrics",
    "surveymonkey_condensed": "surveymonkey", "surveymonkey_expanded": "surveymonkey", "typeform": "typeform",
}
PERSONAL = re.compile(r"@|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|alice|smith", re.IGNORECASE)


def stored_text(con) -> str:
    """Every text value the store holds, to look for personal data that should never be there."""
    parts = []
    for table in store.DATA_TABLES:
        parts += [repr(row) for row in con.cursor().execute(f"SELECT * FROM {table}").fetchall()]
    return "\n".join(parts)


@pytest.mark.parametrize("name", sorted(LAYOUT_OF))
def test_each_layout_imports_with_constants(con, name):
    path = EXPORTS / f"{name}.csv"
    data = path.read_bytes()
    parsed = layouts.read_export(data, path.name, date_order="dmy" if "ambiguous" in name else None)
    constants = {} if name == "native" else {"business_unit": "Delta", "department": "marketing"}
    # LimeSurvey exported with question codes has no text to match: the analyst maps the codes once.
    mapping = ({"Q1[SQ001]": "comm_vocabulary", "Q1[SQ002]": "comm_unheard", "Q1[SQ003]": "partner_strategic",
                "NPS": "partner_nps"} if name == "limesurvey_codes" else None)
    before = stored_text(con)
    report = ingest.import_file(con, "survey", path, constants=constants, mapping=mapping,
                                date_order="dmy" if "ambiguous" in name else None, skip_invalid=True)
    assert report.layout == LAYOUT_OF[name]
    assert report.rows_read == len(parsed.frame) > 0
    assert report.rows_imported == report.rows_valid > 0
    stored = con.cursor().execute(
        "SELECT count(DISTINCT response_id) FROM survey_answers WHERE response_id IN "
        "(SELECT response_id FROM survey_responses WHERE import_id = $id) AND item_id = 'comm_vocabulary'",
        {"id": report.import_id}).fetchall()[0][0]
    assert stored >= 1                                   # the statement was mapped by its question text
    new_text = stored_text(con).replace(before, "")
    assert not PERSONAL.search(new_text), PERSONAL.search(new_text)
    assert set(parsed.personal_columns) <= set(report.dropped_columns)
    # The same file again changes nothing.
    again = ingest.import_file(con, "survey", path, constants=constants,
                               date_order="dmy" if "ambiguous" in name else None, skip_invalid=True)
    assert again.import_id is None and again.rows_unchanged == report.rows_imported


def test_ambiguous_dates_are_asked_not_guessed(con):
    path = EXPORTS / "google_forms_ambiguous.csv"
    with pytest.raises(ingest.ImportRefused) as refused:
        ingest.import_file(con, "survey", path, constants={"business_unit": "Delta", "department": "it"})
    assert "date" in " ".join(refused.value.problems).lower()
    dmy = ingest.import_file(con, "survey", path, constants={"business_unit": "Delta", "department": "it"},
                             date_order="dmy", dry_run=True)
    assert dmy.rows_valid == 3


def test_real_qualtrics_export_with_a_mapping(con):
    path = real_export("qualtrics_sample.csv")
    report = ingest.import_file(con, "survey", path, mapping={"Q1": "comm_vocabulary"},
                                constants={"business_unit": "Delta", "department": "it", "wave": "2017-07"})
    assert (report.layout, report.rows_imported) == ("qualtrics", 1)
    row = con.cursor().execute("""SELECT r.response_id, r.wave, a.value FROM survey_responses r JOIN survey_answers a
                                  USING (response_id) WHERE r.import_id = $id""", {"id": report.import_id}).fetchall()
    assert row == [("R_2YPOQ602ER1jkf1", "2017-07", 2)]
    text = stored_text(con)
    for personal in ("130.92.34.66", "47.115097045898", "7.2315979003906"):
        assert personal not in text
    assert {"IPAddress", "LocationLatitude", "LocationLongitude", "RecipientEmail"} <= set(report.dropped_columns)


def test_real_glint_export_reaches_the_scorecard_and_the_mapping_is_remembered(con, tmp_path):
    path = real_export("glint_sample.csv")
    mapping = {"My work is meaningful": "comm_vocabulary", "I feel valued": "partner_strategic"}
    report = ingest.import_file(con, "survey", path, mapping=mapping,
                                constants={"business_unit": "Delta", "department": "marketing"})
    assert (report.layout, report.rows_imported) == ("glint", 5)
    # Day-first dates: 15-01-2024 is 15 January.
    waves = con.cursor().execute("SELECT DISTINCT wave FROM survey_responses WHERE import_id = $id",
                                 {"id": report.import_id}).fetchall()
    assert waves == [("2024-01",)]
    text = stored_text(con)
    for personal in ("Alice", "alice@example.com", "Smith", "e001", "m001"):
        assert personal not in text
    card = scorecard(con, "2024-01", "Delta")["business_units"][0]
    # Marketing answers to comm_vocabulary 4,3,5,2,4 and partner_strategic 5,4,5,3,4 -> respondent means
    # 4.5, 3.5, 5, 2.5, 4 -> mean 3.9 -> index 72.5.
    assert card["marketing_index"] == pytest.approx(72.5)
    assert card["marketing_index_n"] == 5
    # A second Glint file with the same questions needs no mapping: the first one was remembered.
    second = tmp_path / "glint_next_month.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    second.write_text("\n".join([lines[0]] + [line.replace("-01-2024", "-02-2024").replace("e00", "f00")
                                                for line in lines[1:]]) + "\n", encoding="utf-8")
    again = ingest.import_file(con, "survey", second, constants={"business_unit": "Delta", "department": "marketing"})
    assert again.rows_imported == 5
    assert scorecard(con, "2024-02", "Delta")["business_units"][0]["marketing_index"] == pytest.approx(72.5)


def test_label_answers_and_a_bad_label(con, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("Timestamp,We and the other function use the same words for customers and results.\n"
                    "2024-03-15 10:00:00,Strongly agree\n"
                    "2024-03-15 11:00:00,Neither agree nor disagree\n"
                    "2024-03-15 12:00:00,Sometimes\n", encoding="utf-8")
    prepared = ingest.prepare_import(con, "survey", path.read_bytes(), path.name,
                                     constants={"business_unit": "Delta", "department": "it"})
    assert prepared.report.layout == "google_forms"
    assert [(p.row, p.value) for p in prepared.report.problems] == [(4, "Sometimes")]
    report = ingest.commit_import(con, prepared, skip_invalid=True)
    values = sorted(v for (v,) in con.cursor().execute(
        "SELECT value FROM survey_answers WHERE response_id IN (SELECT response_id FROM survey_responses "
        "WHERE import_id = $id)", {"id": report.import_id}).fetchall())
    assert values == [3, 5]


def test_encodings_and_delimiters_import_the_same_rows(con, tmp_path):
    text = ("response_id,submitted_at,business_unit,department,role,comm_vocabulary,comment\n"
            "E1,2026-01-20 10:00:00,Zürich,it,staff,4,“Café” meeting\n")
    variants = {"utf8.csv": text.encode("utf-8"), "bom.csv": text.encode("utf-8-sig"),
                "utf16.csv": text.encode("utf-16"), "cp1252.csv": text.encode("cp1252"),
                "semicolon.csv": text.replace(",", ";").encode("utf-8"),
                "tab.tsv": text.replace(",", "\t").encode("utf-8")}
    for name, data in variants.items():
        prepared = ingest.prepare_import(con, "survey", data, name)
        assert prepared.importable, (name, prepared.blocking)
        row = prepared.frame.iloc[0]
        assert (row["business_unit"], row["comment"], row["comm_vocabulary"]) == ("Zürich", "“Café” meeting", "4"), name
