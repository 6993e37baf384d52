"""The fast path (a clean native survey read by DuckDB alone) stores exactly what the general reader stores.

Each file is imported twice into fresh stores, once as the import chooses and once forced through the general
reader (layouts, mapping, pandera); the stored responses and figures must be the same, and a file the fast path
cannot take must fall back to the general reader, problems and all.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metrics import ingest, store
from metrics.ingest import native_survey
from tests.conftest import FIXTURES, survey_csv

SAMPLE_SURVEY = store.SAMPLE_DIR / "survey_responses.csv"
HEADER = "response_id,submitted_at,business_unit,department,role,comm_vocabulary,comm_unheard,partner_nps"


def _store():
    con = store.connect(":memory:")
    ingest.import_file(con, "items", FIXTURES / "survey_items.csv", user="tests")
    return con


def _sample_store():
    con = store.connect(":memory:")
    ingest.import_file(con, "items", store.SAMPLE_DIR / "survey_items.csv", user="tests")
    return con


def _stored(con) -> tuple[list, list]:
    cur = con.cursor()
    responses = cur.execute("SELECT * EXCLUDE (import_id) FROM survey_responses ORDER BY response_id").fetchall()
    stats = cur.execute("SELECT month, business_unit, department, measure, round(value, 9), n "
                        "FROM survey_group_stats ORDER BY ALL").fetchall()
    return responses, stats


def _both(data: bytes, name: str = "survey.csv", make=_store):
    """[(prepared, stored, error)] for the import as chosen and for the general reader forced; checks on the way
    that the command line's one-pass import (ingest.import_file) stores the same as the chosen one."""
    results = []
    for general in (False, True):
        con = make()
        prepared = ingest.prepare_import(con, "survey", data, name, general=general)
        try:
            ingest.commit_import(con, prepared, user="tests")
            error = None
        except ingest.ImportRefused as refused:
            error = refused.problems
        results.append((prepared, _stored(con), error))
        con.close()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        con = make()
        try:
            ingest.import_file(con, "survey", path, user="tests")
            error = None
        except ingest.ImportRefused as refused:
            error = refused.problems
        assert (_stored(con), error) == results[0][1:], "the one-pass import differs"
        con.close()
    return results


def test_the_fixture_survey_takes_the_fast_path_and_stores_the_same():
    (fast, fast_stored, fast_error), (general, general_stored, general_error) = _both(survey_csv().encode())
    assert fast.staged is not None and general.staged is None
    assert fast_error is None and general_error is None
    assert fast.report.rows_read == general.report.rows_read == 47
    assert len(fast_stored[0]) == 47 and len(fast_stored[1]) > 20
    assert fast_stored == general_stored
    # the page's preview and mapping are the general reader's, from the file's first lines
    assert list(fast.mapping_table["target"]) == list(general.mapping_table["target"])


def test_the_sample_survey_takes_the_fast_path_and_stores_the_same():
    (fast, fast_stored, _), (_, general_stored, _) = _both(SAMPLE_SURVEY.read_bytes(), make=_sample_store)
    assert fast.staged is not None
    assert len(fast_stored[0]) == 5918
    assert fast_stored == general_stored


def _threads(count: int):
    def make():
        con = _sample_store()
        con.cursor().execute(f"SET threads = {count}")
        return con
    return make


def test_a_file_read_in_several_buffers_stores_the_same(monkeypatch):
    # DuckDB reads the file a buffer to a thread; with four threads the sample survey (about 0.6 MB) is read in
    # three buffers of 256 KiB, rows crossing their edges, and with one thread in one. Both store what the
    # general reader does, row for row.
    data = SAMPLE_SURVEY.read_bytes()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "survey.csv"
        path.write_bytes(data)
        con = _threads(4)()
        assert native_survey._source_params(con.cursor(), str(path), [], {})["buffer"] == native_survey.MIN_BUFFER
        con.close()
    for threads in (4, 1):
        (fast, fast_stored, _), (_, general_stored, _) = _both(data, make=_threads(threads))
        assert fast.staged is not None
        assert len(fast_stored[0]) == 5918
        assert fast_stored == general_stored


def test_the_read_buffer_is_the_files_share_of_the_threads_within_bounds(tmp_path: Path):
    con = store.connect(":memory:")
    cur = con.cursor()
    cur.execute("SET threads = 2")
    path = tmp_path / "survey.csv"
    for size, buffer in [(10_000, native_survey.MIN_BUFFER),            # a small file: the floor
                         (10_000_000, 5_000_001),                        # half the file to each of two threads
                         (200_000_000, native_survey.DEFAULT_BUFFER)]:   # a large one: DuckDB's own size
        with path.open("wb") as handle:
            handle.truncate(size)                                        # sparse: no bytes written
        assert native_survey._source_params(cur, str(path), ["a"], {})["buffer"] == buffer
    con.close()


