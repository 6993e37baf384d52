"""Every page in a real browser: it renders without an exception, its charts draw, nothing overflows at
1920×1080 or 1366×768; the shared filters, an upload seen on the Scorecard, and the board-pack downloads."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from metrics.scorecard import month_label

from .conftest import (DESKTOP, LAPTOP, ROOT, chart_counts, choose, dataframe_first_column, full_page_screenshot,
                       go_to, has_page, horizontal_overflow, metric_value, page_title, set_viewport, settle, sidebar)

pytestmark = pytest.mark.timeout(300)

BOARD_PACK = "Board pack"
NO_BOARD_PACK = "the sidebar has no Board pack page yet (pages/boardpack.py is still to come)"
NEWEST = "{newest}"  # replaced by the newest month's label in the sample data


# (sidebar link, expected h1, at least this many charts)
PAGES = [
    ("Scorecard", f"Collaboration scorecard · {NEWEST}", 2),
    ("Review", f"Monthly review · {NEWEST}", 1),
    ("Alignment", f"Alignment · {NEWEST}", 6),
    ("Collaboration and results", "Collaboration and results", 4),
    ("Meetings", f"Joint meetings · {NEWEST}", 2),
    ("Joint projects", f"Joint projects · {NEWEST}", 2),
    ("Data", "Data", 0),
    (BOARD_PACK, re.compile(r"board pack", re.IGNORECASE), 0),
    ("Definitions", "Definitions", 0),
]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.mark.parametrize(("link", "title", "min_charts"), PAGES, ids=[slug(p[0]) for p in PAGES])
def test_page_renders_and_fits(page, newest_month, link, title, min_charts):
    if link == BOARD_PACK and not has_page(page, BOARD_PACK):
        pytest.skip(NO_BOARD_PACK)
    go_to(page, link)
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()
    expect(page_title(page)).to_have_text(title.replace(NEWEST, month_label(newest_month))
                                          if isinstance(title, str) else title)

    overflows = {}
    for size in (DESKTOP, LAPTOP):
        resolution = f"{size['width']}x{size['height']}"
        if page.viewport_size != size:
            set_viewport(page, size)
        charts, drawn = chart_counts(page)
        assert drawn == charts, f"{drawn} of {charts} charts drawn at {resolution}"
        assert charts >= min_charts, f"{charts} charts at {resolution}, expected at least {min_charts}"
        overflows[resolution] = horizontal_overflow(page)
        full_page_screenshot(page, f"{slug(link)}-{resolution}")
    assert all(pixels <= 1 for pixels in overflows.values()), f"stMain overflows horizontally by {overflows} px"


def test_the_month_filter_is_kept_across_pages(page, sample_months):
    expect(page_title(page)).to_have_text(f"Collaboration scorecard · {month_label(sample_months[-1])}")
    earlier = month_label(sample_months[-2])
    choose(page, "Month", earlier, within=sidebar(page))
    expect(page_title(page)).to_have_text(f"Collaboration scorecard · {earlier}")
    go_to(page, "Alignment")
    expect(page_title(page)).to_have_text(f"Alignment · {earlier}")
    assert sidebar(page).get_by_role("combobox", name="Month", exact=True).input_value() == earlier


def zeta_survey(directory: Path, month: str) -> Path:
    """12 marketing and 12 IT responses for business unit Zeta, all top answers, in the native layout."""
    with open(ROOT / "sample_data" / "survey_items.csv", encoding="utf-8") as items_file:
        items = [row["item_id"] for row in csv.DictReader(items_file)]
    path = directory / "zeta_survey.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["response_id", "submitted_at", "business_unit", "department", "role", *items, "comment"])
        for n in range(24):
            department = "marketing" if n < 12 else "it"
            answers = ["10" if item == "partner_nps" else "5" for item in items]
            writer.writerow([f"ZETA-{n + 1:03d}", f"{month}-{n % 12 + 10:02d} 10:00:00", "Zeta", department,
                             "staff", *answers, ""])
    return path


def test_an_uploaded_survey_shows_on_the_scorecard(scratch_page, newest_month, tmp_path):
    page = scratch_page
    alignment_before = metric_value(page, "Alignment")
    assert "Zeta" not in dataframe_first_column(page)

    go_to(page, "Data")
    uploader = page.locator('[data-testid="stFileUploader"]')
    uploader.locator('input[type="file"]').set_input_files(str(zeta_survey(tmp_path, newest_month)))
    rows_read = page.locator('[data-testid="stMetric"]').filter(has_text="Rows read")
    expect(rows_read.locator('[data-testid="stMetricValue"]')).to_have_text("24", timeout=30_000)
    settle(page)
    assert metric_value(page, "Problems") == "0"
    page.get_by_role("button", name="Import 24 rows", exact=True).click()
    success = page.locator('[data-testid="stAlertContentSuccess"]')
    expect(success).to_contain_text("Imported 24 rows from zeta_survey.csv", timeout=60_000)
    settle(page)

    go_to(page, "Scorecard")
    expect(page_title(page)).to_have_text(f"Collaboration scorecard · {month_label(newest_month)}")
    units = dataframe_first_column(page)
    if units:
        assert "Zeta" in units
    else:  # the grid is a canvas: fall back on the unit filter's options
        sidebar(page).get_by_role("combobox", name="Business unit", exact=True).click()
        expect(page.get_by_role("option", name="Zeta", exact=True)).to_be_visible()
        page.keyboard.press("Escape")
    # Two dozen top-scoring responses can only raise the company alignment index.
    alignment_after = metric_value(page, "Alignment")
    assert float(alignment_after) > float(alignment_before), (alignment_before, alignment_after)


def _download(page, label: str, directory: Path) -> Path:
    button = page.get_by_role("button", name=label, exact=True)
    if not button.count():  # the download buttons are gone after a rerun: build again
        page.get_by_role("button", name="Build board pack", exact=True).click()
    expect(button).to_be_visible(timeout=120_000)
    expect(button).to_be_enabled(timeout=120_000)
    with page.expect_download(timeout=60_000) as started:
        button.click()
    download = started.value
    path = directory / download.suggested_filename
    download.save_as(path)
    settle(page)
    return path


def pdf_pages(data: bytes) -> int:
    try:
        import io

        from pypdf import PdfReader
    except ImportError:
        return len(re.findall(rb"/Type\s*/Page(?!s)", data))
    return len(PdfReader(io.BytesIO(data)).pages)


def test_board_pack_downloads(page, tmp_path):
    if not has_page(page, BOARD_PACK):
        pytest.skip(NO_BOARD_PACK)
    from pptx import Presentation

    go_to(page, BOARD_PACK)
    page.get_by_role("button", name="Build board pack", exact=True).click()
    expect(page.get_by_role("button", name="Download PowerPoint (.pptx)", exact=True)).to_be_visible(timeout=120_000)
    settle(page, timeout_ms=120_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    full_page_screenshot(page, "board-pack-built-1920x1080")

    pptx_path = _download(page, "Download PowerPoint (.pptx)", tmp_path)
    deck = Presentation(str(pptx_path))
    slides = list(deck.slides)
    assert len(slides) >= 8
    for number, slide in enumerate(slides, start=1):
        assert any(shape.has_text_frame and shape.text_frame.text.strip() for shape in slide.shapes), \
            f"slide {number} has no text"
    assert deck.slide_width * 9 == pytest.approx(deck.slide_height * 16, rel=0.01), \
        (deck.slide_width, deck.slide_height)

    pdf = _download(page, "Download PDF", tmp_path).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) >= 8


def test_presentation_mode_gives_a_clean_page(page):
    settle(page)
    assert sidebar(page).is_visible()
    page.get_by_text("Presentation mode").click()
    settle(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.locator('[data-testid="stHeader"]')).to_be_hidden()
    assert page.locator(".modebar-container:visible").count() == 0
    assert chart_counts(page)[0] >= 2                     # the charts are still there
    full_page_screenshot(page, "scorecard-presentation-1920x1080")
    page.get_by_role("button", name="Exit presentation mode").click()
    settle(page)
    expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
