"""Each rule once (the value lists, lengths, bounds and patterns of the data): declared in metrics.vocabulary and in
each kind's fields (metrics.ingest.kinds), and everything else follows from them: the pandera schemas, the clean
survey file's SQL, the store's CHECK constraints and the pages' choices. A list typed again anywhere fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandera.pandas as pa
import pytest

from metrics import meetings, review, review_edits, roles, store, vocabulary
from metrics.ingest import native_survey, values
from metrics.charts import meetings as meeting_charts
from metrics.ingest import DEPARTMENT_LABELS, KINDS, validation
from metrics.ingest.kinds import FIELD_TYPES

ROOT = Path(__file__).resolve().parent.parent
VOCABULARIES = {name: frozenset(values) for name, values in vocabulary.VOCABULARIES.items()}
IN_LIST = re.compile(r"\bIN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)", re.IGNORECASE)


def _words(sql_list: str) -> frozenset[str]:
    return frozenset(w.replace("''", "'") for w in re.findall(r"'((?:[^']|'')*)'", sql_list))


def retyped(source: str) -> list[tuple[int, str]]:
    """(line, vocabulary) of every literal in Python `source` that spells a declared vocabulary out again: a tuple,
    list or set of words (an empty choice aside, in any order), or an SQL IN list inside a string."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            words = frozenset(e.value for e in node.elts if e.value)
            found += [(node.lineno, name) for name, values in VOCABULARIES.items() if words == values]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in IN_LIST.finditer(node.value):
                found += [(node.lineno, name) for name, values in VOCABULARIES.items()
                          if _words(match.group(1)) == values]
    return found


def test_the_reader_finds_a_vocabulary_typed_again():
    # guards the scan below against a reader that cannot fail
    assert retyped('STATUSES = ["", "cancelled", "held"]') == [(1, "MEETING_STATUSES")]
    assert retyped('sql = "WHERE department IN (\'marketing\', \'it\')"') == [(1, "SIDES")]
    assert retyped('SIDES = ("marketing", "it", "joint", "other")') == []
    assert retyped('options = [*vocabulary.DECISION_STATUSES]') == []


def python_files() -> list[Path]:
    return sorted(p for folder in ("metrics", "pages", "ui") for p in (ROOT / folder).rglob("*.py")
                  if p != ROOT / "metrics" / "vocabulary.py")


