"""Joint-project charts: delivery rates per unit, the portfolio timeline and budget variance per project."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics.charts.style import TEMPLATE, chart_title, empty_figure
from metrics.meetings import short_month, span_label, window_start
from metrics.projects import DELIVERY_METRICS

# Outcomes and statuses in Paul Tol's muted palette (colour-blind safe). They describe what happened to a
# project, not a unit's standing against a target, so the red/amber/green status colours stay out.
CATEGORY_STYLE = {  # category: (legend label, colour)
    "success": ("Delivered: success", "#332288"),
    "partial": ("Delivered: partial", "#88CCEE"),
    "failed": ("Delivered: failed", "#882255"),
    "delivered": ("Delivered: no outcome yet", "#999933"),
    "active": ("Active", "#44AA99"),
    "planned": ("Planned", "#DDCC77"),
    "cancelled": ("Cancelled", "#777777"),
}
PLANNED_SPAN_COLOUR = "#D9D9D9"
RATE_STYLE = {  # delivery rate: (label, colour)
    "project_on_time_rate": ("On time", "#332288"),
    "project_success_rate": ("Success", "#44AA99"),
    "pilot_to_scale_rate": ("Pilot to scale", "#DDCC77"),
}
ROW_HEIGHT = 26


def _window(month: str) -> str:
    return span_label(window_start(month), month)


def delivery_rates_chart(rates: pd.DataFrame, month: str) -> go.Figure:
    """On-time, success and pilot-to-scale rates per unit (company first), each labelled with its n."""
    title = f"Joint-project delivery by unit, projects delivered {_window(month)}"
    if rates.empty or rates[list(RATE_STYLE)].notna().sum().sum() == 0:
        return empty_figure("No joint project was delivered in these 12 months", title)
    units = list(rates["unit"])
    fig = go.Figure()
    for name, (label, colour) in RATE_STYLE.items():
        values, counts = rates[name], rates[DELIVERY_METRICS[name]]
        fig.add_trace(go.Bar(
            y=units, x=values, orientation="h", name=label, marker_color=colour,
            text=["" if pd.isna(v) else f"{v:.0f}% (n={n})" for v, n in zip(values, counts)],
            textposition="outside", textfont=dict(size=12), cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}%<extra>" + label + "</extra>",
        ))
    fig.update_layout(
        template=TEMPLATE, barmode="group", bargap=0.2,
        title=chart_title(title, "n = delivered projects (pilot to scale: successful pilots); no bar = none"),
        xaxis=dict(range=[0, 130], tickvals=[0, 25, 50, 75, 100], ticktext=["0%", "25%", "50%", "75%", "100%"]),
        yaxis=dict(autorange="reversed"), height=170 + 3 * ROW_HEIGHT * len(units), margin=dict(t=120),
        legend=dict(y=1.02),
    )
    return fig


def _project_label(rows: pd.DataFrame) -> pd.Series:
    return rows["business_unit"] + " · " + rows["name"] + " (" + rows["project_id"] + ")"


def _segments(starts: pd.Series, ends: pd.Series, labels: pd.Series) -> tuple[list, list]:
    """x and y of line segments start -> end, one per row, separated by gaps (one trace draws them all)."""
    x, y = [], []
    for start, end, label in zip(starts, ends, labels):
        x += [start, end, None]
        y += [label, label, None]
    return x, y


def timeline_chart(timeline: pd.DataFrame, month: str) -> go.Figure:
    """Each project's planned span (wide grey) against its actual span (coloured by outcome or status)."""
    title = f"Joint projects, planned against actual dates, as of {short_month(month)}"
    if timeline.empty:
        return empty_figure("No joint projects in the register", title)
    labels = _project_label(timeline)
    fig = go.Figure()
    x, y = _segments(timeline["start_date"], timeline["planned_end"], labels)
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="Planned span", hoverinfo="skip",
                             line=dict(color=PLANNED_SPAN_COLOUR, width=16)))
    for category, (label, colour) in CATEGORY_STYLE.items():
        rows = timeline[(timeline["category"] == category) & timeline["actual_to"].notna()]
        if rows.empty:
            continue
        x, y = _segments(rows["start_date"], rows["actual_to"], _project_label(rows))
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=label, line=dict(color=colour, width=7),
                                 hovertemplate="%{y}: %{x|%d %b %Y}<extra>" + label + "</extra>"))
    # Planned and cancelled projects without an actual span still get a legend colour: a marker at the start.
    for category in ("planned", "cancelled"):
        rows = timeline[(timeline["category"] == category) & timeline["actual_to"].isna()]
        if rows.empty:
            continue
        label, colour = CATEGORY_STYLE[category]
        fig.add_trace(go.Scatter(x=rows["start_date"], y=_project_label(rows), mode="markers", name=label,
                                 marker=dict(color=colour, size=11, symbol="diamond"),
                                 hovertemplate="%{y}: starts %{x|%d %b %Y}<extra>" + label + "</extra>"))
    as_of = (pd.Timestamp(f"{month}-01") + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d")
    fig.add_shape(type="line", x0=as_of, x1=as_of, xref="x", y0=0, y1=1, yref="paper",
                  line=dict(color="#222222", width=1.5, dash="dot"))
    fig.add_annotation(x=as_of, xref="x", y=1, yref="paper", yanchor="bottom", text=f"end of {short_month(month)}",
                       showarrow=False, font=dict(size=12, color="#222222"))
    fig.update_layout(
        template=TEMPLATE,
        title=chart_title(title, "Grey: planned start to planned end; colour: start to actual end, or to the "
                                 "month's end while active; ◆ = not started or cancelled"),
        yaxis=dict(categoryorder="array", categoryarray=list(labels)[::-1], showgrid=False, tickfont=dict(size=12)),
        xaxis=dict(type="date", gridcolor="#EEEEEE", showgrid=True),
        height=220 + ROW_HEIGHT * len(timeline), margin=dict(t=150), legend=dict(y=1.04),
    )
    return fig


def budget_variance_chart(variance: pd.DataFrame, month: str) -> go.Figure:
    """Budget variance of each project delivered in the 12 months, sorted, with the zero line."""
    title = f"Budget variance of joint projects delivered {_window(month)}"
    if variance.empty:
        return empty_figure("No joint project was delivered in these 12 months", title)
    labels = _project_label(variance)
    values = variance["budget_variance_pct"]
    reach = max(values.abs().max(), 5.0) * 1.35  # room for the labels on both sides of zero
    fig = go.Figure(go.Bar(
        y=labels, x=values, orientation="h", marker_color="#332288", showlegend=False,
        text=[f"{v:+.1f}%" for v in values], textposition="outside", textfont=dict(size=12), cliponaxis=False,
        customdata=variance[["budget", "spend"]].to_numpy(),
        hovertemplate="%{y}: %{x:+.1f}% (spend %{customdata[1]:,.0f} of budget %{customdata[0]:,.0f})<extra></extra>",
    ))
    fig.add_vline(x=0, line=dict(color="#222222", width=1.5))
    fig.update_layout(
        template=TEMPLATE,
        title=chart_title(title, "(spend - budget) / budget x 100; right of zero = over budget"),
        xaxis=dict(title="budget variance (%)", range=[-reach if values.min() < 0 else -reach / 4, reach],
                   ticksuffix="%", zeroline=False),
        yaxis=dict(categoryorder="array", categoryarray=list(labels)[::-1], showgrid=False, tickfont=dict(size=12)),
        height=160 + ROW_HEIGHT * len(variance), margin=dict(t=110),
    )
    return fig
