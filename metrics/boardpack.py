"""The board pack: the month's story as 16:9 slides, written as PowerPoint (python-pptx) and PDF (reportlab)
from the same slides and the same chart images (kaleido, one browser for the whole pack)."""

from __future__ import annotations

import io
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import plotly.graph_objects as go

from metrics import alignment, catalog, linkage, meetings, personal, projects, review, scorecard, settings
from metrics import boardpack_notes as notes_layout
from metrics.charts import DEPARTMENT_COLOURS, STATUS_TINTS
from metrics.charts import alignment as alignment_charts
from metrics.charts import images
from metrics.charts import meetings as meeting_charts
from metrics.charts import perception_gap_chart, trend_chart
from metrics.charts import projects as project_charts
from metrics.charts import results as results_charts
from metrics.charts.review import CAUTION
from metrics.markdown_blocks import Block
from metrics.printable import printable
from metrics.scorecard import COMPANY, month_label
from metrics.vocabulary import ACTION_STATUSES, SIDES

SOURCE = "Source: Collaboration Health: pulse survey, meeting records, joint-project register, KPI feed"
SLIDE_W, SLIDE_H = 13.333, 7.5          # inches, 16:9
IMAGE_W, IMAGE_H = 1250, 560            # chart pixels: fonts keep their size relative to the slide
IMAGE_SCALE = 2                          # rendered at twice that for sharp print
IMAGE_TOP, IMAGE_BOTTOM = 1.75, 6.45     # inches: the band between the takeaway and the footnote
TABLE_COLUMNS = ("chi", "alignment_index", "cadence_adherence_3m", "attendance_rate", "project_success_rate",
                 "perception_gap_abs", *catalog.UNIT_REVIEW_COLUMNS)
COUNT_COLUMNS = {"overdue_actions"}      # whole numbers
TABLE_HEADINGS = {"actions_on_track": "On track", "overdue_actions": "Overdue"}   # the slide's narrow columns
SCORECARD_WIDTHS = (1.95, 1.05, 1.15, 1.15, 1.15, 1.4, 1.4, 1.05, 0.95, 1.05)    # inches, 12.3 in all
# The leaders' notes: two columns under their headings, the body between NOTE_TOP and IMAGE_BOTTOM.
NOTE_COLUMNS = (0.5, 6.85)               # inches: each column's left edge
NOTE_WIDTH, NOTE_HEADING, NOTE_TOP = 5.95, 1.75, 2.3
# The actions table: at ACTION_FONT points, ACTION_ROWS rows and the heading fit between the takeaway and the
# caution; a longer review shows its most recent actions and says how many more the Review page has.
ACTION_ROWS, ACTION_FONT = 14, 11.0
ACTION_WIDTHS = (3.4, 1.05, 1.75, 1.3, 1.1, 1.0, 2.7)    # inches, 12.3 in all
CELL_MARGIN = 0.2                        # inches of a table cell's width taken by its side margins (PowerPoint's)

Progress = Callable[[float, str], None]


@dataclass
class Slide:
    title: str
    takeaway: str
    figure: Callable[[], go.Figure] | None = None   # drawn only when the pack is rendered, not for the preview
    table: pd.DataFrame | None = None            # shown as a table; cells are text
    tints: list[list[str]] | None = None         # background colour per table cell
    subtitle: str = ""
    image: bytes | None = field(default=None, repr=False)
    notes: list[Note] | None = None              # notes side by side, each under its heading
    column_widths: tuple[float, ...] | None = None   # a table's columns, inches (else spread evenly)
    font_size: float | None = None               # a table's text, points (else the pack's usual size)
    table_top: float = 1.6                       # inches from the slide's top
    first_column_bold: bool = True               # a table's first column names its rows (a unit, a metric)
    row_heights: list[float] | None = None       # a table's rows, inches, heading first (else even)


@dataclass
class Note:
    heading: str
    side: str                                    # marketing or it: the heading's rule is the side's colour
    blocks: list[Block]


def _fmt(value, digits: int = 1, sign: bool = False) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def build_slides(con: duckdb.DuckDBPyConnection, month: str, company: str | None = None) -> list[Slide]:
    """Every slide of the month's pack, with a one-line takeaway computed from the data."""
    label = month_label(month)
    history = scorecard.history(con, month)
    table = scorecard.scorecard_table(history, month, (*catalog.SCORECARD_COLUMNS, *catalog.REVIEW_COLUMNS))
    company_row = table[table["unit"] == COMPANY].iloc[0]
    threshold = settings.anonymity_threshold(con)
    record = review.review(con, month)
    return [
        _title_slide(company or "Marketing and IT", label, company_row),
        _scorecard_slide(table, label, threshold),
        _trend_slide(history, label),
        _heatmap_slide(con, month, label, threshold),
        _gap_slide(con, month, label),
        _results_slide(con, month),
        _meetings_slide(con, month),
        _projects_slide(con, month),
        _notes_slide(record, label),
        _actions_slide(record, review.overdue_action_ids(con, month), label),
        _definitions_slide(threshold),
    ]


