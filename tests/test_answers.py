"""Answers stored wide: the stored figures match the reference view, old long stores migrate, item ids stay safe."""

from __future__ import annotations

import pytest

from metrics import ingest, opening, store
from metrics.store import answers
from tests.conftest import fixture_store

DIFFERENCES = """
SELECT count(*) FROM survey_group_measures_live a
FULL JOIN survey_group_stats b USING (month, business_unit, department, measure)
WHERE a.n IS DISTINCT FROM b.n OR abs(a.value - b.value) > 1e-9 OR (a.value IS NULL) <> (b.value IS NULL)
"""


def _count(con, sql: str) -> int:
    return con.cursor().execute(sql).fetchall()[0][0]


def test_stored_figures_equal_the_reference_view_on_the_fixture(con):
    # The fixture has a reverse-scored item, a missing answer, an NPS item and an 'other' department.
    assert _count(con, "SELECT count(*) FROM survey_group_stats") > 50
    assert _count(con, DIFFERENCES) == 0


def test_stored_figures_equal_the_reference_view_on_the_sample_data(tmp_path):
    con = opening.open_store(tmp_path / "sample.duckdb")  # a new file is loaded with sample_data/
    assert _count(con, "SELECT count(*) FROM survey_group_stats") > 10_000
    assert _count(con, DIFFERENCES) == 0


def test_the_long_view_gives_every_answer_once(con):
    cur = con.cursor()
    # 47 fixture respondents (5 + 6 + 2 + 6 + 3 + 7 + 8 + 5 + 5) answer 4 items; one leaves one blank.
    assert cur.execute("SELECT count(*) FROM survey_answers").fetchall()[0][0] == 47 * 4 - 1
    assert cur.execute("SELECT item_id, value FROM survey_answers WHERE response_id = 'R005' "
                       "ORDER BY item_id").fetchall() == [("comm_vocabulary", 4), ("partner_nps", 8),
                                                           ("partner_strategic", 4)]


def test_each_catalogue_item_is_a_column_of_the_responses(con):
    assert sorted(answers.item_columns(con.cursor())) == sorted(
        r[0] for r in con.cursor().execute("SELECT item_id FROM survey_items").fetchall())


def _to_long_layout(con) -> None:
    """Rewrite a store the way stores were written before answers were stored wide."""
    cur = con.cursor()
    items = answers.item_columns(cur)
    cur.execute("CREATE TABLE survey_answers_old AS SELECT * FROM survey_answers")
    cur.execute("DROP VIEW survey_answers")
    cur.execute("ALTER TABLE survey_answers_old RENAME TO survey_answers")
    cur.execute("CREATE TABLE replaced_survey_answers (response_id VARCHAR, item_id VARCHAR, value SMALLINT, "
                "replaced_by INTEGER)")
    for table in ("survey_responses", "replaced_survey_responses"):
        cur.execute(f"CREATE TABLE {table}_old AS SELECT * EXCLUDE ({', '.join(items)}) FROM {table}")
        cur.execute(f"DROP TABLE {table}")
        cur.execute(f"ALTER TABLE {table}_old RENAME TO {table}")


def _rows(con, name: str) -> list[tuple]:
    return con.cursor().execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def _table_type(con, name: str) -> list[tuple]:
    return con.cursor().execute("SELECT table_type FROM information_schema.tables WHERE table_name = $name",
                                {"name": name}).fetchall()


def _reopened_after(tmp_path, rewrite, *shown: str):
    """The fixture store in a file, rewritten by `rewrite(con)` as an older version wrote it, then opened again:
    (the store, the rows of each `shown` table or view before the rewrite)."""
    path = tmp_path / "old.duckdb"
    con = fixture_store(path, tmp_path)
    before = [_rows(con, name) for name in shown]
    rewrite(con)
    con.execute("DROP TABLE migrations")   # an older version recorded no migration steps
    con.close()
    return store.connect(path), before


def test_a_store_with_long_answers_is_migrated_on_connect(tmp_path):
    con, (before, stats) = _reopened_after(tmp_path, _to_long_layout, "survey_answers", "survey_group_stats")
    cur = con.cursor()
    assert _table_type(con, "survey_answers") == [("VIEW",)]
    assert cur.execute("SELECT * FROM survey_answers ORDER BY ALL").fetchall() == before
    assert cur.execute("SELECT * FROM survey_group_stats ORDER BY ALL").fetchall() == stats
    assert _count(con, DIFFERENCES) == 0
    # and imports work on the migrated store
    extra = tmp_path / "extra.csv"
    extra.write_text("response_id,submitted_at,business_unit,department,role,comm_vocabulary\n"
                     "NEW1,2026-01-20 10:00:00,Alpha,marketing,lead,5\n", encoding="utf-8")
    assert ingest.import_file(con, "survey", extra, user="tests").rows_imported == 1
    assert _count(con, DIFFERENCES) == 0


def _figures_stored_as(con, table: str, select: str) -> None:
    """Replace the store's figures (its table and view) with a table `table` holding `select`'s rows, as an older
    version stored them."""
    cur = con.cursor()
    cur.execute(f"CREATE TABLE old_figures AS {select}")
    cur.execute("DROP VIEW survey_group_stats")
    cur.execute("DROP TABLE survey_group_figures")
    cur.execute(f"ALTER TABLE old_figures RENAME TO {table}")


def _to_long_figures(con) -> None:
    """Rewrite a store the way stores were written before figures were stored wide: a table survey_group_stats,
    one row per measure."""
    _figures_stored_as(con, "survey_group_stats", "SELECT * FROM survey_group_stats")


