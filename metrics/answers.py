"""Survey answers stored wide: one SMALLINT column per catalogue item in survey_responses, as DESIGN.md's table.

An import then writes its responses as they arrive (one row each, no reshaping of every answer), and the
figures of a month are one pass over its rows. `survey_answers` is a view giving the same answers long
(response_id, item_id, value) for the reference views in sql/views.sql and for checks.
"""

from __future__ import annotations

from dataclasses import dataclass

# survey_responses' own columns; every other column is a catalogue item's answers.
BASE_COLUMNS = ("response_id", "submitted_at", "wave", "business_unit", "department", "role", "comment", "import_id")
# Names an item id may not take: they are columns of survey_responses or of its replaced_ shadow table.
RESERVED = (*BASE_COLUMNS, "replaced_by")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def item_columns(cur) -> list[str]:
    """The answer columns survey_responses has, in table order."""
    rows = cur.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'survey_responses' "
                       "AND schema_name = 'main' AND database_name = current_database() ORDER BY column_index").fetchall()
    return [name for (name,) in rows if name not in BASE_COLUMNS]


def sync(cur) -> None:
    """Give survey_responses (and its replaced_ shadow) a column for every catalogue item, and rebuild the view."""
    have = set(item_columns(cur))
    for (item,) in cur.execute("SELECT item_id FROM survey_items ORDER BY item_id").fetchall():
        if item not in have and item not in RESERVED:
            for table in ("survey_responses", "replaced_survey_responses"):
                cur.execute(f"ALTER TABLE {table} ADD COLUMN {quoted(item)} SMALLINT")
    create_long_view(cur)


def create_long_view(cur) -> None:
    columns = item_columns(cur)
    if columns:
        listed = ", ".join(quoted(c) for c in columns)
        body = (f"SELECT response_id, item_id, value FROM (UNPIVOT (SELECT response_id, {listed} FROM survey_responses) "
                f"ON {listed} INTO NAME item_id VALUE value)")
    else:
        body = "SELECT NULL::VARCHAR AS response_id, NULL::VARCHAR AS item_id, NULL::SMALLINT AS value WHERE false"
    cur.execute(f"CREATE OR REPLACE VIEW survey_answers AS {body}")


def migrate_long(con) -> bool:
    """A store written when answers were a long table (survey_answers) gets them as columns, once."""
    cur = con.cursor()
    old = cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'survey_answers' "
                      "AND schema_name = 'main' AND database_name = current_database()").fetchall()[0][0]
    if not old:
        return False
    items = [i for (i,) in cur.execute("SELECT DISTINCT item_id FROM survey_answers UNION "
                                       "SELECT item_id FROM survey_items ORDER BY 1").fetchall()]
    cur.execute("BEGIN TRANSACTION")
    try:
        for table, answers, keys in (("survey_responses", "survey_answers", ("response_id",)),
                                     ("replaced_survey_responses", "replaced_survey_answers",
                                      ("response_id", "replaced_by"))):
            extra = ", replaced_by INTEGER" if table.startswith("replaced") else ""
            cur.execute(f"""CREATE TABLE {table}_wide (
                response_id VARCHAR NOT NULL, submitted_at TIMESTAMP NOT NULL, wave VARCHAR NOT NULL,
                business_unit VARCHAR NOT NULL, department VARCHAR NOT NULL, role VARCHAR NOT NULL,
                comment VARCHAR, import_id INTEGER NOT NULL{extra}
                {''.join(f', {quoted(i)} SMALLINT' for i in items)})""")
            if items:
                listed = ", ".join("'" + i.replace("'", "''") + "'" for i in items)
                cur.execute(f"""INSERT INTO {table}_wide BY NAME
                    SELECT t.*, p.* EXCLUDE ({', '.join(keys)})
                    FROM {table} t LEFT JOIN (PIVOT {answers} ON item_id IN ({listed}) USING first(value)
                                              GROUP BY {', '.join(keys)}) p USING ({', '.join(keys)})""")
            else:
                cur.execute(f"INSERT INTO {table}_wide BY NAME SELECT * FROM {table}")
            cur.execute(f"DROP TABLE {answers}")
            cur.execute(f"DROP TABLE {table}")
            cur.execute(f"ALTER TABLE {table}_wide RENAME TO {table}")
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    return True


# ----------------------------------------------------------------------------------------------------------
# The stored figures, in one pass over the wide rows


@dataclass(frozen=True)
class Item:
    item_id: str
    dimension: str
    scale: str
    reverse: bool