def test_waves_comments_blanks_and_plain_dates_are_stored_the_same():
    data = (HEADER + ",comment,wave\n"
            'A1,2026-01-15,Alpha,marketing,lead,4,,10,"He said ""fine"",\nthen left",2025-12\n'
            "A2,2026-01-16 08:00:00,Alpha,it,staff,,2,,,\n"
            "A3,2026-02-01 23:59:59,Beta,other,manager,+5,1e0,0,Zürich café ✓,\n").encode()
    (fast, fast_stored, fast_error), (_, general_stored, general_error) = _both(data)
    assert fast.staged is not None and fast_error is None and general_error is None
    assert fast_stored == general_stored
    waves = {row[0]: row[2] for row in fast_stored[0]}
    assert waves == {"A1": "2025-12", "A2": "2026-01", "A3": "2026-02"}


@pytest.mark.parametrize("row, why", [
    ("B1,2026-01-15 09:00:00,Alpha,Marketing,staff,4,2,9", "a department word to translate"),
    ("B1,2026-01-15 09:00:00, Alpha ,marketing,staff,4,2,9", "a cell to trim"),
    ("B1,2026-01-15 09:00:00,'=Alpha,marketing,staff,4,2,9", "an export's neutralised formula"),
    ("B1,2026-01-15 09:00:00,Alpha,marketing,staff,4 - Agree,2,9", "an answer label"),
    ("B1,15/01/2026 09:00,Alpha,marketing,staff,4,2,9", "a date in another order"),
    ("B1,2026-01-15 09:00:00,Alpha,marketing,staff,N/A,2,9", "a no-answer word"),
])
def test_a_file_that_needs_the_general_reader_gets_it(row, why):
    data = f"{HEADER}\n{row}\n".encode()
    (fast, fast_stored, fast_error), (_, general_stored, general_error) = _both(data)
    assert fast.staged is None, why
    assert fast_error == general_error
    assert fast_stored == general_stored


@pytest.mark.parametrize("row, problem", [
    ("C1,2026-01-15 09:00:00,Alpha,marketing,staff,3.5,2,9", "not a whole number"),
    ("C1,2026-01-15 09:00:00,Alpha,marketing,staff,6,2,9", "outside the 1–5 scale"),
    ("C1,2026-01-15 09:00:00,Alpha,marketing,staff,4,2,11", "outside the 0–10 scale"),
    ("C1,2026-13-45 09:00:00,Alpha,marketing,staff,4,2,9", "submitted_at"),
    ("C1,2026-01-15 09:00:00,Alpha,sales,staff,4,2,9", "must be one of"),
])
def test_a_bad_row_is_reported_with_its_row_by_the_general_reader(row, problem):
    data = f"{HEADER}\nC0,2026-01-15 09:00:00,Alpha,it,staff,4,2,9\n{row}\n".encode()
    (fast, fast_stored, fast_error), (_, general_stored, general_error) = _both(data)
    assert fast.staged is None
    assert fast_error == general_error
    assert any(line.startswith("row 3") and problem in line for line in fast_error), fast_error
    assert fast_stored == general_stored == ([], [])


def test_a_repeated_id_is_refused_by_both():
    data = (f"{HEADER}\nD1,2026-01-15 09:00:00,Alpha,it,staff,4,2,9\n"
            "D1,2026-01-16 09:00:00,Alpha,it,staff,3,2,9\n").encode()
    (fast, fast_stored, fast_error), (_, _, general_error) = _both(data)
    assert fast.staged is None
    assert fast_error == general_error and any("more than once" in line for line in fast_error)
    assert fast_stored == ([], [])


def test_the_same_file_twice_changes_nothing_and_a_conflict_is_refused_on_the_fast_path():
    con = _store()
    data = survey_csv().encode()
    first = ingest.commit_import(con, ingest.prepare_import(con, "survey", data, "s.csv"), user="tests")
    again = ingest.prepare_import(con, "survey", data, "s.csv")
    assert again.staged is not None
    second = ingest.commit_import(con, again, user="tests")
    assert (first.rows_imported, second.rows_imported, second.rows_unchanged) == (47, 0, 47)
    changed = data.replace(b"R001,2026-01-15 09:30:00,Alpha,marketing,staff,5,", b"R001,2026-01-15 09:30:00,Alpha,marketing,staff,4,")
    assert changed != data
    with pytest.raises(ingest.ImportRefused, match="R001: already stored with different values"):
        ingest.commit_import(con, ingest.prepare_import(con, "survey", changed, "s.csv"), user="tests")
    replaced = ingest.commit_import(con, ingest.prepare_import(con, "survey", changed, "s.csv"), replace=True,
                                    user="tests")
    assert replaced.rows_replaced == 1
    ingest.undo(con, replaced.import_id)
    value = con.cursor().execute("SELECT comm_vocabulary FROM survey_responses WHERE response_id = 'R001'").fetchall()
    assert value == [(5,)]