def test_a_store_with_figures_stored_long_gets_them_wide_on_connect(tmp_path):
    con, (stats,) = _reopened_after(tmp_path, _to_long_figures, "survey_group_stats")
    cur = con.cursor()
    assert _table_type(con, "survey_group_stats") == [("VIEW",)]
    assert cur.execute("SELECT * FROM survey_group_stats ORDER BY ALL").fetchall() == stats
    assert _count(con, DIFFERENCES) == 0


def _to_pooled_rows(con) -> None:
    """Rewrite a store the way stores were written before the pooled NPS was added up by the view: a row per
    unit-month ('marketing+it') holding the NPS's value and n, no per-department counts."""
    single = [c for c in answers.stored_columns(con.cursor()) if not c.endswith(":nps:partner_nps")]
    _figures_stored_as(con, "survey_group_figures",
                       "SELECT month, business_unit, department, " + ", ".join(answers.quoted(c) for c in single)
                       + ', NULL::DOUBLE AS "value:nps:partner_nps", NULL::INTEGER AS "n:nps:partner_nps" '
                         "FROM survey_group_figures UNION ALL BY NAME "
                         "SELECT month, business_unit, department, value AS \"value:nps:partner_nps\", "
                         "n::INTEGER AS \"n:nps:partner_nps\" FROM survey_group_stats "
                         "WHERE measure = 'nps:partner_nps'")


def test_a_store_with_pooled_rows_stored_gets_the_counts_on_connect(tmp_path):
    con, (stats,) = _reopened_after(tmp_path, _to_pooled_rows, "survey_group_stats")
    cur = con.cursor()
    assert answers.figures_current(cur)
    assert _count(con, "SELECT count(*) FROM survey_group_figures WHERE department = 'marketing+it'") == 0
    assert cur.execute("SELECT month, business_unit, department, measure, round(value, 9), n "
                       "FROM survey_group_stats ORDER BY ALL").fetchall() == [
        (*row[:4], round(row[4], 9), row[5]) for row in stats]
    assert _count(con, DIFFERENCES) == 0


def test_figures_are_stored_a_row_per_group_and_long_through_the_view(con):
    cur = con.cursor()
    groups = cur.execute("SELECT count(*) FROM (SELECT DISTINCT wave, business_unit, department "
                         "FROM survey_responses)").fetchall()[0][0]
    pooled = cur.execute("SELECT count(*) FROM (SELECT DISTINCT wave, business_unit FROM survey_responses "
                         "WHERE department IN ('marketing', 'it') AND partner_nps IS NOT NULL)").fetchall()[0][0]
    # one row per group: the pooled NPS is added up from each department's counts by the view, not stored
    assert _count(con, "SELECT count(*) FROM survey_group_figures") == groups
    assert _count(con, "SELECT count(*) FROM survey_group_stats WHERE department = 'marketing+it'") == pooled > 0
    # a value and an n column for each measure the catalogue gives (its 4 items make the index, 2 dimensions and
    # 3 favourable rates), and promoters, detractors and n for its 1 NPS
    assert answers.stored_measures(cur) == answers.current_measures(cur)
    assert len(answers.stored_measures(cur)) == 7
    assert answers.stored_columns(cur)[-3:] == ["promoters:nps:partner_nps", "detractors:nps:partner_nps",
                                                "n:nps:partner_nps"]
    assert answers.stored_columns(cur)[0] == "respondents"   # the group's size, on which hiding is decided
    assert len(answers.stored_columns(cur)) == 1 + 6 * 2 + 3
    assert _count(con, "SELECT count(DISTINCT measure) FROM survey_group_stats") == 7


def test_a_new_item_rebuilds_the_figures_with_its_measures(con, tmp_path):
    items = tmp_path / "new_item.csv"
    items.write_text("item_id,dimension,text,scale,reverse_scored\n"
                     "data_shared,data_insight,We share data.,likert5,false\n", encoding="utf-8")
    ingest.import_file(con, "items", items, user="tests")
    cur = con.cursor()
    assert "favourable:data_shared" in answers.stored_measures(cur)
    assert "dimension:data_insight" in answers.stored_measures(cur)
    assert _count(con, DIFFERENCES) == 0
    answered = tmp_path / "answered.csv"
    answered.write_text("response_id,submitted_at,business_unit,department,role,data_shared\n"
                        "D1,2026-02-20 10:00:00,Alpha,marketing,lead,5\n", encoding="utf-8")
    ingest.import_file(con, "survey", answered, user="tests")   # a month not shown before: counted at once
    assert cur.execute("SELECT value, n FROM survey_group_stats WHERE month = '2026-02' AND business_unit = 'Alpha' "
                       "AND department = 'marketing' AND measure = 'favourable:data_shared'").fetchall() == [(100.0, 1)]
    assert _count(con, DIFFERENCES) == 0


@pytest.mark.parametrize("item_id", ["response_id", "comment", "import_id", "replaced_by", "wave"])
def test_an_item_id_cannot_take_a_response_fields_name(empty_con, tmp_path, item_id):
    path = tmp_path / "items.csv"
    path.write_text("item_id,dimension,text,scale,reverse_scored\n"
                    f"{item_id},trust,A question,likert5,false\n", encoding="utf-8")
    with pytest.raises(ingest.ImportRefused, match="name of a response field"):
        ingest.import_file(empty_con, "items", path, user="tests")
    assert _count(empty_con, "SELECT count(*) FROM survey_items") == 0