def _title_slide(company: str, label: str, row: pd.Series) -> Slide:
    chi = catalog.metric("chi")
    status = catalog.metric("chi").status(None if pd.isna(row["chi"]) else row["chi"])
    takeaway = (f"Collaboration Health Index {_fmt(row['chi'])} (target {chi.target:g}, "
                f"{_status_words(status)}), {_fmt(row['chi_change'], sign=True)} points since last month.")
    return Slide(f"{company}: collaboration health", takeaway, subtitle=f"Board pack · {label}")


def _status_words(status: str | None) -> str:
    return {"green": "on target", "amber": "near target", "red": "off target"}.get(status, "no data")


def _scorecard_slide(table: pd.DataFrame, label: str, threshold: int) -> Slide:
    moves = scorecard.biggest_moves(table)
    if len(moves):
        top = moves.iloc[0]
        takeaway = f"{top['unit']} moved most: CHI {_fmt(top['chi_change'], sign=True)} points to {_fmt(top['chi'])}."
    else:
        takeaway = "No unit has a CHI for both this month and last month."
    headings = (["Unit"] + [TABLE_HEADINGS.get(c, catalog.metric(c).short_label) for c in TABLE_COLUMNS]
                + ["CHI change"])
    rows, tints = [], []
    for _, row in table.iterrows():
        rows.append([row["unit"]] + [_fmt(row[c], 0 if c in COUNT_COLUMNS else 1) for c in TABLE_COLUMNS]
                    + [_fmt(row["chi_change"], sign=True)])
        tints.append(["#FFFFFF"] + [STATUS_TINTS.get(row[f"{c}_status"], "#FFFFFF") for c in TABLE_COLUMNS]
                     + ["#FFFFFF"])
    frame = pd.DataFrame(rows, columns=headings)
    return Slide(f"Scorecard, {label}", takeaway, table=frame, tints=tints, column_widths=SCORECARD_WIDTHS,
                 subtitle=f"Green on target, amber near, red off target; – hidden (fewer than {threshold} "
                          "respondents, or hidden so a small group cannot be worked out) or no data. On track and "
                          "overdue: the actions agreed in the monthly review (Review page).")


def _trend_slide(history: pd.DataFrame, label: str) -> Slide:
    company = history[history["unit"] == COMPANY].dropna(subset=["chi"])
    if len(company) >= 2:
        first, last = company.iloc[0], company.iloc[-1]
        verb = "rose" if last["chi"] > first["chi"] else "fell" if last["chi"] < first["chi"] else "held"
        takeaway = (f"Company CHI {verb} from {_fmt(first['chi'])} ({first['month']}) to {_fmt(last['chi'])} "
                    f"({last['month']}).")
    else:
        takeaway = "Too few months with a company CHI to show a trend."
    chi = catalog.metric("chi")
    return Slide("Collaboration Health Index over 12 months", takeaway,
                 figure=lambda: trend_chart(history, "chi", chi.label, label, target=chi.target))


def _heatmap_slide(con, month: str, label: str, threshold: int) -> Slide:
    scores = alignment.unit_dimension_scores(con, month)
    company = scores[(scores["unit"] == COMPANY)].dropna(subset=["score"])
    units = scores[(scores["unit"] != COMPANY)].dropna(subset=["score"])
    if len(company):
        weakest = company.sort_values("score").iloc[0]
        takeaway = f"Weakest dimension company-wide: {weakest['dimension'].replace('_', ' ')} at {_fmt(weakest['score'], 0)}"
        if len(units):
            low = units.sort_values("score").iloc[0]
            takeaway += f"; lowest cell: {low['unit']}, {low['dimension'].replace('_', ' ')} ({_fmt(low['score'], 0)})."
        else:
            takeaway += "."
    else:
        takeaway = "No survey figures this month."
    target = catalog.metric("alignment_index").target
    return Slide("Alignment by dimension and business unit", takeaway,
                 figure=lambda: alignment_charts.dimension_heatmap(scores, label, target, threshold))