ANSWER_CELLS = st.one_of(
    st.sampled_from(["", "3", "3.0", "3.5", "+3", "-0", "1e0", "0", "5", "6", "10", "11", " 4", "4 ", "nan", "inf",
                     "-1", "4 - Agree", "Agree", "N/A", "3,0", "0x3", "1_0", "\u00a04", "３", "'4"]),
    st.integers(-3, 13).map(str),
    st.text(alphabet="0123456789.+-eE ", min_size=1, max_size=5),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(likert=ANSWER_CELLS, nps=ANSWER_CELLS)
def test_any_answer_cell_gets_the_same_outcome_on_either_path(likert, nps):
    quote = lambda cell: '"' + cell.replace('"', '""') + '"' if ("," in cell or '"' in cell) else cell  # noqa: E731
    data = (f"{HEADER}\nF0,2026-01-15 09:00:00,Alpha,it,staff,4,2,9\n"
            f"F1,2026-01-15 10:00:00,Alpha,it,staff,{quote(likert)},2,{quote(nps)}\n").encode()
    (_, fast_stored, fast_error), (_, general_stored, general_error) = _both(data)
    assert fast_error == general_error
    assert fast_stored == general_stored


def test_an_upload_without_a_path_is_staged_from_its_bytes(tmp_path: Path):
    con = _store()
    prepared = ingest.prepare_import(con, "survey", survey_csv().encode(), "upload.csv")  # no path: the page's case
    assert prepared.staged is not None
    assert ingest.commit_import(con, prepared, user="tests").rows_imported == 47


def test_the_command_lines_import_of_a_clean_native_file_is_one_pass(tmp_path: Path, monkeypatch):
    con = _store()
    path = tmp_path / "survey.csv"
    path.write_text(survey_csv(), encoding="utf-8")

    def no_long_way(*args, **kwargs):
        raise AssertionError("the general reader was used")

    # The one route (prepare, then commit) plans the file to be streamed by DuckDB: neither the general reader
    # (validate), nor the staged fast path, nor a read of the whole file into Python is used.
    monkeypatch.setattr(ingest.importing, "validate", no_long_way)   # where prepare_import finds them
    monkeypatch.setattr(ingest.importing, "_prepare_native", no_long_way)
    monkeypatch.setattr(Path, "read_bytes", no_long_way)
    report = ingest.import_file(con, "survey", path, user="tests")
    assert (report.rows_read, report.rows_imported, report.layout) == (47, 47, "native")
    assert con.cursor().execute("SELECT count(*) FROM survey_responses").fetchall() == [(47,)]


def _insertion_order(con) -> bool:
    return con.cursor().execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]


def test_the_one_pass_import_puts_the_insertion_order_setting_back(tmp_path: Path):
    # The one-pass import lets DuckDB write rows in any order; the setting is database-wide, so it is restored
    # after a clean import and after one that falls back to the general reader.
    con = _store()
    assert _insertion_order(con) is True
    clean = tmp_path / "clean.csv"
    clean.write_text(survey_csv(), encoding="utf-8")
    assert ingest.import_file(con, "survey", clean, user="tests").rows_imported == 47
    assert _insertion_order(con) is True
    labelled = tmp_path / "labelled.csv"   # an answer label: the fast path rolls back, the general reader scores it
    labelled.write_text("response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
                        "L1,2026-02-10 09:00:00,Alpha,marketing,lead,Agree\n", encoding="utf-8")
    assert ingest.import_file(con, "survey", labelled, user="tests").rows_imported == 1
    assert _insertion_order(con) is True
    con.cursor().execute("SET preserve_insertion_order = false")   # a store set so on purpose stays so
    again = tmp_path / "again.csv"
    again.write_text("response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
                     "A1,2026-02-11 09:00:00,Alpha,marketing,lead,4\n", encoding="utf-8")
    assert ingest.import_file(con, "survey", again, user="tests").rows_imported == 1
    assert _insertion_order(con) is False
