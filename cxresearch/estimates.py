"""One list of answers -> an :class:`Estimate` with its interval; two estimates -> a :class:`Comparison`.

:func:`nps`, :func:`csat` and :func:`ces` run the KPI engine
(:func:`cxresearch.kpis.kpi_summary`) on one list of scores; :func:`compare`
tests the difference of two estimates from the shares and standard errors they
carry (never from their intervals). Estimates are what the summary saves
between runs.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import pandas as pd

from ._checks import check_choice
from .columns import METRIC_UNITS
from .errors import ParameterError
from .kpis import KPI_METRICS, kpi_differences, kpi_summary

__all__ = ["Estimate", "Comparison", "nps", "csat", "ces", "compare"]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval.

    Attributes
    ----------
    value, low, high : float
        The estimate and its interval (NaN when ``n == 0``).
    n : int
        Number of valid answers.
    level : float
        Confidence level of the interval (0.95 by default).
    metric : str
        What was estimated (``"nps"``, ``"csat_top2box"``, ``"csat_mean"``, ``"ces"``...).
    se : float
        Standard error from the data (design-based), in the estimate's units.
    n_effective : float
        Sample size after the design effect (n when answers are independent and unweighted).
    design_effect : float
        Variance inflation from repeated respondents and weights (1 = none).
    low_base : bool
        True when ``n_effective`` is below the low-base threshold.
    top_share, bottom_share : float
        Promoter and detractor shares (NPS) or the top-2-box share (CSAT), 0-1;
        what differences of two estimates are computed from.
    df : float
        Degrees of freedom of a mean's t interval.
    period : tuple of str
        First and last answer time (ISO), when known.
    """

    value: float
    low: float
    high: float
    n: int
    level: float = 0.95
    metric: str = ""
    se: float = float("nan")
    n_effective: float = float("nan")
    design_effect: float = 1.0
    low_base: bool = False
    top_share: float = float("nan")
    bottom_share: float = float("nan")
    df: float = float("nan")
    period: tuple = ()

    def to_dict(self) -> dict:
        """Plain dict, e.g. for JSON."""
        return asdict(self)

    @classmethod
    def from_row(cls, row, *, level: float, name: str, period: tuple = ()) -> Estimate:
        """Estimate from one row of :func:`kpi_summary`."""
        return cls(float(row["value"]), float(row["low"]), float(row["high"]), int(row["n"]), level, name,
                   se=float(row["se"]), n_effective=float(row["n_effective"]),
                   design_effect=float(row["design_effect"]), low_base=bool(row["low_base"]),
                   top_share=float(row["top_share"]), bottom_share=float(row["bottom_share"]),
                   df=float(row["df"]), period=tuple(period))

    def overlaps(self, other: Estimate) -> bool:
        """True when both estimates carry answer periods (first, last) that overlap: they may share respondents."""
        if len(self.period) != 2 or len(other.period) != 2:
            return False
        return bool(self.period[0] <= other.period[1] and other.period[0] <= self.period[1])

    @classmethod
    def from_dict(cls, values: dict) -> Estimate:
        """Estimate from :meth:`to_dict` output (fields unknown to this version are ignored).

        Runs of earlier versions saved the CSAT top-2-box in percent (0-100): read back as a share of 1.

        Examples
        --------
        >>> Estimate.from_dict({"value": 82.0, "low": 80.0, "high": 84.0, "n": 900, "metric": "csat_top2box"}).value
        0.82
        """
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in values.items() if k in names}
        if METRIC_UNITS.get(values.get("metric")) == "share" and values.get("value") is not None and \
                abs(values["value"]) > 1:
            values.update({k: values[k] / 100 for k in ("value", "low", "high", "se") if values.get(k) is not None})
        return cls(**values)

    def __str__(self) -> str:
        if self.n == 0:
            return f"{self.metric or 'estimate'}: no data"
        spec = ".1%" if METRIC_UNITS.get(self.metric) == "share" else ".1f"
        return (f"{self.metric or 'estimate'} {self.value:{spec}} "
                f"({self.level:.0%} CI {self.low:{spec}} to {self.high:{spec}}, n={self.n})")


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
        """True when the p-value is below ``1 - level``."""
        return bool(self.p_value < 1 - self.level)

    def to_dict(self) -> dict:
        """Plain dict, e.g. for JSON."""
        return {"diff": self.diff, "low": self.low, "high": self.high,
                "p_value": self.p_value, "level": self.level, "significant": self.significant,
                "before": self.before.to_dict(), "after": self.after.to_dict()}