def _gap_slide(con, month: str, label: str) -> Slide:
    dims = alignment.scope_dimensions(con, month, None).dropna(subset=["gap"])
    if len(dims):
        widest = dims.loc[dims["gap"].abs().idxmax()]
        higher, lower = ("Marketing", "IT") if widest["gap"] > 0 else ("IT", "marketing")
        takeaway = (f"Widest gap: {widest['dimension'].replace('_', ' ')}: {higher} rates it "
                    f"{abs(widest['gap']):.0f} points higher than {lower}.")
    else:
        takeaway = "No perception gap to show this month (hidden or no survey)."
    return Slide("Marketing and IT see the collaboration differently", takeaway,
                 figure=lambda: perception_gap_chart(dims, COMPANY, label))


def _results_slide(con, month: str) -> Slide:
    kpi = "margin_growth_pct"
    if kpi not in linkage.kpi_names(con):
        return Slide("Collaboration and margin growth", "No margin-growth figures are stored yet.")
    lags = linkage.lag_table(con, kpi, "alignment_index", 6)
    usable = [row for row in lags if row["pearson_r"] is not None]
    lag = max(usable, key=lambda r: abs(r["pearson_r"]))["lag"] if usable else 0
    data = linkage.scatter_data(con, kpi, "alignment_index", lag)
    corr = data["correlation"]
    if corr.pearson_r is None:
        takeaway = f"Too few unit-months (n = {corr.n}) to relate alignment to margin growth."
    else:
        takeaway = (f"Units with higher alignment had higher margin growth {lag} months later: r = "
                    f"{corr.pearson_r:+.2f} (95% CI {corr.ci_low:+.2f} to {corr.ci_high:+.2f}, n = {corr.n}). "
                    "Correlation, not proof of cause.")
    return Slide("Collaboration and margin growth", takeaway,
                 figure=lambda: results_charts.scatter(data, "Alignment index", linkage.kpi_label(kpi), lag))


def _meetings_slide(con, month: str) -> Slide:
    summary = meetings.unit_summary(con, month)
    units = summary[summary["unit"] != COMPANY]
    held = int((units["state"] == "held").sum())
    takeaway = f"{held} of {len(units)} units held their monthly joint steering meeting"
    if len(units) and units["current_streak"].notna().any():
        best = units.sort_values("current_streak", ascending=False).iloc[0]
        takeaway += f"; {best['unit']} has held it {int(best['current_streak'])} months running."
    else:
        takeaway += "."
    grid = meetings.cadence_grid(con, month)
    return Slide("Meeting cadence: the monthly joint steering meeting", takeaway,
                 figure=lambda: meeting_charts.cadence_chart(grid, summary, month))


def _projects_slide(con, month: str) -> Slide:
    rates = projects.delivery_rates(con, month)
    company = rates[rates["unit"] == COMPANY].iloc[0]
    if company["project_success_rate_n"]:
        takeaway = (f"{int(company['project_success_rate_n'])} joint projects delivered in 12 months: "
                    f"{_fmt(company['project_on_time_rate'], 0)}% on time, {_fmt(company['project_success_rate'], 0)}% "
                    f"successful, {_fmt(company['pilot_to_scale_rate'], 0)}% of successful pilots scaled.")
    else:
        takeaway = "No joint project was delivered in the last 12 months."
    return Slide("Joint projects: outcomes over 12 months", takeaway,
                 figure=lambda: project_charts.delivery_rates_chart(rates, month))


def _notes_slide(record: dict, label: str) -> Slide:
    """The month's two notes, the CMO's (marketing) beside the CIO's (IT), as their Markdown reads."""
    written = [side for side in SIDES if (record["commentary"][side] or "").strip()]
    leaders = [review.LEADERS[side] for side in written]
    takeaway = (f"Both the CMO and the CIO wrote a note for {label}." if len(written) == 2
                else f"Only the {leaders[0]} wrote a note for {label}." if written
                else f"Neither the CMO nor the CIO has written a note for {label}.")
    notes = [Note(f"The {review.LEADERS[side]}'s note", side,
                  notes_layout.note_blocks(record["commentary"][side],
                                           f"No note from the {review.LEADERS[side]} for {label}."))
             for side in SIDES]
    return Slide("What the CMO and the CIO say", takeaway, notes=notes,
                 subtitle=f"The newest version of each leader's note for {label}, as written on the Review page.")


