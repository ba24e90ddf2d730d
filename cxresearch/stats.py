"""Estimates with confidence intervals: the statistics every analysis shares.

The vectorised ``*_interval`` functions work on arrays of group counts, so a KPI
table over thousands of groups needs no Python loop; :func:`nps`, :func:`csat`
and :func:`ces` wrap them for one list of scores and return an :class:`Estimate`.

Intervals are analytic (normal approximations):

- NPS = 100 (p - d) with p, d the promoter (9-10) and detractor (0-6) shares;
  Var = (p + d - (p - d)^2) / n, the variance of the difference of two
  multinomial shares.
- Proportions (CSAT top-2-box) use the Wilson score interval.
- Means (CSAT mean, CES) use Student's t interval.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sp

from .errors import ParameterError

__all__ = [
    "Estimate", "Comparison", "nps", "csat", "ces", "compare",
    "wilson_interval", "mean_interval", "nps_interval", "z_value",
]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval.

    Attributes
    ----------
    value, low, high : float
        The estimate and its interval (NaN when ``n == 0``).
    n : int
        Number of valid observations.
    level : float
        Confidence level of the interval (0.95 by default).
    metric : str
        What was estimated (``"nps"``, ``"csat_top2box"``, ``"csat_mean"``, ``"ces"``...).
    """

    value: float
    low: float
    high: float
    n: int
    level: float = 0.95
    metric: str = ""

    @property
    def se(self) -> float:
        """Standard error implied by the interval."""
        return (self.high - self.low) / (2 * z_value(self.level))

    def to_dict(self) -> dict:
        """Plain dict, e.g. for JSON."""
        return asdict(self)

    def __str__(self) -> str:
        if self.n == 0:
            return f"{self.metric or 'estimate'}: no data"
        return (f"{self.metric or 'estimate'} {self.value:.1f} "
                f"({self.level:.0%} CI {self.low:.1f} to {self.high:.1f}, n={self.n})")


@dataclass(frozen=True)
class Comparison:
    """Difference ``after - before`` between two independent estimates."""

    before: Estimate
    after: Estimate
    diff: float
    low: float
    high: float
    p_value: float
    level: float = 0.95

    @property
    def significant(self) -> bool:
        """True when the interval of the difference excludes zero."""
        return bool(self.p_value < 1 - self.level)

    def to_dict(self) -> dict:
        """Plain dict, e.g. for JSON."""
        return {"diff": self.diff, "low": self.low, "high": self.high,
                "p_value": self.p_value, "level": self.level, "significant": self.significant,
                "before": self.before.to_dict(), "after": self.after.to_dict()}


def z_value(level: float) -> float:
    """Two-sided standard-normal quantile for a confidence *level*."""
    if not 0 < level < 1:
        raise ParameterError(f"level must be between 0 and 1 (exclusive); got {level!r}.")
    return float(_sp.norm.ppf(0.5 + level / 2))


