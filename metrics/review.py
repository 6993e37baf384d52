"""The monthly review: the leaders' notes, the decisions, the decision-rights register, the actions and their effect.

DESIGN.md, "The monthly review", is the contract. Every function reads the store through a DuckDB connection and
returns plain Python (or a DataFrame), so the Review page, the board pack and `python -m metrics review` show the
same numbers.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Iterable

import duckdb
import pandas as pd

from metrics import store, vocabulary
from metrics.store import settings
from metrics.vocabulary import DECIDERS, DEFAULT_EFFECT_WINDOW, SIDES
from metrics.scorecard import shift_month

ALIGNMENT_INDEX = "alignment_index"
CELLS = ("treated_pre", "treated_post", "comparison_pre", "comparison_post")
# Done and dropped actions stay on the review for this many months after their due date (their start month when
# they have none), so that a meeting sees what was finished or stopped lately without the whole history.
REVIEW_SPAN_MONTHS = 12
LEADERS = {"marketing": "CMO", "it": "CIO"}   # whose note each side's is: the side's leader, never a person


# ----------------------------------------------------------------------------------------------------------
# The effect of an action


def survey_targets(con: duckdb.DuckDBPyConnection) -> list[str]:
    """What an action may target: the alignment index and every dimension that has Likert items."""
    dimensions = store.fetch_rows(con, "SELECT DISTINCT dimension FROM survey_items WHERE scale = 'likert5' "
                                       "ORDER BY dimension")
    return [ALIGNMENT_INDEX, *(d for (d,) in dimensions)]


def respondent_scores(con: duckdb.DuckDBPyConnection, target: str, months: Iterable[str],
                      units: Iterable[str] | None = None, shown_only: bool = False) -> pd.DataFrame:
    """One row per marketing or IT respondent of `months` (of `units`, when given): response_id, business_unit,
    department, month and y, the respondent's score on `target` on 0-100, (mean of the non-missing answers to the
    target's Likert items, reverse-scored items flipped, - 1) / 4 x 100; for alignment_index over every Likert item
    (the 0-10 NPS item is not one). Published answers only, as the figures count them; a respondent who answered
    none of those items has no row. With shown_only, the respondents of a unit's group (month, department) whose
    figure on the target is hidden are left out (see action_effect)."""
    months = list(months)
    for month in months:
        store.check_params({"month": month})
    params = {"waves": months, "units": None if units is None else list(units),
              "dimension": None if target == ALIGNMENT_INDEX else target, "shown_only": shown_only}
    frame = store.fetch_df(con, "review_respondent_scores", params)
    return frame[["response_id", "business_unit", "department", "month", "y"]]


def _company_wide(unit: object) -> bool:
    """An action (or decision) with an empty business unit is the company's."""
    return unit is None or (isinstance(unit, float) and math.isnan(unit)) or str(unit).strip() == ""


def _has_survey_data(con: duckdb.DuckDBPyConnection, month: str) -> bool:
    """Whether the month holds any response the figures count."""
    return store.fetch_rows(con, "SELECT count(*) FROM survey_published WHERE wave = $month",
                            {"month": month})[0][0] > 0


def _units_acting_on(con: duckdb.DuckDBPyConnection, target: str, first: str, last: str) -> set[str]:
    """Business units with an action of their own on `target` starting within first..last (any status: an action
    begun and later dropped may still have moved the answers). A company-wide action is not one of them: it
    reaches treated and comparison units alike, so the difference in differences takes it out."""
    rows = store.fetch_rows(con, """
        SELECT DISTINCT business_unit FROM actions
        WHERE target = $target AND start_month BETWEEN $first_month AND $last_month
          AND business_unit IS NOT NULL AND trim(business_unit) <> ''""",
                            {"target": target, "first_month": first, "last_month": last})
    return {unit for (unit,) in rows}


def _number(value: Any) -> float | None:
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def _cell_words(cell: str, unit: str | None) -> str:
    group, period = cell.split("_")
    who = ("the company" if unit is None else unit) if group == "treated" else "the comparison units"
    when = "before the start" if period == "pre" else "after the start"
    return f"{who} {when} ({cell})"


