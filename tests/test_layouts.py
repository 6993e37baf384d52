"""Layout readers for survey exports (metrics.ingest.layouts): the real exports, one small file per documented layout,
encodings and delimiters, dates, answer labels, and refusals.

What each test file is built from (public sources looked up for this work):

- Qualtrics, current: ropensci/qualtRics tests/testthat/files/sample.csv (here unmodified, in shared/fixtures)
  and the kutils importQualtrics docs ("Current Qualtrics CSV files will usually have 3 metadata rows,
  1 = name, 2 = question, 3 = ImportId"). qualtrics_matrix.csv adds a matrix (Q1_1..Q1_3, row text
  "Question - Row"), an NPS item (ImportId QID2_NPS_GROUP), a text entry (QID3_TEXT) with its Text iQ
  "Q3 - Topics" column, an "Other - Text" column, labels as answers and a line break inside a header cell.
- Qualtrics, legacy: ropensci/qualtRics tests/testthat/files/sample_legacy.csv: row 1 V1..V10 and Q ids,
  row 2 ResponseID, ResponseSet, Name, ExternalDataReference, EmailAddress, IPAddress, Status, StartDate,
  EndDate, Finished and the question texts, a trailing comma on every line.
- SurveyMonkey: public parsers of real exports (a GGWash candidate-survey parser quoting rows 1 and 2 of an
  export; a SurveyMonkeyReader test suite for the condensed form): row 1 "Respondent ID, Collector ID, Start
  Date, End Date, IP Address, Email Address, First Name, Last Name, Custom Data 1" then question texts, blank
  over a question's further columns; row 2 "Response", "Open-Ended Response" or the choice/row label.
- Google Forms: "Timestamp" first, grid questions as "Question [Row]", "Email address" when collected, dates in
  the spreadsheet's locale (DESIGN.md "Uploads"); no platform page was found in the stored corpus.
- Microsoft Forms: public code reading MS Forms workbooks: "ID, Start time, Completion time, Email, Name", then
  "Last modified time", "Total points", "Quiz feedback", "Points - <q>", "Feedback - <q>" when present.
- Typeform: the raw header of freeCodeCamp's 2017 New Coder Survey ("#", questions, "Start Date (UTC)",
  "Submit Date (UTC)", "Network ID") and the Responses API (token, metadata.network_id); newer exports add
  "Response Type", "Stage Date (UTC)" and "Tags", and hidden fields such as "email" as columns.
- LimeSurvey: LimeSurvey's createFieldMap (id/"Response ID", submitdate/"Date submitted", lastpage/"Last page",
  startlanguage/"Start language", seed, startdate/"Date started", datestamp/"Date last action", ipaddr/"IP
  address", refurl/"Referrer URL", token/"Access code") and RemoteControl export_responses' sHeadingType
  'code' | 'full' | 'abbreviated' (limer docs); codes like Q1[SQ001], Q1[other], and timing columns Q1Time.
- Viva Glint: microsoft/vivaglint R/import.R and R/utils.R (standard columns First Name, Last Name, Email,
  Status, employee id, Manager ID, Survey Cycle Completion/Sent Date; each item followed by _COMMENT,
  _COMMENT_TOPICS, _SENSITIVE_COMMENT_FLAG; dates DD-MM-YYYY HH:MM read with dmy_hm) and the real export
  microsoft/vivaglint tests/testthat/fixtures/sample_survey.csv (unmodified, in shared/fixtures).

Header-only files are read as an empty frame with a warning (so a mapping can be set up from a blank export);
every other refusal is a LayoutError naming the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import random
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics.ingest import grid, layouts
from metrics.ingest.layouts import LayoutError, read_export
from metrics.ingest.values import AmbiguousDates, likert_value, parse_timestamps
from tests.conftest import real_export
from tests.test_hostile_files import mutated

EXPORTS = Path(__file__).parent / "fixtures" / "exports"

VOCABULARY, UNHEARD, PARTNER, NPS = "same words", "rarely hears", "strategic partner", "recommend"

# Per file: the layout it must be detected as, its response-id and submission-time columns, and the answers
# (column found by key or question text) as catalogue numbers, row by row.
EXPECTED = {
    "qualtrics_legacy.csv": ("qualtrics_legacy", "V1", "V9", "ymd", {
        VOCABULARY: [4, 2, 5, 3], UNHEARD: [2, 4, 1, None], PARTNER: [5, 1, 5, 4], NPS: [9, 3, 10, 7]}),
    "qualtrics_matrix.csv": ("qualtrics", "ResponseId", "EndDate", "ymd", {
        VOCABULARY: [5, 2, 4], UNHEARD: [2, 4, 1], PARTNER: [4, 3, 5], NPS: [9, 6, 10]}),
    "surveymonkey_expanded.csv": ("surveymonkey", "Respondent ID", "End Date", "mdy", {
        VOCABULARY: [4, 1, 3, 5], UNHEARD: [2, 5, 3, 1], PARTNER: [5, 2, 4, 5], NPS: [9, 4, 7, 10]}),
    "surveymonkey_condensed.csv": ("surveymonkey", "Respondent ID", "End Date", "dmy", {
        VOCABULARY: [4, 1, 3], UNHEARD: [2, 5, 3], PARTNER: [5, 2, 3], NPS: [9, 3, 8]}),
    "google_forms_uk.csv": ("google_forms", None, "Timestamp", "dmy", {
        VOCABULARY: [4, 1, 3], UNHEARD: [2, 5, 4], PARTNER: [5, 2, 4], NPS: [9, 4, 7]}),
    "google_forms_us.csv": ("google_forms", None, "Timestamp", "mdy", {
        VOCABULARY: [4, 1, 3], UNHEARD: [2, 5, 4], PARTNER: [5, 2, 4], NPS: [9, 4, 7]}),
    "ms_forms.csv": ("ms_forms", "ID", "Completion time", "mdy", {
        VOCABULARY: [4, 1, 3], UNHEARD: [2, 5, 4], PARTNER: [5, 2, 4], NPS: [9, 4, 7]}),
    "typeform.csv": ("typeform", "#", "Submit Date (UTC)", "ymd", {
        VOCABULARY: [4, 1, 3], UNHEARD: [2, 5, 4], PARTNER: [5, 2, 4], NPS: [9, 4, 7]}),
    "limesurvey_codes.csv": ("limesurvey", "id", "submitdate", "ymd", {
        "Q1[SQ001]": [4, 1, 3], "Q1[SQ002]": [2, 5, 4], "Q1[SQ003]": [5, 2, 4], "NPS": [9, 4, 7]}),
    "limesurvey_fulltext.csv": ("limesurvey", "Response ID", "Date submitted", "ymd", {
        VOCABULARY: [4, 1, 3], UNHEARD: [2, 5, 4], PARTNER: [5, 2, 4], NPS: [9, 4, 7]}),
    "native.csv": ("native", "response_id", "submitted_at", "ymd", {
        "comm_vocabulary": [4, 1, 3], "comm_unheard": [2, 5, None], "partner_strategic": [5, 2, 4],
        "partner_nps": [9, 4, 7]}),
}

# Columns that must be recognised as personal in each file (names, e-mails, IPs, locations, referrers ...).
PERSONAL = {
    "qualtrics_legacy.csv": {"V3", "V4", "V5", "V6", "LocationLatitude", "LocationLongitude", "LocationAccuracy"},
    "qualtrics_matrix.csv": {"IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                             "ExternalReference", "LocationLatitude", "LocationLongitude"},
    "surveymonkey_expanded.csv": {"IP Address", "Email Address", "First Name", "Last Name", "Custom Data 1"},
    "surveymonkey_condensed.csv": {"IP Address", "Email Address", "First Name", "Last Name", "Custom Data 1"},
    "google_forms_uk.csv": {"Email address"},
    "google_forms_us.csv": {"Email Address"},
    "ms_forms.csv": {"Email", "Name"},
    "typeform.csv": {"email", "Network ID"},
    "limesurvey_codes.csv": {"ipaddr", "refurl"},
    "limesurvey_fulltext.csv": {"IP address", "Referrer URL"},
    "native.csv": set(),
}

MS_FORMS_ROWS = [
    [1, dt.datetime(2024, 3, 15, 10, 30, 5), dt.datetime(2024, 3, 15, 10, 32, 41), "alice.smith@contoso.com",
     "Alice Smith", None, "Agree", "Disagree", "Strongly agree", 9, "Marketing", "Keep the steering meeting."],
    [2, dt.datetime(2024, 3, 15, 13, 2), dt.datetime(2024, 3, 15, 13, 9, 45), "bob.jones@contoso.com", "Bob Jones",
     None, "Strongly disagree", "Strongly agree", "Disagree", 4, "IT", None],
    [3, dt.datetime(2024, 3, 18, 9, 12, 30), dt.datetime(2024, 3, 18, 9, 15), "anonymous", None, None,
     "Neither agree nor disagree", "Agree", "Agree", 7, "Marketing", None],
]


def read(name: str, **options) -> layouts.ParsedExport:
    return read_export((EXPORTS / name).read_bytes(), name, **options)


def answers(parsed: layouts.ParsedExport, needle: str) -> list[int | None]:
    """The catalogue numbers in the column keyed needle, else the one whose key or question text contains it."""
    matches = [needle] if needle in parsed.frame.columns else [
        c for c in parsed.frame.columns if needle in c or needle in parsed.question_text[c]]
    assert len(matches) == 1, (needle, matches)
    scale = "nps11" if needle in (NPS, "NPS", "partner_nps") else "likert5"
    return [likert_value(v, scale) for v in parsed.frame[matches[0]]]


def roles_of(parsed: layouts.ParsedExport) -> list[str]:
    fixed = [c for c in (parsed.id_column, parsed.submitted_column) if c]
    return fixed + parsed.personal_columns + parsed.metadata_columns + parsed.comment_columns + parsed.answer_columns


@pytest.fixture(scope="module")
def ms_forms_xlsx() -> bytes:
    """The MS Forms workbook, built at run time so no binary is committed: real date cells, numbers as numbers."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    header = (EXPORTS / "ms_forms.csv").read_text(encoding="utf-8").splitlines()[0]
    sheet.append(next(csv.reader([header])))
    for row in MS_FORMS_ROWS:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------------------