def _clip(text: str, width: float, size: float, bold: bool = False) -> str:
    """The text on one line of a table cell `width` inches wide at `size` points: whole if it fits, else cut at
    a word boundary (a character one for a single long word) with an ellipsis. Helvetica's widths: the PDF's
    font, and Arial's, which the PowerPoint table is drawn in (_pptx_table)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    font = "Helvetica-Bold" if bold else "Helvetica"
    room = (width - CELL_MARGIN) * 72
    if stringWidth(text, font, size) <= room:
        return text
    words = text.split(" ")
    while len(words) > 1 and stringWidth(" ".join(words) + "…", font, size) > room:
        words.pop()
    kept = " ".join(words).rstrip(" ,;:-–")
    while kept and stringWidth(kept + "…", font, size) > room:
        kept = kept[:-1]
    return kept.rstrip(" ,;:-–") + "…"


def _lines(text: str, width: float, most: int) -> list[str]:
    """The text broken into lines for a table cell `width` inches wide at ACTION_FONT, at most `most` of them,
    the last cut with an ellipsis when the text is longer. The breaks are made here, so both files show them."""
    from reportlab.lib.utils import simpleSplit

    lines = simpleSplit(text, "Helvetica", ACTION_FONT, (width - CELL_MARGIN) * 72) or [""]
    if len(lines) > most:
        lines = lines[:most - 1] + [_clip(" ".join(lines[most - 1:]), width, ACTION_FONT)]
    return [_clip(line, width, ACTION_FONT) for line in lines]   # a single word wider than the cell, cut too


def _short(text: str, characters: int) -> str:
    """Free text for a sentence: masked, control characters visible, cut at a word with an ellipsis if long."""
    text = printable(personal.masked(str(text))).strip().rstrip(".")
    if len(text) <= characters:
        return text
    return text[:characters].rsplit(" ", 1)[0].rstrip(" ,;:-–") + "…"


def _row_height(lines: int) -> float:
    """A table row's height in inches for `lines` lines at ACTION_FONT: PowerPoint's cell margins (0.05 in
    above and below) and a little air; the PDF's 4 pt paddings take less."""
    return 0.12 + lines * ACTION_FONT * 1.2 / 72


def _actions_slide(record: dict, overdue_ids: set[str], label: str) -> Slide:
    """The actions on the month's review with owner, due date, status and effect: the effect with its interval,
    or why there is none (review.effect_brief), under the caution that it is an estimate, not proof of cause.

    Free text (title, unit, owner) takes two lines where the band under the takeaway has room for them, row by
    row from the top, else one; it is cut with an ellipsis beyond. At most ACTION_ROWS rows: a longer review
    shows its most recent actions (latest start) and says how many more the Review page has."""
    actions = record["actions"]
    if not actions:
        return Slide("Actions and their effect", f"No action is on the review for {label}.",
                     subtitle="Actions, with their owners, due dates and effect, are kept on the Review page. "
                              + CAUTION)
    under_way_first = ("in_progress", *(status for status in ACTION_STATUSES if status != "in_progress"))
    counts = {status: sum(a["status"] == status for a in actions) for status in under_way_first}
    overdue = record["metrics"]["overdue_actions"]   # the scorecard's own count, over every action not done
    takeaway = (f"{len(actions)} action{'s' * (len(actions) != 1)}: "
                + ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items() if n)
                + f"; {overdue} overdue")
    measured = [a for a in actions if a["effect"]["estimate"] is not None]
    if measured:
        largest = max(measured, key=lambda a: abs(a["effect"]["estimate"]))
        takeaway += (f". Largest estimated effect: {_short(largest['title'], 60)} "
                     f"({largest['target'].replace('_', ' ')}, {largest['effect']['estimate']:+.1f} points).")
    else:
        takeaway += "; no effect measured yet."
    shown = actions
    if len(actions) > ACTION_ROWS:
        latest = sorted(range(len(actions)), key=lambda k: (actions[k]["start_month"], k))[-ACTION_ROWS:]
        shown = [actions[k] for k in sorted(latest)]
        takeaway += (f" The {ACTION_ROWS} most recent are shown, and {len(actions) - ACTION_ROWS} more on the "
                     "Review page.")
    headings = ["Action", "Unit", "Owner", "Target", "Due", "Status", "Effect, points (95% interval)"]
    rows, tints, heights = [], [], [_row_height(1)]
    spare = IMAGE_BOTTOM + 0.05 - IMAGE_TOP - _row_height(1) * (len(shown) + 1)
    for action in shown:
        due, unit = action.get("due"), action.get("business_unit")
        cells = [action["title"], unit if unit and str(unit).strip() else "Company", action.get("owner") or "–",
                 action["target"].replace("_", " "),
                 "–" if not due else f"{date.fromisoformat(str(due)[:10]):%d %b %Y}",
                 action["status"].replace("_", " "), review.effect_brief(action["effect"])]
        cells = [printable(personal.masked(str(cell))) for cell in cells]   # masked on import; and here
        wrapped = [_lines(cell, width, 2 if k < 3 else 1) for k, (cell, width) in enumerate(zip(cells, ACTION_WIDTHS))]
        if max(map(len, wrapped)) > 1 and spare >= _row_height(2) - _row_height(1):
            spare -= _row_height(2) - _row_height(1)
        else:
            wrapped = [_lines(cell, width, 1) for cell, width in zip(cells, ACTION_WIDTHS)]
        rows.append(["\n".join(lines) for lines in wrapped])
        heights.append(_row_height(max(map(len, wrapped))))
        late = action["action_id"] in overdue_ids
        tints.append(["#FFFFFF"] * 4 + [STATUS_TINTS["red"] if late else "#FFFFFF"] + ["#FFFFFF"] * 2)
    return Slide("Actions and their effect", takeaway, table=pd.DataFrame(rows, columns=headings), tints=tints,
                 column_widths=ACTION_WIDTHS, font_size=ACTION_FONT, table_top=IMAGE_TOP, first_column_bold=False,
                 row_heights=heights,
                 subtitle="Effect: the change in the target's score (0-100) from before the start to after it, "
                          "against units without such an action (before/after: no comparison group, after minus "
                          f"before only). {CAUTION} A due date in red is overdue.")