def wilson_interval(successes, n, *, level: float = 0.95):
    """Wilson score interval for proportions, vectorised.

    Returns ``(share, low, high)`` as float arrays (NaN where ``n == 0``).

    Examples
    --------
    >>> share, low, high = wilson_interval(8, 10)
    >>> round(float(low), 3), round(float(high), 3)
    (0.49, 0.943)
    """
    k = np.asarray(successes, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return p, centre - half, centre + half


def mean_interval(mean, std, n, *, level: float = 0.95):
    """Student-t interval for means, vectorised; returns ``(low, high)``."""
    mean = np.asarray(mean, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = _sp.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        half = np.where(n > 1, t * np.asarray(std, dtype=float) / np.sqrt(n), np.nan)
    return mean - half, mean + half


def nps_interval(promoters, detractors, n, *, level: float = 0.95):
    """NPS and its interval from counts, vectorised; returns ``(nps, low, high)``.

    Examples
    --------
    >>> value, low, high = nps_interval(5, 2, 10)
    >>> float(value), round(float(low), 1), round(float(high), 1)
    (30.0, -18.4, 78.4)
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(promoters, dtype=float) / n
        d = np.asarray(detractors, dtype=float) / n
        diff = p - d
        se = np.sqrt(np.maximum(p + d - diff**2, 0) / n)
    half = z_value(level) * se
    return 100 * diff, 100 * (diff - half), 100 * (diff + half)


def _clean(scores, lo: float, hi: float, name: str) -> np.ndarray:
    values = pd.to_numeric(pd.Series(scores, dtype="object"), errors="coerce").to_numpy(dtype=float)
    values = values[~np.isnan(values)]
    bad = values[(values < lo) | (values > hi)]
    if bad.size:
        raise ParameterError(f"{name} scores must lie between {lo:g} and {hi:g}; found {bad[:5].tolist()}.")
    return values


def nps(scores, *, level: float = 0.95) -> Estimate:
    """Net Promoter Score (-100..100) of 0-10 answers, with its interval.

    Missing values are ignored.

    Examples
    --------
    >>> str(nps([10, 10, 9, 8, 7, 6, 0, 10, 9, 3]))
    'nps 20.0 (95% CI -34.0 to 74.0, n=10)'
    """
    v = _clean(scores, 0, 10, "NPS")
    value, low, high = nps_interval((v >= 9).sum(), (v <= 6).sum(), v.size, level=level)
    return Estimate(float(value), float(low), float(high), int(v.size), level, "nps")


def csat(scores, *, measure: str = "top2box", level: float = 0.95) -> Estimate:
    """Customer satisfaction of 1-5 answers.

    Parameters
    ----------
    measure : {"top2box", "mean"}
        ``"top2box"``: percent of 4 and 5 answers, Wilson interval (the usual CSAT);
        ``"mean"``: mean score with a t interval.
    """
    v = _clean(scores, 1, 5, "CSAT")
    if measure == "top2box":
        share, low, high = wilson_interval((v >= 4).sum(), v.size, level=level)
        return Estimate(float(100 * share), float(100 * low), float(100 * high), int(v.size), level, "csat_top2box")
    if measure == "mean":
        return _mean_estimate(v, level, "csat_mean", (1, 5))
    raise ParameterError(f"measure must be one of 'top2box', 'mean'; got {measure!r}.")


def ces(scores, *, level: float = 0.95) -> Estimate:
    """Customer Effort Score: mean of 1-7 answers (higher = easier), t interval."""
    return _mean_estimate(_clean(scores, 1, 7, "CES"), level, "ces", (1, 7))


def _mean_estimate(v: np.ndarray, level: float, metric: str, scale: tuple[float, float]) -> Estimate:
    """Mean with its t interval, clipped to the answer *scale*."""
    n = v.size
    mean = float(v.mean()) if n else float("nan")
    std = float(v.std(ddof=1)) if n > 1 else float("nan")
    low, high = np.clip(mean_interval(mean, std, n, level=level), *scale)
    return Estimate(mean, float(low), float(high), int(n), level, metric)


def compare(before: Estimate, after: Estimate) -> Comparison:
    """Difference ``after - before`` of two independent estimates, with interval and p-value.

    The standard errors are read off each estimate's interval and combined in
    quadrature (normal approximation, two-sided test of no difference).
    """
    if before.metric and after.metric and before.metric != after.metric:
        raise ParameterError(f"cannot compare {before.metric!r} with {after.metric!r}.")
    diff = after.value - before.value
    se = float(np.hypot(before.se, after.se))
    z = z_value(after.level)
    if np.isnan(se) or np.isnan(diff):
        p = float("nan")
    elif se == 0:
        p = 0.0 if diff != 0 else 1.0
    else:
        p = float(2 * _sp.norm.sf(abs(diff) / se))
    return Comparison(before, after, float(diff), float(diff - z * se), float(diff + z * se), p, after.level)