# The real exports, unmodified


def test_real_qualtrics_export():
    parsed = read_export(real_export("qualtrics_sample.csv").read_bytes(), "qualtrics_sample.csv")
    assert parsed.layout == "qualtrics"
    assert parsed.frame.shape == (1, 20)
    assert parsed.row_numbers == [4]           # three header rows above it
    assert parsed.id_column == "ResponseId" and parsed.frame.at[0, "ResponseId"] == "R_2YPOQ602ER1jkf1"
    assert parsed.submitted_column == "EndDate"
    assert set(parsed.personal_columns) == {"IPAddress", "RecipientLastName", "RecipientFirstName",
                                            "RecipientEmail", "ExternalReference", "LocationLatitude",
                                            "LocationLongitude"}
    assert parsed.metadata_columns == ["StartDate", "Status", "Progress", "Duration (in seconds)", "Finished",
                                       "RecordedDate", "DistributionChannel", "UserLanguage", "Q2 - Topics"]
    assert parsed.comment_columns == ["Q2"]    # ImportId QID2_TEXT: a text entry
    assert parsed.answer_columns == ["Q1"]
    assert parsed.question_text["Q1"] == "This is a multiple choice question."
    assert parsed.question_text["RecipientEmail"] == "E-Mail des Empfängers"
    assert parsed.frame.at[0, "Q2"] == "Hello World!"
    assert parsed.frame.at[0, "RecipientEmail"] is None and parsed.frame.at[0, "Q2 - Topics"] is None
    assert (parsed.encoding, parsed.delimiter, parsed.date_order) == ("utf-8", ",", "ymd")
    stamps = parse_timestamps(parsed.frame[parsed.submitted_column], parsed.date_order)
    assert stamps.tolist() == [pd.Timestamp("2017-07-18 08:28:48")]
    assert likert_value(parsed.frame.at[0, "Q1"], "likert5") == 2


