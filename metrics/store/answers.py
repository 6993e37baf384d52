"""Survey answers stored wide: one SMALLINT column per catalogue item in survey_responses, as DESIGN.md's table.

An import then writes its responses as they arrive (one row each, no reshaping of every answer), and the
figures of a month are one pass over its rows. `survey_answers` is a view giving the same answers long
(response_id, item_id, value) for the reference views in sql/views.sql and for checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from metrics.vocabulary import SIDES, sql_literal

# survey_responses' own columns; every other column is a catalogue item's answers.
BASE_COLUMNS = ("response_id", "submitted_at", "wave", "business_unit", "department", "role", "comment", "import_id")
# Names an item id may not take: they are columns of survey_responses or of its replaced_ shadow table.
RESERVED = (*BASE_COLUMNS, "replaced_by", "pending")
# The responses the figures are made of: the stored ones, less the changes held back (see hold_back).
PUBLISHED = "survey_published"
PENDING = "survey_pending"
VERSIONS = "survey_versions"        # each group's earlier published responses, version by version
STICKY = "survey_hidden_figures"    # figures hidden at some state shown before: they stay hidden


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def item_columns(cur) -> list[str]:
    """The answer columns survey_responses has, in table order."""
    return [name for name in _columns(cur, "survey_responses") if name not in BASE_COLUMNS]


def _columns(cur, table: str) -> list[str]:
    """A table's columns in order, resolved as the queries resolve its name (the table must exist)."""
    return [name for (name,) in cur.execute("SELECT name FROM pragma_table_info($t) ORDER BY cid",
                                            {"t": table}).fetchall()]


def sync(cur) -> None:
    """Give survey_responses (and its replaced_ shadow) a column for every catalogue item, and rebuild the view."""
    have = set(item_columns(cur))
    for (item,) in cur.execute("SELECT item_id FROM survey_items ORDER BY item_id").fetchall():
        if item not in have and item not in RESERVED:
            for table in ("survey_responses", "replaced_survey_responses", PENDING, VERSIONS):
                cur.execute(f"ALTER TABLE {table} ADD COLUMN {quoted(item)} SMALLINT")
    create_long_view(cur)


def create_published_view(cur) -> None:
    """survey_published: what the figures count. A held 'added' row is not in it yet; a held 'removed' one still is."""
    listed = ", ".join(quoted(c) for c in _columns(cur, "survey_responses"))
    cur.execute(f"""CREATE OR REPLACE VIEW {PUBLISHED} AS
        SELECT {listed} FROM survey_responses r
        WHERE NOT EXISTS (SELECT 1 FROM {PENDING} p WHERE p.pending = 'added' AND p.response_id = r.response_id)
        UNION ALL
        SELECT {listed} FROM {PENDING} WHERE pending = 'removed'""")


def create_long_view(cur) -> None:
    """survey_answers: the stored answers long (response_id, item_id, value); published_answers: the same of what
    the figures count (survey_published), for the reference views and the Likert chart, each answer with its
    response's month, business unit, department and role.

    published_answers carries those fields itself rather than leaving scored_answers to join them back by
    response_id: a filter on the month then reaches the scan of the wide rows, so a month's chart unpivots that
    month's answers only (the join unpivoted every answer in the store first: 1.7 s and 2.5 GB at a million
    responses, against 0.02 s)."""
    create_published_view(cur)
    columns = item_columns(cur)
    carried = ("response_id", "wave", "business_unit", "department", "role")
    for view, source, fields in (("survey_answers", "survey_responses", carried[:1]),
                                 ("published_answers", PUBLISHED, carried)):
        names = ", ".join("wave AS month" if f == "wave" else f for f in fields)
        if columns:
            listed = ", ".join(quoted(c) for c in columns)
            body = (f"SELECT {names}, item_id, value FROM (UNPIVOT (SELECT {', '.join(fields)}, {listed} "
                    f"FROM {source}) ON {listed} INTO NAME item_id VALUE value)")
        else:
            empty = ", ".join(f"NULL::VARCHAR AS {name.split(' AS ')[-1]}" for name in names.split(", "))
            body = f"SELECT {empty}, NULL::VARCHAR AS item_id, NULL::SMALLINT AS value WHERE false"
        cur.execute(f"CREATE OR REPLACE VIEW {view} AS {body}")


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


# The stored figures: a row per month, business unit and department, a value and an n column per measure.
FIGURES = "survey_group_figures"


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


