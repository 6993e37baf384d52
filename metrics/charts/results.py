"""Results charts: index against a KPI (scatter with OLS line), the lag chart, quartiles, drivers."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from metrics.charts.style import COMPANY_COLOUR, IT, TEMPLATE, UNIT_COLOURS, chart_title, empty_figure
from metrics.linkage import SEED_BENCHMARK, p_text


def _fmt_r(r: float | None) -> str:
    return "–" if r is None else f"{r:+.2f}"


def scatter(data: dict, index_label: str, kpi_label: str, lag: int) -> go.Figure:
    """Each unit-month: index (x) against the KPI `lag` months later (y), with the OLS line and its 95% band."""
    paired, corr, trend = data["pairs"], data["correlation"], data["trend"]
    heading = f"{index_label} against {kpi_label} {lag} month{'s' if lag != 1 else ''} later"
    if paired.empty:
        return empty_figure("No unit-month has both figures", heading)
    fig = go.Figure()
    for i, (unit, part) in enumerate(paired.groupby("business_unit")):
        fig.add_trace(go.Scatter(x=part["index"], y=part["kpi"], mode="markers", name=unit,
                                 marker=dict(size=9, color=UNIT_COLOURS[i % len(UNIT_COLOURS)], opacity=0.8),
                                 customdata=part["month"],
                                 hovertemplate="%{customdata}: %{x:.1f} → %{y:.2f}<extra>" + unit + "</extra>"))
    if trend is not None:
        fig.add_trace(go.Scatter(x=trend.x + trend.x[::-1], y=trend.ci_high + trend.ci_low[::-1], fill="toself",
                                 fillcolor="rgba(34,34,34,0.12)", line=dict(width=0), name="95% band of the line",
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=trend.x, y=trend.fitted, mode="lines", name=f"OLS: slope {trend.slope:+.3f}",
                                 line=dict(color=COMPANY_COLOUR, width=3), hoverinfo="skip"))
    subtitle = (f"n = {corr.n} unit-months · Pearson r = {_fmt_r(corr.pearson_r)}"
                + ("" if corr.ci_low is None else f" (95% CI {corr.ci_low:+.2f} to {corr.ci_high:+.2f})")
                + " · correlation is not proof of cause")
    fig.update_layout(template=TEMPLATE, title=chart_title(heading, subtitle), height=520,
                      xaxis=dict(title=index_label), yaxis=dict(title=kpi_label), margin=dict(t=130))
    return fig


def lag_chart(lags: list[dict], index_label: str, kpi_label: str) -> go.Figure:
    """Pearson r at each lag with its 95% interval, and the within-unit r beside it."""
    heading = f"How strongly {index_label.lower()} goes with {kpi_label} 0-{len(lags) - 1} months later"
    frame = pd.DataFrame(lags)
    if frame["pearson_r"].isna().all():
        return empty_figure("Too few unit-months to correlate", heading)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=frame["lag"] - 0.08, y=frame["pearson_r"], mode="markers", name="Pearson r (95% CI)",
        marker=dict(size=12, color=COMPANY_COLOUR),
        error_y=dict(type="data", symmetric=False, array=frame["ci_high"] - frame["pearson_r"],
                     arrayminus=frame["pearson_r"] - frame["ci_low"], color=COMPANY_COLOUR, thickness=2, width=6),
        customdata=list(zip(frame["n"], frame["p_value"].map(p_text))),
        hovertemplate="lag %{x:.0f}: r = %{y:+.2f}, n = %{customdata[0]}, p = %{customdata[1]}<extra></extra>"))
    fig.add_trace(go.Scatter(x=frame["lag"] + 0.08, y=frame["within_unit_r"], mode="markers",
                             name="within-unit r (each unit's mean removed)",
                             marker=dict(size=11, color="#56B4E9", symbol="diamond"),
                             hovertemplate="lag %{x:.0f}: within-unit r = %{y:+.2f}<extra></extra>"))
    for row in frame.itertuples():
        fig.add_annotation(x=row.lag, y=-1.0, text=f"n={row.n}", showarrow=False, font=dict(size=12, color="#555555"),
                           yanchor="bottom")
    fig.add_hline(y=0, line=dict(color="#555555", width=1))
    fig.update_layout(template=TEMPLATE, title=chart_title(heading, "Correlation is not proof of cause"),
                      xaxis=dict(title="lag (months the KPI comes after the index)", tickmode="linear", dtick=1),
                      yaxis=dict(title="correlation", range=[-1.05, 1.05]), height=460, margin=dict(t=120))
    return fig


def quartile_chart(table: pd.DataFrame, index_label: str, kpi_label: str, lag: int) -> go.Figure:
    """Mean KPI in each quartile of the index."""
    heading = f"{kpi_label[0].upper()}{kpi_label[1:]} by quartile of {index_label.lower()} ({lag}-month lag)"
    if table.empty:
        return empty_figure("Too few unit-months for quartiles", heading)
    diff = table.attrs.get("difference", {})
    subtitle = "Top minus bottom quartile: " + (
        "–" if diff.get("difference") is None else
        f"{diff['difference']:+.2f} (95% CI {diff['ci_low']:+.2f} to {diff['ci_high']:+.2f}, Welch t-test)")
    colours = ["#BBBBBB", "#999999", "#666666", COMPANY_COLOUR]
    fig = go.Figure(go.Bar(
        x=[f"{q}<br>{lo:.0f}-{hi:.0f}" for q, lo, hi in zip(table["quartile"], table["index_low"], table["index_high"])],
        y=table["mean_kpi"], marker_color=colours[: len(table)],
        text=[f"{v:.2f} (n={n})" for v, n in zip(table["mean_kpi"], table["n"])], textposition="outside",
        textfont=dict(size=13), showlegend=False, hovertemplate="%{x}: mean %{y:.2f}<extra></extra>"))
    top = max(table["mean_kpi"].max(), 0)
    fig.update_layout(template=TEMPLATE, title=chart_title(heading, subtitle), yaxis=dict(title=f"mean {kpi_label}",
                      range=[min(0, table["mean_kpi"].min() * 1.2), top * 1.25 + 0.5]),
                      xaxis=dict(title=f"quartile of {index_label.lower()} (range)"), height=430, margin=dict(t=120))
    return fig


def benchmark_chart(result: dict) -> go.Figure:
    """Share of aligned unit-months (index at or above the benchmark's threshold) with margin growth above its margin,
    beside the seeds' share (linkage.SEED_BENCHMARK)."""
    threshold, margin = SEED_BENCHMARK["threshold"], SEED_BENCHMARK["margin_above"]
    heading = (f"Margin growth above {margin:g}% where alignment is {threshold:g} or more, against the seeds' "
               f"{SEED_BENCHMARK['seed_share']:g}%")
    labels = [f"This company: alignment ≥ {threshold:g}", f"This company: alignment < {threshold:g}",
              "Seeds: CIOs close to their CMO"]
    values = [result["share"], result["others_share"], result["seed_share"]]
    lows = [result["ci_low"], result["others_ci_low"], None]
    highs = [result["ci_high"], result["others_ci_high"], None]
    counts = [result["n"], result["others_n"], None]
    texts = [("no unit-month" if v is None else f"{v:.0f}% (n={n})") for v, n in zip(values, counts)]
    texts[2] = f"{result['seed_share']:.0f}% (survey of CIOs)"
    fig = go.Figure(go.Bar(
        x=[0 if v is None else v for v in values], y=labels, orientation="h",
        marker_color=[IT, "#999999", "#DDDDDD"], showlegend=False, hoverinfo="skip",
        error_x=dict(type="data", symmetric=False,
                     array=[0 if h is None or v is None else h - v for v, h in zip(values, highs)],
                     arrayminus=[0 if lo is None or v is None else v - lo for v, lo in zip(values, lows)],
                     color="#333333")))
    for label, text, value, high in zip(labels, texts, values, highs):
        fig.add_annotation(x=max(value or 0, high or 0) + 1.5, y=label, text=text, showarrow=False, xanchor="left",
                           font=dict(size=13, color="#333333"))
    fig.update_layout(template=TEMPLATE, title=chart_title(heading, "Share of unit-months, 95% Wilson interval; same month"),
                      xaxis=dict(title=f"% with margin growth above {margin:g}%", range=[0, 115]),
                      yaxis=dict(autorange="reversed"), height=330, margin=dict(t=110, l=20))
    return fig


def driver_chart(table: pd.DataFrame, month_label: str, kpi_label: str) -> go.Figure:
    """Each dimension: current score (x) against its correlation with next-quarter KPI (y); priorities marked."""
    heading = f"Where to act: dimension scores ({month_label}) against their link with next-quarter {kpi_label}"
    data = table.dropna(subset=["r", "score"]) if len(table) else table
    if data.empty:
        return empty_figure("No survey figures this month, or too few unit-months to estimate drivers", heading)
    fig = go.Figure()
    for priority, name, colour, symbol in ((True, "Priority: low score, strong link", "#332288", "star"),
                                           (False, "Other dimensions", "#777777", "circle")):
        part = data[data["priority"] == priority]
        fig.add_trace(go.Scatter(
            x=part["score"], y=part["r"], mode="markers+text", name=name,
            text=[d.replace("_", " ") for d in part["dimension"]], textfont=dict(size=12),
            # Neighbours by score take turns above and below, so close points keep readable labels.
            textposition=[("top center", "bottom center")[rank % 2] for rank in part["score"].rank(method="first")
                          .astype(int)],
            marker=dict(size=16 if priority else 12, color=colour, symbol=symbol),
            error_y=dict(type="data", symmetric=False, array=part["ci_high"] - part["r"],
                         arrayminus=part["r"] - part["ci_low"], color="#BBBBBB", thickness=1.5),
            customdata=part["n"], hovertemplate="%{text}: score %{x:.1f}, r %{y:+.2f} (n=%{customdata})<extra></extra>"))
    fig.add_vline(x=data["score"].median(), line=dict(color="#BBBBBB", dash="dot"))
    fig.add_hline(y=data["r"].median(), line=dict(color="#BBBBBB", dash="dot"))
    fig.update_layout(template=TEMPLATE, title=chart_title(
        heading, f"Company score 0-100; Pearson r over unit-months with 95% CI (n = {int(data['n'].max())}); "
                 "correlation is not proof of cause"),
        xaxis=dict(title="dimension score (company)"), yaxis=dict(title="r with next-quarter " + kpi_label),
        height=500, margin=dict(t=130))
    return fig
