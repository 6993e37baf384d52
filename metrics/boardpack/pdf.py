"""The board pack written as PDF (reportlab): the same slides as the PowerPoint, one 16:9 page a slide."""

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


def write_pdf(slides: list[Slide], month: str, path: str | Path, as_of: date) -> None:
    """The same slides as a 16:9 PDF, one page a slide."""
    from reportlab.lib import colors
    from reportlab.lib.units import inch
    from reportlab.lib.utils import ImageReader, simpleSplit
    from reportlab.pdfgen import canvas
    from reportlab.platypus import Table, TableStyle

    width, height = SLIDE_W * inch, SLIDE_H * inch
    pdf = canvas.Canvas(str(path), pagesize=(width, height))
    pdf.setTitle(f"Collaboration Health board pack, {month_label(month)}")
    label = month_label(month)

    def line(x, y, value, size, font="Helvetica", colour="#222222", max_width=12.3 * inch):
        pdf.setFont(font, size)
        pdf.setFillColor(colors.HexColor(colour))
        # reportlab's greedy word wrap, as the tables' cells use (_lines). A line break in the value is a space,
        # as every run of whitespace is (simpleSplit alone would break the line there).
        lines = simpleSplit(" ".join(value.split()), font, size, max_width) or [""]
        for k, text_line in enumerate(lines):
            pdf.drawString(x, y - k * size * 1.25, text_line)

    for number, content in enumerate(slides, start=1):
        if number == 1:
            line(0.8 * inch, height - 2.9 * inch, content.title, 40, "Helvetica-Bold")
            line(0.8 * inch, height - 3.8 * inch, content.subtitle, 24, colour="#555555")
            line(0.8 * inch, height - 4.8 * inch, content.takeaway, 20)
        else:
            line(0.5 * inch, height - 0.75 * inch, content.title, 28, "Helvetica-Bold")
            line(0.5 * inch, height - 1.25 * inch, content.takeaway, 16, colour="#0072B2")
            if content.image is not None:
                x, y, w, h = image_box()
                pdf.drawImage(ImageReader(io.BytesIO(content.image)), x * inch, height - (y + h) * inch,
                              width=w * inch, height=h * inch)
            elif content.table is not None:
                _pdf_table(pdf, content, width, height, inch, colors, Table, TableStyle)
            elif content.notes is not None:
                _pdf_notes(pdf, content, height, line)
            if content.subtitle:
                line(0.5 * inch, 0.85 * inch, content.subtitle, 11, colour="#555555")
        line(0.5 * inch, 0.4 * inch, footer(label, as_of, number, len(slides)), 10, colour="#777777")
        pdf.showPage()
    pdf.save()


def _pdf_notes(pdf, content: Slide, height, line) -> None:
    from reportlab.lib import colors

    room = (IMAGE_BOTTOM - NOTE_TOP) * 72
    fitted = notes_layout.fit([note.blocks for note in content.notes], NOTE_WIDTH * 72, room)
    for note, left, body in zip(content.notes, NOTE_COLUMNS, fitted):
        line(left * 72, height - (NOTE_HEADING + 0.3) * 72, note.heading, 18, "Helvetica-Bold")
        pdf.setFillColor(colors.HexColor(DEPARTMENT_COLOURS[note.side]))
        pdf.rect(left * 72, height - (NOTE_TOP - 0.09) * 72, NOTE_WIDTH * 72, 0.05 * 72, stroke=0, fill=1)
        notes_layout.draw_pdf(pdf, body, left * 72, height - NOTE_TOP * 72, NOTE_WIDTH * 72, room)


def _pdf_table(pdf, content: Slide, width, height, inch, colors, Table, TableStyle) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    frame = content.table
    wide = "Definition" in frame.columns
    size = content.font_size or (8.5 if wide else 12)
    style = getSampleStyleSheet()["BodyText"]
    style.fontSize, style.leading = (8.5, 10) if wide else (size, size * 1.2)
    # Paragraph cells read markup: the text is escaped, so a "<" or "&" in it is shown, not obeyed.
    data = [list(map(shown, frame.columns))] + [
        [Paragraph(escape(shown(v)), style) if wide else shown(v) for v in row]
        for row in frame.itertuples(index=False)]
    cols = len(frame.columns)
    widths = ([w * inch for w in content.column_widths] if content.column_widths
              else [2.2 * inch, 7.6 * inch, 1.3 * inch, 1.2 * inch] if wide else [12.3 * inch / cols] * cols)
    padding = 3 if wide else 7 if content.font_size is None else 4
    table = Table(data, colWidths=widths)
    commands = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#333333")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white), ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), size), ("GRID", (0, 0), (-1, -1), 0.5, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), padding), ("BOTTOMPADDING", (0, 0), (-1, -1), padding)]
    if content.first_column_bold:
        commands.append(("FONTNAME", (0, 1), (0, -1), "Helvetica-Bold"))
    for i, tints in enumerate(content.tints or [], start=1):
        for j, tint in enumerate(tints):
            commands.append(("BACKGROUND", (j, i), (j, i), colors.HexColor(tint)))
    table.setStyle(TableStyle(commands))
    _, table_h = table.wrap(12.3 * inch, 5 * inch)
    table.drawOn(pdf, 0.5 * inch, height - content.table_top * inch - table_h)
