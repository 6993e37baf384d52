"""Meetings charts: the steering-meeting cadence grid, attendance by department and type, leadership presence."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from metrics.charts.style import DEPARTMENT_COLOURS, TEMPLATE, add_annotations, chart_title, empty_figure
from metrics.meetings import MEETING_TYPES, short_month, span_label, window_start
from metrics.vocabulary import SIDES

# Cadence states in a neutral categorical palette (Paul Tol's high-contrast scheme, safe for colour-blind
# readers and in greyscale): these say whether a meeting happened, not how a unit does against a target, so
# the red/amber/green status colours stay out. A glyph in each cell carries the state without colour too.
CADENCE_STYLE = {  # state: (legend label, fill, glyph)
    "held": ("Held", "#004488", "✓"),
    "cancelled": ("Cancelled only", "#DDAA33", "✕"),
    "none": ("None on record", "#E8E8E8", ""),
    "not_recorded": ("Before records began", "#FFFFFF", ""),
}
# A single-hue sequential scale for shares (0 light, 100 dark), not a status scale.
SHARE_SCALE = [[0.0, "#DCE1EC"], [1.0, "#1B2A57"]]
MEETING_TYPE_LABELS = {"all": "All meetings", "joint_steering": "Joint steering", "co_department": "Co-department",
                       "brainstorm": "Brainstorm", "staff_exchange": "Staff exchange"}
DEPARTMENT_LABELS = {"marketing": "Marketing", "it": "IT"}
PERCENT_TICKS = [0, 25, 50, 75, 100]


def _tick_label(month: str) -> str:
    return short_month(month).replace(" ", "<br>")


def _discrete_scale(colours: list[str]) -> list[list]:
    """A stepped colour scale mapping the integers 0..len-1 to one colour each."""
    steps, count = [], len(colours)
    for i, colour in enumerate(colours):
        steps += [[i / count, colour], [(i + 1) / count, colour]]
    return steps


def cadence_chart(grid: pd.DataFrame, summary: pd.DataFrame, month: str) -> go.Figure:
    """Unit x month grid of the joint steering meeting (held, cancelled, none), with 3-month adherence beside it.

    `grid` is meetings.cadence_grid; `summary` is meetings.unit_summary (its cadence_adherence_3m column).
    """
    title = f"Joint steering meetings held, {span_label(window_start(month), month)}"
    if grid.empty:
        return empty_figure("No meeting records yet", title)
    months = sorted(grid["month"].unique())
    units = sorted(grid["business_unit"].unique())
    states = list(CADENCE_STYLE)
    cells = grid.pivot(index="business_unit", columns="month", values="state").reindex(index=units, columns=months)
    held = grid.pivot(index="business_unit", columns="month", values="held").reindex(index=units, columns=months)
    cancelled = grid.pivot(index="business_unit", columns="month", values="cancelled").reindex(index=units,
                                                                                           columns=months)
    ticks = [_tick_label(m) for m in months]
    fig = go.Figure(go.Heatmap(
        z=cells.map(states.index).to_numpy(), x=ticks, y=units,
        text=cells.map(lambda s: CADENCE_STYLE[s][2]).to_numpy(), texttemplate="%{text}",
        textfont=dict(size=16),  # no colour: plotly picks a contrasting one per cell
        customdata=(cells.map(lambda s: CADENCE_STYLE[s][0]) + " (held " + held.astype(str) + ", cancelled "
                    + cancelled.astype(str) + ")").to_numpy(),
        hovertemplate="%{y}, %{x}: %{customdata}<extra></extra>",
        colorscale=_discrete_scale([CADENCE_STYLE[s][1] for s in states]), zmin=-0.5, zmax=len(states) - 0.5,
        showscale=False, xgap=3, ygap=3,
    ))
    shown = set(grid["state"])
    for state in [s for s in states if s != "not_recorded" or s in shown]:
        label, colour, glyph = CADENCE_STYLE[state]
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"{glyph} {label}".strip(),
                                 marker=dict(symbol="square", size=15, color=colour,
                                             line=dict(color="#888888", width=1))))
    adherence = summary.set_index("unit")["cadence_adherence_3m"] if len(summary) else pd.Series(dtype=float)
    heading = dict(x=1.0, xref="paper", xanchor="left", xshift=12, y=-0.5, yref="y", yanchor="bottom",
                   text="<b>Last 3<br>months</b>", showarrow=False, font=dict(size=13), align="left")
    add_annotations(fig, [heading] + [
        dict(x=1.0, xref="paper", xanchor="left", xshift=12, y=unit, yref="y", showarrow=False,
             text="–" if value is None or pd.isna(value) else f"{value:.0f}%", font=dict(size=14))
        for unit, value in ((unit, adherence.get(unit)) for unit in units)])
    fig.update_layout(
        template=TEMPLATE,
        title=chart_title(title, "Glyph = held (✓) or only cancelled (✕); right: cadence adherence over the last "
                                 "three months (target 100%)"),
        xaxis=dict(side="bottom", showline=False, ticks=""), yaxis=dict(autorange="reversed", showgrid=False,
                                                                         showline=False, ticks=""),
        legend=dict(y=1.02), height=190 + 46 * len(units), margin=dict(t=120, r=110),
    )
    return fig


def attendance_chart(attendance: pd.DataFrame, month: str, scope: str) -> go.Figure:
    """Marketing and IT attendance rate by meeting type: the month beside the trailing 12 months."""
    panels = {"month": short_month(month), "trailing_12m": span_label(window_start(month), month)}
    title = f"Attendance at held meetings by department and type: {scope}, {panels['trailing_12m']}"
    if attendance.empty:
        return empty_figure("No held meetings with attendance records in these months", title)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.08,
                        subplot_titles=[f"<b>{label}</b>" for label in panels.values()])
    order = [MEETING_TYPE_LABELS[t] for t in MEETING_TYPES]
    for col, period in enumerate(panels, start=1):
        for department in SIDES:
            rows = attendance[(attendance["period"] == period) & (attendance["department"] == department)]
            fig.add_trace(go.Bar(
                y=rows["meeting_type"].map(MEETING_TYPE_LABELS), x=rows["attendance_rate"], orientation="h",
                name=DEPARTMENT_LABELS[department], legendgroup=department, showlegend=col == 1,
                marker_color=DEPARTMENT_COLOURS[department],
                text=[f"{r:.0f}% (n={n})" for r, n in zip(rows["attendance_rate"], rows["invitees"])],
                textposition="outside", textfont=dict(size=12), cliponaxis=False,
                customdata=rows[["attended", "invitees"]].to_numpy(),
                hovertemplate="%{y}: %{x:.1f}% (%{customdata[0]} of %{customdata[1]} invitees)<extra>"
                              + DEPARTMENT_LABELS[department] + "</extra>",
            ), row=1, col=col)
        # Room beyond 100% for the labels; ticks stop at 100 so the axis never suggests more.
        fig.update_xaxes(range=[0, 135], tickvals=PERCENT_TICKS, ticktext=[f"{t}%" for t in PERCENT_TICKS],
                         row=1, col=col)
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
    fig.update_annotations(font=dict(size=14))
    fig.update_layout(template=TEMPLATE, barmode="group", bargap=0.25, height=500,
                      title=chart_title(title, "Invitees who attended / invitees, held meetings only; "
                                               "n = invitations"),
                      margin=dict(t=130, l=130), legend=dict(y=1.08))
    return fig


def leadership_chart(trend: pd.DataFrame, month: str) -> go.Figure:
    """Unit x month grid of leadership presence: the share of held steering meetings with both leads there."""
    title = f"Both leads present at joint steering meetings, {span_label(window_start(month), month)}"
    if trend.empty or trend["leadership_presence"].notna().sum() == 0:
        return empty_figure("No joint steering meeting was held in these months", title)
    months = sorted(trend["month"].unique())
    units = list(dict.fromkeys(trend["unit"]))  # the company first, as given
    values = trend.pivot(index="unit", columns="month", values="leadership_presence").reindex(index=units,
                                                                                          columns=months)
    counts = trend.pivot(index="unit", columns="month", values="leadership_presence_n").reindex(index=units,
                                                                                             columns=months)
    text = values.map(lambda v: "" if pd.isna(v) else f"{v:.0f}%")
    hover = ("held steering meetings: " + counts.fillna(0).astype(int).astype(str)).to_numpy()
    fig = go.Figure(go.Heatmap(
        z=values.to_numpy(dtype=float), x=[_tick_label(m) for m in months], y=units, text=text.to_numpy(),
        texttemplate="%{text}", textfont=dict(size=12), customdata=hover,
        hovertemplate="%{y}, %{x}: %{z:.0f}% (%{customdata})<extra></extra>",
        colorscale=SHARE_SCALE, zmin=0, zmax=100, xgap=3, ygap=3, showscale=False,  # each cell says its value
    ))
    fig.update_layout(
        template=TEMPLATE,
        title=chart_title(title, "Share of held joint steering meetings at which the marketing lead and the IT "
                                 "lead both attended; blank = none held"),
        xaxis=dict(showline=False, ticks=""), yaxis=dict(autorange="reversed", showgrid=False, showline=False,
                                                        ticks=""),
        height=150 + 44 * len(units), margin=dict(t=90),
    )
    return fig
