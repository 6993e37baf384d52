"""The monthly review's chart: each action's measured effect as a forest plot."""

from __future__ import annotations

import plotly.graph_objects as go

from metrics.charts.style import TEMPLATE, chart_title, empty_figure

CAUTION = "An estimate from survey answers, not proof that the action caused the change."
METHOD_LABELS = {"did": "against units without the action", "before_after": "before and after, no comparison group"}
ESTIMATE_COLOUR = "#0072B2"
NO_COMPARISON_COLOUR = "#888888"


def _label(action: dict) -> str:
    unit = action.get("business_unit") or "Company"
    title = action["title"] if len(action["title"]) <= 46 else action["title"][:45].rstrip() + "…"
    return f"{action.get('action_id') or '–'} {title} · {unit}"   # the id: two actions alike stay two rows


def _n_text(n: dict) -> str:
    def shown(value) -> str:
        return "hidden" if value is None else str(value)

    return (f"treated before {shown(n.get('treated_pre'))}, after {shown(n.get('treated_post'))}; "
            f"comparison before {shown(n.get('comparison_pre'))}, after {shown(n.get('comparison_post'))}")


def effect_forest(actions: list[dict], month_label: str) -> go.Figure:
    """One row per action with an effect: the estimate (points on the 0-100 score) with its 95% interval, a zero
    line, and n per cell on hover. Actions whose effect is withheld are listed under the chart, with why."""
    shown = [a for a in actions if a.get("effect") and a["effect"].get("estimate") is not None]
    title = chart_title("Effect of each action on its target score",
                        f"Change in points (0-100), 95% interval · {month_label} · {CAUTION}")
    if not shown:
        return empty_figure("No action has a measured effect yet: an effect is shown once its window has survey "
                            "data on both sides.", title["text"])
    labels = [_label(a) for a in shown]
    fig = go.Figure()
    for method, colour in (("did", ESTIMATE_COLOUR), ("before_after", NO_COMPARISON_COLOUR)):
        rows = [(label, a) for label, a in zip(labels, shown) if a["effect"].get("method") == method]
        if not rows:
            continue
        effects = [a["effect"] for _, a in rows]
        fig.add_trace(go.Scatter(
            x=[e["estimate"] for e in effects], y=[label for label, _ in rows], mode="markers",
            name=METHOD_LABELS[method], marker=dict(size=11, color=colour, symbol="square" if method == "did" else "diamond"),
            error_x=dict(type="data", symmetric=False, color=colour, thickness=2, width=6,
                         array=[e["ci_high"] - e["estimate"] for e in effects],
                         arrayminus=[e["estimate"] - e["ci_low"] for e in effects]),
            customdata=[[a["target"], f"{e['ci_low']:+.1f}", f"{e['ci_high']:+.1f}", _n_text(e["n"]),
                         a.get("start_month") or ""] for (_, a), e in zip(rows, effects)],
            hovertemplate=("<b>%{y}</b><br>target %{customdata[0]}, from %{customdata[4]}<br>effect %{x:+.1f} "
                           "points (95% interval %{customdata[1]} to %{customdata[2]})<br>n: %{customdata[3]}"
                           "<extra></extra>")))
    fig.add_vline(x=0, line=dict(color="#222222", width=1.5))
    height = max(320, 130 + 46 * len(shown))
    fig.update_layout(template=TEMPLATE, title=title, height=height, margin=dict(l=40, r=30, t=100, b=60),
                      xaxis=dict(title="Effect on the target score (points)", zeroline=False, showgrid=True,
                                 gridcolor="#EEEEEE"),
                      yaxis=dict(autorange="reversed", categoryorder="array", categoryarray=labels),
                      legend=dict(orientation="h", y=1.02, x=0))
    return fig
