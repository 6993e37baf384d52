"""Alignment charts: dimension heatmap, Likert diverging bars, department trends, response and partner rates."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics.charts.style import (COMPANY_COLOUR, DEPARTMENT_COLOURS, STATUS_COLOURS, STATUS_LABELS, STATUS_TINTS,
                                  TEMPLATE, add_annotations, chart_title, empty_figure)

# Purple-orange diverging scale (ColorBrewer PuOr): readable with the common colour-vision deficiencies and
# distinct from the red/amber/green that mean status.
LIKERT_COLOURS = {1: "#B35806", 2: "#F1A340", 3: "#D9D9D9", 4: "#998EC3", 5: "#542788"}
LIKERT_LABELS = {1: "Strongly disagree", 2: "Disagree", 3: "Neutral", 4: "Agree", 5: "Strongly agree"}
HIDDEN_TINT = "#F2F2F2"   # a heatmap cell with no status: hidden or no data


def _pretty(name: str) -> str:
    return name.replace("_", " ").capitalize()


def dimension_heatmap(scores: pd.DataFrame, month_label: str, target: float, threshold: int) -> go.Figure:
    """Units x dimensions: each cell's score, coloured by its status against the target band."""
    heading = f"Dimension scores by business unit, {month_label}"
    if scores["score"].notna().sum() == 0:
        return empty_figure("No survey figures to show this month", heading)
    units = list(dict.fromkeys(scores["unit"]))
    dimensions = sorted(scores["dimension"].unique())
    grid = scores.pivot(index="unit", columns="dimension", values="score").reindex(index=units, columns=dimensions)
    status = scores.pivot(index="unit", columns="dimension", values="status").reindex(index=units, columns=dimensions)
    codes = {None: 0, "red": 1, "amber": 2, "green": 3}
    z = [[codes.get(None if pd.isna(s) else s, 0) for s in row] for row in status.values]
    text = [["hidden" if pd.isna(v) else f"{v:.0f}" for v in row] for row in grid.values]
    colours = [HIDDEN_TINT, STATUS_TINTS["red"], STATUS_TINTS["amber"], STATUS_TINTS["green"]]
    scale = [[0.0, colours[0]], [0.25, colours[0]], [0.25, colours[1]], [0.5, colours[1]],
             [0.5, colours[2]], [0.75, colours[2]], [0.75, colours[3]], [1.0, colours[3]]]
    fig = go.Figure(go.Heatmap(
        z=z, x=[_pretty(d) for d in dimensions], y=units, text=text, texttemplate="%{text}",
        textfont=dict(size=15), colorscale=scale, zmin=0, zmax=4, showscale=False, xgap=3, ygap=3,
        customdata=grid.values, hovertemplate="%{y} · %{x}: %{text}<extra></extra>"))
    for status_name in ("green", "amber", "red"):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=STATUS_LABELS[status_name],
                                 marker=dict(size=14, symbol="square", color=STATUS_TINTS[status_name],
                                             line=dict(color=STATUS_COLOURS[status_name], width=2))))
    fig.update_layout(template=TEMPLATE, title=chart_title(
        heading, f"Mean of marketing's and IT's score 0-100; target {target:g}; "
                 f"hidden = fewer than {threshold} respondents"),
        yaxis=dict(autorange="reversed", showgrid=False), xaxis=dict(side="bottom", showgrid=False),
        height=150 + 46 * len(units), margin=dict(t=120, l=140), plot_bgcolor="white")
    return fig


