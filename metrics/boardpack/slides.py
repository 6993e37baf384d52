"""The board pack's slides: the month's story as 16:9 slides (title, takeaway, a chart, a table or the leaders'
notes), built from the same reads as the pages, and where things go on a slide in both formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import duckdb
import pandas as pd
import plotly.graph_objects as go

from metrics import alignment, catalog, collaboration, linkage, meetings, personal, projects, review, scorecard
from metrics.store import settings
from metrics.charts import STATUS_TINTS
from metrics.charts import alignment as alignment_charts
from metrics.charts import meetings as meeting_charts
from metrics.charts import perception_gap_chart, trend_chart
from metrics.charts import projects as project_charts
from metrics.charts import results as results_charts
from metrics.charts.review import CAUTION
import metrics.boardpack.notes as notes_layout
from metrics.boardpack.markdown import Block
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
    # ---- say and do (issue 19): with measured collaboration stored, the slide sets it beside the survey ----
    if collaboration.has_data(con):
        said_and_done = collaboration.say_and_do(con, month)
        measured = said_and_done.loc[said_and_done["unit"] == COMPANY, "collaboration_hours"]
        if len(measured) and pd.notna(measured.iloc[0]):
            takeaway += (f" Measured: marketing and IT spent {measured.iloc[0]:.1f} hours with each other per person "
                         "this month (Viva Insights).")
        return Slide("Say and do: the survey beside time spent together",
                     takeaway, figure=lambda: alignment_charts.gap_beside_say_and_do(
                         perception_gap_chart(dims, COMPANY, label), said_and_done, label))
    # ---- end say and do ----
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
# Where things go on every slide, in both formats


def image_box() -> tuple[float, float, float, float]:
    """Where a chart goes on a slide (inches: left, top, width, height): as large as fits, centred."""
    height = IMAGE_BOTTOM - IMAGE_TOP
    width = min(12.3, height * IMAGE_W / IMAGE_H)
    return (SLIDE_W - width) / 2, IMAGE_TOP, width, width * IMAGE_H / IMAGE_W


def footer(label: str, as_of: date, number: int, total: int) -> str:
    return f"{label} · data as of {as_of:%d %b %Y} · {SOURCE} · {number}/{total}"


def shown(value) -> str:
    """A table cell's text as drawn: its line breaks kept (the actions table makes its own), every other control
    character made visible."""
    return "\n".join(printable(part) for part in str(value).split("\n"))
