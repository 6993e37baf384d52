"""The Definitions page: the glossary and metric definitions in metrics/glossary.py, and the page over them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from metrics import catalog, glossary, store


ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/definitions.py"
FORMULAS = "Every formula in full"


# ---- metric definitions --------------------------------------------------------------------------------

def test_every_catalogue_metric_is_defined_with_its_target():
    table = glossary.metric_definitions().set_index("name")
    assert list(table.index) == [m.name for m in catalog.METRICS]
    for m in catalog.METRICS:
        row = table.loc[m.name]
        assert row["label"] == m.label
        assert row["formula"] == m.description
        assert row["unit"] == m.unit
        assert row["target"] == m.target
        assert bool(row["survey"]) is m.survey


def test_direction_in_words():
    table = glossary.metric_definitions().set_index("name")
    assert table.loc["alignment_index", "direction"] == "higher is better"
    assert table.loc["perception_gap_abs", "direction"] == "lower is better"


@pytest.mark.parametrize("name, expected", [
    # higher is better, target 70, band 10: 60 <= x < 70 amber, under 60 red
    ("alignment_index", "amber from 60 to 70, red below 60"),
    # higher is better, target 50, band 20
    ("strategic_partner_rate_marketing", "amber from 30 to 50, red below 30"),
    # lower is better, target 5, band 5: 5 < x <= 10 amber, over 10 red
    ("perception_gap_abs", "amber from 5 to 10, red above 10"),
    # lower is better, target 5, band 10
    ("project_budget_variance", "amber from 5 to 15, red above 15"),
    # no band: anything short of one steering meeting a month is red
    ("cadence_adherence", "no amber band, red below 100"),
])
def test_status_bands_in_words(name, expected):
    assert glossary.metric_definitions().set_index("name").loc[name, "bands"] == expected


@pytest.mark.parametrize("m", [m for m in catalog.METRICS if m.amber_band], ids=lambda m: m.name)
def test_band_words_agree_with_the_status_rule(m):
    """The words are read off Metric.status: the target is green, the band's far edge amber, beyond it red."""
    numbers = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", glossary.status_bands(m))]
    low, high, red_edge = numbers
    step = 0.01 if m.direction == catalog.HIGHER else -0.01
    edge = low if m.direction == catalog.HIGHER else high
    assert red_edge == edge
    assert m.status(m.target) == "green"
    assert m.status(edge) == "amber"
    assert m.status(edge - step) == "red"


def test_a_metric_without_a_target_has_no_bands():
    assert glossary.status_bands(catalog.Metric("x", "X", "", "%")) == "no target"


def test_chi_weights_come_from_the_catalogue():
    weights = glossary.chi_weights()
    assert dict(zip(weights["name"], weights["weight"])) == catalog.CHI_WEIGHTS
    assert weights["weight"].sum() == pytest.approx(1.0)
    assert list(weights["label"]) == ["Alignment index", "Cadence adherence (3 months)", "Attendance rate",
                                      "Project success rate"]


def test_how_computed_states_the_thresholds_it_is_given():
    text = " ".join(glossary.how_computed(5, 10))
    assert "fewer than 5 respondents" in text and "at least 10 respondents" in text
    text = " ".join(glossary.how_computed(7, 12))
    assert "fewer than 7 respondents" in text and "at least 12 respondents" in text
    assert "5 respondents" not in text and "10 respondents" not in text


# ---- glossary ------------------------------------------------------------------------------------------

def test_no_duplicate_terms_and_a_usable_size():
    terms = [t.term.casefold() for t in glossary.TERMS]
    assert len(terms) == len(set(terms))
    assert 20 <= len(terms) <= 30
    assert terms == sorted(terms)


def test_every_term_has_all_three_meanings_in_one_or_two_sentences():
    for t in glossary.TERMS:
        for field in ("marketing", "it", "shared"):
            text = getattr(t, field)
            assert text.strip() and text.endswith("."), (t.term, field)
            sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z(\"0-9])", text)
            assert len(sentences) <= 2, (t.term, field, sentences)


@pytest.mark.parametrize("word", [
    "customer", "conversion", "attribution", "lead", "campaign", "segment", "personalisation", "CDP", "CRM",
    "data warehouse", "API", "integration", "shadow IT", "technical debt", "MVP", "scale-up", "SLA", "uptime",
    "sprint", "roadmap", "ROI", "lifetime value", "martech", "data governance", "GDPR", "single customer view",
])
def test_the_seeds_common_language_is_covered(word):
    assert any(word.casefold() in t.term.casefold() for t in glossary.TERMS), word


