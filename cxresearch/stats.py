"""Estimates with confidence intervals: the statistics every analysis shares.

:func:`kpi_summary` is the one KPI engine: NPS, CSAT (top-2-box and mean) and
CES by any grouping, with n, interval, standard error, design effect,
low-base flag and small-group suppression, optionally weighted and allowing
for customers who answer more than once. Every table of KPIs in the
library (voice, journeys, personas, interventions, the summary) calls it.

The interval functions are vectorised over arrays of group counts:

- NPS: adjusted Wald (Rocks 2016): add 3/4 to promoters and to detractors and
  3 to n, Wald interval around the adjusted score, kept inside [-100, 100].
- Proportions (CSAT top-2-box): Wilson score interval (statsmodels).
- Differences of proportions: Newcombe's hybrid score interval (statsmodels).
- Differences of NPS: adjusted Wald in each sample, variances added.
- Means (CSAT mean, CES): Student's t with the standard error from the data.
- Repeated respondents and weights: linearised (cluster-robust) variance by
  customer; the design effect turns n into an effective n used by every interval.

Every method and threshold, with its reference, is in ``docs/METHODS.md``.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, fields
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as _sp
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from ._checks import check_choice, check_columns, check_positive
from .errors import DataError, ParameterError, WeightingWarning
from .privacy import MIN_GROUP_SIZE, suppress_small

__all__ = [
    "Estimate", "Comparison", "KPI_METRICS", "LOW_BASE", "CORRECTIONS",
    "z_value", "wilson_interval", "nps_interval", "nps_se", "mean_interval",
    "proportion_diff_interval", "nps_diff_interval", "mean_diff_interval",
    "design_effects", "kish_effective_n", "is_low_base", "adjust_pvalues", "correction_note",
    "kpi_summary", "kpi_differences", "mix_decomposition", "nps", "csat", "ces", "compare",
]

#: Estimates on fewer effective answers than this are flagged as too noisy to read.
LOW_BASE = 30
#: Multiplicity corrections accepted by :func:`adjust_pvalues` -> statsmodels method.
CORRECTIONS = {"fdr_bh": "fdr_bh", "holm": "holm", "none": None}
#: Weighting efficiency below which :func:`kish_effective_n` warns.
MIN_EFFICIENCY = 0.40
_CORRECTION_NAMES = {"fdr_bh": "Benjamini-Hochberg false discovery rate", "holm": "Holm family-wise error rate"}


class KPIMetric(NamedTuple):
    """How a KPI is read from its answer column."""

    column: str
    scale: tuple[float, float]
    kind: str    # "nps", "share" (top-2-box) or "mean"
    label: str


#: KPI -> how it is computed. ``csat`` is the top-2-box percentage, ``csat_mean`` the mean score.
KPI_METRICS = {
    "nps": KPIMetric("nps", (0, 10), "nps", "NPS"),
    "csat": KPIMetric("csat", (1, 5), "share", "CSAT (% satisfied)"),
    "csat_mean": KPIMetric("csat", (1, 5), "mean", "CSAT mean (1-5)"),
    "ces": KPIMetric("ces", (1, 7), "mean", "CES (1-7, higher = easier)"),
}
_COLUMNS = ["metric", "value", "low", "high", "se", "n", "respondents", "n_effective", "design_effect",
            "low_base", "top_share", "bottom_share", "df", "weight_total"]


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
        """Estimate from :meth:`to_dict` output (fields unknown to this version are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

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
        """True when the p-value is below ``1 - level``."""
        return bool(self.p_value < 1 - self.level)

    def to_dict(self) -> dict:
        """Plain dict, e.g. for JSON."""
        return {"diff": self.diff, "low": self.low, "high": self.high,
                "p_value": self.p_value, "level": self.level, "significant": self.significant,
                "before": self.before.to_dict(), "after": self.after.to_dict()}


# ---------------------------------------------------------------- intervals
def z_value(level: float) -> float:
    """Two-sided standard-normal quantile for a confidence *level*."""
    if not 0 < level < 1:
        raise ParameterError(f"level must be between 0 and 1 (exclusive); got {level!r}.")
    return float(_sp.norm.ppf(0.5 + level / 2))


def _floats(*arrays):
    return [a.copy() for a in np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))]