def test_real_glint_export():
    parsed = read_export(real_export("glint_sample.csv").read_bytes(), "glint_sample.csv")
    assert parsed.layout == "glint"
    assert parsed.row_numbers == [2, 3, 4, 5, 6]
    assert parsed.id_column == "EXID" and parsed.id_is_personal
    assert parsed.submitted_column == "Survey Cycle Completion Date"
    assert set(parsed.personal_columns) == {"First Name", "Last Name", "Email", "Manager ID"}
    assert parsed.comment_columns == ["My work is meaningful_COMMENT", "I feel valued_COMMENT"]
    assert parsed.answer_columns == ["My work is meaningful", "I feel valued"]
    assert set(parsed.metadata_columns) == {
        "Status", "Survey Cycle Sent Date", "My work is meaningful_COMMENT_TOPICS",
        "My work is meaningful_SENSITIVE_COMMENT_FLAG", "I feel valued_COMMENT_TOPICS",
        "I feel valued_SENSITIVE_COMMENT_FLAG"}
    assert parsed.date_order == "dmy"
    assert [likert_value(v, "likert5") for v in parsed.frame["My work is meaningful"]] == [4, 3, 5, 2, 4]
    assert [likert_value(v, "likert5") for v in parsed.frame["I feel valued"]] == [5, 4, 5, 3, 4]
    assert parsed.frame.at[1, "I feel valued_COMMENT"] is None
    stamps = parse_timestamps(parsed.frame[parsed.submitted_column], parsed.date_order)
    assert stamps.iloc[0] == pd.Timestamp("2024-01-15 10:30") and stamps.iloc[3] == pd.Timestamp("2024-01-17 11:45")


# ----------------------------------------------------------------------------------------------------------
# One file per documented layout


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_layout_is_detected_and_answers_read(name):
    layout, id_column, submitted, order, expected = EXPECTED[name]
    parsed = read(name)
    assert parsed.layout == layout
    assert (parsed.id_column, parsed.submitted_column, parsed.date_order) == (id_column, submitted, order)
    assert {needle: answers(parsed, needle) for needle in expected} == expected
    assert PERSONAL[name] <= set(parsed.personal_columns)
    assert parsed.warnings == []


@pytest.mark.parametrize("name", sorted(EXPECTED) + ["real:qualtrics_sample.csv", "real:glint_sample.csv"])
def test_every_column_has_exactly_one_role_and_cells_are_clean_text(name):
    path = real_export(name[5:]) if name.startswith("real:") else EXPORTS / name
    parsed = read_export(path.read_bytes(), path.name)
    roles = roles_of(parsed)
    assert sorted(roles) == sorted(parsed.frame.columns) and len(set(roles)) == len(roles)
    assert list(parsed.question_text) == list(parsed.frame.columns)
    assert len(parsed.row_numbers) == len(parsed.frame)
    cells = parsed.frame.to_numpy().ravel()
    assert all(c is None or (isinstance(c, str) and c and c == c.strip()) for c in cells)


def test_surveymonkey_keys_join_question_and_row_label():
    parsed = read("surveymonkey_expanded.csv")
    matrix = "How much do you agree with these statements about the other function?"
    assert f"{matrix} — The other function rarely hears what we say." in parsed.answer_columns
    assert "Which department do you work in?" in parsed.answer_columns     # "Response": the question alone
    assert parsed.comment_columns == ["Which department do you work in? — Other (please specify)",
                                      "Any other comments?"]
    assert parsed.metadata_columns == ["Collector ID", "Start Date"]
    assert parsed.row_numbers == [3, 4, 5, 6]


