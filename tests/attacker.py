"""A determined viewer's attack on the survey figures, for the anonymity tests.

The attacker takes every figure the product can show for a month (each row of survey_measures that is not hidden,
with its n, and each shown row of the Likert chart), writes it as a linear equation over the hidden sums behind it,
adds what any viewer knows besides (a favourable count is the 4s and 5s; an item's answer counts add up to its n;
for a group whose respondents answered every item, the index is the weighted mean of its dimension scores and a
dimension's sum is its items' sums), is even given every count (response rates give respondents away), and then
asks linear algebra which sums are pinned down. A sum that rests on fewer respondents than the threshold and is
pinned down is a leak.

The groups' true sums come from survey_published, so a test can also check that a pinned-down figure is the
true one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

LEVELS = (1, 2, 3, 4, 5)


@dataclass
class System:
    atoms: dict[tuple, int] = field(default_factory=dict)
    rows: list[dict[int, float]] = field(default_factory=list)
    rhs: list[float] = field(default_factory=list)

    def atom(self, key: tuple) -> int:
        return self.atoms.setdefault(key, len(self.atoms))

    def equation(self, terms: dict[tuple, float], value: float) -> None:
        row: dict[int, float] = {}
        for key, weight in terms.items():
            row[self.atom(key)] = row.get(self.atom(key), 0.0) + weight
        self.rows.append(row)
        self.rhs.append(value)

    def matrix(self) -> np.ndarray:
        a = np.zeros((len(self.rows), len(self.atoms)))
        for r, row in enumerate(self.rows):
            for c, w in row.items():
                a[r, c] = w
        return a


def _catalogue(cur) -> tuple[list[tuple[str, str, bool]], list[str]]:
    likert = cur.execute("SELECT item_id, dimension, reverse_scored FROM survey_items WHERE scale = 'likert5' "
                         "ORDER BY item_id").fetchall()
    nps = [i for (i,) in cur.execute("SELECT item_id FROM survey_items WHERE scale = 'nps11'").fetchall()]
    return likert, nps


def truth(con, month: str) -> dict:
    """Per group (unit, department): its respondents' scored answers, from what the figures count."""
    cur = con.cursor()
    likert, nps = _catalogue(cur)
    columns = [i for i, _, _ in likert] + nps
    listed = ", ".join(f'"{c}"' for c in columns)
    groups: dict[tuple, list[dict]] = {}
    for row in cur.execute(f"SELECT business_unit, department, {listed} FROM survey_published WHERE wave = $m",
                           {"m": month}).fetchall():
        answers = dict(zip(columns, row[2:]))
        for item, _, reverse in likert:
            if reverse and answers[item] is not None:
                answers[item] = 6 - answers[item]
        groups.setdefault((row[0], row[1]), []).append(answers)
    return groups


def sums(groups: dict, likert: list, nps: list) -> dict[tuple, float]:
    """The true value of every atom: a group's index sum, dimension sums, favourable and level counts, NPS."""
    out: dict[tuple, float] = {}
    dims = sorted({d for _, d, _ in likert})
    for g, people in groups.items():
        index = [np.mean(v) for p in people if (v := [p[i] for i, _, _ in likert if p[i] is not None])]
        out[("I", g)] = float(sum(index))
        for d in dims:
            scores = [np.mean(v) for p in people if (v := [p[i] for i, dd, _ in likert if dd == d and p[i] is not None])]
            out[("D", g, d)] = float(sum(scores))
        for i, _, _ in likert:
            answered = [p[i] for p in people if p[i] is not None]
            out[("F", g, i)] = float(sum(1 for a in answered if a >= 4))
            for level in LEVELS:
                out[("L", g, i, level)] = float(sum(1 for a in answered if a == level))
        for i in nps:
            answered = [p[i] for p in people if p[i] is not None]
            out[("P", g, i)] = float(sum(1 for a in answered if a >= 9) - sum(1 for a in answered if a <= 6))
    return out


def counts(groups: dict, likert: list, nps: list) -> dict[tuple, int]:
    """The n behind every atom (the attacker is given them all)."""
    out: dict[tuple, int] = {}
    dims = sorted({d for _, d, _ in likert})
    for g, people in groups.items():
        out[("I", g)] = sum(1 for p in people if any(p[i] is not None for i, _, _ in likert))
        for d in dims:
            out[("D", g, d)] = sum(1 for p in people if any(p[i] is not None for i, dd, _ in likert if dd == d))
        for i, _, _ in likert:
            n = sum(1 for p in people if p[i] is not None)
            out[("F", g, i)] = n
            for level in LEVELS:
                out[("L", g, i, level)] = n
        for i in nps:
            out[("P", g, i)] = sum(1 for p in people if p[i] is not None)
    return out