def _estimate(scores, metric: str, level: float, name: str) -> Estimate:
    column = KPI_METRICS[metric].column
    frame = pd.DataFrame({column: pd.to_numeric(pd.Series(scores, dtype="object"), errors="coerce")})
    table = kpi_summary(frame, metrics=[metric], level=level, min_group_size=1)
    if table.empty:
        return Estimate(math.nan, math.nan, math.nan, 0, level, name)
    return Estimate.from_row(table.iloc[0], level=level, name=name)


def _check_scale(scores, metric: str) -> None:
    low, high = KPI_METRICS[metric].scale
    values = pd.to_numeric(pd.Series(scores, dtype="object"), errors="coerce").dropna()
    bad = values[(values < low) | (values > high)]
    if len(bad):
        raise ParameterError(f"{KPI_METRICS[metric].label.split(' (')[0]} scores must lie between {low:g} and "
                             f"{high:g}; found {bad.head(5).tolist()}.")


def nps(scores, *, level: float = 0.95) -> Estimate:
    """Net Promoter Score (-100..100) of 0-10 answers, with its adjusted Wald interval.

    Missing values are ignored.

    Examples
    --------
    >>> str(nps([10, 10, 9, 8, 7, 6, 0, 10, 9, 3]))
    'nps 20.0 (95% CI -30.3 to 61.1, n=10)'
    """
    _check_scale(scores, "nps")
    return _estimate(scores, "nps", level, "nps")


def csat(scores, *, measure: str = "top2box", level: float = 0.95) -> Estimate:
    """Customer satisfaction of 1-5 answers.

    Parameters
    ----------
    measure : {"top2box", "mean"}
        ``"top2box"``: share (0-1) of 4 and 5 answers, Wilson interval (the usual CSAT);
        ``"mean"``: mean score with a t interval.
    """
    check_choice("measure", measure, ("top2box", "mean"))
    _check_scale(scores, "csat")
    metric = "csat" if measure == "top2box" else "csat_mean"
    return _estimate(scores, metric, level, "csat_top2box" if measure == "top2box" else "csat_mean")


def ces(scores, *, level: float = 0.95) -> Estimate:
    """Customer Effort Score: mean of 1-7 answers (higher = easier), t interval."""
    _check_scale(scores, "ces")
    return _estimate(scores, "ces", level, "ces")


_ESTIMATE_METRIC = {"nps": "nps", "csat_top2box": "csat", "csat": "csat", "csat_mean": "csat_mean", "ces": "ces",
                    "review_top2box": "csat", "review_mean": "csat_mean", "satisfied_share": "csat"}


def compare(before: Estimate, after: Estimate) -> Comparison:
    """Difference ``after - before`` of two independent estimates, with interval and p-value.

    Uses :func:`kpi_differences` (Newcombe for CSAT top-2-box, adjusted Wald
    for NPS, Welch t for means) on the shares and standard errors each
    estimate carries; never reads a standard error back from an interval.
    """
    if before.metric and after.metric and before.metric != after.metric:
        raise ParameterError(f"cannot compare {before.metric!r} with {after.metric!r}.")
    metric = _ESTIMATE_METRIC.get(after.metric or before.metric)
    if metric is None:
        raise ParameterError(f"compare needs estimates of {', '.join(map(repr, _ESTIMATE_METRIC))}; "
                             f"got {after.metric!r}.")

    def row(e: Estimate) -> dict:
        n_eff = e.n_effective if not math.isnan(e.n_effective) else float(e.n)
        return {"metric": metric, "value": e.value, "se": e.se, "df": e.df, "top_share": e.top_share,
                "bottom_share": e.bottom_share, "n_effective": n_eff}

    result = kpi_differences(pd.DataFrame([row(before)]), pd.DataFrame([row(after)]), level=after.level).iloc[0]
    return Comparison(before, after, float(after.value - before.value), float(result["change_low"]),
                      float(result["change_high"]), float(result["p_value"]), after.level)
