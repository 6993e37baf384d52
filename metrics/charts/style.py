"""The house style of every chart: colours, fonts, the plotly template, titles and empty states."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe-Ito, safe for the common colour-vision deficiencies. Marketing and IT keep their colours
# everywhere; red/amber/green are used for status and nothing else.
MARKETING = "#CC79A7"
IT = "#0072B2"
DEPARTMENT_COLOURS = {"marketing": MARKETING, "it": IT}
STATUS_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", None: "#BBBBBB"}
STATUS_LABELS = {"green": "On target", "amber": "Near target", "red": "Off target", None: "No data"}
# The pale tint of each status, behind a value in a table, a slide or a heatmap cell (the strong colours above mark
# lines and legends).
STATUS_TINTS = {"green": "#CDEBE1", "amber": "#FBE5BF", "red": "#F6D0B8"}
COMPANY_COLOUR = "#222222"
UNIT_COLOURS = ["#332288", "#56B4E9", "#999933", "#882255", "#44AA99", "#AA4499", "#DDCC77", "#661100",
                "#6699CC", "#888888"]
FONT = "Inter, Segoe UI, Helvetica Neue, Arial, sans-serif"

pio.templates["collab"] = go.layout.Template(
    layout=dict(
        font=dict(family=FONT, size=15, color="#222222"),
        title=dict(font=dict(size=19), x=0.012, xref="container", xanchor="left", y=1, yref="container",
                   yanchor="top", pad=dict(t=14)),
        colorway=UNIT_COLOURS,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=70, r=30, t=80, b=60),
        xaxis=dict(showgrid=False, zeroline=False, linecolor="#888888", ticks="outside", tickcolor="#888888", automargin=True,
                   title=dict(standoff=10)),
        yaxis=dict(gridcolor="#E5E5E5", zeroline=False, linecolor="#888888", automargin=True,
                   title=dict(standoff=10)),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0, font=dict(size=13),
                    title=dict(text="")),
        hoverlabel=dict(font=dict(family=FONT)),
    )
)
TEMPLATE = "collab"


def chart_title(text: str, subtitle: str | None = None) -> dict:
    if subtitle:
        return dict(text=f"{text}<br><span style='font-size:13px;color:#555555'>{subtitle}</span>")
    return dict(text=text)


def empty_figure(message: str, title: str = "") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=15, color="#555555"),
                       xref="paper", yref="paper", x=0.5, y=0.5)
    fig.update_layout(template=TEMPLATE, title=chart_title(title), xaxis=dict(visible=False), yaxis=dict(visible=False),
                      height=320)
    return fig


def add_annotations(fig: go.Figure, annotations: list[dict]) -> None:
    """Append annotations in one step: each add_annotation call copies every annotation already there, so a loop
    of them costs the square of their number (a 40-unit cadence grid took 0.1 s)."""
    fig.layout.annotations = (*fig.layout.annotations, *annotations)


def stamp(figure: go.Figure, as_of: str) -> go.Figure:
    """A copy of the figure with the data's as-of date in its subtitle, so a saved image carries it."""
    stamped = go.Figure(figure)
    text = stamped.layout.title.text or ""
    note = f"data as of {as_of}"
    if "</span>" in text:
        head, _, tail = text.rpartition("</span>")
        text = f"{head} · {note}</span>{tail}"
    else:
        text = f"{text}<br><span style='font-size:13px;color:#555555'>{note}</span>"
    stamped.update_layout(title=dict(text=text))
    return stamped


def file_stem(figure: go.Figure) -> str:
    """A file name for a chart's image, from its title."""
    import re

    title = re.sub(r"<[^>]+>.*", "", figure.layout.title.text or "chart")
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or "chart"
