"""The leaders' notes on a board-pack slide: Markdown blocks fitted to a column and drawn in PowerPoint and PDF.

The fit is worked out once, with reportlab's metrics for Helvetica, and both files draw with those metrics: the
PDF in Helvetica, the PowerPoint in Arial (Helvetica's widths, on every system; Liberation Sans where Arial is
missing), with the same indents, line spacing and paragraph spacing set in points, no autofit and no inner
margins. So what fits the PDF's column fits the PowerPoint's text box, and both are cut at the same word.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from metrics import personal
from metrics.boardpack.markdown import Block, Run, cut, cut_points, parse
from metrics.printable import printable

SIZES = (14.0, 13.0, 12.0, 11.5, 11.0, 10.5)   # points, tried largest first; the last is the floor
LEADING = 1.25                                 # line height / font size
FULL_NOTE = "The full note is on the Review page."
TEXT, MUTED = "#222222", "#666666"
FONTS = {(False, False): "Helvetica", (True, False): "Helvetica-Bold", (False, True): "Helvetica-Oblique",
         (True, True): "Helvetica-BoldOblique"}
MONO = "Courier"
PPTX_FONT, PPTX_MONO = "Arial", "Courier New"  # Helvetica's and Courier's metrics


@dataclass(frozen=True)
class Line:
    """One block as drawn: its runs, and its size, spacing and indents in points."""
    block: Block
    size: float
    leading: float
    space_before: float
    indent: float          # where the text starts, from the column's left edge
    bullet_at: float       # where an item's marker starts
    colour: str


@dataclass(frozen=True)
class FittedNote:
    lines: list[Line]
    size: float
    cut: bool              # the note was cut short (and ends with FULL_NOTE)


def note_blocks(text: str | None, missing: str) -> list[Block]:
    """A stored note as blocks: masked (as it was on import) and with any control character made visible, line
    by line so that its line breaks still shape the Markdown. No note, or a blank one, is the `missing` line."""
    if text is None or not str(text).strip():
        return [Block("aside", (Run(missing, italic=True),))]
    lines = str(personal.masked(str(text))).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks = parse("\n".join(printable(line.replace("\t", "    ")) for line in lines))
    return blocks or [Block("aside", (Run(missing, italic=True),))]


def _line(block: Block, size: float, first: bool, after_code: bool = False) -> Line:
    colour = MUTED if block.kind in ("quote", "aside") else TEXT
    if block.kind == "heading":
        drawn = size * (1.15 if block.level == 1 else 1.0)
        return Line(block, drawn, drawn * LEADING, 0 if first else size * 0.7, 0, 0, colour)
    if block.kind == "item":
        indent = size * (1.3 + 1.2 * block.level)
        return Line(block, size, size * LEADING, 0 if first else size * 0.25, indent, indent - size * 1.1, colour)
    if block.kind == "code":   # a code block's lines sit together, apart from what is around them
        return Line(block, size * 0.9, size * 0.9 * LEADING, 0 if first else size * (0.1 if after_code else 0.5),
                    size * 0.6, 0, colour)
    indent = size if block.kind == "quote" else 0
    return Line(block, size, size * LEADING, 0 if first else size * 0.5, indent, 0, colour)


def lines_at(blocks: list[Block], size: float) -> list[Line]:
    return [_line(block, size, k == 0, k > 0 and blocks[k - 1].kind == "code") for k, block in enumerate(blocks)]


def markup(line: Line) -> str:
    """A line's runs as reportlab paragraph markup; the text itself escaped, so "<font>" or "&" is shown as typed
    and cannot act as markup."""
    parts = []
    for run in line.block.runs:
        text = escape(run.text)
        if run.code:
            text = f'<font face="{MONO}">{text}</font>'
        bold = run.bold or line.block.kind == "heading"
        italic = run.italic or line.block.kind == "quote"
        if italic:
            text = f"<i>{text}</i>"
        if bold:
            text = f"<b>{text}</b>"
        parts.append(text)
    return "".join(parts)


def paragraphs(lines: list[Line]):
    """The lines as reportlab Paragraphs, styled as both files draw them."""
    from reportlab.lib.colors import HexColor
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    drawn = []
    for line in lines:
        style = ParagraphStyle("note", fontName=FONTS[(False, False)], fontSize=line.size, leading=line.leading,
                               spaceBefore=line.space_before, spaceAfter=0, leftIndent=line.indent,
                               bulletIndent=line.bullet_at, bulletFontName=FONTS[(False, False)],
                               bulletFontSize=line.size, textColor=HexColor(line.colour), splitLongWords=1)
        bullet = line.block.marker if line.block.kind == "item" else None
        drawn.append(Paragraph(markup(line), style, bulletText=bullet))
    return drawn


def height(lines: list[Line], width: float) -> float:
    """The height in points of the lines set in a column `width` points wide."""
    total = 0.0
    for line, paragraph in zip(lines, paragraphs(lines)):
        total += line.space_before + paragraph.wrap(width, 1e6)[1]
    return total


def _with_full_note_line(blocks: list[Block]) -> list[Block]:
    return [*blocks, Block("aside", (Run(FULL_NOTE, italic=True),))]


def fit(notes: list[list[Block]], width: float, room: float) -> list[FittedNote]:
    """The notes set side by side in columns `width` x `room` points, at one size for all: the largest of SIZES
    at which every note fits whole. Below the floor a note is not shrunk further but cut at the last word boundary
    that leaves room for an ellipsis and FULL_NOTE's line."""
    def spare(size: float) -> float:
        # A line in hand: PowerPoint breaks a line where reportlab would not now and then (a word longer than the
        # column, a hyphen), and a note that overflowed its box would run into the subtitle.
        return room - size * LEADING

    for size in SIZES:
        if all(height(lines_at(blocks, size), width) <= spare(size) for blocks in notes):
            return [FittedNote(lines_at(blocks, size), size, False) for blocks in notes]
    size = SIZES[-1]
    room = spare(size)
    fitted = []
    for blocks in notes:
        if height(lines_at(blocks, size), width) <= room:
            fitted.append(FittedNote(lines_at(blocks, size), size, False))
            continue
        points = cut_points(blocks)
        low, high = 0, len(points) - 1          # the most text that fits: points[low] fits (or nothing does)
        while low < high:
            middle = (low + high + 1) // 2
            if height(lines_at(_with_full_note_line(cut(blocks, points[middle])), size), width) <= room:
                low = middle
            else:
                high = middle - 1
        fitted.append(FittedNote(lines_at(_with_full_note_line(cut(blocks, points[low])), size), size, True))
    return fitted