def attack(con, month: str, threshold: int = 5) -> list[tuple]:
    """The sums (single atoms, and pairs of the same kind) that rest on fewer than `threshold` respondents and
    that the shown figures pin down. Empty means the attack failed."""
    cur = con.cursor()
    likert, nps = _catalogue(cur)
    groups = truth(con, month)
    true = sums(groups, likert, nps)
    n = counts(groups, likert, nps)
    dims = sorted({d for _, d, _ in likert})
    units = sorted({u for u, _ in groups})
    system = System()
    for key in true:
        system.atom(key)

    def cells(unit, department):
        departments = ["marketing", "it"] if department == "marketing+it" else [department]
        chosen = [unit] if unit is not None else units
        return [(u, d) for u in chosen for d in departments if (u, d) in groups]

    shown = cur.execute("SELECT business_unit, department, measure, value, n FROM survey_measures "
                        "WHERE month = $m AND NOT suppressed", {"m": month}).fetchall()
    for unit, department, measure, value, count in shown:
        assert count is not None, f"a shown figure without its n: {unit} {department} {measure}"
        part = cells(unit, department)
        if measure == "index":
            system.equation({("I", g): 1.0 for g in part}, (value / 100 * 4 + 1) * count)
        elif measure.startswith("dimension:"):
            d = measure.split(":", 1)[1]
            system.equation({("D", g, d): 1.0 for g in part}, (value / 100 * 4 + 1) * count)
        elif measure.startswith("favourable:"):
            i = measure.split(":", 1)[1]
            system.equation({("F", g, i): 1.0 for g in part}, value / 100 * count)
        elif measure.startswith("nps:"):
            i = measure.split(":", 1)[1]
            system.equation({("P", g, i): 1.0 for g in part}, value / 100 * count)
    from metrics import alignment  # the Likert chart's rows, as the Alignment page draws them

    likert_rows = alignment.store.fetch_df(con, "likert_distribution", {"month": month})
    for row in likert_rows.itertuples():
        if row.suppressed:
            continue
        part = cells(row.business_unit if isinstance(row.business_unit, str) else None, "marketing+it")
        for level in LEVELS:
            system.equation({("L", g, row.item_id, level): 1.0 for g in part}, getattr(row, f"pct_{level}") / 100 * row.n)
    # what any viewer knows besides
    weights = {d: sum(1 for _, dd, _ in likert if dd == d) for d in dims}
    for g, people in groups.items():
        for i, _, _ in likert:
            system.equation({("F", g, i): 1.0, ("L", g, i, 4): -1.0, ("L", g, i, 5): -1.0}, 0.0)
            system.equation({("L", g, i, level): 1.0 for level in LEVELS}, n[("L", g, i, 1)])
        complete = all(p[i] is not None for p in people for i, _, _ in likert)
        if complete:  # exact only when everyone answered everything: the attacker is told where it holds
            system.equation({("I", g): 1.0, **{("D", g, d): -weights[d] / len(likert) for d in dims}}, 0.0)
            for d in dims:
                items = [i for i, dd, _ in likert if dd == d]
                terms = {("D", g, d): 1.0}
                for i in items:
                    for level in LEVELS:
                        terms[("L", g, i, level)] = -level / len(items)
                system.equation(terms, 0.0)
    a = system.matrix()
    b = np.array(system.rhs)
    rank = np.linalg.matrix_rank(a)
    solution = np.linalg.lstsq(a, b, rcond=None)[0] if len(a) else np.zeros(len(system.atoms))
    small = [key for key in true if 0 < n[key] < threshold]   # a sum over no answers is 0 and tells nothing
    candidates: list[tuple[tuple, ...]] = [(key,) for key in small]
    candidates += [(x, y) for x, y in combinations(small, 2)
                   if x[0] == y[0] and x[2:] == y[2:] and n[x] + n[y] < threshold]
    leaks = []
    for combo in candidates:
        e = np.zeros(len(system.atoms))
        for key in combo:
            e[system.atoms[key]] = 1.0
        if len(a) and np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            recovered = float(e @ solution)
            leaks.append((combo, round(recovered, 6), sum(true[k] for k in combo)))
    return leaks