def measures(items: list[Item]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(measure, stored columns) of each figure. A stored column is (name, type, aggregate over a group's
    responses, each with its scored answers s_<k> and means r_*): "value:<measure>" and "n:<measure>". A pooled
    figure's group is a unit's marketing and IT together (the NPS): its columns are each department's counts,
    "promoters:", "detractors:" and "n:", which survey_group_stats adds up; no NPS is stored per department."""
    likert = [(k, i) for k, i in enumerate(items) if i.scale == "likert5"]
    out: list[tuple[str, list[tuple[str, str, str]]]] = []

    def figure(name: str, value: str, n: str) -> tuple[str, list[tuple[str, str, str]]]:
        return name, [(f"value:{name}", "DOUBLE", value), (f"n:{name}", "INTEGER", n)]

    # A mean of respondents' means added up exactly: a sum of doubles depends on the order DuckDB's threads add
    # them in (DuckDB 1.5.5 gave one month's figure a last digit apart when it was stored with the other months or
    # alone), and the stored figures must not depend on which months were stored together. Each respondent's mean
    # (at most 5) in units of 1e-15 is a whole number below 2^53, so the double holds it exactly and the sum is
    # an integer's, in any order; the same precision as DECIMAL(18, 15), at a third less of the figures' time.
    def mean(column: str) -> str:
        return f"(sum(({column} * 1e15)::BIGINT)::DOUBLE / 1e15 / count({column}) - 1) / 4 * 100"

    if likert:
        out.append(figure("index", mean("r_index"), "count(r_index)"))
    for d, dimension in enumerate(sorted({i.dimension for _, i in likert})):
        out.append(figure(f"dimension:{dimension}", mean(f"r_dim_{d}"), f"count(r_dim_{d})"))
    for k, i in likert:
        out.append(figure(f"favourable:{i.item_id}", f"100.0 * count_if(s_{k} >= 4) / count(s_{k})", f"count(s_{k})"))
    for k, i in enumerate(items):
        if i.scale == "nps11":
            name = f"nps:{i.item_id}"
            out.append((name, [(f"promoters:{name}", "INTEGER", f"count_if(s_{k} >= 9)"),
                               (f"detractors:{name}", "INTEGER", f"count_if(s_{k} <= 6)"),
                               (f"n:{name}", "INTEGER", f"count(s_{k})")]))
    return out


def figure_columns(items: list[Item]) -> list[tuple[str, str, str]]:
    """survey_group_figures' columns after its key (month, business_unit, department): (name, type, aggregate).
    The first, respondents, is the group's size, on which the anonymity rules decide once which groups to hide."""
    return [("respondents", "INTEGER", "count(*)")] + [column for _, columns in measures(items) for column in columns]


def figures_sql(items: list[Item], source: str = "survey_responses", insert: bool = False) -> str:
    """One row per month, business unit and department with figure_columns(items), over the responses in
    `source` (a relation with survey_responses' wave, business_unit, department and answer columns); `insert`
    stores the rows in survey_group_figures.

    The same figures as the survey_group_measures_live view, through survey_group_stats (the live view's
    definition is the reference, and a test holds the two together), from one grouped pass over the wide rows: no
    answer is reshaped, and a month is a row per unit and department to write, not one per measure.
    """
    score = [f"6 - {quoted(i.item_id)}" if i.scale == "likert5" and i.reverse else quoted(i.item_id) for i in items]
    scored = "".join(f", {expression} AS s_{k}" for k, expression in enumerate(score))
    likert = [(k, i) for k, i in enumerate(items) if i.scale == "likert5"]
    # a respondent's mean over the Likert items they answered (list_avg skips the missing, as avg() over their
    # long answers does), for the index and for each dimension
    means = [f"list_avg([{', '.join(f's_{k}' for k, _ in likert)}]) AS r_index"] if likert else []
    for d, dimension in enumerate(sorted({i.dimension for _, i in likert})):
        means.append(f"list_avg([{', '.join(f's_{k}' for k, i in likert if i.dimension == dimension)}]) AS r_dim_{d}")
    columns = "".join(f", {aggregate} AS {quoted(name)}" for name, _, aggregate in figure_columns(items))
    responses = f"(SELECT wave AS month, business_unit, department{scored} FROM {source})"
    return (f"{f'INSERT INTO {FIGURES} BY NAME ' if insert else ''}"
            f"SELECT month, business_unit, department{columns} "
            f"FROM (SELECT *{''.join(', ' + m for m in means)} FROM {responses}) GROUP BY ALL")


def stored_columns(cur) -> list[str]:
    """survey_group_figures' columns after its key, in order."""
    return _columns(cur, FIGURES)[3:]


def stored_measures(cur) -> list[str]:
    """The measures survey_group_figures has columns for, in order."""
    return [c.split(":", 1)[1] for c in stored_columns(cur) if c.startswith(("value:", "promoters:"))]


def figures_current(cur, items: list[Item] | None = None) -> bool:
    """Whether survey_group_figures has the columns the catalogue's measures call for, as figure_columns lays
    them out (a store written by an older version, or before a new item, has others)."""
    return stored_columns(cur) == [name for name, *_ in figure_columns(catalogue(cur) if items is None else items)]


def create_stats_view(cur) -> None:
    """survey_group_stats: the stored figures long (month, business_unit, department, measure, value, n), as
    the pages' SQL and the anonymity rules read them; a group's measure with no answers is not a row. A pooled
    figure is a unit's marketing and IT counts added up, as department 'marketing+it'."""
    columns = stored_columns(cur)
    single = [c.removeprefix("value:") for c in columns if c.startswith("value:")]
    pooled = [c.removeprefix("promoters:") for c in columns if c.startswith("promoters:")]
    parts = []
    if single:
        pairs = ", ".join(f"({quoted('value:' + m)}, {quoted('n:' + m)}) AS {quoted(m)}" for m in single)
        parts.append(f"SELECT month, business_unit, department, measure, value, n::BIGINT AS n FROM "
                     f"(UNPIVOT {FIGURES} ON {pairs} INTO NAME measure VALUE value, n) WHERE n > 0")
    if pooled:
        counts = [f"{kind}:{m}" for m in pooled for kind in ("promoters", "detractors", "n")]
        sums = ", ".join(f"sum({quoted(c)})::BIGINT AS {quoted(c)}" for c in counts)
        triples = ", ".join(f"({quoted('promoters:' + m)}, {quoted('detractors:' + m)}, {quoted('n:' + m)}) "
                            f"AS {quoted(m)}" for m in pooled)
        parts.append(f"SELECT month, business_unit, 'marketing+it' AS department, measure, "
                     f"100 * (promoters - detractors)::DOUBLE / n AS value, n FROM "
                     f"(UNPIVOT (SELECT month, business_unit, {sums} FROM {FIGURES} "
                     f"WHERE department IN ({sql_literal(SIDES)}) GROUP BY month, business_unit) "
                     f"ON {triples} INTO NAME measure VALUE promoters, detractors, n) WHERE n > 0")
    if not parts:
        parts.append("SELECT NULL::VARCHAR AS month, NULL::VARCHAR AS business_unit, NULL::VARCHAR AS department, "
                     "NULL::VARCHAR AS measure, NULL::DOUBLE AS value, NULL::BIGINT AS n WHERE false")
    cur.execute(f"CREATE OR REPLACE VIEW survey_group_stats AS {' UNION ALL '.join(parts)}")


def current_measures(cur) -> list[str]:
    """The measures the catalogue gives, in the order they are stored."""
    return [name for name, _ in measures(catalogue(cur))]


def store_figures(cur, months: Iterable[str] | None = None) -> None:
    """Store the survey figures of these months again (every month when None), in the caller's transaction: every
    import and undo that touches survey months or the catalogue calls it, so pages never read raw answers.

    When the catalogue's measures are not the stored table's columns (a new item, dimension or scale, or a store
    written by an older version), the table is built again, for every month, with its view."""
    items = catalogue(cur)
    if not figures_current(cur, items):
        columns = "".join(f", {quoted(name)} {kind}" for name, kind, _ in figure_columns(items))
        cur.execute(f"CREATE OR REPLACE TABLE {FIGURES} (month VARCHAR NOT NULL, business_unit VARCHAR NOT NULL, "
                    f"department VARCHAR NOT NULL{columns})")
        create_stats_view(cur)
        months = None
    elif months is None:
        cur.execute(f"DELETE FROM {FIGURES}")
    else:
        months = sorted({m for m in months if m})
        if not months:
            return
        cur.execute(f"DELETE FROM {FIGURES} WHERE month IN (SELECT unnest($months::VARCHAR[]))", {"months": months})
    if measures(items):
        # with no change held back, what the figures count is every stored response: read without the view's
        # anti-join (a fifth of the figures' time at a million responses)
        held = cur.execute(f"SELECT count(*) FROM {PENDING}").fetchall()[0][0]
        source = PUBLISHED if held else "survey_responses"
        if months is None:
            cur.execute(figures_sql(items, source, insert=True))
        else:
            cur.execute(figures_sql(items, f"(SELECT * FROM {source} WHERE wave IN "
                                           "(SELECT unnest($months::VARCHAR[])))", insert=True), {"months": months})


def drop_long_stats(cur) -> None:
    """Stores written before figures were stored wide hold them in a table survey_group_stats: it goes (the
    figures are computed again from the answers), and the view of that name takes its place."""
    kind = cur.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'survey_group_stats' "
                       "AND table_schema = 'main' AND table_catalog = current_database()").fetchall()
    if kind == [("BASE TABLE",)]:
        cur.execute("DROP TABLE survey_group_stats")


