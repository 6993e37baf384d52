"""DataFrame -> plotly Figure: pure functions in one house style (style.py), shared by pages and the board pack."""

from metrics.charts.scorecard import perception_gap_chart, trend_chart
from metrics.charts.style import (COMPANY_COLOUR, DEPARTMENT_COLOURS, IT, MARKETING, STATUS_COLOURS, STATUS_LABELS,
                                  STATUS_TINTS, TEMPLATE, UNIT_COLOURS, chart_title, empty_figure)

__all__ = ["perception_gap_chart", "trend_chart", "COMPANY_COLOUR", "DEPARTMENT_COLOURS", "IT", "MARKETING",
           "STATUS_COLOURS", "STATUS_LABELS", "STATUS_TINTS", "TEMPLATE", "UNIT_COLOURS", "chart_title", "empty_figure"]