def likert_bars(distribution: pd.DataFrame, scope: str, month_label: str) -> go.Figure:
    """Diverging stacked bars per item: disagreement left, agreement right, neutral centred on zero."""
    heading = f"How marketing and IT answered each statement: {scope}, {month_label}"
    data = distribution.dropna(subset=["pct_favourable"])
    if data.empty:
        return empty_figure("Hidden: fewer respondents than the anonymity threshold, or no survey this month", heading)
    data = data.sort_values("pct_favourable")
    labels = [_short_item(row.text, row.reverse_scored) for row in data.itertuples()]
    fig = go.Figure()
    # Left of zero: half of neutral, disagree, strongly disagree (drawn outward); right: the mirror.
    segments = [(3, -data["pct_3"] / 2, True), (2, -data["pct_2"], True), (1, -data["pct_1"], True),
                (3, data["pct_3"] / 2, False), (4, data["pct_4"], True), (5, data["pct_5"], True)]
    shares = {score: data[f"pct_{score}"] for score in LIKERT_LABELS}
    for score, values, in_legend in segments:
        fig.add_trace(go.Bar(
            y=labels, x=values, orientation="h", marker=dict(color=LIKERT_COLOURS[score], line=dict(width=0)),
            name=LIKERT_LABELS[score], legendgroup=str(score), showlegend=in_legend, legendrank=score,
            customdata=shares[score], hovertemplate=f"{LIKERT_LABELS[score]}: " + "%{customdata:.0f}%<extra>%{y}</extra>"))
    add_annotations(fig, [dict(x=100, y=label, text=f"<b>{row.pct_favourable:.0f}%</b> fav. (n={row.n:.0f})",
                               showarrow=False, xanchor="right", font=dict(size=12, color="#333333"))
                          for label, row in zip(labels, data.itertuples())])
    fig.update_layout(
        template=TEMPLATE, barmode="relative", bargap=0.25,
        title=chart_title(heading, "Share of answers; reverse-scored statements flipped so right is always favourable"),
        xaxis=dict(range=[-100, 100], tickvals=[-100, -50, 0, 50, 100], ticktext=["100%", "50%", "0", "50%", "100%"],
                   zeroline=True, zerolinecolor="#555555", title="share of answers"),
        yaxis=dict(automargin=True, tickfont=dict(size=12)), height=160 + 34 * len(data),
        legend=dict(traceorder="normal"), margin=dict(t=130, l=20))
    return fig


def shown_n(values: pd.Series, counts: pd.Series) -> list[str]:
    """The n to show beside each value: none where the value is hidden or missing (a hidden figure's n is hidden)."""
    return ["hidden" if pd.isna(v) or pd.isna(n) else f"{int(n)}" for v, n in zip(values, counts)]


def _short_item(text: str, reverse: bool, width: int = 72) -> str:
    short = text if len(text) <= width else text[: width - 1].rstrip() + "…"
    return short + (" (R)" if reverse else "")


def department_trend(trends: pd.DataFrame, scope: str, month_label: str, target: float) -> go.Figure:
    """Marketing and IT department index over the last 12 months."""
    heading = f"Marketing and IT department index: {scope}, 12 months to {month_label}"
    if trends["index"].notna().sum() == 0:
        return empty_figure("No survey figures to show for these months", heading)
    fig = go.Figure()
    for department, label, symbol in (("marketing", "Marketing", "circle"), ("it", "IT", "diamond")):
        part = trends[trends["department"] == department]
        fig.add_trace(go.Scatter(x=part["month"], y=part["index"], name=label, mode="lines+markers",
                                 line=dict(color=DEPARTMENT_COLOURS[department], width=3),
                                 marker=dict(size=8, symbol=symbol), customdata=shown_n(part["index"], part["n"]),
                                 hovertemplate="%{x}: %{y:.1f} (n=%{customdata})<extra>" + label + "</extra>"))
    fig.add_hline(y=target, line=dict(color="#555555", dash="dot", width=1.5), annotation_text=f"target {target:g}",
                  annotation_position="top left", annotation_font=dict(size=12, color="#555555"))
    fig.update_layout(template=TEMPLATE, title=chart_title(heading, "Index 0-100; gaps where a group is hidden"),
                      yaxis=dict(title="index 0-100"), xaxis=dict(type="category"), height=420, margin=dict(t=120))
    return fig