def test_surveymonkey_condensed_reads_response_row_and_quoted_commas():
    parsed = read("surveymonkey_condensed.csv")
    assert parsed.frame.at[0, "Which channels do you use to reach the other function?"] == "Email, Steering meeting"
    assert parsed.comment_columns == ["Any other comments?"]


def test_qualtrics_header_cells_with_line_breaks_and_html_become_one_line():
    parsed = read("qualtrics_matrix.csv")
    assert parsed.question_text["Q1_3"] == ("How much do you agree with these statements about the other function? "
                                            "- I see the other function as a strategic partner rather than a "
                                            "service provider.")
    assert parsed.comment_columns == ["Q3", "Q4_3_TEXT"]
    assert "Q3 - Topics" in parsed.metadata_columns
    assert parsed.frame.at[0, "Q3"] == "Joint planning in January.\nEarlier briefs."   # data keeps its breaks
    assert parsed.row_numbers == [4, 5, 6]   # records, as a spreadsheet numbers them, not physical lines


def test_qualtrics_legacy_keys_are_ids_and_texts_name_the_columns():
    parsed = read("qualtrics_legacy.csv")
    assert parsed.question_text["V1"] == "ResponseID" and parsed.question_text["V5"] == "EmailAddress"
    assert parsed.frame.at[0, "V3"] == "Doe, Jane"
    assert "" not in parsed.frame.columns    # the trailing comma's empty column is dropped
    assert parsed.comment_columns == ["Q3"]


def test_limesurvey_codes_semicolons_timings_and_other_text():
    parsed = read("limesurvey_codes.csv")
    assert parsed.delimiter == ";"
    assert {"interviewtime", "groupTime12", "Q1Time", "NPSTime"} <= set(parsed.metadata_columns)
    assert parsed.comment_columns == ["DEPT[other]", "COMMENT"]
    assert parsed.frame.at[2, "COMMENT"] == "Mehr gemeinsame Piloten; bitte."
    assert parsed.question_text["Q1[SQ001]"] == "Q1[SQ001]"


def test_limesurvey_full_text_headings():
    parsed = read("limesurvey_fulltext.csv")
    assert parsed.comment_columns == ["Which department do you work in? [Other]", "Any other comments?"]
    assert {"Last page", "Start language", "Seed", "Date started", "Date last action"} <= set(parsed.metadata_columns)


def test_typeform_token_is_the_id_and_network_id_is_personal():
    parsed = read("typeform.csv")
    assert parsed.frame.at[0, "#"] == "d2c2f1f7b8f84a0e9c1d2e3f4a5b6c7d"
    assert {"Start Date (UTC)", "Stage Date (UTC)", "Response Type", "Tags"} == set(parsed.metadata_columns)


def test_native_template():
    parsed = read("native.csv")
    assert parsed.metadata_columns == ["business_unit", "department", "role"]
    assert parsed.comment_columns == ["comment"]
    assert parsed.answer_columns == ["comm_vocabulary", "comm_unheard", "partner_strategic", "partner_nps"]


def test_ms_forms_workbook(ms_forms_xlsx):
    parsed = read_export(ms_forms_xlsx, "ms_forms.xlsx")
    assert (parsed.layout, parsed.encoding, parsed.delimiter) == ("ms_forms", "xlsx", "")
    assert parsed.date_order == "ymd"    # real date cells arrive as ISO text
    assert parsed.frame["ID"].tolist() == ["1", "2", "3"]
    assert parsed.frame.at[0, "Completion time"] == "2024-03-15 10:32:41"
    assert parsed.row_numbers == [2, 3, 4]
    csv_parsed = read("ms_forms.csv")
    assert parsed.personal_columns == csv_parsed.personal_columns == ["Email", "Name"]
    assert parsed.answer_columns == csv_parsed.answer_columns
    for needle, values in EXPECTED["ms_forms.csv"][4].items():
        assert answers(parsed, needle) == values
    stamps = parse_timestamps(parsed.frame["Completion time"], parsed.date_order)
    assert stamps.tolist() == parse_timestamps(csv_parsed.frame["Completion time"], "mdy").tolist()


HEADERS = {
    "qualtrics": [["StartDate", "EndDate", "ResponseId", "Q1"], ["Start Date", "End Date", "Response ID", "Q?"],
                  ['{"ImportId":"startDate"}', '{"ImportId":"endDate"}', '{"ImportId":"_recordId"}',
                   '{"ImportId":"QID1"}']],
    "qualtrics_legacy": [["V1", "V2", "V8", "V9", "Q1"], ["ResponseID", "ResponseSet", "StartDate", "EndDate", "Q?"]],
    "surveymonkey": [["Respondent ID", "Collector ID", "Start Date", "End Date", "Q"], ["", "", "", "", "Response"]],
    "google_forms": [["Timestamp", "Q1", "Q2"]],
    "ms_forms": [["ID", "Start time", "Completion time", "Email", "Name", "Q1"]],
    "typeform": [["#", "Q1", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]],
    "limesurvey": [["id", "submitdate", "lastpage", "startlanguage", "seed", "Q1[SQ001]"]],
    "glint": [["Q", "Q_COMMENT", "Q_COMMENT_TOPICS", "Q_SENSITIVE_COMMENT_FLAG", "EXID"]],
    "native": [["response_id", "submitted_at", "business_unit", "department", "role", "comm_vocabulary"]],
}


