"""Survey design: weights, repeated respondents, design effects and effective sample sizes.

Answers are rarely a simple random sample: customers answer more than once and
surveys may carry weights. The linearised (Taylor) variance of a weighted mean,
with each customer's answers summed before squaring, is a cluster-robust
variance; its ratio to the simple-random-sampling variance is the design effect,
and ``n / design effect`` the effective sample size every interval uses.
Kish's effective n measures what the weights alone cost.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ._checks import check_columns
from .errors import DataError, WeightingWarning
from .i18n import _, format_count, format_percent

__all__ = ["LOW_BASE", "MIN_EFFICIENCY", "kish_effective_n", "design_effects", "is_low_base", "survey_weights"]

#: Estimates on fewer effective answers than this are flagged as too noisy to read.
LOW_BASE = 30
#: Weighting efficiency below which :func:`kish_effective_n` warns.
MIN_EFFICIENCY = 0.40


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
        values = {"efficiency": format_percent(efficiency, decimals=0), "n": format_count(round(n_eff)),
                  "answers": format_count(w.size), "minimum": format_percent(MIN_EFFICIENCY, decimals=0)}
        warnings.warn(_("Weighting efficiency %(efficiency)s (Kish effective sample size %(n)s of %(answers)s "
                        "answers) is below %(minimum)s: a few answers carry most of the weight, so weighted "
                        "estimates are noisy.") % values, WeightingWarning, stacklevel=2)
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
                        survey_weights(frame, weight_col), cluster_col)
    agg = _linearised(data, by or ["__all__"], cluster_col is not None)
    agg = agg[["n", "respondents", "mean", "var_design", "var_srs", "design_effect"]]
    agg = agg.assign(n_effective=agg["n"] / agg["design_effect"])
    return agg.reset_index(drop=True) if not by else agg


def is_low_base(n_effective, *, threshold: int = LOW_BASE):
    """True where an estimate rests on fewer than *threshold* effective answers (too noisy to read)."""
    return np.asarray(n_effective, dtype=float) < threshold


def _as_list(value) -> list:
    return [value] if isinstance(value, str) else list(value)


def _in_canonical_order(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """*frame* sorted by the values of *columns* it has, so sums, and the last digits of every
    estimate, do not depend on the order of the export's rows."""
    keys = list(dict.fromkeys(c for c in columns if c and c in frame.columns))
    return frame.sort_values(keys, kind="stable") if keys else frame


def survey_weights(frame: pd.DataFrame, weight_col: str | None) -> pd.Series:
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