def response_rates(rates: pd.DataFrame, month_label: str, flag_below: float) -> go.Figure:
    """Marketing and IT response rates per unit, with the line under which a rate is flagged."""
    heading = f"Survey response rates, {month_label}"
    if rates[["response_rate_marketing", "response_rate_it"]].notna().sum().sum() == 0:
        return empty_figure("No headcount or responses for this month", heading)
    fig = go.Figure()
    for department, column, label in (("marketing", "response_rate_marketing", "Marketing"),
                                      ("it", "response_rate_it", "IT")):
        values = rates[column]
        fig.add_trace(go.Bar(
            x=rates["unit"], y=values, name=label, marker_color=DEPARTMENT_COLOURS[department],
            text=[("" if pd.isna(v) else f"{v:.0f}%" + (" ⚑" if v < flag_below else "")) for v in values],
            textposition="outside", textfont=dict(size=12), hovertemplate="%{x}: %{y:.1f}%<extra>" + label + "</extra>"))
    fig.add_hline(y=flag_below, line=dict(color="#555555", dash="dash", width=1.5))
    fig.update_layout(template=TEMPLATE, barmode="group", title=chart_title(heading, f"Respondents / headcount; dashed line {flag_below:g}%: below it is flagged ⚑"),
                      legend=dict(x=1, xanchor="right"),
                      yaxis=dict(title="response rate (%)", range=[0, 115]), height=430, margin=dict(t=120))
    return fig


def partner_rates(rates: pd.DataFrame, month_label: str, seed_rates: dict[str, float]) -> go.Figure:
    """Share who see the other function as a strategic partner, beside the seeds' 16% (B2C) and 12% (B2B)."""
    heading = f"Who sees the other function as a strategic partner, {month_label}"
    columns = ["strategic_partner_rate_marketing", "strategic_partner_rate_it"]
    if rates[columns].notna().sum().sum() == 0:
        return empty_figure("Hidden or no answers this month", heading)
    fig = go.Figure()
    for department, column, label in (("marketing", columns[0], "Marketing sees IT"),
                                      ("it", columns[1], "IT sees marketing")):
        fig.add_trace(go.Bar(
            x=rates["unit"], y=rates[column], name=label, marker_color=DEPARTMENT_COLOURS[department],
            text=[("hidden" if pd.isna(v) else f"{v:.0f}%") for v in rates[column]], textposition="outside",
            textfont=dict(size=12), customdata=shown_n(rates[column], rates[f"{column}_n"]),
            hovertemplate="%{x}: %{y:.1f}% (n=%{customdata})<extra>" + label + "</extra>"))
    seeds = [f"Seeds: {name} marketing" for name in seed_rates]
    fig.add_trace(go.Bar(x=seeds, y=list(seed_rates.values()), name="Seed articles (marketing leaders)",
                         marker_color="#BBBBBB", text=[f"{v:g}%" for v in seed_rates.values()],
                         textposition="outside", textfont=dict(size=12),
                         hovertemplate="%{x}: %{y:g}%<extra></extra>"))
    fig.update_layout(template=TEMPLATE, barmode="group",
                      title=chart_title(heading, "Percent agreeing (4 or 5) that the other function is a strategic "
                                                 "partner rather than a service provider; grey = the seeds' figures"),
                      yaxis=dict(title="% favourable", range=[0, max(rates[columns].max().max(), 20) * 1.25]),
                      height=430, margin=dict(t=120))
    return fig


def partner_nps(rates: pd.DataFrame, month_label: str) -> go.Figure:
    """Partner NPS per unit: % promoters (9-10) minus % detractors (0-6)."""
    heading = f"Partner NPS: would recommend working with the other function, {month_label}"
    if rates["partner_nps"].notna().sum() == 0:
        return empty_figure("Hidden or no answers this month", heading)
    colours = [COMPANY_COLOUR if u == "Company" else "#6A6A6A" for u in rates["unit"]]
    fig = go.Figure(go.Bar(
        x=rates["unit"], y=rates["partner_nps"], marker_color=colours,
        customdata=shown_n(rates["partner_nps"], rates["partner_nps_n"]),
        text=[("hidden" if pd.isna(v) else f"{v:+.0f}") for v in rates["partner_nps"]], textposition="outside",
        textfont=dict(size=12), hovertemplate="%{x}: %{y:+.0f} (n=%{customdata})<extra></extra>", showlegend=False))
    fig.add_hline(y=0, line=dict(color="#555555", width=1))
    fig.update_layout(template=TEMPLATE,
                      title=chart_title(heading, "Marketing and IT together; scale -100 to +100"),
                      yaxis=dict(title="NPS", range=[-110, 110]), height=430, margin=dict(t=120))
    return fig