@pytest.mark.parametrize("layout", layouts.LAYOUTS)
def test_detect_layout_signatures(layout):
    assert layouts.detect_layout(HEADERS[layout], "x.csv") == layout


def test_design_formats_are_all_layouts():
    design = "native|qualtrics|surveymonkey|google_forms|ms_forms|typeform|limesurvey|glint".split("|")
    assert set(layouts.LAYOUTS) == set(design) | {"qualtrics_legacy"}


def test_explicit_layout_wins_with_a_warning():
    parsed = read("google_forms_us.csv", layout="ms_forms")
    assert parsed.layout == "ms_forms"
    assert any("looks like google_forms" in w for w in parsed.warnings)


# ----------------------------------------------------------------------------------------------------------
# Encodings and delimiters: the same content reads to the same frame


CONTENT = [
    ["Timestamp", "Email address", "“We” use one vocabulary — café talk", "Qualität der Zusammenarbeit",
     "Any other comments?"],
    ["15/03/2024 10:30:00", "a@example.com", "Agree", "4", "Très bien; merci, “vraiment”"],
    ["16/03/2024 11:00:00", "b@example.com", "Strongly disagree", "2", ""],
    ["17/03/2024 09:15:00", "c@example.com", "Neutral", "5", "Zusammenarbeit\tklappt"],
]
ENCODINGS = {  # name -> (encoder, encoding reported)
    "utf-8": (lambda text: text.encode("utf-8"), "utf-8"),
    "utf-8-sig": (lambda text: text.encode("utf-8-sig"), "utf-8-sig"),
    "utf-16": (lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf-16"),
    "utf-16-be": (lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), "utf-16"),
    "utf-16-no-bom": (lambda text: text.encode("utf-16-le"), "utf-16"),
    "cp1252": (lambda text: text.encode("cp1252"), "cp1252"),
}


