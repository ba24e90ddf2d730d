"""Confidence intervals, tests and multiplicity corrections shared by every analysis.

Vectorised over arrays of group counts (scalars in, scalars out):

- NPS: adjusted Wald (Rocks 2016): add 3/4 to promoters and to detractors and
  3 to n, Wald interval around the adjusted score, kept inside [-100, 100].
- Proportions (CSAT top-2-box): Wilson score interval (statsmodels).
- Differences of proportions: Newcombe's hybrid score interval (statsmodels).
- Differences of NPS: adjusted Wald in each sample, variances added.
- Means (CSAT mean, CES): Student's t with the standard error from the data;
  differences of means: Welch.
- Many tests at once: Benjamini-Hochberg or Holm (statsmodels ``multipletests``).

Every method, with its reference, is in ``docs/METHODS.md``.
"""
from __future__ import annotations

import numpy as np
from scipy import stats as _sp
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from ._checks import check_choice
from .errors import ParameterError
from .i18n import N_, _, format_count, format_percent, ngettext

__all__ = ["CORRECTIONS", "z_value", "wilson_interval", "nps_interval", "nps_se", "mean_interval",
           "proportion_diff_interval", "nps_diff_interval", "mean_diff_interval", "adjust_pvalues",
           "correction_note"]

#: Multiplicity corrections accepted by :func:`adjust_pvalues` -> statsmodels method.
CORRECTIONS = {"fdr_bh": "fdr_bh", "holm": "holm", "none": None}
_CORRECTION_NAMES = {"fdr_bh": N_("Benjamini-Hochberg false discovery rate"), "holm": N_("Holm family-wise error rate")}


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
    """One sentence for the page saying how change flags were corrected for multiplicity."""
    values = {"level": format_percent(1 - level, decimals=0), "tests": format_count(tests)}
    if correction == "none" or tests <= 1:
        return ngettext("Changes are flagged at the %(level)s level (%(tests)s test, no correction).",
                        "Changes are flagged at the %(level)s level (%(tests)s tests, no correction).", tests) % values
    return _("Changes are flagged at the %(level)s level, corrected for %(tests)s comparisons (%(method)s).") % {
        **values, "method": _(_CORRECTION_NAMES[correction])}
