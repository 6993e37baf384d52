"""The board pack written as PowerPoint (python-pptx): one slide a Slide, its chart image, table or notes."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import metrics.boardpack.notes as notes_layout
from metrics.boardpack.slides import (
    IMAGE_BOTTOM, NOTE_COLUMNS, NOTE_HEADING, NOTE_TOP, NOTE_WIDTH, SLIDE_H, SLIDE_W, Slide, footer, image_box, shown,
)
from metrics.charts import DEPARTMENT_COLOURS
from metrics.scorecard import month_label


def write_pptx(slides: list[Slide], month: str, path: str | Path, as_of: date) -> None:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    blank = deck.slide_layouts[6]
    label = month_label(month)

    def text(slide, x, y, w, h, value, size, bold=False, colour="222222"):
        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        frame = box.text_frame
        frame.word_wrap = True
        run = frame.paragraphs[0].add_run()
        run.text = value
        run.font.size, run.font.bold = Pt(size), bold
        run.font.color.rgb = RGBColor.from_string(colour)
        return box

    for number, content in enumerate(slides, start=1):
        slide = deck.slides.add_slide(blank)
        if number == 1:
            text(slide, 0.8, 2.2, 11.7, 1.2, content.title, 40, bold=True)
            text(slide, 0.8, 3.4, 11.7, 0.6, content.subtitle, 24, colour="555555")
            text(slide, 0.8, 4.4, 11.7, 1.0, content.takeaway, 20)
        else:
            text(slide, 0.5, 0.3, 12.3, 0.7, content.title, 28, bold=True)
            text(slide, 0.5, 0.95, 12.3, 0.75, content.takeaway, 16, colour="0072B2")
            if content.image is not None:
                x, y, w, h = image_box()
                slide.shapes.add_picture(io.BytesIO(content.image), Inches(x), Inches(y), Inches(w), Inches(h))
            elif content.table is not None:
                _pptx_table(slide, content, Inches, Pt, RGBColor)
            elif content.notes is not None:
                _pptx_notes(slide, content, text)
            if content.subtitle:
                text(slide, 0.5, 6.55, 12.3, 0.4, content.subtitle, 11, colour="555555")
        text(slide, 0.5, 6.95, 12.3, 0.4, footer(label, as_of, number, len(slides)), 10, colour="777777")
        slide.notes_slide.notes_text_frame.text = content.takeaway
    deck.save(str(path))


def _pptx_notes(slide, content: Slide, text) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches

    room = (IMAGE_BOTTOM - NOTE_TOP) * 72
    fitted = notes_layout.fit([note.blocks for note in content.notes], NOTE_WIDTH * 72, room)
    for note, column, body in zip(content.notes, NOTE_COLUMNS, fitted):
        left = column + 0.1   # where the deck's other text starts: its text boxes' inset
        text(slide, column, NOTE_HEADING, NOTE_WIDTH + 0.2, 0.45, note.heading, 18, bold=True)
        rule = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(left), Inches(NOTE_TOP - 0.14),
                                      Inches(NOTE_WIDTH), Inches(0.05))
        rule.fill.solid()
        rule.fill.fore_color.rgb = RGBColor.from_string(DEPARTMENT_COLOURS[note.side].lstrip("#"))
        rule.line.fill.background()
        rule.shadow.inherit = False
        notes_layout.draw_pptx(slide, body, left, NOTE_TOP, NOTE_WIDTH * 72, room)


def _pptx_table(slide, content: Slide, Inches, Pt, RGBColor) -> None:
    frame = content.table
    rows, cols = len(frame) + 1, len(frame.columns)
    height = min(4.8, IMAGE_BOTTOM + 0.1 - content.table_top, 0.4 * rows)
    if content.row_heights:
        height = sum(content.row_heights)
    shape = slide.shapes.add_table(rows, cols, Inches(0.5), Inches(content.table_top), Inches(12.3),
                                   Inches(height))
    table = shape.table
    for row, row_height in zip(table.rows, content.row_heights or []):
        row.height = Inches(row_height)
    wide = "Definition" in frame.columns
    size = content.font_size
    # Cells clipped to one line for their column widths were measured in Helvetica: drawn in Arial, which has its
    # widths, they stay on one line in PowerPoint too (the theme's font may be wider where it is substituted).
    font = notes_layout.PPTX_FONT if content.column_widths else None
    for j, heading in enumerate(frame.columns):
        table.columns[j].width = Inches(content.column_widths[j] if content.column_widths else
                                        6.3 if wide and heading == "Definition" else (12.3 - 6.3) / (cols - 1)
                                        if wide else 12.3 / cols)
        _cell(table.cell(0, j), shown(heading), Pt(size or (12 if not wide else 11)), True, "FFFFFF", "333333",
              RGBColor, font)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            fill = (content.tints[i - 1][j] if content.tints else "#FFFFFF").lstrip("#")
            _cell(table.cell(i, j), shown(value), Pt(size or (12 if not wide else 9)),
                  j == 0 and content.first_column_bold, fill, "222222", RGBColor, font)


def _cell(cell, value, size, bold, fill, colour, RGBColor, font: str | None = None) -> None:
    from pptx.enum.text import MSO_ANCHOR

    cell.text = value   # a line break in the value is a paragraph of its own
    cell.vertical_anchor = MSO_ANCHOR.MIDDLE
    for paragraph in cell.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size, run.font.bold = size, bold
            run.font.color.rgb = RGBColor.from_string(colour)
            if font:
                run.font.name = font
    cell.fill.solid()
    cell.fill.fore_color.rgb = RGBColor.from_string(fill)
