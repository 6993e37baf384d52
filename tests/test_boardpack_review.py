"""The board pack's review slides: the CMO's and the CIO's notes (Markdown drawn as such, fitted to their columns)
and the actions with their effect, in the PowerPoint and in the PDF, on the fixture store with a month of notes
and fourteen actions added here."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.oxml.ns import qn
from pptx.util import Emu
from pypdf import PdfReader

from metrics import boardpack, ingest, review, review_edits, store
from metrics.boardpack import notes as boardpack_notes
from metrics.boardpack.markdown import ELLIPSIS, Block, Run, parse, plain_text
from tests.conftest import load_fixture

MONTH, LABEL = "2026-01", "January 2026"
NOTES_TITLE, ACTIONS_TITLE = "What the CMO and the CIO say", "Actions and their effect"

# November 2025 respondents, so that actions starting in December with a one-month window have a before and an
# after (the fixture's survey has December and January): (unit, department, answers to comm_vocabulary,
# comm_unheard, partner_strategic, partner_nps), one respondent each.
NOVEMBER = [("Alpha", "marketing", a) for a in ((2, 4, 2, 5), (3, 3, 2, 6), (2, 3, 3, 7), (1, 4, 2, 4),
                                                (3, 2, 3, 6), (2, 4, 1, 5))]
NOVEMBER += [("Alpha", "it", a) for a in ((3, 3, 3, 7), (2, 4, 2, 5), (4, 2, 3, 8), (3, 3, 2, 6), (2, 3, 3, 6),
                                          (3, 4, 2, 5))]
NOVEMBER += [("Gamma", "marketing", a) for a in ((3, 3, 3, 7), (4, 2, 3, 8), (2, 4, 2, 5), (3, 3, 4, 7),
                                                 (3, 2, 3, 6), (4, 3, 3, 8))]
NOVEMBER += [("Gamma", "it", a) for a in ((2, 4, 3, 5), (3, 3, 2, 6), (3, 4, 3, 6), (2, 3, 2, 5), (4, 3, 3, 7),
                                          (3, 3, 3, 6))]
NOVEMBER += [("Beta", "marketing", a) for a in ((3, 3, 3, 7), (2, 4, 2, 5), (4, 2, 3, 8))]   # 3: under 5

# The fixture's three actions and eleven more: fourteen on January's review.
ACTIONS = [
    ("A-4", "Gamma", "Customer glossary workshop for both teams", "Marketing operations", "communication",
     "2025-12", "2026-02-28", "in_progress", 1),
    ("A-5", "", "Company-wide joint planning calendar", "Both leadership teams", "alignment_index", "2025-12",
     "2026-01-15", "in_progress", 1),
    ("A-6", "Alpha", "Pair every campaign with an IT partner", "Head of IT", "partnership", "2025-12",
     "2026-03-31", "done", 1),
    ("A-7", "Beta", "Shadow-IT amnesty and tool register", "CIO office", "communication", "2025-12", "2026-01-20",
     "planned", 1),
    ("A-8", "Gamma", "Joint customer-data dashboard for campaign, product and platform teams, with a title long "
     "enough to need cutting on the slide even on two lines of the table",
     "Data & analytics lead", "alignment_index", "2026-01", "2026-06-30", "planned", 3),
    ("A-9", "Alpha", "Quarterly hackathon", "Innovation team", "partnership", "2025-11", "2026-05-31",
     "in_progress", 3),
    ("A-10", "", "Shared OKRs for marketing and IT", "CMO and CIO", "alignment_index", "2025-10", "2026-03-31",
     "in_progress", 3),
    ("A-11", "Beta", "R&D <i>pilot</i> restart", "anna.berg@example.com", "communication", "2026-01", "", "planned",
     3),
    ("A-12", "Gamma", "Co-located squad pilot", "Squad lead", "partnership", "2025-09", "2025-12-31", "dropped", 3),
    ("A-13", "Alpha", "Martech budget review", "Finance partner", "alignment_index", "2025-12", "2026-02-15",
     "in_progress", 2),
    ("A-14", "", "Common glossary on the intranet", "Comms", "communication", "2025-12", "2026-04-30", "done", 1),
]

CMO_NOTE = """# January: what we did
We held the **January steering** in every unit and brought *the same customer numbers* as IT; see \
[the plan](https://intranet.example/plan).

## What we ask of IT
- Agree the **scope** of the data project's *phase 2* by February
- Share the incident log with marketing
  - weekly, not monthly
1. Budget moved to the joint pilot
2. No new martech without IT

Costs: <b>&</b> and <font color="red">not markup</font> &amp; more."""

LONG_WORDS = ("the scale-up of the customer data project is over budget and we ask marketing to agree the "
              "remaining scope at the steering so that both teams share one plan for the quarter").split()


def long_note() -> str:
    """A 4,000-character note from IT: a heading, then paragraphs and bullets with bold in them."""
    parts, k = ["# The scale-up, in full"], 0
    while len("\n\n".join(parts)) < 4000:
        words = [LONG_WORDS[(k * 7 + j) % len(LONG_WORDS)] for j in range(45)]
        k += 1
        text = " ".join(words).capitalize() + "."
        parts.append(f"- **{words[0]} {words[1]}** {text}" if k % 3 == 0 else text)
    return "\n\n".join(parts)[:4000].rstrip()


def answers_csv(rows) -> str:
    return "".join(f"N{k:03d},2025-11-15 09:30:00,{unit},{department},staff,{','.join(map(str, a))},\n"
                   for k, (unit, department, a) in enumerate(rows, start=1))


def import_actions(con, folder: Path, actions) -> None:
    lines = ["action_id,business_unit,title,owner,target,start_month,due,status,effect_window"]
    for action in actions:
        lines.append(",".join(f'"{v}"' if isinstance(v, str) and ("," in v or '"' in v) else str(v)
                              for v in action))
    path = folder / "more_actions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest.import_file(con, "actions", path, user="tests")


def review_store(folder: Path, cmo: str | None = CMO_NOTE, cio: str | None = None, extra_actions=()):
    con = store.connect(":memory:")
    load_fixture(con, folder, answers_csv(NOVEMBER))
    import_actions(con, folder, [*ACTIONS, *extra_actions])
    for side, text in (("marketing", cmo), ("it", long_note() if cio is None else cio)):
        if text:
            review_edits.write_note(con, MONTH, side, text, "tests")
    return con


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The pack's slides for January, written as PowerPoint and PDF (without chart images: these slides have
    none), with review() of the same store."""
    folder = tmp_path_factory.mktemp("review_pack")
    con = review_store(folder)
    slides = boardpack.build_slides(con, MONTH)
    record = review.review(con, MONTH)
    outline = boardpack.slide_outline(con, MONTH)
    con.close()
    boardpack.write_pptx(slides, MONTH, folder / "pack.pptx", date(2026, 2, 1))
    boardpack.write_pdf(slides, MONTH, folder / "pack.pdf", date(2026, 2, 1))
    return {"folder": folder, "slides": slides, "review": record, "outline": outline}


def slide_of(deck, title: str):
    for slide in deck.slides:
        if any(shape.has_text_frame and shape.text_frame.text == title for shape in slide.shapes):
            return slide
    raise AssertionError(f"no slide titled {title!r}")


def text_boxes(slide) -> list:
    return [shape for shape in slide.shapes if shape.has_text_frame and shape.text_frame.text.strip()]


def note_boxes(slide) -> tuple:
    """The CMO's and the CIO's note bodies: the text boxes below the headings, left one first."""
    heading = {shape.text_frame.text: shape for shape in text_boxes(slide)}
    left, right = heading["The CMO's note"], heading["The CIO's note"]
    bodies = [s for s in text_boxes(slide) if s.top > left.top + left.height / 2 and s.top < Emu(914400 * 6.5)]
    cmo = next(s for s in bodies if abs(s.left - left.left) < 914400 * 0.2)
    cio = next(s for s in bodies if abs(s.left - right.left) < 914400 * 0.2)
    return cmo, cio


def test_the_two_slides_come_after_the_analysis_and_before_the_definitions(written):
    titles = [s.title for s in written["slides"]]
    assert titles[-3:] == [NOTES_TITLE, ACTIONS_TITLE, "Appendix: metric definitions"]
    assert titles.index(NOTES_TITLE) > titles.index("Joint projects: outcomes over 12 months")
    outline = written["outline"]
    assert list(outline["title"])[-3:-1] == [NOTES_TITLE, ACTIONS_TITLE]     # the Board pack page's preview
    assert list(outline["slide"]) == list(range(1, 12))
    deck = Presentation(str(written["folder"] / "pack.pptx"))
    assert len(deck.slides) == 11
    notes = [s for s in written["slides"] if s.title == NOTES_TITLE][0]
    assert notes.takeaway == f"Both the CMO and the CIO wrote a note for {LABEL}."


def test_the_cmo_note_is_drawn_as_its_markdown_reads(written):
    deck = Presentation(str(written["folder"] / "pack.pptx"))
    cmo, _ = note_boxes(slide_of(deck, NOTES_TITLE))
    paragraphs = cmo.text_frame.paragraphs
    text = cmo.text_frame.text
    assert [p.text for p in paragraphs][:2] == [
        "January: what we did",
        "We held the January steering in every unit and brought the same customer numbers as IT; see the plan."]
    for marker in ("**", "# ", "](", "https://intranet", "- Agree"):
        assert marker not in text
    runs = {run.text: run for p in paragraphs for run in p.runs}
    assert runs["January steering"].font.bold and not runs["January steering"].font.italic
    assert runs["the same customer numbers"].font.italic and not runs["the same customer numbers"].font.bold
    assert runs["scope"].font.bold and runs["phase 2"].font.italic
    assert all(run.font.bold for run in paragraphs[0].runs)                         # the heading
    bullets = {p.text: p for p in paragraphs}
    for item, level in (("Agree the scope of the data project's phase 2 by February", 0),
                        ("Share the incident log with marketing", 0), ("weekly, not monthly", 1)):
        properties = bullets[item]._p.pPr
        assert properties.find(qn("a:buChar")).get("char") == "•" and bullets[item].level == level
    numbered = bullets["Budget moved to the joint pilot"]._p.pPr.find(qn("a:buAutoNum"))
    assert numbered.get("type") == "arabicPeriod" and numbered.get("startAt") == "1"
    assert bullets["We held the January steering in every unit and brought the same customer numbers as IT; see "
                   "the plan."]._p.pPr.find(qn("a:buNone")) is not None              # a paragraph is no bullet
    # Indented deeper at level 1 than at level 0, with a hanging indent for the marker.
    assert int(bullets["weekly, not monthly"]._p.pPr.get("marL")) > int(
        bullets["Share the incident log with marketing"]._p.pPr.get("marL"))
    assert int(bullets["weekly, not monthly"]._p.pPr.get("indent")) < 0
    # Raw HTML is text: shown as typed, never obeyed.
    assert 'Costs: <b>&</b> and <font color="red">not markup</font> &amp; more.' in text


def line_count(paragraph, width_pt: float) -> int:
    """How many lines a paragraph takes at its runs' sizes in a column `width_pt` wide: a greedy word wrap with
    Helvetica's widths (which Arial, the note's font in PowerPoint, shares), done here independently of the pack."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    words = []   # (word, width) with the width of the space before it
    for run in paragraph.runs:
        font = {(False, False): "Helvetica", (True, False): "Helvetica-Bold", (False, True): "Helvetica-Oblique",
                (True, True): "Helvetica-BoldOblique"}[(bool(run.font.bold), bool(run.font.italic))]
        size = run.font.size.pt
        for piece in re.split(r"(\s+)", run.text):
            if piece.strip():
                words.append((stringWidth(piece, font, size), stringWidth(" ", font, size)))
    lines, used = 1, 0.0
    for width, space in words:
        if used and used + space + width > width_pt:
            lines, used = lines + 1, width
        else:
            used += (space if used else 0) + width
    return lines


def box_height_used(shape) -> float:
    """The height in points that a text box's paragraphs take, by line_count and their spacing."""
    width = Emu(shape.width).pt
    total = 0.0
    for k, paragraph in enumerate(shape.text_frame.paragraphs):
        indent = Emu(int(paragraph._p.pPr.get("marL"))).pt
        total += (paragraph.space_before.pt if k else 0) + line_count(paragraph, width - indent) * \
            paragraph.line_spacing.pt
    return total


def test_a_4000_character_note_is_shrunk_and_cut_to_fit_its_column(written):
    assert len(long_note()) == 4000
    deck = Presentation(str(written["folder"] / "pack.pptx"))
    slide = slide_of(deck, NOTES_TITLE)
    cmo, cio = note_boxes(slide)
    sizes = {run.font.size.pt for box in (cmo, cio) for p in box.text_frame.paragraphs for run in p.runs
             if not run.font.bold}
    # Shrunk to the floor, the same size in both columns, never below it.
    assert sizes == {boardpack_notes.SIZES[-1]} and boardpack_notes.SIZES[-1] >= 10.5
    paragraphs = [p.text for p in cio.text_frame.paragraphs]
    assert paragraphs[-1] == "The full note is on the Review page."
    assert paragraphs[-2].endswith(ELLIPSIS)
    # Cut at a word boundary: what is kept is the note's own words, in order, up to a whole word.
    kept = " ".join(paragraphs[:-1]).removesuffix(ELLIPSIS)
    assert not kept.endswith((" ", ",", ";", ":", ".", "-"))
    original = plain_text(parse(long_note())).replace("• ", "").replace("\n", " ")
    assert original.startswith(kept) and original[len(kept)] in " .,;"
    assert 1200 < len(kept) < 4000
    # Within its box, and the box within its column and above the subtitle.
    for box in (cmo, cio):
        assert box_height_used(box) <= Emu(box.height).pt
    floor_line = boardpack_notes.SIZES[-1] * boardpack_notes.LEADING   # in hand, for a renderer that breaks
    assert box_height_used(cio) + floor_line <= Emu(cio.height).pt      # a line where reportlab does not
    assert cmo.left + cmo.width < cio.left
    assert Emu(cio.left + cio.width).inches <= boardpack.SLIDE_W - 0.4 and Emu(cio.top + cio.height).inches <= 6.5
    assert "**" not in cio.text_frame.text and "# " not in cio.text_frame.text
    assert any(run.font.bold for p in cio.text_frame.paragraphs for run in p.runs if run.text.startswith("The scale"))


def expected_effect(effect: dict) -> str:
    """review()'s effect as the slide should write it: estimate and 95% interval to one decimal, signed."""
    if effect["estimate"] is not None:
        words = f"{effect['estimate']:+.1f} ({effect['ci_low']:+.1f} to {effect['ci_high']:+.1f})"
        return words + (" before/after" if effect["method"] == "before_after" else "")
    if effect["withheld"].startswith("fewer than"):
        return "withheld: fewer than 5 respondents"
    return "not yet: needs the " + re.search(r"\d{4}-\d{2}", effect["withheld"]).group() + " survey"


def table_rows(slide) -> list[list[str]]:
    (table,) = [shape.table for shape in slide.shapes if shape.has_table]
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_fourteen_actions_fit_with_their_effect(written):
    deck = Presentation(str(written["folder"] / "pack.pptx"))
    slide = slide_of(deck, ACTIONS_TITLE)
    rows = table_rows(slide)
    assert rows[0] == ["Action", "Unit", "Owner", "Target", "Due", "Status", "Effect, points (95% interval)"]
    actions = written["review"]["actions"]
    assert len(actions) == 14 and len(rows) == 15
    methods = set()
    for row, action in zip(rows[1:], actions):
        effect = action["effect"]
        methods.add(effect["method"] if effect["estimate"] is not None else effect["withheld"].split(" ")[0])
        assert row[-1] == expected_effect(effect)
        title = row[0].replace("\n", " ")
        if action["action_id"] == "A-8":
            assert title.endswith(ELLIPSIS) and action["title"].startswith(title[:-1])
        else:
            assert title == action["title"]
        assert row[1] == (action["business_unit"] or "Company")
        assert row[5] == action["status"].replace("_", " ")
    assert methods == {"did", "before_after", "fewer", "shown"}     # each kind of effect is on the slide
    by_title = {row[0]: row for row in rows[1:]}
    by_title = {title.replace("\n", " "): row for title, row in by_title.items()}
    assert by_title["Pair every campaign with an IT partner"][4] == "31 Mar 2026"
    assert by_title["R&D <i>pilot</i> restart"][2] == "[e-mail]"      # masked on import, shown as stored
    assert by_title["R&D <i>pilot</i> restart"][4] == "–"
    # Every cell on one line at the table's size, so the 15 rows keep their height on the slide.
    (shape,) = [s for s in slide.shapes if s.has_table]
    assert Emu(shape.top + shape.height).inches <= 6.55
    sizes = {run.font.size.pt for row in shape.table.rows for cell in row.cells
             for p in cell.text_frame.paragraphs for run in p.runs}
    assert sizes == {boardpack.ACTION_FONT}
    from reportlab.pdfbase.pdfmetrics import stringWidth
    for k, row in enumerate(rows):
        for value, width in zip(row, boardpack.ACTION_WIDTHS):   # within the cell's margins (0.1 in a side)
            font = "Helvetica-Bold" if k == 0 else "Helvetica"
            for line in value.split("\n"):
                assert stringWidth(line, font, boardpack.ACTION_FONT) <= (width - 0.2) * 72, line
    # Rows are as tall as their lines: two for free text where there is room, one elsewhere.
    heights = [Emu(row.height).inches for row in shape.table.rows]
    for height, row in zip(heights, rows):
        assert height == pytest.approx(0.12 + max(v.count("\n") + 1 for v in row) * 11 * 1.2 / 72, abs=0.01)
    caution = " ".join(shape.text_frame.text for shape in text_boxes(slide))
    assert "An estimate from survey answers, not proof that the action caused the change." in caution
    assert "A due date in red is overdue." in caution


def test_overdue_actions_are_counted_and_marked(written):
    slide = [s for s in written["slides"] if s.title == ACTIONS_TITLE][0]
    # Overdue on 31 January: A-5 (due 15 Jan, in progress), A-7 (due 20 Jan, planned) and A-12 (dropped, so not
    # done as DESIGN.md words it, due 31 Dec 2025).
    assert slide.takeaway.startswith("14 actions: 6 in progress, 4 planned, 3 done, 1 dropped; 3 overdue.")
    late = [row[0] for row, tint in zip(slide.table.itertuples(index=False), slide.tints)
            if tint[4] == boardpack.STATUS_TINTS["red"]]
    assert late == ["Co-located squad pilot", "Company-wide joint planning calendar",
                    "Shadow-IT amnesty and tool register"]
    assert written["review"]["metrics"]["overdue_actions"] == 3          # the scorecard's count agrees


def test_more_actions_than_fit_show_the_most_recent_and_say_how_many_more(tmp_path):
    extra = [(f"B-{k}", "Alpha", f"Extra action {k}", "Someone", "communication", "2026-01", "2026-09-30",
              "planned", 3) for k in range(3)]
    con = review_store(tmp_path, extra_actions=extra)
    try:
        slides = boardpack.build_slides(con, MONTH)
        actions = review.review(con, MONTH)["actions"]
    finally:
        con.close()
    slide = [s for s in slides if s.title == ACTIONS_TITLE][0]
    assert len(actions) == 17 and len(slide.table) == 14
    assert slide.takeaway.endswith("The 14 most recent are shown, and 3 more on the Review page.")
    oldest = sorted(actions, key=lambda a: a["start_month"])[:3]
    shown = set(slide.table["Action"])
    assert not shown & {a["title"] for a in oldest}                  # the three that started first
    assert {"Extra action 0", "Extra action 1", "Extra action 2"} <= shown


def pdf_page(written, title: str):
    reader = PdfReader(str(written["folder"] / "pack.pdf"))
    assert len(reader.pages) == 11
    for page in reader.pages:
        if page.extract_text().startswith(title):
            return page
    raise AssertionError(f"no page titled {title!r}")


def placed_text(page) -> list[tuple[str, float, float, str]]:
    """Each piece of text on a PDF page with its position (points from the page's bottom left) and font."""
    pieces = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            pieces.append((text, x, y, (font or {}).get("/BaseFont", "")))

    page.extract_text(visitor_text=visit)
    return pieces


def test_the_pdf_notes_read_as_written_and_stay_in_their_columns(written):
    page = pdf_page(written, NOTES_TITLE)
    text = " ".join(page.extract_text().split())
    assert "The CMO's note" in text and "The CIO's note" in text
    assert "We held the January steering in every unit and brought the same customer numbers as IT; see the plan." \
        in text
    assert 'Costs: <b>&</b> and <font color="red">not markup</font> &amp; more.' in text    # literally
    assert "**" not in text and "# " not in text and "](" not in text
    assert f"{ELLIPSIS} The full note is on the Review page." in text
    pieces = placed_text(page)
    bold = [t for t, _, _, font in pieces if font.endswith("Helvetica-Bold")]
    assert any("January steering" in t for t in bold) and any("The scale-up, in full" in t for t in bold)
    assert any("the same customer numbers" in t for t, *_, font in pieces if font.endswith("Oblique"))
    # The notes' text lies within the two columns: from NOTE_TOP to above the subtitle, no line across the gap.
    top = (boardpack.SLIDE_H - boardpack.NOTE_TOP) * 72
    bottom = (boardpack.SLIDE_H - boardpack.IMAGE_BOTTOM) * 72
    body = [(t, x, y) for t, x, y, _ in pieces if bottom - 1 <= y <= top]
    assert len(body) > 20
    (full_note,) = [y for t, _, y in body if "The full note is on the Review page." in t]
    assert full_note >= bottom
    left_end = (boardpack.NOTE_COLUMNS[0] + boardpack.NOTE_WIDTH) * 72
    right_start = boardpack.NOTE_COLUMNS[1] * 72
    assert not [t for t, _, y, _ in pieces if 63 < y < bottom - 1]      # nothing between the notes and the subtitle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    for t, x, _ in body:
        assert x >= boardpack.NOTE_COLUMNS[0] * 72 - 0.5
        assert x + 1 < left_end or x >= right_start - 0.5, t
        if x < left_end:   # a line of the left column ends before the gap
            assert x + stringWidth(t.strip(), "Helvetica", boardpack_notes.SIZES[-1]) <= left_end + 1, t


def test_the_pdf_actions_table_has_every_effect(written):
    page = pdf_page(written, ACTIONS_TITLE)
    text = " ".join(page.extract_text().split())
    for action in written["review"]["actions"]:
        assert expected_effect(action["effect"]) in text
    assert "R&D <i>pilot</i> restart" in text and "[e-mail]" in text and "anna.berg" not in text
    assert "An estimate from survey answers, not proof that the action caused the change." in text


def test_a_missing_note_says_whose_and_for_which_month(con, tmp_path):
    review_edits.write_note(con, MONTH, "it", "Only **IT** wrote this month.", "tests")
    slides = boardpack.build_slides(con, MONTH)
    path = tmp_path / "pack.pptx"
    boardpack.write_pptx(slides, MONTH, path, date(2026, 2, 1))
    slide = slide_of(Presentation(str(path)), NOTES_TITLE)
    texts = [shape.text_frame.text for shape in text_boxes(slide)]
    assert f"No note from the CMO for {LABEL}." in texts and "Only IT wrote this month." in texts
    notes = [s for s in slides if s.title == NOTES_TITLE][0]
    assert notes.takeaway == f"Only the CIO wrote a note for {LABEL}."
    actions = [s for s in slides if s.title == ACTIONS_TITLE][0]
    assert actions.takeaway.startswith("3 actions: 1 in progress, 1 planned, 1 done; 0 overdue")


def test_a_month_without_a_review_still_has_both_slides(con, tmp_path):
    december = [s for s in boardpack.build_slides(con, "2025-12") if s.title == NOTES_TITLE][0]
    assert december.takeaway == "Both the CMO and the CIO wrote a note for December 2025."
    slides = boardpack.build_slides(con, MONTH)
    nothing = {"commentary": {"marketing": None, "it": "   "}, "actions": []}
    notes, actions = boardpack.slides._notes_slide(nothing, LABEL), boardpack.slides._actions_slide(nothing, set(), LABEL)
    assert notes.takeaway == f"Neither the CMO nor the CIO has written a note for {LABEL}."
    assert actions.takeaway == f"No action is on the review for {LABEL}." and actions.table is None
    slides = [*slides[:-3], notes, actions, slides[-1]]
    boardpack.write_pdf(slides, MONTH, tmp_path / "bare.pdf", date(2026, 2, 1))
    boardpack.write_pptx(slides, MONTH, tmp_path / "bare.pptx", date(2026, 2, 1))
    page = PdfReader(str(tmp_path / "bare.pdf")).pages[-3]
    text = " ".join(page.extract_text().split())
    assert f"No note from the CMO for {LABEL}." in text and f"No note from the CIO for {LABEL}." in text
    deck = Presentation(str(tmp_path / "bare.pptx"))
    assert not [s for s in slide_of(deck, ACTIONS_TITLE).shapes if s.has_table]


# ---- the Markdown the notes are written in ---------------------------------------------------------------


def runs_of(text: str) -> list[tuple[str, bool, bool, bool]]:
    (block,) = parse(text)
    return [(r.text, r.bold, r.italic, r.code) for r in block.runs]


def test_inline_markdown():
    assert runs_of("a **b** *c* ***d*** `e_f` g") == [
        ("a ", False, False, False), ("b", True, False, False), (" ", False, False, False),
        ("c", False, True, False), (" ", False, False, False), ("d", True, True, False), (" ", False, False, False),
        ("e_f", False, False, True), (" g", False, False, False)]
    assert runs_of("*a **b** c*") == [("a ", False, True, False), ("b", True, True, False), (" c", False, True, False)]
    assert runs_of("snake_case_name and 5 * 3 * 2") == [("snake_case_name and 5 * 3 * 2", False, False, False)]
    assert runs_of("[the plan](https://x.example/(a)) ![chart](c.png) <https://x.example>") == [
        ("the plan chart https://x.example", False, False, False)]
    assert runs_of(r"\*not emphasis\* and an unclosed **typo") == [
        ("*not emphasis* and an unclosed typo", False, False, False)]
    assert runs_of("<b>&</b> &amp; <font>") == [("<b>&</b> &amp; <font>", False, False, False)]


def test_block_markdown():
    blocks = parse("Title\n=====\ntext\nmore text\n\n* one\n    * two\n3) three\n\n> said\n\n---\n```\ncode **x**\n```"
                   "\n| a | b |\n|---|---|\n| 1 | 2 |\n#no heading\n###### six ##")
    assert [(b.kind, b.level, b.marker, b.text) for b in blocks] == [
        ("heading", 1, "", "Title"), ("paragraph", 0, "", "text more text"), ("item", 0, "•", "one"),
        ("item", 1, "•", "two"), ("item", 0, "3.", "three"), ("quote", 0, "", "said"),
        ("code", 0, "", "code **x**"), ("paragraph", 0, "", "a  ·  b"), ("paragraph", 0, "", "1  ·  2"),
        ("paragraph", 0, "", "#no heading"), ("heading", 6, "", "six")]


def test_note_text_is_masked_and_its_control_characters_made_visible():
    blocks = boardpack_notes.note_blocks("Call **me** on +44 20 7946 0958\r\nor \x1b[2J anna@example.com\tnow",
                                         "none")
    assert plain_text(blocks) == "Call me on [phone] or \\x1b[2J [e-mail] now"   # white space as one space
    assert boardpack_notes.note_blocks("  \n ", "No note.") == [Block("aside", (Run("No note.", italic=True),))]
    assert boardpack_notes.note_blocks(None, "No note.")[0].text == "No note."


def test_the_scorecard_slide_carries_actions_on_track_and_overdue(written):
    slide = [s for s in written["slides"] if s.title.startswith("Scorecard, ")][0]
    table = slide.table.set_index("Unit")
    metrics = written["review"]["metrics"]
    # the company row is the review's own count, to the slide's one decimal and whole number
    assert table.loc["Company", "On track"] == f"{metrics['actions_on_track']:.1f}"
    assert table.loc["Company", "Overdue"] == str(metrics["overdue_actions"])
    # red/amber/green from the catalogue: 3 overdue against a target of 0 and a band of 2 is red
    tint = dict(zip(slide.table.columns, slide.tints[list(table.index).index("Company")]))
    assert tint["Overdue"] == boardpack.STATUS_TINTS["red"]
    assert metrics["overdue_actions"] == 3


def test_each_units_row_counts_its_own_actions(tmp_path):
    con = review_store(tmp_path)
    try:
        slide = [s for s in boardpack.build_slides(con, MONTH) if s.title.startswith("Scorecard, ")][0]
        expected = {unit: review.review_metrics(con, MONTH, unit) for unit in ("Alpha", "Beta", "Gamma")}
    finally:
        con.close()
    table = slide.table.set_index("Unit")
    for unit, values in expected.items():
        on_track = values["actions_on_track"]
        assert table.loc[unit, "On track"] == ("–" if on_track is None else f"{on_track:.1f}"), unit
        assert table.loc[unit, "Overdue"] == str(values["overdue_actions"]), unit
    assert len({table.loc[u, "On track"] for u in expected}) > 1      # the units differ: not the company's copied
