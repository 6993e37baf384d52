"""The rules the product states are the rules it applies: with the thresholds changed by an admin, every page,
the board pack and the command line say the new numbers, and the figures follow them."""

from __future__ import annotations

import json
import re
from datetime import date
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from metrics import boardpack, catalog, store
from metrics.store import settings
from metrics.scorecard import scorecard

ROOT = Path(__file__).resolve().parent.parent
ANONYMITY, COMMENTS = 8, 12
PAGES = ["pages/scorecard.py", "pages/alignment.py", "pages/results.py", "pages/meetings.py", "pages/projects.py",
         "pages/review.py", "pages/boardpack.py", "pages/data.py", "pages/definitions.py"]
# Every way a text states a group size: "fewer than 8 respondents", "under 8 respondents", "min. 8 respondents",
# "at least 12 respondents".
STATED = re.compile(r"(fewer than|under|min\.|at least) (\d+) respondents")


@pytest.fixture
def raised(fixture_db):
    """The fixture store with both thresholds raised through the settings command, as an operator would."""
    result = subprocess.run([sys.executable, "-m", "metrics", "settings", f"anonymity_threshold={ANONYMITY}",
                             f"comment_threshold={COMMENTS}", "--db", str(fixture_db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"anonymity_threshold: 5 -> {ANONYMITY}",
                                          f"comment_threshold: 10 -> {COMMENTS}"]
    return fixture_db


def page_text(at: AppTest) -> str:
    """Everything an element of the page carries (texts, table headings and help, chart specs) as one string."""
    parts = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(json.dumps(MessageToDict(proto), ensure_ascii=False))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    # A plotly spec is JSON inside JSON: decode the escaped quotes so phrases read as written.
    return "\n".join(parts).replace('\\"', '"')


def stated_numbers(text: str) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for phrase, number in STATED.findall(text):
        found.setdefault(phrase, set()).add(int(number))
    return found


def test_every_page_states_the_thresholds_in_force(raised):
    said: dict[str, dict[str, set[int]]] = {}
    for page in PAGES:
        # A fresh session a page: AppTest keeps the sidebar's month for one switch_page, not for a second.
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert not at.info or "No data yet" not in at.info[0].value, page
        said[page] = stated_numbers(page_text(at))
    for page, numbers in said.items():
        for phrase, values in numbers.items():
            expected = {COMMENTS} if phrase == "at least" else {ANONYMITY}
            assert values == expected, (page, phrase, values)
    # The texts that state the rule are there, each with the number in force.
    assert said["pages/scorecard.py"]["fewer than"] == {ANONYMITY}           # the table's caption
    assert said["pages/alignment.py"]["fewer than"] == {ANONYMITY}           # the heatmap's subtitle and caption
    assert said["pages/definitions.py"] == {"min.": {ANONYMITY}, "fewer than": {ANONYMITY},
                                            "at least": {COMMENTS}}


def test_the_heatmap_subtitle_and_the_alignment_caption_name_the_setting(raised):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/alignment.py").run()
    assert not at.exception, at.exception
    heatmap = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert f"hidden = fewer than {ANONYMITY} respondents" in heatmap["layout"]["title"]["text"]
    captions = " ".join(c.value for c in at.caption)
    assert f"fewer than {ANONYMITY} respondents are hidden" in captions


def test_the_board_pack_states_the_threshold_in_force(raised, tmp_path):
    con = store.connect(raised)
    try:
        slides = boardpack.build_slides(con, "2026-01")
    finally:
        con.close()
    path = tmp_path / "pack.pptx"
    boardpack.write_pptx(slides, "2026-01", path, as_of=date(2026, 2, 1))
    deck = Presentation(str(path))
    text = "\n".join(shape.text_frame.text for slide in deck.slides for shape in slide.shapes if shape.has_text_frame)
    heatmap = next(s for s in slides if s.title.startswith("Alignment by dimension")).figure()
    text += "\n" + heatmap.layout.title.text
    numbers = stated_numbers(text)
    assert numbers == {"fewer than": {ANONYMITY}, "under": {ANONYMITY}}
    assert f"survey groups under {ANONYMITY} respondents are hidden" in text         # the definitions slide
    assert f"hidden (fewer than {ANONYMITY} respondents" in text                      # the scorecard slide


def test_the_figures_follow_the_same_threshold(raised):
    """Stated and applied agree: with 8, the fixture's groups of 6 and 7 are hidden, and every figure still shown
    rests on at least 8 respondents."""
    con = store.connect(raised)
    try:
        card = scorecard(con, "2026-01")
    finally:
        con.close()
    units = {u["business_unit"]: u for u in card["business_units"]}
    assert units["Gamma"]["marketing_index"] is None          # 7 respondents
    assert units["Beta"]["marketing_index"] is None           # 6
    assert units["Alpha"]["it_index"] is None                 # 6
    assert units["Gamma"]["it_index"] is not None and units["Gamma"]["it_index_n"] == 8
    survey = [m.name for m in catalog.METRICS if m.survey and m.n_name]
    for row in [card["company"], *card["business_units"]]:
        for name in survey:
            metric = catalog.metric(name)
            if row.get(name) is not None and row.get(metric.n_name) is not None:
                assert row[metric.n_name] >= ANONYMITY, (row.get("business_unit"), name)


# ---- the settings command ---------------------------------------------------------------------------------

def run_settings(db: Path, *pairs: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", "settings", *pairs, "--db", str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_settings_lists_every_setting_with_its_value_and_bounds(fixture_db):
    listed = run_settings(fixture_db)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [s.key for s in settings.SETTINGS]
    values = {line.split()[0]: (int(line.split()[1]), line.split()[2]) for line in lines}
    assert values == {"anonymity_threshold": (5, "(5-1000)"), "comment_threshold": (10, "(5-1000)"),
                      "max_upload_mb": (200, "(1-200)")}


@pytest.mark.parametrize("pairs, problem", [
    (("anonymity_threshold=4",), "Anonymity threshold (respondents): 4 is outside 5–1000"),
    (("anonymity_threshold=eight",), "Anonymity threshold (respondents): 'eight' is not a whole number"),
    (("anonymity_threshold=7.5",), "Anonymity threshold (respondents): '7.5' is not a whole number"),
    (("max_upload_mb=500", "anonymity_threshold=6"), "Largest upload (MB): 500 is outside 1–200"),  # none saved
    (("anonymity_threshold=20",), "Comment threshold: 10 is below the anonymity threshold (20)"),
    (("colour=blue",), "'colour' is not a setting; the settings are anonymity_threshold, comment_threshold, "
                       "max_upload_mb"),
])
def test_settings_refuses_what_the_data_page_refuses_and_saves_nothing(fixture_db, pairs, problem):
    refused = run_settings(fixture_db, *pairs)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == ["Nothing was saved.", problem]
    con = store.connect(fixture_db)
    try:
        assert settings.current(con) == {"anonymity_threshold": 5, "comment_threshold": 10, "max_upload_mb": 200}
    finally:
        con.close()


def test_settings_takes_no_malformed_pair(fixture_db):
    refused = run_settings(fixture_db, "anonymity_threshold")
    assert refused.returncode != 0 and "settings takes NAME=VALUE, not 'anonymity_threshold'" in refused.stderr