def as_csv(rows, delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("delimiter", grid.DELIMITERS)
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_same_content_in_any_encoding_and_delimiter_reads_the_same(encoding, delimiter):
    reference = read_export(as_csv(CONTENT, ",").encode("utf-8"), "reference.csv")
    encode, reported = ENCODINGS[encoding]
    parsed = read_export(encode(as_csv(CONTENT, delimiter)), "survey.csv")
    pd.testing.assert_frame_equal(parsed.frame, reference.frame)
    assert (parsed.encoding, parsed.delimiter) == (reported, delimiter)
    assert parsed.question_text == reference.question_text
    assert parsed.layout == "google_forms" and parsed.comment_columns == ["Any other comments?"]
    assert parsed.frame.at[0, "“We” use one vocabulary — café talk"] == "Agree"


def test_other_windows_code_pages_are_recognised():
    rows = [["Timestamp", "Мы используем одни и те же слова", "Комментарии"],
            ["15/03/2024 10:30:00", "4", "Хорошо"], ["16/03/2024 11:00:00", "2", "Плохо"]]
    parsed = read_export(as_csv(rows, ";").encode("cp1251"), "russian.csv")
    assert parsed.encoding == "cp1251"
    assert list(parsed.frame.columns) == rows[0] and parsed.frame.at[0, "Комментарии"] == "Хорошо"


def test_cp1252_is_reported_in_a_warning():
    parsed = read_export(as_csv(CONTENT, ",").encode("cp1252"), "survey.csv")
    assert any("cp1252" in w for w in parsed.warnings)


# ----------------------------------------------------------------------------------------------------------
# Dates


def test_date_order_is_settled_by_the_data():
    assert read("google_forms_uk.csv").date_order == "dmy"     # 15/03/2024: a day above 12 comes first
    assert read("google_forms_us.csv").date_order == "mdy"     # 3/15/2024: second
    assert read("typeform.csv").date_order == "ymd"            # ISO
    uk = read("google_forms_uk.csv")
    assert parse_timestamps(uk.frame["Timestamp"], uk.date_order).tolist() == [
        pd.Timestamp("2024-03-15 10:30:00"), pd.Timestamp("2024-03-15 14:05:12"), pd.Timestamp("2024-04-02 09:00:59")]
    us = read("google_forms_us.csv")
    assert parse_timestamps(us.frame["Timestamp"], us.date_order).iloc[2] == pd.Timestamp("2024-04-02 09:00:59")


def test_glint_is_day_first_even_when_the_data_cannot_tell():
    text = ("Q,Q_COMMENT,Q_COMMENT_TOPICS,Q_SENSITIVE_COMMENT_FLAG,EXID,Survey Cycle Completion Date\n"
            "4,,,,e1,05-01-2024 10:30\n5,,,,e2,06-02-2024 11:00\n")
    parsed = read_export(text.encode(), "glint.csv")
    assert parsed.date_order == "dmy"
    stamps = parse_timestamps(parsed.frame[parsed.submitted_column], parsed.date_order)
    assert stamps.tolist() == [pd.Timestamp("2024-01-05 10:30"), pd.Timestamp("2024-02-06 11:00")]


def test_ambiguous_dates_must_be_settled_by_the_analyst():
    parsed = read("google_forms_ambiguous.csv")
    assert parsed.date_order is None
    assert any("day-first or month-first" in w for w in parsed.warnings)
    with pytest.raises(AmbiguousDates) as error:
        parse_timestamps(parsed.frame["Timestamp"], parsed.date_order, file_name="google_forms_ambiguous.csv")
    assert "google_forms_ambiguous.csv" in str(error.value) and "--date-order dmy|mdy" in str(error.value)
    settled = read("google_forms_ambiguous.csv", date_order="dmy")
    assert settled.date_order == "dmy"
    assert parse_timestamps(settled.frame["Timestamp"], settled.date_order).iloc[0] == pd.Timestamp("2024-04-03 10:30")
    month_first = read("google_forms_ambiguous.csv", date_order="mdy")
    assert parse_timestamps(month_first.frame["Timestamp"], "mdy").iloc[0] == pd.Timestamp("2024-03-04 10:30")


def test_mixed_day_first_and_month_first_is_refused():
    values = pd.Series(["15/03/2024 10:00", "03/16/2024 10:00"], name="Timestamp")
    with pytest.raises(LayoutError, match="mix day-first and month-first") as error:
        parse_timestamps(values, None, file_name="mixed.csv")
    assert not isinstance(error.value, AmbiguousDates)


@pytest.mark.parametrize("text, order, expected", [
    ("2024-03-15 10:30:00", None, "2024-03-15 10:30:00"),
    ("2024-03-15T10:30:00Z", None, "2024-03-15 10:30:00"),
    ("2024-03-15T10:30:00.123+01:00", None, "2024-03-15 10:30:00"),
    ("2024/03/15 10:30:00 AM GMT+1", None, "2024-03-15 10:30:00"),
    ("2024/03/15 1:05:09 PM GMT+5:30", None, "2024-03-15 13:05:09"),
    ("2024/03/15 12:00:00 AM GMT", None, "2024-03-15 00:00:00"),
    ("2024/03/15 12:30:00 PM GMT-3", None, "2024-03-15 12:30:00"),
    ("15/03/2024 10:30:00", None, "2024-03-15 10:30:00"),
    ("3/15/2024 10:30:00", None, "2024-03-15 10:30:00"),
    ("3/15/24 10:30", None, "2024-03-15 10:30:00"),
    ("03/15/2024 01:02:00 PM", None, "2024-03-15 13:02:00"),
    ("15-01-2024 10:30", "dmy", "2024-01-15 10:30:00"),
    ("15.03.2024 10:30", None, "2024-03-15 10:30:00"),
    ("2024-03-15", None, "2024-03-15 00:00:00"),
    ("04/03/2024", "dmy", "2024-03-04 00:00:00"),
    ("04/03/2024", "mdy", "2024-04-03 00:00:00"),
])
def test_timestamp_formats(text, order, expected):
    assert parse_timestamps(pd.Series([text], name="t"), order).iloc[0] == pd.Timestamp(expected)


def test_unparseable_and_missing_timestamps_are_nat():
    stamps = parse_timestamps(pd.Series(["2024-03-15 10:00", None, "yesterday", "2024-02-30 10:00"], name="t"), None)
    assert stamps.iloc[0] == pd.Timestamp("2024-03-15 10:00")
    assert stamps.iloc[1:].isna().all()
    assert str(stamps.dtype).startswith("datetime64")


# ----------------------------------------------------------------------------------------------------------
# Answer labels


@pytest.mark.parametrize("label, value", [
    ("Strongly disagree", 1), ("Disagree", 2), ("Neither agree nor disagree", 3), ("Neutral", 3), ("Agree", 4),
    ("Strongly agree", 5), ("Somewhat disagree", 2), ("Somewhat agree", 4), ("STRONGLY AGREE", 5),
    ("  strongly   disagree ", 1), ("Neither agree or disagree", 3), ("Tend to agree", 4), ("Agree.", 4),
])
def test_likert_labels(label, value):
    assert likert_value(label, "likert5") == value


@pytest.mark.parametrize("text, value", [
    ("4", 4), ("4.0", 4), (" 4 ", 4), ("4 - Agree", 4), ("5 = Strongly agree", 5), ("1 - Strongly disagree", 1),
    ("3 (Neutral)", 3), ("2. Disagree", 2), ("4 – Agree", 4), ("4 - Mostly true", 4), ("4,0", 4),
])
def test_likert_numbers(text, value):
    assert likert_value(text, "likert5") == value


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("10", 10), ("7", 7), ("10 - Extremely likely", 10), ("0 - Not at all likely", 0),
    ("Extremely likely", 10), ("Not at all likely", 0), ("9.0", 9),
])
def test_nps_values(text, value):
    assert likert_value(text, "nps11") == value


@pytest.mark.parametrize("text", [None, "", "   ", "N/A", "Not applicable", "Don't know", "Prefer not to say"])
def test_no_answer_is_missing_not_zero(text):
    assert likert_value(text, "likert5") is None