def action_effect(con: duckdb.DuckDBPyConnection, action: dict) -> dict:
    """The effect of an action on its target, in DESIGN.md's shape: {estimate, ci_low, ci_high, n: {treated_pre,
    treated_post, comparison_pre, comparison_post}, method, withheld}.

    With start month s and window w (effect_window, 3 when not given), the pre months are s-w .. s-1 and the post
    months s+1 .. s+w; s itself, a month of transition, is left out. Treated respondents are those of the action's
    business unit; comparison respondents those of every other unit with no action of its own on the same target
    starting within s-w .. s+w; for a unit's action, a unit's group (month, department) whose figure on the target
    is hidden is left out of the cells, so the effect cannot be combined with shown figures to solve for it (the
    Anonymity rules: a pooled figure must not leave a hidden part). The estimate is the difference in differences of the four cells' mean scores, the
    interaction coefficient of the OLS fit y ~ treated + post + treated:post, with a 95% interval from HC1 standard
    errors (method "did"). A company-wide action, or one with no comparison respondents, gets the difference of
    the treated (for the company: every marketing and IT respondent) post and pre means with a Welch 95% interval
    (method "before_after"; comparison n 0): the caller says it has no comparison group (effect_note).

    Withheld (estimate and interval null, a reason in words): until month s+w has survey data (method null then),
    and while any cell the method uses has fewer respondents than the stored anonymity threshold (the method is
    kept: it says which cells were meant). n counts respondents; a cell under the threshold has n null, so a
    withheld effect never shows a small group's size. The effect is read from everything the store holds now."""
    effect: dict[str, Any] = {"estimate": None, "ci_low": None, "ci_high": None, "n": dict.fromkeys(CELLS),
                              "method": None, "withheld": None}
    target, start = action.get("target"), action.get("start_month")
    window = action.get("effect_window")
    window = DEFAULT_EFFECT_WINDOW if window is None or (isinstance(window, float) and math.isnan(window)) else int(window)
    unit = None if _company_wide(action.get("business_unit")) else str(action.get("business_unit"))
    if not (isinstance(start, str) and vocabulary.MONTH_PATTERN.fullmatch(start)):
        effect["withheld"] = f"the start month {start!r} is not a month (YYYY-MM)"
        return effect
    if target not in survey_targets(con):
        effect["withheld"] = f"{target!r} is neither {ALIGNMENT_INDEX} nor a dimension of the survey's Likert items"
        return effect
    if window < 1:
        effect["withheld"] = f"the effect window {window} is not a number of months"
        return effect

    pre = [shift_month(start, -i) for i in range(window, 0, -1)]
    post = [shift_month(start, i) for i in range(1, window + 1)]
    # A unit's action compares units' respondents: those of a group whose figure is hidden are left out, else the
    # effect and its n, pooled over shown and hidden groups, would give the hidden ones away (Anonymity). The
    # company's cells are every respondent, as the company's own figures (shown under the same rules) count them.
    scores = respondent_scores(con, target, pre + post, shown_only=unit is not None)
    scores = scores.assign(post=scores["month"].isin(post))
    if unit is None:
        treated, comparison = scores, scores.iloc[0:0]
    else:
        excluded = _units_acting_on(con, target, pre[0], post[-1]) | {unit}
        treated = scores[scores["business_unit"] == unit]
        comparison = scores[~scores["business_unit"].isin(excluded)]
    method = "before_after" if comparison.empty else "did"
    cells = {"treated_pre": treated[~treated["post"]], "treated_post": treated[treated["post"]],
             "comparison_pre": comparison[~comparison["post"]], "comparison_post": comparison[comparison["post"]]}
    used = CELLS if method == "did" else CELLS[:2]
    threshold = settings.anonymity_threshold(con)
    small = [cell for cell in used if len(cells[cell]) < threshold]
    effect["n"] = {cell: (None if cell in small else len(cells[cell])) if cell in used else 0 for cell in CELLS}

    if not _has_survey_data(con, post[-1]):
        effect["withheld"] = f"shown once {post[-1]} has survey data"
        return effect
    effect["method"] = method
    if small:
        effect["withheld"] = (f"fewer than {threshold} respondents (the anonymity threshold) in "
                              + " and in ".join(_cell_words(cell, unit) for cell in small))
        return effect

    if method == "did":
        import numpy as np
        import statsmodels.api as sm

        both = pd.concat([treated.assign(treated=1.0), comparison.assign(treated=0.0)], ignore_index=True)
        is_treated, is_post = both["treated"].to_numpy(float), both["post"].to_numpy(float)
        design = np.column_stack([np.ones(len(both)), is_treated, is_post, is_treated * is_post])
        fit = sm.OLS(both["y"].to_numpy(float), design).fit(cov_type="HC1")
        estimate = fit.params[3]
        low, high = fit.conf_int(0.05)[3]
    else:
        from scipy import stats

        after, before = cells["treated_post"]["y"].to_numpy(float), cells["treated_pre"]["y"].to_numpy(float)
        estimate = after.mean() - before.mean()
        interval = stats.ttest_ind(after, before, equal_var=False).confidence_interval(0.95)
        low, high = interval.low, interval.high
    effect.update(estimate=_number(estimate), ci_low=_number(low), ci_high=_number(high))
    return effect


