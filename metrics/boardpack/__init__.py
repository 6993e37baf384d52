"""The board pack: the month's story as 16:9 slides (slides), written as PowerPoint (powerpoint, python-pptx) and
PDF (pdf, reportlab) from the same slides and the same chart images (kaleido, one browser for the whole pack).

- markdown: a leader's note read as Markdown into blocks (headings, paragraphs, lists)
- notes: those blocks fitted into a column and drawn, in both formats
- slides: the slides, from the same reads as the pages, and where things go on a slide
- powerpoint, pdf: the two writers

This package's namespace is the pack's interface (`boardpack.build_pack`, `boardpack.pack_files`, ...)."""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import plotly.graph_objects as go

from metrics.boardpack.pdf import write_pdf
from metrics.boardpack.powerpoint import write_pptx
from metrics.boardpack.slides import (  # noqa: F401
    ACTION_FONT, ACTION_WIDTHS, IMAGE_BOTTOM, IMAGE_H, IMAGE_SCALE, IMAGE_W, NOTE_COLUMNS, NOTE_TOP, NOTE_WIDTH,
    SLIDE_H, SLIDE_W, STATUS_TINTS, Progress, Slide, build_slides,
)
from metrics.charts import images


def render_images(slides: list[Slide], progress: Progress | None = None) -> None:
    """PNG of every slide's chart, with one Chromium for the whole pack. Raises images.ImagesUnavailable, before
    drawing anything, on a machine whose browser is missing or will not start."""
    charts = [s for s in slides if s.figure is not None]

    def sized(slide: Slide) -> Callable[[], go.Figure]:
        return lambda: go.Figure(slide.figure()).update_layout(width=IMAGE_W, height=IMAGE_H)

    def drawing(number: int, total: int) -> None:
        if progress:
            progress(0.1 + 0.7 * number / total, f"Drawing chart {number + 1} of {total}: {charts[number].title}")

    drawn = images.draw_pngs([sized(s) for s in charts], IMAGE_W, IMAGE_H, IMAGE_SCALE, drawing)
    for slide, image in zip(charts, drawn):
        slide.image = image


def build_pack(con: duckdb.DuckDBPyConnection, month: str, *, pptx_path: str | Path | None = None,
               pdf_path: str | Path | None = None, company: str | None = None,
               progress: Progress | None = None) -> dict:
    """Build the month's pack into the given files; returns the slides' titles and takeaways and the seconds taken."""
    started = time.perf_counter()
    images.require_browser()  # before a second is spent on figures that could not be drawn
    if progress:
        progress(0.02, "Computing the month's figures")
    slides = build_slides(con, month, company)
    render_images(slides, progress)
    as_of = date.today()
    if pptx_path:
        if progress:
            progress(0.85, "Writing PowerPoint")
        write_pptx(slides, month, pptx_path, as_of)
    if pdf_path:
        if progress:
            progress(0.93, "Writing PDF")
        write_pdf(slides, month, pdf_path, as_of)
    if progress:
        progress(1.0, "Done")
    return {"slides": [(s.title, s.takeaway) for s in slides], "seconds": time.perf_counter() - started}


def pack_files(con: duckdb.DuckDBPyConnection, month: str, *, company: str | None = None,
               progress: Progress | None = None) -> dict:
    """The month's pack as bytes to download (the Board pack page): build_pack's result with "pptx" and "pdf"
    bytes and their file "names". The files are written in a temporary folder that is removed before this
    returns, whether the build worked or failed, so a server that builds packs all year keeps none of them."""
    names = (f"collaboration-health-{month}.pptx", f"collaboration-health-{month}.pdf")
    with tempfile.TemporaryDirectory(prefix="boardpack-") as folder:
        pptx, pdf = (Path(folder) / name for name in names)
        result = build_pack(con, month, pptx_path=pptx, pdf_path=pdf, company=company, progress=progress)
        return {**result, "month": month, "pptx": pptx.read_bytes(), "pdf": pdf.read_bytes(), "names": names}


def slide_outline(con: duckdb.DuckDBPyConnection, month: str) -> pd.DataFrame:
    """The pack's slides (number, title, takeaway) without drawing anything: the Board pack page's preview."""
    slides = build_slides(con, month)
    return pd.DataFrame([(i, s.title, s.takeaway) for i, s in enumerate(slides, start=1)],
                        columns=["slide", "title", "takeaway"])