# ---- Say and do (issue 19): measured collaboration beside the survey's partnership view ----

def say_and_do(frame: pd.DataFrame, month_label: str, threshold: int) -> go.Figure:
    """Per unit (Company first): measured marketing-IT hours per person (left) beside the survey's partnership score
    and strategic-partner rates (right). A hidden survey figure is written "hidden", never drawn."""
    from plotly.subplots import make_subplots

    heading = f"Say and do: measured collaboration beside the survey, {month_label}"
    if frame.empty or frame[["collaboration_hours", "partnership"]].notna().sum().sum() == 0:
        return empty_figure("No measured collaboration or partnership score this month", heading)
    units = list(frame["unit"])
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.06,
                        subplot_titles=("Do: hours with the other function per person", "Say: partnership (survey)"))
    for side, column, people, label in (("marketing", "marketing_to_it", "marketing_people", "Marketing with IT"),
                                        ("it", "it_to_marketing", "it_people", "IT with marketing")):
        fig.add_trace(go.Bar(
            y=units, x=frame[column], orientation="h", name=label, marker_color=DEPARTMENT_COLOURS[side],
            customdata=frame[people], text=[("–" if pd.isna(v) else f"{v:.1f} h") for v in frame[column]],
            textposition="outside", hovertemplate="%{y}: %{x:.1f} h per person (%{customdata:.0f} people)<extra>"
                                                  + label + "</extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(
        y=units, x=frame["collaboration_hours"], mode="markers", name="Both ways (per person)",
        marker=dict(symbol="diamond", size=13, color=COMPANY_COLOUR),
        hovertemplate="%{y}: %{x:.1f} h per person, both ways<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(
        y=units, x=frame["partnership"], orientation="h", name="Partnership score (0-100)", marker_color="#C8C8C8",
        text=[("hidden" if pd.isna(v) else f"{v:.0f}") for v in frame["partnership"]], textposition="outside",
        hovertemplate="%{y}: partnership %{x:.0f} of 100<extra></extra>"), row=1, col=2)
    for side, column, label in (("marketing", "strategic_partner_rate_marketing", "Marketing sees IT as partner (%)"),
                                ("it", "strategic_partner_rate_it", "IT sees marketing as partner (%)")):
        fig.add_trace(go.Scatter(
            y=units, x=frame[column], mode="markers", name=label,
            marker=dict(symbol="line-ns-open", size=18, color=DEPARTMENT_COLOURS[side],
                        line=dict(width=3, color=DEPARTMENT_COLOURS[side])),
            hovertemplate="%{y}: %{x:.0f}% favourable<extra>" + label + "</extra>"), row=1, col=2)
    most = frame[["marketing_to_it", "it_to_marketing", "collaboration_hours"]].max().max()
    fig.update_xaxes(title_text="hours per person per month", range=[0, (most if pd.notna(most) else 1) * 1.3],
                     row=1, col=1)
    fig.update_xaxes(title_text="score 0-100 · % favourable", range=[0, 115], row=1, col=2)
    fig.update_layout(template=TEMPLATE, barmode="group", height=190 + 70 * len(units), margin=dict(t=150, l=140),
                      yaxis=dict(autorange="reversed"),
                      title=chart_title(heading, "Measured: Viva Insights' collaboration hours between marketing "
                                                 "and IT. Said: the survey's partnership dimension and strategic-"
                                                 f"partner rates (hidden under {threshold} respondents)"),
                      legend=dict(y=1.12))
    return fig