def effect_note(effect: dict) -> str:
    """What an effect is, in words, for whoever shows it (DESIGN.md: every effect says it is an estimate from
    survey answers and not proof of cause; a before/after one says it has no comparison group)."""
    if effect.get("withheld"):
        return f"Withheld: {effect['withheld']}."
    if effect.get("method") == "did":
        return ("An estimate from survey answers (difference in differences against the units without such an "
                "action, 95% interval from robust HC1 errors), not proof of cause.")
    if effect.get("method") == "before_after":
        return ("An estimate from survey answers with no comparison group (after minus before, Welch 95% "
                "interval), not proof of cause.")
    return "No effect estimated."


# ----------------------------------------------------------------------------------------------------------
# The review


def review_metrics(con: duckdb.DuckDBPyConnection, month: str, business_unit: str | None = None) -> dict:
    """The review's three metrics as of the month's last day (sql/views.sql defines them, for this and the
    scorecard), over the actions started on or before the month; business_unit None is the company (every action),
    a unit counts its own actions and has no decision-rights clarity (the register is the company's):

    - decision_rights_clarity: decision areas with an agreed single accountable side (marketing, it or joint, with
      agreed_on set) / all decision areas x 100; null when the register is empty;
    - actions_on_track: actions not done whose due date has not passed (none, or on or after the month's last day)
      / actions not done x 100; null when every action is done;
    - overdue_actions: actions not done due before the month's last day.

    "Not done" is DESIGN.md's word, to the letter: a dropped action is not done, and stays overdue once its due date
    has passed (the register of actions shows it as dropped beside the count)."""
    params = {"month": month, "business_unit": business_unit}
    store.check_params({"month": month})
    row = store.fetch_rows(con, store.query("review_metrics"), params)[0]
    clarity, on_track, overdue = row
    return {"decision_rights_clarity": None if clarity is None else float(clarity),
            "actions_on_track": None if on_track is None else float(on_track),
            "overdue_actions": int(overdue)}


def _json_value(value: Any) -> Any:
    """A stored value as JSON takes it: dates as ISO text, no NaN."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return _number(value)
    if hasattr(value, "item"):   # numpy scalars
        return _json_value(value.item())
    return value


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]) -> list[dict]:
    cur = con.cursor().execute(sql, store.check_params(params))
    columns = [d[0] for d in cur.description]
    return [{c: _json_value(v) for c, v in zip(columns, row)} for row in cur.fetchall()]


ACTION_COLUMNS = ("action_id", "business_unit", "title", "owner", "target", "start_month", "due", "status",
                  "effect_window")


def review_actions(con: duckdb.DuckDBPyConnection, month: str) -> list[dict]:
    """The actions the month's review shows, without their effect: those started on or before the month that are
    not done (planned, in progress, dropped: the ones review_metrics counts), or done with a due date (else a start
    month) within the twelve months ending with the month, or after it. Oldest start first."""
    first = shift_month(month, -(REVIEW_SPAN_MONTHS - 1))
    return _records(con, """
        SELECT action_id, business_unit, title, owner, target, start_month, due, status,
               coalesce(effect_window, $window) AS effect_window
        FROM actions
        WHERE start_month <= $month
          AND (status <> 'done' OR due >= $since OR (due IS NULL AND start_month >= $first_month))
        ORDER BY start_month, action_id""",
                    {"month": month, "first_month": first, "since": date.fromisoformat(f"{first}-01"),
                     "window": DEFAULT_EFFECT_WINDOW})


def review(con: duckdb.DuckDBPyConnection, month: str) -> dict:
    """The month's review in the JSON shape of DESIGN.md: {month, commentary: {marketing, it}, decisions,
    decision_rights, actions (each with its effect), metrics}. Commentary is the newest note of each side, null
    when none; decisions are the month's, every column but import_id; the register is every area (a gap is an area
    whose accountable or agreed_on is null); the actions are review_actions'."""
    store.check_params({"month": month})
    commentary: dict[str, str | None] = dict.fromkeys(SIDES)
    for side, text in store.fetch_rows(con, "SELECT side, text FROM commentary WHERE month = $month "
                                            "ORDER BY written_at", {"month": month}):
        commentary[side] = text   # the newest last
    decisions = _records(con, "SELECT * EXCLUDE (import_id) FROM decisions WHERE month = $month "
                              "ORDER BY decision_id", {"month": month})
    register = _records(con, "SELECT * EXCLUDE (import_id) FROM decision_rights ORDER BY area_id", {})
    actions = [{**action, "effect": action_effect(con, action)} for action in review_actions(con, month)]
    return {"month": month, "commentary": commentary, "decisions": decisions, "decision_rights": register,
            "actions": actions, "metrics": review_metrics(con, month)}


