"""Scorecard charts: trend lines of a metric and the marketing-versus-IT perception gap."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics.charts.style import (COMPANY_COLOUR, IT, MARKETING, TEMPLATE, UNIT_COLOURS, add_annotations, chart_title,
                                  empty_figure)
from metrics.vocabulary import SIDES


def trend_chart(history: pd.DataFrame, metric_name: str, label: str, month_label: str, *,
                target: float | None = None, unit: str = "index 0-100") -> go.Figure:
    """Lines of a metric over months: one per business unit, the company bold."""
    if history[metric_name].notna().sum() == 0:
        return empty_figure("No data for these months", f"{label}: last 12 months to {month_label}")
    fig = go.Figure()
    for i, (unit_name, rows) in enumerate(history.groupby("unit", sort=True)):
        if unit_name == "Company":
            continue
        fig.add_trace(go.Scatter(x=rows["month"], y=rows[metric_name], name=unit_name, mode="lines+markers",
                                 line=dict(width=2, color=UNIT_COLOURS[i % len(UNIT_COLOURS)]), marker=dict(size=5),
                                 connectgaps=False, hovertemplate="%{x}: %{y:.1f}<extra>" + unit_name + "</extra>"))
    company = history[history["unit"] == "Company"]
    fig.add_trace(go.Scatter(x=company["month"], y=company[metric_name], name="Company", mode="lines+markers",
                             line=dict(width=4, color=COMPANY_COLOUR), marker=dict(size=7),
                             hovertemplate="%{x}: %{y:.1f}<extra>Company</extra>"))
    if target is not None:
        fig.add_hline(y=target, line=dict(color="#555555", dash="dot", width=1.5),
                      annotation_text=f"target {target:g}", annotation_position="top left",
                      annotation_font=dict(size=12, color="#555555"))
    fig.update_layout(template=TEMPLATE, title=chart_title(f"{label}: last 12 months to {month_label}",
                                                      "Company in bold; gaps where a unit is hidden or has no data"),
                      yaxis_title=unit, xaxis_title=None, height=460, xaxis=dict(type="category"),
                      margin=dict(t=110))
    return fig


def perception_gap_chart(dimensions: pd.DataFrame, title_scope: str, month_label: str) -> go.Figure:
    """Dumbbell: marketing's and IT's score per dimension, sorted by the size of the gap."""
    data = dimensions.dropna(subset=list(SIDES)).copy()
    heading = f"How marketing and IT each rate the collaboration: {title_scope}, {month_label}"
    if data.empty:
        return empty_figure("Hidden: fewer respondents than the anonymity threshold, or no survey this month", heading)
    data["abs_gap"] = data["gap"].abs()
    data = data.sort_values("abs_gap")
    labels = data["dimension"].str.replace("_", " ").str.capitalize()
    fig = go.Figure()
    for (_, row), label in zip(data.iterrows(), labels):
        fig.add_trace(go.Scatter(x=[row["marketing"], row["it"]], y=[label, label], mode="lines",
                                 line=dict(color="#BBBBBB", width=6), showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=data["marketing"], y=labels, mode="markers", name="Marketing",
                             marker=dict(color=MARKETING, size=16, symbol="circle"),
                             hovertemplate="Marketing %{x:.1f}<extra>%{y}</extra>"))
    fig.add_trace(go.Scatter(x=data["it"], y=labels, mode="markers", name="IT",
                             marker=dict(color=IT, size=16, symbol="diamond"),
                             hovertemplate="IT %{x:.1f}<extra>%{y}</extra>"))
    add_annotations(fig, [dict(x=max(row.marketing, row.it), y=label, text=f"{round(row.gap):+d}" if round(row.gap) else "0",
                               showarrow=False, xanchor="left", xshift=14, font=dict(size=13, color="#555555"))
                          for label, row in zip(labels, data.itertuples())])
    fig.update_layout(template=TEMPLATE, title=chart_title(heading, "Dimension score 0-100; label = marketing minus IT"),
                      xaxis=dict(title="dimension score (0-100)", range=[0, 105]), height=110 + 48 * len(data),
                      margin=dict(t=110, l=150))
    return fig