@pytest.mark.parametrize("path", python_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_vocabulary_is_typed_again_in_code(path):
    assert retyped(path.read_text(encoding="utf-8")) == [], f"use metrics.vocabulary in {path.relative_to(ROOT)}"


@pytest.mark.parametrize("path", sorted((ROOT / "metrics" / "sql").glob("*.sql")), ids=lambda p: p.name)
def test_no_vocabulary_is_typed_again_in_sql(path):
    text = path.read_text(encoding="utf-8")
    typed = [name for match in IN_LIST.finditer(text) for name, values in VOCABULARIES.items()
             if _words(match.group(1)) == values]
    assert typed == [], f"{path.name}: write {{{{NAME}}}} (metrics.vocabulary) instead of the list"
    assert r"\d{4}" not in text, f"{path.name}: write {{{{MONTH}}}} instead of the month pattern"


def test_the_vocabulary_module_imports_nothing_of_the_project():
    tree = ast.parse((ROOT / "metrics" / "vocabulary.py").read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + [
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and m.split(".")[0] in ("metrics", "pages", "ui")]


def test_a_placeholder_is_a_declaration_quoted_as_sql():
    assert vocabulary.fill("x IN ({{SIDES}}) AND n <= {{NOTE_MAX}}") == "x IN ('marketing', 'it') AND n <= 4000"
    assert vocabulary.sql_literal("it's") == "'it''s'"
    with pytest.raises(KeyError, match="names nothing"):
        vocabulary.fill("{{NOT_DECLARED}}")
    with pytest.raises(KeyError):
        vocabulary.fill("{{MONTH_PATTERN}}")   # a compiled pattern has no SQL form: {{MONTH}} has


# ---- each kind's fields --------------------------------------------------------------------------------------

FIELDS = [(kind, field) for kind, spec in KINDS.items() for field in spec.fields]


def test_every_field_is_declared_with_a_known_type_and_a_declared_vocabulary():
    assert {f.type for _, f in FIELDS} <= set(FIELD_TYPES)
    declared = set(vocabulary.VOCABULARIES.values())
    assert all(f.choices in declared for _, f in FIELDS if f.type == "choice")
    assert all(f.max_length for _, f in FIELDS if f.type in ("id", "unit", "text", "long text"))


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_schema_is_built_from_the_fields(kind):
    spec = KINDS[kind]
    schema = validation._schema(kind)
    assert list(schema.columns) == [f.name for f in spec.fields]
    assert list(schema.unique) == list(spec.key)
    for field in spec.fields:
        column = schema.columns[field.name]
        assert column.nullable is (not field.required) and column.required is (field.header == "required")
        allowed = [c.statistics["allowed_values"] for c in column.checks if c.name == "isin"]
        if field.type == "choice":
            assert allowed == [field.choices]
        elif field.type == "bool":
            assert allowed == [tuple(sorted(vocabulary.BOOL_WORDS))]
        else:
            assert allowed == []


def test_a_schema_s_length_checks_say_the_declared_lengths():
    errors = {(kind, f.name): [str(c.error) for c in validation._schema(kind).columns[f.name].checks]
              for kind, f in FIELDS}
    assert f"must be 1 to {vocabulary.NAME_MAX} characters" in errors[("survey", "response_id")]
    assert f"comment longer than {vocabulary.COMMENT_MAX} characters: shorten it" in errors[("survey", "comment")]
    assert f"must be 1 to {vocabulary.NOTE_MAX:,} characters" in errors[("commentary", "text")]
    assert f"must be 1 to {vocabulary.DECISION_MAX:,} characters" in errors[("decisions", "text")]
    assert (f"must be a whole number of months, {vocabulary.EFFECT_WINDOW_MIN} to {vocabulary.EFFECT_WINDOW_MAX}"
            in errors[("actions", "effect_window")])


# ---- the clean survey file's fast path -----------------------------------------------------------------------

def test_the_fast_path_checks_what_the_survey_s_fields_declare():
    survey = KINDS["survey"]
    assert native_survey.REQUIRED == survey.columns and native_survey.OPTIONAL == survey.optional
    fields = survey.by_name
    flaws = native_survey._flaws(["response_id", "submitted_at", "business_unit", "department", "role", "comment",
                                  "wave", "q1"])
    for name in ("department", "role"):
        listed = [f for f in flaws if f.startswith(f"{name} NOT IN")]
        assert len(listed) == 1 and _words(listed[0]) == frozenset(fields[name].choices)
    for name in ("response_id", "business_unit", "comment"):
        assert f"length({name}) > {fields[name].max_length}" in flaws
    assert f"NOT regexp_full_match(wave, {vocabulary.sql_literal(vocabulary.MONTH)})" in flaws
    assert fields["wave"].type == "month"
    # the scales the fast path holds answers to are the catalogue's, as the general reader reads them
    assert native_survey.SCALES == {scale: values.SCALES[scale][:2] for scale in values.SCALES}
    assert KINDS["items"].by_name["scale"].choices == tuple(native_survey.SCALES)


def test_the_fast_path_refuses_a_department_the_vocabulary_lacks(empty_con):
    header = "response_id,submitted_at,business_unit,department,role,q1\n"
    for department, clean in (("marketing", True), ("finance", False)):
        data = f"{header}R1,2026-01-10 09:00:00,North,{department},staff,4\n".encode()
        rows = native_survey.stage(empty_con.cursor(), data, None, {"q1": "likert5"})
        assert (rows == 1) is clean, department


# ---- the store -----------------------------------------------------------------------------------------------

def _checks(con) -> dict[tuple[str, str], str]:
    rows = con.cursor().execute("SELECT table_name, constraint_column_names, expression FROM duckdb_constraints() "
                                "WHERE constraint_type = 'CHECK'").fetchall()
    found = {}
    for table, columns, expression in rows:
        assert len(columns) == 1, (table, columns, expression)
        found[(table, columns[0])] = expression
    return found


def test_a_new_store_s_constraints_are_the_declarations(tmp_path):
    con = store.connect(str(tmp_path / "new.duckdb"))
    checks = _checks(con)
    expected = {}
    for spec in KINDS.values():
        for field in spec.fields:
            if field.type == "choice":
                expected[(spec.table, field.name)] = ("in", frozenset(field.choices))
            elif field.type in ("whole", "number") and field.low is not None and field.high is None:
                expected[(spec.table, field.name)] = ("at least", field.low)
            elif field.type == "whole":
                expected[(spec.table, field.name)] = ("between", (field.low, field.high))
    # a leader's note is held to its length by the store as well
    expected[("commentary", "text")] = ("at most", KINDS["commentary"].by_name["text"].max_length)
    shown = {}
    for key, expression in checks.items():
        if (words := IN_LIST.search(expression)) is not None:
            shown[key] = ("in", _words(words.group(1)))
        elif (m := re.fullmatch(r'\(\(?"?\w+"?\)? >= (\d+)\)', expression)) is not None:
            shown[key] = ("at least", int(m.group(1)))
        elif (m := re.fullmatch(r'\(length\("?\w+"?\) <= (\d+)\)', expression)) is not None:
            shown[key] = ("at most", int(m.group(1)))
        elif (m := re.fullmatch(r'\("?\w+"? BETWEEN (\d+) AND (\d+)\)', expression)) is not None:
            shown[key] = ("between", (int(m.group(1)), int(m.group(2))))
        else:
            shown[key] = ("unread", expression)
    assert shown == expected
    default = con.cursor().execute("SELECT column_default FROM duckdb_columns() WHERE table_name = 'actions' AND "
                                   "column_name = 'effect_window'").fetchall()[0][0]
    assert str(default) == str(KINDS["actions"].by_name["effect_window"].default)


def test_every_placeholder_of_the_sql_files_is_declared():
    for path in sorted((ROOT / "metrics" / "sql").glob("*.sql")):
        text = store.query(path.stem)
        assert "{{" not in text and "}}" not in text, path.name


# ---- the pages' and the analysis' lists ----------------------------------------------------------------------

def test_every_label_list_labels_exactly_the_vocabulary():
    assert set(DEPARTMENT_LABELS) == set(vocabulary.DEPARTMENTS)
    assert set(review.LEADERS) == set(roles.SIDE_LABELS) == set(review_edits.AUTHORS) == set(vocabulary.SIDES)
    assert meetings.MEETING_TYPES == ("all", *vocabulary.MEETING_TYPES)
    assert set(meeting_charts.MEETING_TYPE_LABELS) == set(meetings.MEETING_TYPES)
    assert set(meeting_charts.DEPARTMENT_LABELS) == set(vocabulary.SIDES)
    assert roles.SIDES is review.SIDES is vocabulary.SIDES


def test_the_schema_check_is_pandera_s_isin():
    # the test above reads the choices from pandera's own statistics: hold it to what isin records
    check = pa.Check.isin(("a", "b"))
    assert check.name == "isin" and check.statistics["allowed_values"] == ("a", "b")


# ---- texts say the numbers in force --------------------------------------------------------------------------

def test_the_response_rate_s_text_says_its_flag_and_the_flag_is_its_target():
    from metrics import catalog

    rate = catalog.metric("response_rate")
    assert rate.target == catalog.RESPONSE_RATE_FLAG
    assert f"Below {catalog.RESPONSE_RATE_FLAG:g}% is flagged." in rate.description


def test_the_settings_help_says_their_own_bounds():
    from metrics.store import settings

    anonymity, upload = settings.BY_KEY["anonymity_threshold"], settings.BY_KEY["max_upload_mb"]
    assert f"Never below {anonymity.minimum}," in anonymity.help
    assert f"At most {upload.maximum}," in upload.help


def test_the_seed_benchmark_s_words_follow_its_numbers(monkeypatch):
    from metrics import linkage
    from metrics.charts import results as results_charts

    monkeypatch.setitem(linkage.SEED_BENCHMARK, "threshold", 65.0)
    monkeypatch.setitem(linkage.SEED_BENCHMARK, "margin_above", 4.0)
    result = {"n": 10, "above": 6, "share": 60.0, "ci_low": 31.0, "ci_high": 83.0, "seed_share": 72.0,
              "others_n": 20, "others_share": 30.0, "others_ci_low": 15.0, "others_ci_high": 52.0}
    sentence = linkage.benchmark_sentence(result)
    assert "alignment ≥ 65 had margin growth above 4%" in sentence and "the seeds' 72%" in sentence
    assert "alignment index of 65" in linkage.benchmark_sentence({**result, "n": 0})
    figure = results_charts.benchmark_chart(result)
    assert "above 4% where alignment is 65 or more" in figure.layout.title.text
    assert list(figure.data[0].y)[:2] == ["This company: alignment ≥ 65", "This company: alignment < 65"]