def register_gaps(register: list[dict]) -> list[dict]:
    """The areas of the register with nobody accountable, or an accountable side not yet agreed."""
    return [area for area in register
            if area.get("accountable") not in DECIDERS or not area.get("agreed_on")]


def _cell_text(value: Any) -> str:
    return "-" if value is None else str(value)


def review_lines(result: dict) -> list[str]:
    """review()'s result as plain text for a terminal: the notes, the decisions, the register with its gaps marked,
    the actions with their effect and interval, the metrics. Stored text is printed with its control characters
    made visible (metrics.printable)."""
    from metrics.printable import printable

    lines = [f"Monthly review {result['month']}", "", "Notes"]
    for side, who in (("marketing", "Marketing (CMO)"), ("it", "IT (CIO)")):
        text = result["commentary"][side]
        lines.append(f"  {who}:" + ("" if text else " no note"))
        lines += [f"    {printable(line)}" for line in (text or "").splitlines()]
    lines += ["", f"Decisions ({len(result['decisions'])})"]
    for d in result["decisions"]:
        unit = "company" if _company_wide(d.get("business_unit")) else d["business_unit"]
        lines.append(printable(f"  {d['decision_id']}  {unit}  area {_cell_text(d.get('area_id'))}  by "
                               f"{d['decided_by']}  due {_cell_text(d.get('due'))}  {d['status']}"))
        lines.append(f"      {printable(d['text'])}")
    if not result["decisions"]:
        lines.append("  none this month")
    gaps = {area["area_id"] for area in register_gaps(result["decision_rights"])}
    lines += ["", f"Decision rights ({len(gaps)} of {len(result['decision_rights'])} areas not agreed)"]
    for area in result["decision_rights"]:
        gap = ("  <- GAP: nobody accountable" if area.get("accountable") is None
               else "  <- GAP: not agreed" if area["area_id"] in gaps else "")
        lines.append(printable(f"  {area['area_id']:<10} {area['area'][:44]:<45} accountable "
                               f"{_cell_text(area.get('accountable')):<9} agreed {_cell_text(area.get('agreed_on'))}")
                     + gap)
    lines += ["", f"Actions ({len(result['actions'])})"]
    for a in result["actions"]:
        e = a["effect"]
        unit = "company" if _company_wide(a.get("business_unit")) else a["business_unit"]
        lines.append(printable(f"  {a['action_id']}  {a['title']}"))
        lines.append(printable(f"      {unit}; owner {_cell_text(a.get('owner'))}; target {a['target']}; from "
                               f"{a['start_month']}; due {_cell_text(a.get('due'))}; {a['status']}; window "
                               f"{a['effect_window']} months"))
        n = e["n"]
        counts = (f"n treated {_cell_text(n['treated_pre'])} before, {_cell_text(n['treated_post'])} after; "
                  f"comparison {_cell_text(n['comparison_pre'])} before, {_cell_text(n['comparison_post'])} after")
        if e["estimate"] is not None:
            interval = ("" if e["ci_low"] is None else
                        f" (95% interval {e['ci_low']:+.1f} to {e['ci_high']:+.1f})")
            lines.append(f"      effect {e['estimate']:+.1f} points{interval}, {e['method']}; {counts}")
        else:
            lines.append(f"      effect -; {counts}")
        lines.append(f"      {printable(effect_note(e))}")
    if not result["actions"]:
        lines.append("  none")
    m = result["metrics"]
    percent = (lambda v: "-" if v is None else f"{v:.1f}%")
    lines += ["", "Metrics",
              f"  Decision-rights clarity  {percent(m['decision_rights_clarity'])}",
              f"  Actions on track         {percent(m['actions_on_track'])}",
              f"  Overdue actions          {m['overdue_actions']}"]
    return lines


# ----------------------------------------------------------------------------------------------------------
# The record as the Review page shows and edits it


