"""The board pack: slides from the data, written as PowerPoint and PDF, suppression kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from metrics import boardpack, store
from tests.conftest import fixture_store, load_fixture, without_chromium

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """The pack as the Board pack page builds it (boardpack.pack_files), with a temporary folder of its own, whose
    contents are listed while the pack is written and after it is built."""
    folder, temporary = tmp_path_factory.mktemp("pack"), tmp_path_factory.mktemp("tmp")
    con = store.connect(":memory:")
    load_fixture(con, folder)
    seen = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TMPDIR", str(temporary))          # the browser's, and any other process's
        patch.setattr(tempfile, "tempdir", str(temporary))
        result = boardpack.pack_files(con, "2026-01", progress=lambda share, text: seen.update(
            {text: sorted(os.listdir(temporary))}))
    con.close()
    (folder / "pack.pptx").write_bytes(result["pptx"])
    (folder / "pack.pdf").write_bytes(result["pdf"])
    return folder, {**result, "temporary_while_writing": seen["Writing PDF"],
                    "temporary_after": sorted(os.listdir(temporary))}


def test_a_build_leaves_nothing_in_the_temporary_folder(pack):
    _, result = pack
    assert len(result["temporary_while_writing"]) == 1
    assert result["temporary_while_writing"][0].startswith("boardpack-")   # the files were written there
    assert result["temporary_after"] == []                               # and all of it is gone
    assert result["names"] == ("collaboration-health-2026-01.pptx", "collaboration-health-2026-01.pdf")
    assert result["pptx"].startswith(b"PK") and result["pdf"].startswith(b"%PDF")


def slide_texts(path: Path) -> list[str]:
    deck = Presentation(str(path))
    texts = []
    for slide in deck.slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        texts.append("\n".join(parts))
    return texts


def test_the_deck_is_16_9_with_every_slide_filled(pack):
    folder, result = pack
    deck = Presentation(str(folder / "pack.pptx"))
    assert Emu(deck.slide_width).inches / Emu(deck.slide_height).inches == pytest.approx(16 / 9, abs=0.01)
    assert len(deck.slides) == len(result["slides"]) == 11
    texts = slide_texts(folder / "pack.pptx")
    for text, (title, takeaway) in zip(texts, result["slides"]):
        assert title in text and takeaway in text
        assert "January 2026" in text and "Source:" in text          # month and source on every slide
    pictures = [sum(1 for s in slide.shapes if s.shape_type == 13) for slide in deck.slides]
    assert sum(pictures) == 6                                        # trend, heatmap, gap, scatter, cadence, projects


def test_takeaways_are_computed_from_the_data(pack):
    _, result = pack
    takeaways = dict(result["slides"])
    assert takeaways["Scorecard, January 2026"] == "Alpha moved most: CHI +12.9 points to 70.0."
    assert takeaways["Joint projects: outcomes over 12 months"].startswith(
        "5 joint projects delivered in 12 months: 60% on time, 60% successful, 33% of successful pilots scaled")
    assert "Too few unit-months" in takeaways["Collaboration and margin growth"]


def test_suppressed_groups_stay_suppressed_in_the_pack(pack):
    folder, _ = pack
    scorecard_slide = slide_texts(folder / "pack.pptx")[1]
    lines = scorecard_slide.split("\n")
    beta = lines.index("Beta")
    # Beta's CHI, alignment, cadence, attendance and project rates: no value (its IT group has 3 respondents).
    assert lines[beta + 1: beta + 3] == ["–", "–"]
    alpha = lines.index("Alpha")
    assert lines[alpha + 2] == "–"                                   # Alpha's alignment: the complement


def test_the_pdf_matches_the_deck(pack):
    folder, result = pack
    reader = PdfReader(str(folder / "pack.pdf"))
    assert len(reader.pages) == 11
    for page, (title, takeaway) in zip(reader.pages, result["slides"]):
        text = " ".join(page.extract_text().split())
        assert title in text
        assert takeaway.split(":")[0] in text
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert width / height == pytest.approx(16 / 9, abs=0.01)


def test_boardpack_command(tmp_path):
    db = tmp_path / "fixture.duckdb"
    con = store.connect(db)
    load_fixture(con, tmp_path)
    con.close()
    out = tmp_path / "out" / "pack.pdf"
    result = subprocess.run([sys.executable, "-m", "metrics", "boardpack", "--month", "2026-01", "--out", str(out),
                             "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "11 slides for 2026-01" in result.stdout
    assert out.read_bytes().startswith(b"%PDF")
    wrong = subprocess.run([sys.executable, "-m", "metrics", "boardpack", "--month", "2030-01", "--out",
                            str(tmp_path / "x.pptx"), "--db", str(db)], cwd=ROOT, capture_output=True, text=True)
    assert wrong.returncode == 2 and "no data for 2030-01" in wrong.stderr


# ---- a machine without a browser: one line, within seconds, never a hang ----------------------------------

INSTALL_LINE = ("Chromium is missing: install it with 'sudo apt-get install -y chromium fonts-liberation' "
                "(the board pack's charts are drawn in it).")


def fixture_database(tmp_path) -> Path:
    db = tmp_path / "fixture.duckdb"
    fixture_store(db, tmp_path).close()
    return db


def boardpack_command(db: Path, out: Path, env: dict | None = None, wrap: list[str] | None = None):
    command = [sys.executable, "-m", "metrics", "boardpack", "--month", "2026-01", "--out", str(out), "--db", str(db)]
    started = time.perf_counter()
    result = subprocess.run((wrap or []) + command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **(env or {})})
    return result, time.perf_counter() - started


def test_the_command_prints_one_line_on_success_and_nothing_else(tmp_path, tmp_path_factory):
    db = fixture_database(tmp_path)
    temporary = tmp_path_factory.mktemp("tmp")   # short: Chromium's socket path under TMPDIR has a length limit
    result, _ = boardpack_command(db, tmp_path / "pack.pptx", env={"TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert list(temporary.iterdir()) == []                      # the browser's profile and the charts: gone
    assert result.stderr == ""                                   # no kaleido warning, no log line
    assert len(result.stdout.splitlines()) == 1 and "11 slides for 2026-01" in result.stdout


def test_without_a_browser_the_command_says_what_to_install_within_seconds(tmp_path):
    """The machine as a new one is: no Chromium on PATH nor at /usr/bin/chromium (hidden by a private mount)."""
    db = fixture_database(tmp_path)
    out = tmp_path / "pack.pdf"
    result, seconds = boardpack_command(db, out, env={"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"},
                                        wrap=without_chromium())
    assert result.returncode == 1
    assert result.stderr.splitlines() == [INSTALL_LINE] and result.stdout == ""
    assert seconds < 15 and not out.exists()


def test_a_browser_path_that_is_wrong_or_will_not_start_is_one_line_too(tmp_path, tmp_path_factory):
    db = fixture_database(tmp_path)
    missing, seconds = boardpack_command(db, tmp_path / "a.pdf", env={"BROWSER_PATH": str(tmp_path / "nowhere")})
    assert missing.returncode == 1 and seconds < 15
    assert missing.stderr.splitlines() == [f"No browser at BROWSER_PATH={tmp_path / 'nowhere'}: point it at a Chrome "
                                           "or Chromium, or unset it (the board pack's charts are drawn in it)."]
    temporary = tmp_path_factory.mktemp("tmp")
    broken, seconds = boardpack_command(db, tmp_path / "b.pdf", env={"BROWSER_PATH": shutil.which("false"),
                                                                     "TMPDIR": str(temporary)})
    assert broken.returncode == 1 and seconds < 60 and broken.stdout == ""
    assert list(temporary.iterdir()) == []                      # a failed build leaves nothing either
    assert broken.stderr.splitlines() == [f"The browser at {shutil.which('false')} did not start: reinstall Chromium "
                                          "('sudo apt-get install -y chromium fonts-liberation') or set BROWSER_PATH "
                                          "to a Chrome or Chromium that runs."]
    assert not (tmp_path / "a.pdf").exists() and not (tmp_path / "b.pdf").exists()


def test_the_board_pack_page_says_so_in_words_and_offers_no_build(fixture_db, monkeypatch, tmp_path):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "nowhere"))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/boardpack.py").run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert errors == ["The pack cannot be built on this server: its charts are drawn by a browser, and the server "
                      f"has none. No browser at BROWSER_PATH={tmp_path / 'nowhere'}: point it at a Chrome or Chromium, "
                      "or unset it (the board pack's charts are drawn in it). The preview above needs no browser."]
    assert at.button(key="boardpack_build").disabled
    assert len(at.dataframe[0].value) == 11                      # the preview still works


def test_a_build_whose_browser_fails_says_why_on_the_page(fixture_db, monkeypatch, tmp_path_factory):
    """The browser is found when the page is drawn but fails when the pack is built: an error, not a traceback,
    and nothing left in the temporary folder."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    at.switch_page("pages/boardpack.py").run()
    monkeypatch.setenv("BROWSER_PATH", shutil.which("false"))
    temporary = tmp_path_factory.mktemp("tmp")
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    at.session_state["month"] = "2026-01"   # AppTest keeps the sidebar's month for one switch_page, not after it
    at.button(key="boardpack_build").click().run(timeout=90)
    assert not at.exception, at.exception
    assert at.title[0].value == "Board pack · January 2026"
    assert [e.value for e in at.error][-1].startswith(f"The pack was not built: The browser at {shutil.which('false')} "
                                                      "did not start")
    assert "boardpack_files" not in at.session_state
    assert list(temporary.iterdir()) == []


def test_chart_images_are_drawn_from_a_thread_whose_event_loop_is_running():
    """As under Playwright's sync API or any asyncio caller: the drawing has a loop of its own."""
    import asyncio

    import plotly.graph_objects as go

    from metrics.charts import images

    async def caller():
        return images.draw_pngs([lambda: go.Figure(go.Bar(y=[1, 2]))], 300, 200, 2)

    # On a thread of its own: in the full suite this thread's loop is Playwright's, already running.
    drawn = []
    worker = threading.Thread(target=lambda: drawn.extend(asyncio.run(caller())))
    worker.start()
    worker.join(120)
    (png,) = drawn
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == 600   # width x scale
