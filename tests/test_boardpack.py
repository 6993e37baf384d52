"""The board pack: slides from the data, written as PowerPoint and PDF, suppression kept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from metrics import boardpack, store
from tests.conftest import load_fixture

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pack")
    con = store.connect(":memory:")
    load_fixture(con, folder)
    result = boardpack.build_pack(con, "2026-01", pptx_path=folder / "pack.pptx", pdf_path=folder / "pack.pdf")
    con.close()
    return folder, result


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
    assert len(deck.slides) == len(result["slides"]) == 9
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
    assert len(reader.pages) == 9
    for page, (title, takeaway) in zip(reader.pages, result["slides"]):
        text = " ".join(page.extract_text().split())
        assert title in text
        assert takeaway.split(":")[0] in text
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert width / height == pytest.approx(16 / 9, abs=0.01)


def test_boardpack_command(tmp_path):
    db = tmp_path / "fixture.duckdb"
    con = store.connect(db, load_sample=False)
    load_fixture(con, tmp_path)
    con.close()
    out = tmp_path / "out" / "pack.pdf"
    result = subprocess.run([sys.executable, "-m", "metrics", "boardpack", "--month", "2026-01", "--out", str(out),
                             "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "9 slides for 2026-01" in result.stdout
    assert out.read_bytes().startswith(b"%PDF")
    wrong = subprocess.run([sys.executable, "-m", "metrics", "boardpack", "--month", "2030-01", "--out",
                            str(tmp_path / "x.pptx"), "--db", str(db)], cwd=ROOT, capture_output=True, text=True)
    assert wrong.returncode == 2 and "no data for 2030-01" in wrong.stderr