def say_and_do_trend(trend: pd.DataFrame, scope: str, month_label: str) -> go.Figure:
    """Over 12 months: measured hours per person (left axis) and the survey's partnership score (right axis)."""
    heading = f"Say and do over time: {scope}, 12 months to {month_label}"
    if trend[["collaboration_hours", "partnership"]].notna().sum().sum() == 0:
        return empty_figure("No measured collaboration or partnership score in these months", heading)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=trend["month"], y=trend["collaboration_hours"], mode="lines+markers",
                             name="Measured: hours per person (left)", line=dict(color=COMPANY_COLOUR, width=3),
                             customdata=trend["collaboration_hours_n"],
                             hovertemplate="%{x}: %{y:.1f} h per person (%{customdata:.0f} people)<extra></extra>"))
    fig.add_trace(go.Scatter(x=trend["month"], y=trend["partnership"], mode="lines+markers", yaxis="y2",
                             name="Said: partnership score (right)", line=dict(color="#6A6A6A", width=2, dash="dot"),
                             hovertemplate="%{x}: partnership %{y:.0f}<extra></extra>"))
    fig.update_layout(template=TEMPLATE, height=420, margin=dict(t=120),
                      title=chart_title(heading, "Hours marketing and IT spent with each other per person per month; "
                                                 "the survey's partnership score 0-100 (gaps: hidden or no survey)"),
                      yaxis=dict(title="hours per person per month", rangemode="tozero"),
                      yaxis2=dict(title="partnership 0-100", overlaying="y", side="right", range=[0, 100], dtick=20,
                                  showgrid=False))
    return fig


def gap_beside_say_and_do(gap: go.Figure, frame: pd.DataFrame, month_label: str) -> go.Figure:
    """The board pack's gap slide when measured collaboration is stored: the perception-gap dumbbell (`gap`, as
    perception_gap_chart drew it) on the left, and per unit what marketing and IT do (hours with each other per
    person) labelled with what they say (the partnership score, "hidden" where the survey hides it) on the right."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, column_widths=[0.55, 0.45], horizontal_spacing=0.17,
                        subplot_titles=("Say: each side's score per dimension (0-100)",
                                        "Do: hours with the other function per person, per month"))
    for trace in gap.data:
        fig.add_trace(trace, row=1, col=1)
    fig.layout.annotations = (*fig.layout.annotations, *[a.update(xref="x", yref="y") for a in gap.layout.annotations
                                                         if a.xref in (None, "x")])
    units = list(frame["unit"])
    said = ["said: hidden" if pd.isna(p) else f"said: {p:.0f}" for p in frame["partnership"]]
    labels = [("–" if pd.isna(h) else f"{h:.1f} h · {s}") for h, s in zip(frame["collaboration_hours"], said)]
    fig.add_trace(go.Bar(y=units, x=frame["collaboration_hours"], orientation="h", marker_color=COMPANY_COLOUR,
                         name="Both ways, per person", showlegend=False,
                         text=labels,
                         textposition="outside", hovertemplate="%{y}: %{x:.1f} h per person<extra></extra>"),
                  row=1, col=2)
    most = frame["collaboration_hours"].max()
    fig.update_xaxes(title_text="dimension score (0-100)", range=[0, 105], row=1, col=1)
    fig.update_xaxes(title_text="hours per person per month", range=[0, (most if pd.notna(most) else 1) * 1.9],
                     row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_layout(template=TEMPLATE, height=max(gap.layout.height or 400, 190 + 48 * len(units)),
                      margin=dict(t=130, l=150, b=90), legend=dict(y=-0.22, x=0),
                      title=chart_title(f"Say and do: how each side rates the collaboration, and the time they "
                                        f"spend together, {month_label}",
                                        "Left: dimension score, label = marketing minus IT. Right: Viva Insights' "
                                        "collaboration hours between marketing and IT, labelled with the survey's "
                                        "partnership score"))
    return fig