def _out(*arrays):
    """Numbers for scalar inputs, arrays for array inputs."""
    return tuple(np.asarray(a, dtype=float)[()] for a in arrays)


def wilson_interval(successes, n, *, level: float = 0.95):
    """Wilson score interval for proportions, vectorised (statsmodels ``proportion_confint``).

    *successes* and *n* may be effective (non-integer) counts. Returns
    ``(share, low, high)`` as float arrays (NaN where ``n == 0``).

    Examples
    --------
    >>> share, low, high = wilson_interval(8, 10)
    >>> round(float(low), 3), round(float(high), 3)
    (0.49, 0.943)
    """
    z_value(level)
    k, n = _floats(successes, n)
    ok = n > 0
    share, low, high = (np.full(n.shape, np.nan) for _ in range(3))
    if ok.any():
        share[ok] = k[ok] / n[ok]
        low[ok], high[ok] = proportion_confint(k[ok], n[ok], alpha=1 - level, method="wilson")
    return _out(share, low, high)


def nps_se(promoters, detractors, n):
    """Standard error of NPS (in points) from counts: ``100 sqrt((p + d - (p - d)^2) / n)``."""
    p, d, n = _floats(promoters, detractors, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        p, d = p / n, d / n
        return _out(100 * np.sqrt(np.maximum(p + d - (p - d) ** 2, 0) / n))[0]


def _adjusted_nps(promoters, detractors, n):
    """Adjusted (Rocks 2016) NPS share difference and its variance: 3/4 added to P and D, 3 to n."""
    n_adj = n + 3
    p, d = (promoters + 0.75) / n_adj, (detractors + 0.75) / n_adj
    return p - d, (p + d - (p - d) ** 2) / n_adj


def nps_interval(promoters, detractors, n, *, level: float = 0.95):
    """NPS and its adjusted Wald interval from counts, vectorised; returns ``(nps, low, high)``.

    The score is the plain ``100 (P - D) / n``; the interval is the Wald
    interval of the adjusted score (3/4 added to promoters and to
    detractors, 3 to n; Rocks 2016), cut to [-100, 100]. Counts may be
    effective (non-integer) counts.

    Examples
    --------
    >>> value, low, high = nps_interval(5, 0, 5)
    >>> float(value), round(float(low), 1), float(high)
    (100.0, 17.5, 100.0)
    """
    z = z_value(level)
    promoters, detractors, n = _floats(promoters, detractors, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(n > 0, 100 * (promoters - detractors) / n, np.nan)
        centre, variance = _adjusted_nps(promoters, detractors, n)
        half = z * np.sqrt(variance)
    low = np.where(n > 0, np.clip(100 * (centre - half), -100, 100), np.nan)
    high = np.where(n > 0, np.clip(100 * (centre + half), -100, 100), np.nan)
    return _out(value, low, high)


def _t_interval(mean, se, df, level: float):
    mean, se, df = _floats(mean, se, df)
    with np.errstate(invalid="ignore"):
        t = _sp.t.ppf(0.5 + level / 2, np.where(df >= 1, df, np.nan))
    return mean - t * se, mean + t * se


def mean_interval(mean, std, n, *, level: float = 0.95):
    """Student-t interval for means, vectorised; returns ``(low, high)`` (NaN for ``n < 2``).

    ``std`` is the sample standard deviation; the standard error is ``std / sqrt(n)``.
    """
    z_value(level)
    mean, std, n = _floats(mean, std, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(n > 1, std / np.sqrt(n), np.nan)
    return _out(*_t_interval(mean, se, n - 1, level))


def _p_value(diff, se):
    diff, se = _floats(diff, se)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 2 * _sp.norm.sf(np.abs(diff / se))
    return np.where(se == 0, np.where(diff == 0, 1.0, 0.0), p)


def proportion_diff_interval(successes1, n1, successes2, n2, *, level: float = 0.95):
    """Difference ``p2 - p1`` of two independent proportions, vectorised.

    Newcombe's hybrid score interval (statsmodels
    ``confint_proportions_2indep(method="newcomb")``) and the p-value of the
    pooled two-proportion z test. Returns ``(diff, low, high, p_value)``.

    Examples
    --------
    >>> diff, low, high, p = proportion_diff_interval(20, 50, 30, 50)
    >>> round(float(diff), 2), round(float(low), 3), round(float(high), 3)
    (0.2, 0.005, 0.375)
    """
    z_value(level)
    k1, n1, k2, n2 = _floats(successes1, n1, successes2, n2)
    ok = (n1 > 0) & (n2 > 0)
    diff, low, high, p = (np.full(n1.shape, np.nan) for _ in range(4))
    if ok.any():
        p1, p2 = k1[ok] / n1[ok], k2[ok] / n2[ok]
        diff[ok] = p2 - p1
        low[ok], high[ok] = confint_proportions_2indep(k2[ok], n2[ok], k1[ok], n1[ok], method="newcomb",
                                                       compare="diff", alpha=1 - level)
        pooled = (k1[ok] + k2[ok]) / (n1[ok] + n2[ok])
        p[ok] = _p_value(diff[ok], np.sqrt(pooled * (1 - pooled) * (1 / n1[ok] + 1 / n2[ok])))
    return _out(diff, low, high, p)


def nps_diff_interval(promoters1, detractors1, n1, promoters2, detractors2, n2, *, level: float = 0.95):
    """Difference ``NPS2 - NPS1`` of two independent samples, in points, vectorised.

    Each sample's score is adjusted as in :func:`nps_interval` (3/4 added to
    promoters and detractors, 3 to n); the interval is the Wald interval of
    the difference of the adjusted scores, cut to [-200, 200], and the
    p-value tests it against zero. Returns ``(diff, low, high, p_value)``.
    """
    z = z_value(level)
    p1, d1, n1, p2, d2, n2 = _floats(promoters1, detractors1, n1, promoters2, detractors2, n2)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = 100 * ((p2 - d2) / n2 - (p1 - d1) / n1)
        centre1, var1 = _adjusted_nps(p1, d1, n1)
        centre2, var2 = _adjusted_nps(p2, d2, n2)
        centre, se = 100 * (centre2 - centre1), 100 * np.sqrt(var1 + var2)
    ok = (n1 > 0) & (n2 > 0)
    low = np.where(ok, np.clip(centre - z * se, -200, 200), np.nan)
    high = np.where(ok, np.clip(centre + z * se, -200, 200), np.nan)
    return _out(np.where(ok, diff, np.nan), low, high, np.where(ok, _p_value(centre, se), np.nan))


def mean_diff_interval(mean1, se1, df1, mean2, se2, df2, *, level: float = 0.95):
    """Difference ``mean2 - mean1`` of two independent means (Welch t), vectorised.

    Standard errors add in quadrature; degrees of freedom by Welch-Satterthwaite.
    Returns ``(diff, low, high, p_value)``.
    """
    z_value(level)
    m1, s1, f1, m2, s2, f2 = _floats(mean1, se1, df1, mean2, se2, df2)
    diff = m2 - m1
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.hypot(s1, s2)
        df = se**4 / (s1**4 / f1 + s2**4 / f2)
        df = np.where(np.isfinite(df), df, np.fmin(f1, f2))
        p = np.where(se > 0, 2 * _sp.t.sf(np.abs(diff / se), np.where(df >= 1, df, np.nan)),
                     np.where(diff == 0, 1.0, 0.0))
    low, high = _t_interval(diff, se, df, level)
    return _out(diff, low, high, np.where(np.isnan(se), np.nan, p))


# ------------------------------------------------- design effects and weights
def kish_effective_n(weights, *, warn: bool = True) -> tuple[float, float]:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` and the weighting efficiency ``n_eff / n``.

    Warns (:class:`~cxresearch.errors.WeightingWarning`) when the efficiency
    is below 40 %: the weights then cost more than half the sample.

    Examples
    --------
    >>> kish_effective_n([1, 1, 2, 2], warn=False)
    (3.6, 0.9)
    """
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    if not w.size or not (w ** 2).sum():
        return 0.0, float("nan")
    n_eff = float(w.sum() ** 2 / (w**2).sum())
    efficiency = n_eff / w.size
    if warn and efficiency < MIN_EFFICIENCY:
        warnings.warn(f"weighting efficiency {efficiency:.0%} (Kish effective sample size {n_eff:,.0f} of "
                      f"{w.size:,} answers) is below {MIN_EFFICIENCY:.0%}: a few answers carry most of the weight, "
                      "so weighted estimates are noisy.", WeightingWarning, stacklevel=2)
    return round(n_eff, 12), round(efficiency, 12)


def _linearised(data: pd.DataFrame, keys: list[str], clustered: bool) -> pd.DataFrame:
    """Per group of *keys*: n, respondents, weighted mean of ``y`` and its design and SRS variances.

    *data* holds ``y``, ``w`` (weights) and, when *clustered*, ``cluster``.
    The design variance is the linearised (Taylor) variance of the weighted
    mean, with answers of one cluster summed before squaring (a cluster-robust
    sandwich with the ``G / (G - 1)`` correction); the SRS variance is the
    weighted element variance over n. Their ratio is the design effect.
    """
    data = data.assign(wy=data["w"] * data["y"])
    grouped = data.groupby(keys, observed=True, sort=True)
    mean = grouped["wy"].transform("sum") / grouped["w"].transform("sum")
    e = data["w"] * (data["y"] - mean)
    data = data.assign(e=e, e2=e**2, we2=data["w"] * (data["y"] - mean) ** 2)
    agg = data.groupby(keys, observed=True, sort=True).agg(
        n=("y", "size"), weight_total=("w", "sum"), wy=("wy", "sum"), e2=("e2", "sum"), we2=("we2", "sum"))
    if clustered:
        per_cluster = data.groupby(keys + ["cluster"], observed=True, sort=True)["e"].sum()
        squares = (per_cluster**2).groupby(level=list(range(len(keys)))).agg(["sum", "size"])
        agg["respondents"] = squares["size"].to_numpy()
        agg["e2"] = squares["sum"].to_numpy()
    else:
        agg["respondents"] = agg["n"]
    n, g, total = agg["n"], agg["respondents"], agg["weight_total"]
    with np.errstate(invalid="ignore", divide="ignore"):
        agg["mean"] = agg["wy"] / total
        agg["var_design"] = (g / (g - 1) * agg["e2"] / total**2).where(g > 1)
        agg["var_srs"] = (agg["we2"] / total * n / (n - 1) / n).where(n > 1)
        deff = agg["var_design"] / agg["var_srs"]
    # no variance to compare (constant answers, one answer, one respondent): as many independent units as respondents
    agg["design_effect"] = deff.where(np.isfinite(deff), n / g).clip(lower=1.0)
    return agg


def design_effects(frame: pd.DataFrame, value_col: str, *, by=(), cluster_col: str | None = None,
                   weight_col: str | None = None) -> pd.DataFrame:
    """Design effect of the (weighted) mean of *value_col* per group, from repeated respondents and weights.

    Returns a frame indexed by *by* (one row when empty) with ``n``,
    ``respondents``, ``mean``, ``var_design``, ``var_srs``, ``design_effect``
    (at least 1) and ``n_effective = n / design_effect``.
    """
    by = _as_list(by)
    check_columns(frame, by + [value_col] + [c for c in (cluster_col, weight_col) if c], "design_effects")
    data = _design_data(frame, by, pd.to_numeric(frame[value_col], errors="coerce").astype(float),
                        _weights(frame, weight_col), cluster_col)
    agg = _linearised(data, by or ["__all__"], cluster_col is not None)
    agg = agg[["n", "respondents", "mean", "var_design", "var_srs", "design_effect"]]
    agg = agg.assign(n_effective=agg["n"] / agg["design_effect"])
    return agg.reset_index(drop=True) if not by else agg


def is_low_base(n_effective, *, threshold: int = LOW_BASE):
    """True where an estimate rests on fewer than *threshold* effective answers (too noisy to read)."""
    return np.asarray(n_effective, dtype=float) < threshold


# -------------------------------------------------------------- multiplicity
def adjust_pvalues(p_values, *, correction: str = "fdr_bh", level: float = 0.95):
    """Multiplicity-adjusted p-values and flags (statsmodels ``multipletests``), NaN-aware.

    Parameters
    ----------
    correction : {"fdr_bh", "holm", "none"}
        Benjamini-Hochberg (false discovery rate, the default), Holm
        (family-wise error rate) or none.

    Returns
    -------
    (adjusted, significant) : arrays
        NaN p-values stay NaN and are never significant.
    """
    check_choice("correction", correction, CORRECTIONS)
    p = np.asarray(p_values, dtype=float)
    adjusted = p.copy()
    tested = ~np.isnan(p)
    if CORRECTIONS[correction] and tested.any():
        adjusted[tested] = multipletests(p[tested], alpha=1 - level, method=CORRECTIONS[correction])[1]
    return adjusted, np.where(tested, adjusted < 1 - level, False)


def correction_note(correction: str, tests: int, level: float = 0.95) -> str:
    """One sentence saying how change flags were corrected for multiplicity."""
    if correction == "none" or tests <= 1:
        return f"Changes are flagged at the {1 - level:.0%} level ({tests} test{'s' * (tests != 1)}, no correction)."
    return (f"Changes are flagged at the {1 - level:.0%} level, corrected for {tests} comparisons "
            f"({_CORRECTION_NAMES[correction]}).")


# --------------------------------------------------------------- the engine
def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)




def _in_canonical_order(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """*frame* sorted by the values of *columns* it has, so sums, and the last digits of every
    estimate, do not depend on the order of the export's rows."""
    keys = list(dict.fromkeys(c for c in columns if c and c in frame.columns))
    return frame.sort_values(keys, kind="stable") if keys else frame


def _weights(frame: pd.DataFrame, weight_col: str | None) -> pd.Series:
    """Survey weights of *frame* (ones without a weight column); bad weights raise :class:`DataError`."""
    if not weight_col or weight_col not in frame.columns:
        return pd.Series(1.0, index=frame.index)
    weights = pd.to_numeric(frame[weight_col], errors="coerce").astype(float)
    bad = weights.isna() | ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:10] + 2).tolist()
        raise DataError(f"column '{weight_col}' must hold survey weights (finite numbers of 0 or more); found "
                        f"{int(bad.sum())} other value(s), e.g. {frame.loc[bad, weight_col].head(5).tolist()} "
                        f"(lines {rows}).")
    return weights


def _scores(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Valid answers of *metric* as floats; answers off the scale raise :class:`DataError`."""
    column, (low, high), _, _ = KPI_METRICS[metric]
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    off_scale = values.notna() & ~values.between(low, high)
    if off_scale.any():
        raise DataError(f"column '{column}' must hold {metric} answers from {low} to {high}; found "
                        f"{int(off_scale.sum())} outside, e.g. {values[off_scale].head(5).tolist()}.")
    return values


def _design_data(frame, by, y, weights, cluster_col) -> pd.DataFrame:
    data = frame[by].assign(y=y.to_numpy(), w=weights.to_numpy()) if by else pd.DataFrame(
        {"__all__": 0, "y": y.to_numpy(), "w": weights.to_numpy()}, index=frame.index)
    if cluster_col is not None:
        codes = pd.factorize(frame[cluster_col])[0]
        # answers without a respondent id count as respondents of their own
        unknown = codes < 0
        codes[unknown] = codes.max(initial=-1) + 1 + np.arange(unknown.sum())
        data["cluster"] = codes
    return data.loc[y.notna().to_numpy() & (data["w"] > 0).to_numpy()]


def _summarise(frame: pd.DataFrame, by: list[str], metric: str, weights: pd.Series, cluster_col,
               level: float, low_base: int) -> pd.DataFrame:
    kind = KPI_METRICS[metric].kind
    scores = _scores(frame, metric)
    top = (scores >= 9) if kind == "nps" else (scores >= 4)
    y = {"nps": top.astype(float) - (scores <= 6), "share": top.astype(float), "mean": scores}[kind]
    data = _design_data(frame, by, y.where(scores.notna()), weights, cluster_col)
    keys = by or ["__all__"]
    agg = _linearised(data, keys, cluster_col is not None)
    if kind == "nps":
        bottom = data.assign(b=(data["y"] < 0) * data["w"]).groupby(keys, observed=True, sort=True)["b"].sum()
        agg["bottom_share"] = bottom / agg["weight_total"]
        agg["top_share"] = agg["mean"] + agg["bottom_share"]
    else:
        agg["top_share"] = agg["mean"] if kind == "share" else np.nan
        agg["bottom_share"] = np.nan
    deff = agg["design_effect"]
    n_eff = agg["n"] / deff
    se = np.sqrt(agg["var_srs"] * deff)
    df = (np.minimum(agg["respondents"], agg["n"]) - 1).astype(float)
    if kind == "nps":
        _, low, high = nps_interval(agg["top_share"] * n_eff, agg["bottom_share"] * n_eff, n_eff, level=level)
        value, se = 100 * agg["mean"].to_numpy(), 100 * se
    elif kind == "share":
        _, low, high = (100 * a for a in wilson_interval(agg["top_share"] * n_eff, n_eff, level=level))
        value, se = 100 * agg["mean"].to_numpy(), 100 * se
    else:
        value = agg["mean"].to_numpy()
        low, high = np.clip(_t_interval(value, se, df, level), *KPI_METRICS[metric].scale)
    out = pd.DataFrame({"metric": metric, "value": value, "low": low, "high": high, "se": se.to_numpy(),
                        "n": agg["n"].to_numpy(), "respondents": agg["respondents"].to_numpy(),
                        "n_effective": n_eff.to_numpy(), "design_effect": deff.to_numpy(),
                        "low_base": is_low_base(n_eff, threshold=low_base),
                        "top_share": agg["top_share"].to_numpy(), "bottom_share": agg["bottom_share"].to_numpy(),
                        "df": np.where(kind == "mean", df, np.nan), "weight_total": agg["weight_total"].to_numpy()},
                       index=agg.index)
    return out.reset_index() if by else out.reset_index(drop=True)


def kpi_summary(frame: pd.DataFrame, *, by=(), metrics=("nps", "csat", "ces"), level: float = 0.95,
                min_group_size: int = MIN_GROUP_SIZE, low_base: int = LOW_BASE,
                cluster_col: str | None = "customer_id", weight_col: str | None = "weight") -> pd.DataFrame:
    """KPIs with intervals per group: the one KPI engine of the library.

    Parameters
    ----------
    frame : DataFrame
        Survey answers: ``nps`` (0-10), ``csat`` (1-5), ``ces`` (1-7); missing = not answered.
    by : list of str
        Grouping columns; empty for one overall row per metric.
    metrics : list of {"nps", "csat", "csat_mean", "ces"}
        ``"csat"`` is the top-2-box percentage, ``"csat_mean"`` the mean score.
        A metric whose column is absent is skipped and listed in ``attrs["absent"]``.
    level : float
        Confidence level of the intervals.
    min_group_size : int
        Groups with fewer respondents (distinct *cluster_col* values, else
        answers) are suppressed, with a :class:`~cxresearch.errors.SmallGroupWarning`.
    low_base : int
        Estimates on fewer effective answers are flagged ``low_base`` (too noisy to read).
    cluster_col : str or None
        Respondent id; customers answering more than once widen the intervals
        through the design effect. Ignored when the column is absent.
    weight_col : str or None
        Survey weights; ignored when the column is absent.

    Returns
    -------
    DataFrame
        The *by* columns, ``metric``, ``value``, ``low``, ``high``, ``se``
        (from the data, in the value's units), ``n`` (answers), ``respondents``,
        ``n_effective``, ``design_effect``, ``low_base``, ``top_share`` and
        ``bottom_share`` (promoters and detractors for NPS, the top-2-box share
        for CSAT), ``df`` (of a mean's t interval) and ``weight_total``.
        ``attrs``: ``absent`` (metric -> missing column), ``level``, ``weighted``, ``clustered``.

    Examples
    --------
    >>> table = kpi_summary(pd.DataFrame({"nps": [10, 9, 8, 3, 10]}), metrics=["nps", "ces"])
    >>> table[["metric", "value", "n", "low_base"]].to_dict("records")
    [{'metric': 'nps', 'value': 40.0, 'n': 5, 'low_base': True}]
    >>> table.attrs["absent"]
    {'ces': 'ces'}
    """
    by, metrics = _as_list(by), _as_list(metrics)
    for metric in metrics:
        check_choice("metric", metric, KPI_METRICS)
    check_columns(frame, by, "kpi_summary by")
    z_value(level)
    check_positive(min_group_size=min_group_size)
    cluster_col = cluster_col if cluster_col and cluster_col in frame.columns else None
    frame = _in_canonical_order(frame, by + [cluster_col, weight_col] + [m.column for m in KPI_METRICS.values()])
    weights = _weights(frame, weight_col)
    absent = {m: KPI_METRICS[m].column for m in metrics if KPI_METRICS[m].column not in frame.columns}
    parts = [_summarise(frame, by, m, weights, cluster_col, level, low_base) for m in metrics if m not in absent]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=by + _COLUMNS)
    table = suppress_small(table, size_col="respondents", min_group_size=min_group_size).reset_index(drop=True)
    table.attrs.update(absent=absent, level=level, weighted=bool(weight_col and weight_col in frame.columns),
                       clustered=cluster_col is not None)
    return table


def kpi_differences(before: pd.DataFrame, after: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Differences ``after - before`` of aligned rows of two :func:`kpi_summary` tables.

    Rows are paired by position and must hold the same ``metric``. NPS uses
    :func:`nps_diff_interval`, the top-2-box :func:`proportion_diff_interval`
    and means :func:`mean_diff_interval`, each on effective counts.

    Returns
    -------
    DataFrame
        ``change``, ``change_low``, ``change_high``, ``p_value`` (index of *after*).
    """
    if len(before) != len(after) or (before["metric"].to_numpy() != after["metric"].to_numpy()).any():
        raise ParameterError("kpi_differences needs two tables with the same metrics in the same rows.")
    kind = after["metric"].map(lambda m: KPI_METRICS[m].kind).to_numpy()
    b = {c: before[c].to_numpy(dtype=float) for c in ("value", "se", "df", "top_share", "bottom_share")}
    a = {c: after[c].to_numpy(dtype=float) for c in ("value", "se", "df", "top_share", "bottom_share")}
    nb = before["n_effective"].to_numpy(dtype=float)
    na = after["n_effective"].to_numpy(dtype=float)
    results = {
        "nps": nps_diff_interval(b["top_share"] * nb, b["bottom_share"] * nb, nb,
                                 a["top_share"] * na, a["bottom_share"] * na, na, level=level),
        "share": tuple(r * s for r, s in zip(proportion_diff_interval(b["top_share"] * nb, nb, a["top_share"] * na,
                                                                      na, level=level), (100, 100, 100, 1))),
        "mean": mean_diff_interval(b["value"], b["se"], b["df"], a["value"], a["se"], a["df"], level=level),
    }
    columns = {}
    for i, name in enumerate(("change", "change_low", "change_high", "p_value")):
        columns[name] = np.select([kind == k for k in results], [results[k][i] for k in results], np.nan)
    return pd.DataFrame(columns, index=after.index)


# ------------------------------------------------ one list of scores -> Estimate
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
        ``"top2box"``: percent of 4 and 5 answers, Wilson interval (the usual CSAT);
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


_ESTIMATE_METRIC = {"nps": "nps", "csat_top2box": "csat", "csat": "csat", "csat_mean": "csat_mean", "ces": "ces"}


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


def mix_decomposition(before: pd.DataFrame, after: pd.DataFrame, *, by, metric: str = "nps",
                      min_group_size: int = MIN_GROUP_SIZE, cluster_col: str | None = "customer_id",
                      weight_col: str | None = "weight") -> pd.DataFrame:
    """Split the change of an overall KPI into mix (segment shares moved) and within-segment change.

    Direct standardisation: the *within* change is the after-period KPI of each
    segment weighted by the before-period segment shares, minus the before KPI;
    the *mix* change is the rest. When every segment improves but answers move
    towards a weaker segment, the overall KPI can fall (Simpson's paradox):
    ``within`` is then positive and ``mix`` negative.

    Returns
    -------
    DataFrame
        One row per segment with at least *min_group_size* respondents in both
        periods (the others pooled in one row, ``"other segments"``, without
        their values): the *by* column, ``share_before``, ``share_after``,
        ``value_before``, ``value_after``, ``within`` and ``mix`` (contributions
        in the KPI's units). ``attrs``: ``change`` (overall), ``within``, ``mix``,
        ``before``, ``after``.

    Examples
    --------
    >>> before = pd.DataFrame({"channel": ["web"] * 10 + ["store"] * 10, "nps": [10] * 10 + [0] * 10})
    >>> after = pd.DataFrame({"channel": ["web"] * 5 + ["store"] * 15, "nps": [10] * 5 + [0] * 15})
    >>> parts = mix_decomposition(before, after, by="channel")
    >>> parts.attrs["change"], parts.attrs["within"], parts.attrs["mix"]
    (-50.0, 0.0, -50.0)
    """
    by = _as_list(by)
    if len(by) != 1:
        raise ParameterError(f"mix_decomposition needs one segment column in by; got {by!r}.")
    segment = by[0]
    tables = [kpi_summary(frame, by=by, metrics=[metric], min_group_size=1, low_base=0, cluster_col=cluster_col,
                          weight_col=weight_col).set_index(segment) for frame in (before, after)]
    both = tables[0].add_suffix("_before").join(tables[1].add_suffix("_after"), how="outer")
    share = {when: both[f"weight_total_{when}"].fillna(0) / both[f"weight_total_{when}"].sum()
             for when in ("before", "after")}
    value = {when: both[f"value_{when}"] for when in ("before", "after")}
    contribution = {when: (share[when] * value[when]).fillna(0) for when in ("before", "after")}
    within = (share["before"] * (value["after"] - value["before"])).fillna(0)
    parts = pd.DataFrame({"share_before": share["before"], "share_after": share["after"],
                          "value_before": value["before"], "value_after": value["after"],
                          "within": within, "mix": contribution["after"] - contribution["before"] - within})
    shown = (both["respondents_before"] >= min_group_size) & (both["respondents_after"] >= min_group_size)
    table = parts[shown].reset_index()
    if (~shown).any():
        other = parts[~shown].sum()[["share_before", "share_after", "within", "mix"]]
        table = pd.concat([table, pd.DataFrame([{segment: "other segments", **other}])], ignore_index=True)
    overall = [float(contribution[when].sum()) for when in ("before", "after")]
    table.attrs.update(before=overall[0], after=overall[1], change=overall[1] - overall[0],
                       within=float(within.sum()), mix=float(parts["mix"].sum()))
    return table