@pytest.mark.parametrize("text, scale, reason", [
    ("Sort of", "likert5", "'Sort of' is not an answer on the 1–5 scale: expected a number from 1 to 5 or a label "
                           "(Strongly disagree, Disagree, Neither agree nor disagree, Agree, Strongly agree)"),
    ("6", "likert5", "outside the 1–5 scale"),
    ("0", "likert5", "outside the 1–5 scale"),
    ("11", "nps11", "outside the 0–10 scale"),
    ("4.5", "likert5", "not a whole number"),
    ("1st", "likert5", "not an answer on the 1–5 scale"),
    ("4 - Strongly agree", "likert5", "contradicts itself: 'strongly agree' means 5, not 4"),
    ("Agree", "nps11", "not an answer on the 0–10 scale"),
    ("4", "stars", "unknown scale 'stars'"),
])
def test_bad_answers_say_why(text, scale, reason):
    with pytest.raises(ValueError) as error:
        likert_value(text, scale)
    assert reason in str(error.value)


# ----------------------------------------------------------------------------------------------------------
# Refusals: always a LayoutError naming the file and saying what to do, never another exception


@pytest.mark.parametrize("data, file_name, message", [
    (b"", "empty.csv", "empty.csv: the file is empty"),
    (b"  \r\n\r\n", "blank.csv", "blank.csv: the file is empty"),
    (random.Random(7).randbytes(4000), "noise.csv", "noise.csv: does not look like a text"),
    (b"Timestamp\n15/03/2024 10:00\n16/03/2024 11:00\n", "one.csv", "one.csv: has only one column"),
    (b"Timestamp,Q1\n15/03/2024,4\n", "survey.xlsx", "survey.xlsx: is not an Excel workbook (it looks like a CSV "
                                                      "text file: rename it to .csv)"),
    (b"PK\x03\x04 not really a zip", "broken.xlsx", "broken.xlsx: is not a readable Excel workbook"),
    (grid.OLE_MAGIC + b"\x00" * 100, "old.xls", "old.xls: is an Excel 97-2003 workbook (.xls)"),
    (b"Timestamp,Q1,Q2\n15/03/2024,4,5\n16/03/2024,3\n", "ragged.csv",
     "ragged.csv: line 3 has 2 columns where the header has 3 (comma-separated)"),
    (b'Timestamp,Q1,Q2\n15/03/2024,"4,5\n', "quote.csv", "quote.csv: line 2 opens a quote"),
    (b"Name,Colour,Size\nAnn,red,4\n", "other.csv", "other.csv: the layout was not recognised"),
    (b"StartDate,EndDate,ResponseId,Q1\nStart Date,End Date,Response ID,Q one\n2024-01-01,2024-01-01,R_1,4\n",
     "two_rows.csv", "two_rows.csv: looks like a Qualtrics export but the third header row ({\"ImportId\": ...}) "
                     "is missing: export again with 'Use legacy format' off, or choose the layout "
                     "'qualtrics_legacy'"),
])
def test_refusals(data, file_name, message):
    with pytest.raises(LayoutError) as error:
        read_export(data, file_name)
    assert message in str(error.value)


def test_a_file_mixing_utf8_and_windows_1252_lines_is_refused_with_both_lines():
    data = "Timestamp,Q1,Q2\n2024-03-15 10:00,4,Zürich\n".encode() + "2024-03-16 10:00,5,Zürich\n".encode("cp1252")
    with pytest.raises(LayoutError, match="mixed.csv: mixes two text encodings: line 2 is UTF-8 but line 3 is not"):
        read_export(data, "mixed.csv")
    # one legacy encoding throughout is read as before
    assert read_export(data.replace("Zürich".encode(), "Zürich".encode("cp1252")), "one.csv").encoding == "cp1252"


def test_lines_ended_two_ways_are_read_as_one_kind():
    clean = read_export(b"Timestamp,Q1\n2024-03-15 10:00,4\n2024-03-16 10:00,5\n", "clean.csv")
    mixed = read_export(b"Timestamp,Q1\r\n2024-03-15 10:00,4\n2024-03-16 10:00,5\r\n", "mixed.csv")
    assert mixed.frame.equals(clean.frame) and mixed.row_numbers == clean.row_numbers == [2, 3]
    assert "the file's lines end in two ways (CR LF and LF): they were read as one kind" in mixed.warnings


def test_impossible_times_and_year_zero_are_not_timestamps():
    stamps = parse_timestamps(pd.Series(["2024-01-20 25:61:00", "2024-01-20 23:59:60", "0000-01-14 10:00",
                                         "0024-01-14 10:00", "1/14/24 10:00"]), "mdy")
    assert stamps.isna().tolist() == [True, True, True, False, False]
    assert [stamps[3].year, stamps[4].year] == [24, 2024]   # a four-digit year is taken as written


def test_refused_options_name_the_choices():
    with pytest.raises(LayoutError, match="survey.csv: unknown layout 'monkey'; choose auto or one of: native"):
        read_export(b"a,b\n", "survey.csv", layout="monkey")
    with pytest.raises(LayoutError, match="unknown date order 'ydm'"):
        read_export(b"a,b\n", "survey.csv", date_order="ydm")


