"""The sample's joint projects and KPIs as the tools they come from would export them (issue 19): a Jira CSV export
of the projects (repeated Labels and Sprint columns, custom fields, Jira's dates, people's names that an import
drops) and finance's wide sheet of the KPIs (units as rows, months as columns, percentages written with %).
Importing either gives back the sample's own rows: the Data page offers them as examples."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

FILE_NAMES = {"projects_jira": "joint_projects_jira.csv", "kpis_wide": "kpis_finance_wide.csv"}
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
JIRA_STATUS = {"planned": ("To Do", ""), "active": ("In Progress", ""), "delivered": ("Done", "Done"),
               "cancelled": ("Done", "Won't Do")}
# Invented people: a Jira export names them; the import drops them and stores none.
PEOPLE = ("Avery Stone", "Jordan Blake", "Riley Chen", "Morgan Diaz", "Casey Patel", "Quinn Okafor")
JIRA_COLUMNS = ("Summary", "Issue key", "Issue id", "Parent", "Issue Type", "Status", "Resolution", "Assignee",
                "Reporter", "Created", "Resolved", "Due date", "Labels", "Labels", "Sprint", "Sprint",
                "Custom field (Business Unit)", "Custom field (Lead function)", "Custom field (Start date)",
                "Custom field (Budget)", "Custom field (Spend)", "Custom field (Outcome)", "Custom field (ROI %)")


def _jira_day(text: str) -> str:
    day = date.fromisoformat(text)
    return f"{day.day:02d}/{MONTH_ABBR[day.month - 1]}/{day.year % 100:02d}"


def _jira_time(text: str, hour: int, minute: int) -> str:
    """Jira's default date-time format: 12/Mar/26 3:45 PM."""
    twelve = hour % 12 or 12
    return f"{_jira_day(text)} {twelve}:{minute:02d} {'AM' if hour < 12 else 'PM'}"


def jira_export(projects: pd.DataFrame) -> pd.DataFrame:
    """The projects table (text cells, the native columns) as Jira's CSV export of the same issues: the stage is a
    label, the pilot the scale project's Parent (by Issue id), the rest custom fields."""
    issue_ids = {pid: str(10_000 + n) for n, pid in enumerate(projects["project_id"], start=1)}
    rows = []
    for n, p in enumerate(projects.itertuples(index=False)):
        status, resolution = JIRA_STATUS[p.status]
        created = (date.fromisoformat(p.start_date) - timedelta(days=14)).isoformat()
        rows.append((
            p.name, p.project_id, issue_ids[p.project_id], issue_ids.get(p.parent_project_id, ""), "Epic", status,
            resolution, PEOPLE[n % len(PEOPLE)], PEOPLE[(n + 2) % len(PEOPLE)], _jira_time(created, 9 + n % 8, 5 * (n % 12)),
            _jira_time(p.actual_end, 17, 30) if p.actual_end else "", _jira_day(p.planned_end), p.stage, "joint-project",
            f"CX Sprint {n % 9 + 1}", f"CX Sprint {n % 9 + 2}" if n % 3 == 0 else "", p.business_unit, p.lead_function,
            _jira_day(p.start_date), p.budget, p.spend, p.outcome, p.roi_pct,
        ))
    return pd.DataFrame(rows, columns=list(JIRA_COLUMNS))


def finance_wide(kpis: pd.DataFrame) -> pd.DataFrame:
    """The KPIs table (text cells) as finance's wide sheet: one row per unit and KPI, a column per month headed
    like Nov-24, percentages written with % (as a spreadsheet shows them)."""
    values = kpis.assign(shown=[f"{v}%" if k.endswith("_pct") else v for k, v in zip(kpis["kpi"], kpis["value"])])
    wide = values.pivot(index=["business_unit", "kpi"], columns="month", values="shown")
    order = {unit: n for n, unit in enumerate(dict.fromkeys(kpis["business_unit"]))}
    kpi_order = {kpi: n for n, kpi in enumerate(dict.fromkeys(kpis["kpi"]))}
    wide = wide.reset_index()
    wide = wide.iloc[sorted(range(len(wide)), key=lambda i: (order[wide["business_unit"][i]],
                                                             kpi_order[wide["kpi"][i]]))]
    months = sorted(c for c in wide.columns if c not in ("business_unit", "kpi"))
    wide = wide[["business_unit", "kpi", *months]].fillna("")
    wide.columns = ["Business unit", "KPI", *(f"{MONTH_ABBR[int(m[5:]) - 1]}-{m[2:4]}" for m in months)]
    return wide