def signed(value: float) -> str:
    """+9.4, -1.6, and 0.0 rather than -0.0 for what rounds to nothing."""
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def effect_text(effect: dict) -> str:
    """An effect in a few words: "+9.4 points (95% interval +3.4 to +15.3)", or why there is none."""
    if effect.get("estimate") is not None:
        interval = ("" if effect.get("ci_low") is None
                    else f" (95% interval {signed(effect['ci_low'])} to {signed(effect['ci_high'])})")
        return f"{signed(effect['estimate'])} points{interval}" + ("" if effect.get("method") == "did"
                                                                   else ", no comparison group")
    if effect.get("withheld"):
        return f"Withheld: {effect['withheld']}"
    return "–"


def effect_brief(effect: dict) -> str:
    """An effect in as few words as a table cell takes, beside a heading that says "points (95% interval)":
    "+9.4 (+3.4 to +15.3)", with "before/after" after one that has no comparison group; "withheld: fewer than 5
    respondents" or "not yet: needs the 2026-04 survey" when there is none (action_effect's reason without the
    cells it names: effect_note has it in full)."""
    if effect.get("estimate") is not None:
        interval = "" if effect.get("ci_low") is None else f" ({signed(effect['ci_low'])} to {signed(effect['ci_high'])})"
        return f"{signed(effect['estimate'])}{interval}" + ("" if effect.get("method") == "did" else " before/after")
    reason = effect.get("withheld")
    if not reason:
        return "–"
    if (waiting := re.fullmatch(r"shown once (\d{4}-\d{2}) has survey data", reason)) is not None:
        return f"not yet: needs the {waiting.group(1)} survey"
    return "withheld: " + reason.split(" (the anonymity threshold)")[0]


def overdue_action_ids(con: duckdb.DuckDBPyConnection, month: str) -> set[str]:
    """The actions counted among the month's overdue actions: not done and due before the month's last day (the
    rule is sql/views.sql's review_open_actions, which review_metrics counts)."""
    return {action_id for (action_id,) in store.fetch_rows(
        con, "SELECT action_id FROM review_open_actions($month, $month) WHERE overdue", {"month": month})}


_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")


def note_markdown(text: str) -> str:
    """A leader's note as the page's Markdown shows it: what they wrote, and only that. A "$" is a dollar, not the
    start of LaTeX (Streamlit's Markdown reads $...$ as maths); an image is its description in brackets, never
    fetched (a remote image would send every reader's address to its host), as the board pack shows it."""
    return _IMAGE.sub(lambda m: f"[image: {m.group(1)}]" if m.group(1) else "[image]", text).replace("$", "\\$")


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce", format="ISO8601").dt.date


def actions_frame(actions: list[dict]) -> pd.DataFrame:
    """review()'s actions as a table: the stored columns (due as a date, the unit empty for the company's), the
    effect in words and its caution, and n per cell."""
    frame = pd.DataFrame(actions, columns=[*ACTION_COLUMNS, "effect"])
    frame["due"] = _dates(frame["due"])
    frame["effect_window"] = frame["effect_window"].astype("Int64")
    # text columns typed as text even with no action (an empty list would make them float, and a page's .str fail)
    frame["effect_text"] = pd.Series([effect_text(e) for e in frame["effect"]], index=frame.index, dtype="str")
    frame["effect_brief"] = pd.Series([effect_brief(e) for e in frame["effect"]], index=frame.index, dtype="str")
    frame["effect_note"] = pd.Series([effect_note(e) for e in frame["effect"]], index=frame.index, dtype="str")
    for cell in CELLS:
        frame[f"n_{cell}"] = [e["n"][cell] for e in frame["effect"]]
    return frame.drop(columns="effect")


def decisions_frame(decisions: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(decisions, columns=["decision_id", "month", "business_unit", "area_id", "text",
                                             "decided_by", "due", "status"])
    frame["due"] = _dates(frame["due"])
    return frame


def register_frame(register: list[dict]) -> pd.DataFrame:
    """The decision-rights register with a column saying, in words, whether each area is agreed or a gap."""
    frame = pd.DataFrame(register, columns=["area_id", "area", "accountable", "consulted", "informed", "agreed_on"])
    frame["agreed_on"] = _dates(frame["agreed_on"])
    gaps = {area["area_id"] for area in register_gaps(register)}
    frame["state"] = ["Gap: nobody accountable" if pd.isna(row.accountable) or row.accountable is None
                      else "Gap: not agreed yet" if row.area_id in gaps else "Agreed"
                      for row in frame.itertuples()]
    return frame