def test_explicit_qualtrics_on_a_legacy_file_is_refused_with_the_way_out():
    with pytest.raises(LayoutError, match="choose the layout 'qualtrics_legacy'"):
        read("qualtrics_legacy.csv", layout="qualtrics")


def test_a_two_row_current_qualtrics_file_reads_as_legacy_when_asked():
    data = (b"StartDate,EndDate,ResponseId,Q1\nStart Date,End Date,Response ID,Q one\n"
            b"2024-01-01 10:00,2024-01-02 10:00,R_1,4\n")
    parsed = read_export(data, "two_rows.csv", layout="qualtrics_legacy")
    assert parsed.id_column == "ResponseId" and parsed.submitted_column == "EndDate"
    assert parsed.question_text["Q1"] == "Q one" and parsed.row_numbers == [3]


def test_header_only_file_gives_an_empty_frame_and_a_warning():
    text = "\n".join(real_export("qualtrics_sample.csv").read_text(encoding="utf-8").splitlines()[:3]) + "\n"
    parsed = read_export(text.encode(), "blank_export.csv")
    assert parsed.layout == "qualtrics" and parsed.frame.empty and parsed.row_numbers == []
    assert "Q1" in parsed.answer_columns
    assert "the file has a header but no responses" in parsed.warnings


def test_blank_lines_keep_spreadsheet_row_numbers():
    parsed = read_export(b"Timestamp,Q1\n2024-03-15 10:00,4\n\n2024-03-16 10:00,5\n\n", "gaps.csv")
    assert parsed.row_numbers == [2, 4]
    assert parsed.frame["Q1"].tolist() == ["4", "5"]


def test_duplicate_and_missing_headers_are_named_and_reported():
    parsed = read_export(b"Timestamp,Q,Q,\n2024-03-15 10:00,4,5,x\n", "dupes.csv")
    assert list(parsed.frame.columns) == ["Timestamp", "Q", "Q (2)", "column 4"]
    assert len(parsed.warnings) == 2


def test_blank_rows_in_the_data_are_dropped_but_numbering_kept():
    parsed = read_export(b"Timestamp,Q1\n2024-03-15 10:00,4\n,\n2024-03-16 10:00,5\n", "blank_rows.csv")
    assert parsed.row_numbers == [2, 4]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000), st.sampled_from(["x.csv", "x.xlsx", "x.txt"]))
def test_fuzz_bytes_never_raise_anything_but_layout_error(data, file_name):
    for reader in (read_export, layouts.read_table):
        try:
            reader(data, file_name)
        except LayoutError as error:
            assert str(error).startswith(file_name + ":")


EXPORT_TEXTS = {path.name: path.read_text(encoding="utf-8") for path in sorted(EXPORTS.glob("*.csv"))}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(EXPORT_TEXTS)).flatmap(
    lambda name: mutated(EXPORT_TEXTS[name], ";" if name.startswith("limesurvey_codes") else ",")))
def test_fuzz_mutated_exports_never_raise_anything_but_layout_error(upload):
    """Every layout's export with cells, rows, delimiter, quoting, line endings and encoding changed, truncated or
    spliced with random bytes (tests.test_hostile_files.mutated): read, or refused with a LayoutError."""
    data, file_name = upload
    try:
        parsed = read_export(data, file_name)
    except LayoutError as error:
        assert str(error).startswith(file_name + ":")
    else:
        assert sorted(roles_of(parsed)) == sorted(parsed.frame.columns)
        assert len(parsed.row_numbers) == len(parsed.frame)
    try:
        frame, row_numbers, *_ = layouts.read_table(data, file_name)
    except LayoutError as error:
        assert str(error).startswith(file_name + ":")
    else:
        assert len(row_numbers) == len(frame) and row_numbers == sorted(set(row_numbers))


CSVISH = st.lists(st.sampled_from(list('ab1 ,;\t"\r\n#{}:é') + ["Timestamp", "ID", "Email", "_COMMENT"]),
                  max_size=120).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CSVISH)
def test_fuzz_csv_like_text_never_raises_anything_but_layout_error(text):
    try:
        parsed = read_export(text.encode("utf-8"), "fuzz.csv")
    except LayoutError as error:
        assert str(error).startswith("fuzz.csv:")
    else:
        assert sorted(roles_of(parsed)) == sorted(parsed.frame.columns)
        assert len(parsed.row_numbers) == len(parsed.frame)


# ----------------------------------------------------------------------------------------------------------
# Speed: DuckDB parses; no per-cell Python loop over the frame


def test_a_hundred_thousand_responses_read_quickly():
    rng = random.Random(3)
    labels = ["Strongly agree", "Agree", "Neutral", "Disagree", "Strongly disagree", ""]
    lines = ["Timestamp,Email address," + ",".join(f"Statement {i}" for i in range(12)) + ",Any other comments?"]
    lines += [f"15/03/2024 10:{i % 60:02d}:00,p{i}@example.com," + ",".join(rng.choice(labels) for _ in range(12))
              + ',"Fine, thanks"' for i in range(100_000)]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    started = time.perf_counter()
    parsed = read_export(data, "big.csv")
    elapsed = time.perf_counter() - started
    assert parsed.frame.shape == (100_000, 15) and parsed.row_numbers[-1] == 100_001
    assert elapsed < 5, f"took {elapsed:.2f}s"