def catalogue(cur) -> list[Item]:
    stored = set(item_columns(cur))
    return [Item(*row) for row in cur.execute(
        "SELECT item_id, dimension, scale, reverse_scored FROM survey_items ORDER BY item_id").fetchall()
        if row[0] in stored]


def _mean(expressions: list[str]) -> str:
    """The mean of the non-missing expressions: what avg() over a respondent's long answers gives."""
    total = " + ".join(f"coalesce({e}, 0)" for e in expressions)
    count = " + ".join(f"({e} IS NOT NULL)::INTEGER" for e in expressions)
    return f"({total}) / nullif({count}, 0)::DOUBLE"


def stats_sql(items: list[Item], months_table: str) -> str:
    """SELECT month, business_unit, department, measure, value, n for the months listed in months_table.

    The same figures as the survey_group_measures_live view (its definition is the reference, and a test holds
    the two together), computed from the wide rows without reshaping every answer.
    """
    score = {i.item_id: (f"(6 - {quoted(i.item_id)})" if i.scale == "likert5" and i.reverse else quoted(i.item_id))
             for i in items}
    likert = [i for i in items if i.scale == "likert5"]
    nps = [i for i in items if i.scale == "nps11"]
    scored_cols = [f"{score[i.item_id]} AS s_{n}" for n, i in enumerate(items)]
    col = {i.item_id: f"s_{n}" for n, i in enumerate(items)}
    per_respondent = []
    measures: list[tuple[str, str, str]] = []  # (measure, value expression, n expression) over `scored`
    if likert:
        per_respondent.append(f"{_mean([col[i.item_id] for i in likert])} AS r_index")
        measures.append(("index", "(avg(r_index) - 1) / 4 * 100", "count(r_index)"))
    for d, dimension in enumerate(sorted({i.dimension for i in likert})):
        members = [col[i.item_id] for i in likert if i.dimension == dimension]
        per_respondent.append(f"{_mean(members)} AS r_dim_{d}")
        measures.append((f"dimension:{dimension}", f"(avg(r_dim_{d}) - 1) / 4 * 100", f"count(r_dim_{d})"))
    for i in likert:
        c = col[i.item_id]
        measures.append((f"favourable:{i.item_id}", f"100.0 * count_if({c} >= 4) / count({c})", f"count({c})"))
    if not measures and not nps:
        return ("SELECT NULL::VARCHAR AS month, NULL::VARCHAR AS business_unit, NULL::VARCHAR AS department, "
                "NULL::VARCHAR AS measure, NULL::DOUBLE AS value, NULL::BIGINT AS n WHERE false")
    source = (f"SELECT wave AS month, business_unit, department, {', '.join(scored_cols)} FROM survey_responses "
              f"WHERE wave IN (SELECT month FROM {months_table})")
    extra = f", {', '.join(per_respondent)}" if per_respondent else ""
    parts = [f"scored AS ({source}), respondents AS (SELECT *{extra} FROM scored)"]
    selects = []
    if measures:
        aggregates = ", ".join(f"{value} AS v_{m}, {n} AS n_{m}" for m, (_, value, n) in enumerate(measures))
        parts.append(f"groups AS (SELECT month, business_unit, department, {aggregates} FROM respondents GROUP BY ALL)")
        pairs = ", ".join(f"(v_{m}, n_{m}) AS {quoted(name)}" for m, (name, _, _) in enumerate(measures))
        selects.append("SELECT month, business_unit, department, measure, value, n FROM "
                       f"(UNPIVOT groups ON {pairs} INTO NAME measure VALUE value, n) WHERE n > 0")
    if nps:
        aggregates = ", ".join(
            f"100.0 * (count_if({col[i.item_id]} >= 9) - count_if({col[i.item_id]} <= 6)) / count({col[i.item_id]}) "
            f"AS v_{k}, "
            f"count({col[i.item_id]}) AS n_{k}" for k, i in enumerate(nps))
        parts.append(f"pooled AS (SELECT month, business_unit, 'marketing+it' AS department, {aggregates} FROM scored "
                     f"WHERE department IN ('marketing', 'it') GROUP BY ALL)")
        pairs = ", ".join(f"(v_{k}, n_{k}) AS {quoted('nps:' + i.item_id)}" for k, i in enumerate(nps))
        selects.append("SELECT month, business_unit, department, measure, value, n FROM "
                       f"(UNPIVOT pooled ON {pairs} INTO NAME measure VALUE value, n) WHERE n > 0")
    return "WITH " + ", ".join(parts) + "\n" + "\nUNION ALL\n".join(selects)