# ----------------------------------------------------------------------------------------------------------
# Changes held back: a figure already shown moves only when its group has changed by the threshold


def hold_back(cur, entering: str, leaving: str = "SELECT * FROM survey_responses WHERE false") -> None:
    """Record an import's or an undo's survey changes in months whose figures are shown, before store_figures.

    `entering` and `leaving` are relations with survey_responses' columns: the rows that have just come into
    survey_responses and the ones that have just left it (undone, or the old version of a replaced response). In a
    month with figures already, a change waits in survey_pending until the changes held for its group (month,
    business unit, department) come to the anonymity threshold in respondents; then they count, all together. A month shown for
    the first time, or emptied altogether, counts every change at once: there is no earlier figure to subtract.
    Without this, the figure before and after one late response would give that person's answers by difference.
    """
    listed = ", ".join(quoted(c) for c in _columns(cur, "survey_responses"))
    same = " AND ".join(f"p.{quoted(c)} IS NOT DISTINCT FROM e.{quoted(c)}"
                        for c in _columns(cur, "survey_responses"))
    shown = f"(SELECT DISTINCT month FROM {FIGURES} UNION SELECT DISTINCT wave FROM {VERSIONS})"
    cur.execute(f"CREATE OR REPLACE TEMP TABLE hold_leaving AS SELECT {listed} FROM ({leaving}) WHERE wave IN {shown}")
    cur.execute(f"CREATE OR REPLACE TEMP TABLE hold_entering AS SELECT {listed} FROM ({entering}) "
                f"WHERE wave IN {shown}")
    # a row leaving that was never counted is simply forgotten; one that was counted is counted until released
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE hold_counted AS SELECT e.* FROM hold_leaving e
                    WHERE NOT EXISTS (SELECT 1 FROM {PENDING} p WHERE p.pending = 'added' AND {same})
                      AND NOT EXISTS (SELECT 1 FROM {PENDING} p WHERE p.pending = 'removed' AND {same})""")
    cur.execute(f"""DELETE FROM {PENDING} p WHERE p.pending = 'added'
                    AND EXISTS (SELECT 1 FROM hold_leaving e WHERE {same})""")
    cur.execute(f"INSERT INTO {PENDING} BY NAME SELECT *, 'removed' AS pending FROM hold_counted")
    # a row coming back as it was counted (an undo of a replacement) cancels its held removal
    cur.execute(f"""CREATE OR REPLACE TEMP TABLE hold_cancelled AS SELECT e.response_id FROM hold_entering e
                    WHERE EXISTS (SELECT 1 FROM {PENDING} p WHERE p.pending = 'removed' AND {same})""")
    cur.execute(f"""DELETE FROM {PENDING} p WHERE p.pending = 'removed'
                    AND EXISTS (SELECT 1 FROM hold_entering e WHERE {same})""")
    cur.execute(f"""INSERT INTO {PENDING} BY NAME SELECT e.*, 'added' AS pending FROM hold_entering e
                    WHERE e.response_id NOT IN (SELECT response_id FROM hold_cancelled)""")
    release(cur)
    for table in ("hold_leaving", "hold_entering", "hold_cancelled", "hold_counted"):
        cur.execute(f"DROP TABLE {table}")


def threshold(cur) -> int:
    return cur.execute("SELECT value::INTEGER FROM settings WHERE key = 'anonymity_threshold'").fetchall()[0][0]


def release(cur) -> None:
    """Count the held changes of each group that may change now: every group of a month that no longer holds any
    response (nothing is shown), and each group whose responses, as they are now, differ from every version of it
    shown before by none or at least the threshold of respondents, overall and among those who answered each item
    (an item's figure moves only with who answered it). Differences are in answers and group: a changed comment
    alone changes no figure. Comparing with every earlier version, not only the last, keeps an undo and a new
    import of the same file from isolating one late response."""
    k = threshold(cur)
    items = item_columns(cur)
    content = ", ".join(quoted(c) for c in ["response_id", "wave", "business_unit", "department", *items])
    answered = "".join(f", count(DISTINCT response_id) FILTER (WHERE {quoted(i)} IS NOT NULL)" for i in items)
    empty = {m for (m,) in cur.execute(f"SELECT DISTINCT wave FROM {PENDING} EXCEPT "
                                       "SELECT DISTINCT wave FROM survey_responses").fetchall()}
    key = "wave = $m AND business_unit = $u AND department = $d"
    for month, unit, department in cur.execute(f"SELECT DISTINCT wave, business_unit, department FROM {PENDING} "
                                               "ORDER BY ALL").fetchall():
        group = {"m": month, "u": unit, "d": department}
        versions = [f"SELECT {content} FROM {PUBLISHED} WHERE {key}"] + [
            f"SELECT {content} FROM {VERSIONS} WHERE {key} AND version = {int(v)}" for (v,) in cur.execute(
                f"SELECT DISTINCT version FROM {VERSIONS} WHERE {key}", group).fetchall()]
        now = f"SELECT {content} FROM survey_responses WHERE {key}"
        ok = month in empty
        if not ok:
            ok = True
            for version in versions:
                counts = cur.execute(f"""SELECT count(DISTINCT response_id){answered} FROM (
                    (({now}) EXCEPT ({version})) UNION ALL (({version}) EXCEPT ({now})))""", group).fetchall()[0]
                if any(0 < c < k for c in counts):
                    ok = False
                    break
        if ok:
            _publish(cur, group, content, key)


def _publish(cur, group: dict, content: str, key: str) -> None:
    """Make a group's held changes count: its figures as shown so far become a version, and what is hidden in its
    month now stays hidden until the group it belongs to changes (a company figure: for good)."""
    remember_hidden(cur, [group["m"]])
    cur.execute(f"""INSERT INTO {VERSIONS} BY NAME
                    SELECT p.*, coalesce((SELECT max(version) FROM {VERSIONS} WHERE {key}), 0) + 1 AS version
                    FROM {PUBLISHED} p WHERE {key}""", group)
    cur.execute(f"DELETE FROM {PENDING} WHERE {key}", group)
    cur.execute(f"""DELETE FROM {STICKY} WHERE month = $m AND business_unit = $u
                    AND department IN ($d, 'marketing+it')""", group)


def remember_hidden(cur, months: list[str] | None = None) -> None:
    """Record the figures hidden now (of these months, or all) before something changes what is shown: a figure
    hidden at one state and shown at the next, its parts unchanged, would let the two states be combined (a
    raised threshold that moves a complement, a complement no longer needed once a small group grows)."""
    if not cur.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'survey_measures' "
                       "AND database_name = current_database()").fetchall()[0][0]:
        return
    where = "" if months is None else "AND month IN (SELECT unnest($months::VARCHAR[]))"
    cur.execute(f"""INSERT INTO {STICKY}
                    SELECT DISTINCT month, business_unit, department, measure FROM survey_measures m
                    WHERE suppressed {where}
                      AND NOT EXISTS (SELECT 1 FROM {STICKY} s WHERE s.month = m.month AND s.measure = m.measure
                                      AND s.department = m.department
                                      AND s.business_unit IS NOT DISTINCT FROM m.business_unit)""",
                {} if months is None else {"months": list(months)})


def held_back(cur) -> list[tuple]:
    """(month, business unit, department, responses added, responses removed) of each group with changes held."""
    return cur.execute(f"""SELECT wave, business_unit, department,
                                  count(DISTINCT response_id) FILTER (WHERE pending = 'added'
                                      AND response_id NOT IN (SELECT response_id FROM {PENDING} WHERE pending = 'removed')),
                                  count(DISTINCT response_id) FILTER (WHERE pending = 'removed'
                                      AND response_id NOT IN (SELECT response_id FROM {PENDING} WHERE pending = 'added')),
                                  count(DISTINCT response_id)
                           FROM {PENDING} GROUP BY ALL ORDER BY 1, 2, 3""").fetchall()
