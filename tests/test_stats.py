"""Each statistic against a value computed another way: by hand on tiny data, or by a second library."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics import stats

X = [1, 2, 3, 4, 5]
Y = [2, 4, 5, 4, 5]


def test_pearson_r_and_fisher_interval_by_hand():
    result = stats.correlation(X, Y)
    # By hand: deviations x = -2..2, y = -2, 0, 1, 0, 1; Sxy = 6, Sxx = 10, Syy = 6 -> r = 6 / sqrt(60).
    r = 6 / math.sqrt(60)
    assert result.n == 5
    assert result.pearson_r == pytest.approx(r)                      # 0.7746
    z, se = math.atanh(r), 1 / math.sqrt(5 - 3)
    assert result.ci_low == pytest.approx(math.tanh(z - 1.959964 * se), abs=1e-6)
    assert result.ci_high == pytest.approx(math.tanh(z + 1.959964 * se), abs=1e-6)
    # p-value from t = r sqrt(n-2) / sqrt(1-r^2) with 3 degrees of freedom (t = 2.1213, two-sided p = 0.1241).
    assert result.p_value == pytest.approx(0.12402706265755401, rel=1e-6)


def test_spearman_against_ranked_pearson():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=40), rng.normal(size=40)
    y = y + x
    expected = np.corrcoef(pd.Series(x).rank(), pd.Series(y).rank())[0, 1]
    assert stats.correlation(x, y).spearman_rho == pytest.approx(expected)


def test_pearson_against_numpy_on_random_data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=200)
    y = 0.3 * x + rng.normal(size=200)
    assert stats.correlation(x, y).pearson_r == pytest.approx(np.corrcoef(x, y)[0, 1])


def test_missing_pairs_are_dropped_and_too_few_give_none():
    assert stats.correlation([1, 2, None, 4, 5, 6], [2, 4, 9, 4, 5, None]).n == 4
    assert stats.correlation([1, 2, 3], [3, 2, 1]).pearson_r is None


def test_within_unit_r_removes_each_units_mean():
    # Two units; across units a big level difference, within each unit x and y move opposite ways.
    frame = pd.DataFrame({"unit": ["a"] * 3 + ["b"] * 3, "x": [1, 2, 3, 11, 12, 13], "y": [3, 2, 1, 13, 12, 11]})
    assert stats.correlation(frame["x"], frame["y"]).pearson_r > 0.9
    assert stats.within_unit_r(frame, "x", "y", "unit") == pytest.approx(-1.0)


def test_ols_trend_against_polyfit():
    slope, intercept = np.polyfit(X, Y, 1)
    trend = stats.ols_trend(X, Y)
    assert trend.slope == pytest.approx(slope)             # 0.6
    assert trend.intercept == pytest.approx(intercept)     # 2.2
    assert trend.r_squared == pytest.approx(0.6)           # r^2 = 36/60
    assert trend.fitted[0] == pytest.approx(2.8) and trend.fitted[-1] == pytest.approx(5.2)
    assert all(lo < f < hi for lo, f, hi in zip(trend.ci_low, trend.fitted, trend.ci_high))


def test_wilson_interval_by_hand():
    share, low, high = stats.share_with_interval(3, 10)
    z, p, n = 1.959964, 0.3, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert share == pytest.approx(30.0)
    assert low == pytest.approx(100 * (centre - half), abs=1e-4)
    assert high == pytest.approx(100 * (centre + half), abs=1e-4)
    assert stats.share_with_interval(0, 0) == (None, None, None)


def test_welch_mean_difference_by_hand():
    a, b = [5, 6, 7, 8], [1, 2, 3]
    result = stats.mean_difference(a, b)
    assert result["difference"] == pytest.approx(6.5 - 2.0)
    va, vb = np.var(a, ddof=1) / 4, np.var(b, ddof=1) / 3
    t = 4.5 / math.sqrt(va + vb)
    from scipy.stats import t as student
    df = (va + vb) ** 2 / (va ** 2 / 3 + vb ** 2 / 2)
    assert result["p_value"] == pytest.approx(2 * student.sf(t, df))
    assert result["ci_low"] == pytest.approx(4.5 - student.ppf(0.975, df) * math.sqrt(va + vb))