# ----------------------------------------------------------------------------------------------------------
# Drawing


def draw_pdf(pdf, note: FittedNote, x: float, y_top: float, width: float, room: float) -> None:
    """The fitted note in a reportlab frame whose top left corner is (x, y_top), in points from the page's
    bottom left."""
    from reportlab.platypus import Frame

    frame = Frame(x, y_top - room, width, room, leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
                  showBoundary=0)
    frame.addFromList(paragraphs(note.lines), pdf)


def draw_pptx(slide, note: FittedNote, x: float, y: float, width: float, room: float) -> None:
    """The fitted note in a text box at (x, y) inches, `width` x `room` points: one paragraph a block, its runs
    bold or italic as written, items as bulleted (or numbered) paragraphs at their level with a hanging indent."""
    from lxml import etree
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE
    from pptx.oxml.ns import qn
    from pptx.util import Inches, Pt

    box = slide.shapes.add_textbox(Inches(x), Inches(y), Pt(width), Pt(room))
    frame = box.text_frame
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.NONE
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = frame.margin_top = frame.margin_bottom = 0
    for k, line in enumerate(note.lines):
        paragraph = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        paragraph.line_spacing = Pt(line.leading)
        paragraph.space_before = Pt(line.space_before)
        paragraph.space_after = Pt(0)
        properties = paragraph._p.get_or_add_pPr()
        properties.set("marL", str(Pt(line.indent)))
        properties.set("indent", str(Pt(line.bullet_at - line.indent) if line.block.kind == "item" else 0))
        if line.block.kind == "item":
            paragraph.level = min(line.block.level, 8)
            etree.SubElement(properties, qn("a:buFont")).set("typeface", PPTX_FONT)
            if line.block.marker == "•":
                etree.SubElement(properties, qn("a:buChar")).set("char", "•")
            else:
                number = etree.SubElement(properties, qn("a:buAutoNum"))
                number.set("type", "arabicPeriod")
                # the schema allows 1..32767: a list numbered from 0 or 40000 would make PowerPoint repair the file
                digits = "".join(ch for ch in line.block.marker if ch.isdigit())[:6] or "1"
                number.set("startAt", str(min(max(int(digits), 1), 32767)))
        else:
            etree.SubElement(properties, qn("a:buNone"))
        for part in line.block.runs:
            run = paragraph.add_run()
            run.text = part.text
            font = run.font
            font.size = Pt(line.size)
            font.name = PPTX_MONO if part.code else PPTX_FONT
            font.bold = part.bold or line.block.kind == "heading"
            font.italic = part.italic or line.block.kind == "quote"
            font.color.rgb = RGBColor.from_string(line.colour.lstrip("#"))