def test_glossary_frame_has_every_term():
    frame = glossary.glossary()
    assert list(frame.columns) == ["term", "marketing", "it", "shared"]
    assert list(frame["term"]) == [t.term for t in glossary.TERMS]


def test_search_finds_shadow_it_by_its_name_and_by_its_definition():
    assert list(glossary.search("shadow")["term"]) == ["Shadow IT"]
    assert list(glossary.search("SHADOW it")["term"]) == ["Shadow IT"]   # any case, words in any field
    assert "Shadow IT" in list(glossary.search("unmet")["term"])         # its shared definition
    assert "Shadow IT" in list(glossary.search("credit card")["term"])   # its marketing meaning


def test_search_by_abbreviation_and_empty_or_unknown_text():
    assert "Customer data platform (CDP)" in list(glossary.search("cdp")["term"])
    assert len(glossary.search("")) == len(glossary.TERMS)
    assert len(glossary.search("   ")) == len(glossary.TERMS)
    assert len(glossary.search(None)) == len(glossary.TERMS)
    assert glossary.search("xylophone").empty
    assert list(glossary.search("xylophone").columns) == ["term", "marketing", "it", "shared"]


def test_metrics_glossary_does_not_import_streamlit():
    code = "import sys, metrics.glossary; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_page_holds_no_sql_or_reshaping():
    source = (ROOT / PAGE).read_text(encoding="utf-8")
    for forbidden in (".groupby(", ".merge(", ".pivot", "SELECT ", "duckdb"):
        assert forbidden not in source, forbidden


# ---- the page ------------------------------------------------------------------------------------------

def open_definitions() -> AppTest:
    """The dashboard as a user reaches the page: through the router, with the shared sidebar."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def shown_count(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.endswith(" terms"))


def glossary_expanders(at: AppTest) -> list:
    """The glossary's expanders, one a term (the metrics section has one of its own, for the formulas)."""
    return [e for e in at.expander if e.label != FORMULAS]


def test_the_page_shows_every_catalogue_metric(fixture_db):
    at = open_definitions()
    assert at.title[0].value == "Definitions"
    assert [h.value for h in at.header] == ["Metrics", "How figures are computed", "Common language"]
    metrics_table, weights_table = at.dataframe[0].value, at.dataframe[1].value
    assert list(metrics_table["label"]) == [m.label for m in catalog.METRICS]
    assert dict(zip(weights_table["name"], weights_table["weight"])) == catalog.CHI_WEIGHTS
    formulas = next(e for e in at.expander if e.label == FORMULAS)
    assert [m.value for m in formulas.markdown] == [f"**{m.label}** (`{m.name}`): {m.description}"
                                                    for m in catalog.METRICS]
    text = " ".join(m.value for m in at.markdown)
    assert "fewer than 5 respondents" in text and "at least 10 respondents" in text


def test_the_search_box_filters_the_glossary(fixture_db):
    at = open_definitions()
    total = len(glossary.TERMS)
    assert shown_count(at) == f"{total} of {total} terms"
    assert len(glossary_expanders(at)) == total

    at.text_input(key="glossary_search").input("shadow").run()
    assert shown_count(at) == f"1 of {total} terms"
    assert [e.label for e in glossary_expanders(at)] == ["Shadow IT"]
    meanings = [m.value for m in glossary_expanders(at)[0].markdown]
    shadow_it = next(t for t in glossary.TERMS if t.term == "Shadow IT")
    assert meanings == [f"**Marketing usually means:** {shadow_it.marketing}",
                        f"**IT usually means:** {shadow_it.it}",
                        f"**Shared definition:** {shadow_it.shared}"]

    # "consent" appears in Attribution (IT), GDPR / consent and Personalisation: three terms.
    at.text_input(key="glossary_search").input("Consent").run()
    assert shown_count(at) == f"3 of {total} terms"
    assert [e.label for e in glossary_expanders(at)] == ["Attribution", "GDPR / consent", "Personalisation"]

    at.text_input(key="glossary_search").input("xylophone").run()
    assert shown_count(at) == f"0 of {total} terms"
    assert len(glossary_expanders(at)) == 0 and "xylophone" in at.info[0].value


def test_the_page_needs_no_data(tmp_path, monkeypatch):
    """An empty database: the other pages have nothing to show, the definitions are all there."""
    path = tmp_path / "empty.duckdb"
    store.connect(path).close()
    monkeypatch.setenv("COLLAB_DB", str(path))
    at = open_definitions()
    assert list(at.dataframe[0].value["name"]) == [m.name for m in catalog.METRICS]
    assert len(glossary_expanders(at)) == len(glossary.TERMS)
