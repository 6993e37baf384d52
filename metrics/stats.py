"""The statistics behind the Results page, from scipy and statsmodels: correlations, intervals, OLS, shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS   # not statsmodels.api: that imports everything (1.7 s)
from statsmodels.stats.proportion import proportion_confint
from statsmodels.tools.tools import add_constant

MIN_PAIRS = 4  # a correlation and its interval need at least four pairs


@dataclass(frozen=True)
class Correlation:
    n: int
    pearson_r: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    spearman_rho: float | None

    def as_dict(self) -> dict:
        return asdict(self)


def correlation(x, y, confidence: float = 0.95) -> Correlation:
    """Pearson r with its Fisher-z interval and p-value, and Spearman's rho, over the complete pairs."""
    frame = pd.DataFrame({"x": x, "y": y}).dropna()
    n = len(frame)
    if n < MIN_PAIRS or frame["x"].nunique() < 2 or frame["y"].nunique() < 2:
        return Correlation(n, None, None, None, None, None)
    result = stats.pearsonr(frame["x"], frame["y"])
    interval = result.confidence_interval(confidence_level=confidence)  # Fisher z transformation
    rho = stats.spearmanr(frame["x"], frame["y"]).statistic
    return Correlation(n, float(result.statistic), float(interval.low), float(interval.high),
                       float(result.pvalue), float(rho))


def within_unit_r(frame: pd.DataFrame, x: str, y: str, group: str) -> float | None:
    """Pearson r after removing each group's own means, so that between-unit differences do not drive it."""
    data = frame[[group, x, y]].dropna()
    if len(data) < MIN_PAIRS:
        return None
    centred = data[[x, y]] - data.groupby(group)[[x, y]].transform("mean")
    if centred[x].std() == 0 or centred[y].std() == 0:
        return None
    return float(stats.pearsonr(centred[x], centred[y]).statistic)


@dataclass(frozen=True)
class TrendLine:
    slope: float
    intercept: float
    r_squared: float
    n: int
    x: list[float]        # a grid across the data's range
    fitted: list[float]
    ci_low: list[float]   # 95% interval of the fitted mean
    ci_high: list[float]


def ols_trend(x, y, points: int = 50) -> TrendLine | None:
    """Ordinary least squares y = a + b x (statsmodels) with the 95% band of the fitted line."""
    frame = pd.DataFrame({"x": x, "y": y}).dropna()
    if len(frame) < 3 or frame["x"].nunique() < 2:
        return None
    model = OLS(frame["y"], add_constant(frame["x"])).fit()
    grid = np.linspace(frame["x"].min(), frame["x"].max(), points)
    prediction = model.get_prediction(add_constant(grid, has_constant="add")).summary_frame(alpha=0.05)
    return TrendLine(float(model.params["x"]), float(model.params["const"]), float(model.rsquared), len(frame),
                     grid.tolist(), prediction["mean"].tolist(), prediction["mean_ci_lower"].tolist(),
                     prediction["mean_ci_upper"].tolist())


def share_with_interval(successes: int, n: int) -> tuple[float | None, float | None, float | None]:
    """A share in percent with its 95% Wilson interval."""
    if n == 0:
        return None, None, None
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    return 100.0 * successes / n, 100.0 * low, 100.0 * high


def mean_difference(a, b) -> dict:
    """Difference of two means with Welch's t-test and its 95% interval."""
    a, b = pd.Series(a).dropna(), pd.Series(b).dropna()
    if len(a) < 2 or len(b) < 2:
        return {"difference": None, "ci_low": None, "ci_high": None, "p_value": None}
    test = stats.ttest_ind(a, b, equal_var=False)
    interval = test.confidence_interval(confidence_level=0.95)
    return {"difference": float(a.mean() - b.mean()), "ci_low": float(interval.low),
            "ci_high": float(interval.high), "p_value": float(test.pvalue)}