def _definitions_slide(threshold: int) -> Slide:
    rows = [[m.label, m.description, m.unit, "–" if m.target is None else f"{m.target:g}"] for m in catalog.METRICS
            if m.name in {*catalog.SCORECARD_COLUMNS, "leadership_presence", "project_on_time_rate", *catalog.REVIEW_COLUMNS}]
    frame = pd.DataFrame(rows, columns=["Metric", "Definition", "Unit", "Target"])
    return Slide("Appendix: metric definitions", "Every figure in this pack follows these definitions; survey "
                 f"groups under {threshold} respondents are hidden.", table=frame)


# ----------------------------------------------------------------------------------------------------------
# Rendering


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


def _image_box() -> tuple[float, float, float, float]:
    """Where a chart goes on a slide (inches: left, top, width, height): as large as fits, centred."""
    height = IMAGE_BOTTOM - IMAGE_TOP
    width = min(12.3, height * IMAGE_W / IMAGE_H)
    return (SLIDE_W - width) / 2, IMAGE_TOP, width, width * IMAGE_H / IMAGE_W


def _footer(label: str, as_of: date, number: int, total: int) -> str:
    return f"{label} · data as of {as_of:%d %b %Y} · {SOURCE} · {number}/{total}"


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
                x, y, w, h = _image_box()
                slide.shapes.add_picture(io.BytesIO(content.image), Inches(x), Inches(y), Inches(w), Inches(h))
            elif content.table is not None:
                _pptx_table(slide, content, Inches, Pt, RGBColor)
            elif content.notes is not None:
                _pptx_notes(slide, content, text)
            if content.subtitle:
                text(slide, 0.5, 6.55, 12.3, 0.4, content.subtitle, 11, colour="555555")
        text(slide, 0.5, 6.95, 12.3, 0.4, _footer(label, as_of, number, len(slides)), 10, colour="777777")
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
        _cell(table.cell(0, j), _shown(heading), Pt(size or (12 if not wide else 11)), True, "FFFFFF", "333333",
              RGBColor, font)
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, value in enumerate(row):
            fill = (content.tints[i - 1][j] if content.tints else "#FFFFFF").lstrip("#")
            _cell(table.cell(i, j), _shown(value), Pt(size or (12 if not wide else 9)),
                  j == 0 and content.first_column_bold, fill, "222222", RGBColor, font)


def _shown(value) -> str:
    """A table cell's text as drawn: its line breaks kept (the actions table makes its own), every other control
    character made visible."""
    return "\n".join(printable(part) for part in str(value).split("\n"))


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
                x, y, w, h = _image_box()
                pdf.drawImage(ImageReader(io.BytesIO(content.image)), x * inch, height - (y + h) * inch,
                              width=w * inch, height=h * inch)
            elif content.table is not None:
                _pdf_table(pdf, content, width, height, inch, colors, Table, TableStyle)
            elif content.notes is not None:
                _pdf_notes(pdf, content, height, line)
            if content.subtitle:
                line(0.5 * inch, 0.85 * inch, content.subtitle, 11, colour="#555555")
        line(0.5 * inch, 0.4 * inch, _footer(label, as_of, number, len(slides)), 10, colour="#777777")
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
    data = [list(map(_shown, frame.columns))] + [
        [Paragraph(escape(_shown(v)), style) if wide else _shown(v) for v in row]
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
