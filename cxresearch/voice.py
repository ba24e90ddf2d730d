"""Voice of the customer: NPS, CSAT and CES by group and over time, key drivers, topic impact.

The KPI estimates and their intervals come from :mod:`cxresearch.stats`
(re-exported here): NPS with the variance of the promoter-minus-detractor
difference, CSAT top-2-box with Wilson, means with Student's t. Tables are
computed for all groups at once; groups answered by fewer than
``min_group_size`` respondents are suppressed (dropped, with a
:class:`~cxresearch.errors.SmallGroupWarning`), never shown.

Key drivers use the Shapley (LMG) decomposition of the R² of a linear
regression of the target on the standardised driver ratings: each driver's
importance is its average gain in R² over all orders of entering the model, so
importances are non-negative and sum to the model's R², even when drivers are
correlated.
"""
from __future__ import annotations

import fnmatch
import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats as _sp

from .errors import DataError, ParameterError, SmallGroupWarning, did_you_mean
from .privacy import MIN_GROUP_SIZE, suppress_small
from .stats import (Comparison, Estimate, ces, compare, csat, mean_interval, nps, nps_interval,
                    wilson_interval, z_value)

__all__ = ["Estimate", "Comparison", "nps", "csat", "ces", "compare", "METRICS", "FREQUENCIES",
           "kpi_table", "kpi_trend", "key_drivers", "topic_impact"]

#: KPI -> (score column, answer scale).
METRICS = {"nps": ("nps", (0, 10)), "csat": ("csat", (1, 5)), "csat_mean": ("csat", (1, 5)), "ces": ("ces", (1, 7))}
#: Period lengths accepted by :func:`kpi_trend` (pandas period aliases).
FREQUENCIES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
#: Importance-performance quadrants, in the order they should be acted on.
QUADRANTS = ("fix first", "keep up", "low priority", "possible overkill")
_MAX_DRIVERS = 16


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}."
                             f"{did_you_mean(str(value), list(choices))}")


def _check_columns(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hints = "".join(did_you_mean(c, frame.columns) for c in missing)
        raise ParameterError(f"{what}: column(s) {missing} not in the table; available: "
                             f"{', '.join(map(str, frame.columns))}.{hints}")


def _scores(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Valid answers of *metric* as floats; answers off the scale raise :class:`DataError`."""
    column, (low, high) = METRICS[metric]
    _check_columns(frame, [column], f"metric {metric!r}")
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    off_scale = values.notna() & ~values.between(low, high)
    if off_scale.any():
        raise DataError(f"column '{column}' must hold {metric} answers from {low} to {high}; found "
                        f"{int(off_scale.sum())} outside, e.g. {values[off_scale].head(5).tolist()}.")
    return values


def _summarise(frame: pd.DataFrame, keys: list[str], metric: str, level: float) -> pd.DataFrame:
    """value, low, high and n of *metric* per group of *keys*, all groups at once."""
    scores = _scores(frame, metric)
    data = frame[keys].assign(score=scores, promoter=scores >= 9, detractor=scores <= 6, top2=scores >= 4)
    data = data[scores.notna()]
    grouped = data.groupby(keys, observed=True, sort=True) if keys else data.groupby(np.zeros(len(data)))
    agg = grouped.agg(n=("score", "size"), mean=("score", "mean"), std=("score", "std"),
                      promoters=("promoter", "sum"), detractors=("detractor", "sum"), top2=("top2", "sum"))
    if metric == "nps":
        value, low, high = nps_interval(agg["promoters"], agg["detractors"], agg["n"], level=level)
    elif metric == "csat":
        share, low, high = wilson_interval(agg["top2"], agg["n"], level=level)
        value, low, high = 100 * share, 100 * low, 100 * high
    else:
        value = agg["mean"].to_numpy()
        low, high = np.clip(mean_interval(value, agg["std"], agg["n"], level=level), *METRICS[metric][1])
    out = pd.DataFrame({"metric": metric, "value": value, "low": low, "high": high, "n": agg["n"].to_numpy()},
                       index=agg.index)
    return out.reset_index() if keys else out.reset_index(drop=True)


def _with_period(surveys: pd.DataFrame, freq: str, name: str) -> pd.DataFrame:
    _check_columns(surveys, ["timestamp"], f"grouping by {name!r}")
    stamps = pd.to_datetime(surveys["timestamp"], utc=True).dt.tz_convert(None)
    return surveys.assign(**{name: stamps.dt.to_period(freq).dt.start_time})


def kpi_table(surveys: pd.DataFrame, *, by=(), metrics=("nps", "csat", "ces"), level: float = 0.95,
              min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """KPIs with confidence intervals per group, one row per group and metric.

    Parameters
    ----------
    surveys : DataFrame
        Survey answers (``nps`` 0-10, ``csat`` 1-5, ``ces`` 1-7; missing = not answered).
    by : list of str
        Grouping columns, e.g. ``["channel"]``, ``["touchpoint"]``, ``["persona"]``;
        ``"month"`` (or ``"week"``, ``"quarter"``...) is derived from ``timestamp``
        when the table has no such column. Empty: one overall row per metric.
    metrics : list of {"nps", "csat", "csat_mean", "ces"}
        ``"csat"`` is the top-2-box percentage, ``"csat_mean"`` the mean score.
    min_group_size : int
        Groups with fewer valid answers are suppressed.

    Returns
    -------
    DataFrame
        The *by* columns, ``metric``, ``value``, ``low``, ``high``, ``n``.

    Examples
    --------
    >>> table = kpi_table(pd.DataFrame({"channel": ["web"] * 5, "nps": [10, 9, 8, 3, 10]}), metrics=["nps"])
    >>> table[["metric", "value", "n"]].to_dict("records")
    [{'metric': 'nps', 'value': 40.0, 'n': 5}]
    """
    by = [by] if isinstance(by, str) else list(by)
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for metric in metrics:
        _check_choice("metric", metric, METRICS)
    frame = surveys
    periods = {name: alias for alias, name in FREQUENCIES.items()}
    for key in by:
        if key not in frame.columns and key in periods:
            frame = _with_period(frame, periods[key], key)
    _check_columns(frame, by, "kpi_table by")
    table = pd.concat([_summarise(frame, by, metric, level) for metric in metrics], ignore_index=True)
    return suppress_small(table, size_col="n", min_group_size=min_group_size).reset_index(drop=True)


def kpi_trend(surveys: pd.DataFrame, *, metric: str = "nps", freq: str = "M", level: float = 0.95,
              min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """A KPI per period with its interval band and a flag on significant changes.

    Each period is compared with the previous shown period (normal test on the
    difference of two independent estimates, as :func:`compare`).

    Returns
    -------
    DataFrame
        ``period`` (start time), ``metric``, ``value``, ``low``, ``high``, ``n``,
        ``change`` (from the previous period), ``change_low``, ``change_high``,
        ``p_value`` and ``significant`` (False for the first period).
    """
    _check_choice("metric", metric, METRICS)
    _check_choice("freq", freq, FREQUENCIES)
    trend = kpi_table(_with_period(surveys, freq, "period"), by=["period"], metrics=[metric], level=level,
                      min_group_size=min_group_size)
    z = z_value(level)
    se = (trend["high"] - trend["low"]) / (2 * z)
    se_change = np.hypot(se, se.shift())
    change = trend["value"].diff()
    p_value = 2 * _sp.norm.sf(np.abs(change / se_change))
    return trend.assign(change=change, change_low=change - z * se_change, change_high=change + z * se_change,
                        p_value=p_value, significant=p_value < 1 - level)


def _driver_columns(surveys: pd.DataFrame, drivers) -> list[str]:
    if isinstance(drivers, str):
        columns = [c for c in surveys.columns if fnmatch.fnmatchcase(str(c), drivers)]
        if not columns:
            raise ParameterError(f"no column matches drivers={drivers!r}; columns: "
                                 f"{', '.join(map(str, surveys.columns))}.")
        return columns
    columns = list(drivers)
    _check_columns(surveys, columns, "key_drivers drivers")
    return columns


def _subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the regression of the last variable on every subset of the others (index = bit mask)."""
    p = corr.shape[0] - 1
    r2 = np.zeros(2**p)
    for mask in range(1, 2**p):
        members = [j for j in range(p) if mask >> j & 1]
        r = corr[members, p]
        r2[mask] = r @ np.linalg.lstsq(corr[np.ix_(members, members)], r, rcond=None)[0]
    return r2


def _shapley(r2: np.ndarray, p: int) -> np.ndarray:
    """Shapley value of each driver in the R² game given by *r2* over bit masks."""
    masks = np.arange(2**p)
    sizes = np.array([bin(m).count("1") for m in masks])
    weights = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) if s < p else 0.0
                        for s in sizes])
    importance = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        importance[j] = (weights[without] * (r2[without | 1 << j] - r2[without])).sum()
    return importance


def key_drivers(surveys: pd.DataFrame, *, target: str = "nps", drivers="rating_*", na_codes=(),
                level: float = 0.95, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Which ratings drive the target, and which to fix first.

    Parameters
    ----------
    surveys : DataFrame
    target : str
        Numeric or boolean column to explain (``"nps"``, ``"csat"``, a 0/1 flag...).
    drivers : str or list of str
        Driver columns, or a glob pattern over column names.
    na_codes : sequence of numbers
        Driver values that mean "not applicable" (e.g. ``[0]`` on a 0-5 scale);
        they count as missing.
    min_group_size : int
        Drivers with fewer answers are left out (with a warning).

    Returns
    -------
    DataFrame
        One row per driver, most important first: ``driver``, ``importance``
        (Shapley share of R²; the column sums to the model's R²), ``share``
        (importance / R²), ``correlation`` with the target, ``direction``
        ("positive"/"negative", its sign), ``beta`` (standardised coefficient
        in the full model), ``p_value`` and ``significant`` (test of beta),
        ``performance`` (mean rating), ``n`` (answers), ``quadrant``
        (importance and performance against their averages: "fix first",
        "keep up", "low priority", "possible overkill") and ``priority`` (1 =
        act first: fix-first drivers by importance, then the other quadrants).
        ``attrs`` holds ``r2``, ``n`` (effective sample size) and ``method``.

    Notes
    -----
    Correlations are pairwise (each pair uses the rows answering both), so
    respondents who rated only some touchpoints still count. Significance uses
    the smallest pairwise sample size, a conservative choice.
    """
    columns = _driver_columns(surveys, drivers)
    _check_columns(surveys, [target], "key_drivers target")
    if target in columns:
        columns.remove(target)
    y = surveys[target]
    if not (pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y)):
        raise ParameterError(f"target column '{target}' must be numeric or boolean; found {y.dtype} values such as "
                             f"{y.dropna().unique()[:3].tolist()}. Map it to numbers first.")
    ratings = surveys[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    ratings = ratings.mask(ratings.isin(list(na_codes)))
    answered = ratings.notna().sum()
    too_few = answered.index[answered < max(min_group_size, 3)].tolist()
    if too_few:
        warnings.warn(f"driver(s) {too_few} left out: fewer than {min_group_size} answers.",
                      SmallGroupWarning, stacklevel=2)
        ratings = ratings.drop(columns=too_few)
    p = ratings.shape[1]
    if not 1 <= p <= _MAX_DRIVERS:
        raise ParameterError(f"key_drivers needs 1 to {_MAX_DRIVERS} drivers with answers; found {p}.")

    data = ratings.assign(**{"__target__": y.astype(float)})
    corr = data.corr().to_numpy()
    pair_n = data.notna().astype(float).T @ data.notna().astype(float)
    n = int(pair_n.to_numpy().min())
    if np.isnan(corr).any() or n <= p + 1:
        raise DataError(f"key_drivers needs varied answers to every driver and the target on more than {p + 1} "
                        f"common rows; found {n} (or a constant column).")
    r2 = _subset_r2(corr)
    importance = _shapley(r2, p)
    inverse = np.linalg.pinv(corr[:p, :p])
    beta = inverse @ corr[:p, p]
    se = np.sqrt(np.maximum(1 - r2[-1], 0) / (n - p - 1) * np.diag(inverse))
    p_value = 2 * _sp.t.sf(np.abs(beta / se), n - p - 1)
    table = pd.DataFrame({
        "driver": ratings.columns, "importance": importance, "share": importance / r2[-1],
        "correlation": corr[:p, p], "direction": np.where(corr[:p, p] >= 0, "positive", "negative"),
        "beta": beta, "p_value": p_value, "significant": p_value < 1 - level,
        "performance": ratings.mean().to_numpy(), "n": ratings.notna().sum().to_numpy(),
    })
    important = table["importance"] >= table["importance"].mean()
    performing = table["performance"] >= table["performance"].mean()
    table["quadrant"] = np.select([important & ~performing, important & performing, ~important & ~performing],
                                  QUADRANTS[:3], QUADRANTS[3])
    order = table.assign(q=table["quadrant"].map(QUADRANTS.index)).sort_values(["q", "importance"],
                                                                               ascending=[True, False])
    table.loc[order.index, "priority"] = np.arange(1, p + 1)
    table = table.astype({"priority": int}).sort_values("importance", ascending=False, ignore_index=True)
    table.attrs.update(r2=float(r2[-1]), n=n, method="shapley_lmg")
    return table


def topic_impact(surveys: pd.DataFrame, topic: pd.Series, *, score_col: str = "nps", level: float = 0.95,
                 min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """NPS of the responses about each topic against the other responses with a topic.

    Parameters
    ----------
    surveys : DataFrame
        Survey answers with an ``nps`` column (or *score_col*).
    topic : Series
        Topic label of each response, aligned on ``surveys.index`` (missing = no
        comment), e.g. ``topics(...).document_topic``.

    Returns
    -------
    DataFrame
        ``topic``, ``n``, ``nps`` (of responses about it), ``nps_rest``,
        ``impact`` (difference), ``low``, ``high``, ``p_value``, ``significant``;
        most negative impact first. Topics with fewer than ``min_group_size``
        responses (or rest) are suppressed.
    """
    _check_columns(surveys, [score_col], "topic_impact score_col")
    labels = pd.Series(topic).reindex(surveys.index)
    scored = surveys.loc[labels.notna(), score_col]
    labels = labels[labels.notna()]
    rows = []
    for label in pd.unique(labels):
        about = labels == label
        comparison = compare(nps(scored[~about], level=level), nps(scored[about], level=level))
        rows.append({"topic": label, "n": comparison.after.n, "n_rest": comparison.before.n,
                     "nps": comparison.after.value, "nps_rest": comparison.before.value,
                     "impact": comparison.diff, "low": comparison.low, "high": comparison.high,
                     "p_value": comparison.p_value, "significant": comparison.significant})
    table = pd.DataFrame(rows, columns=["topic", "n", "n_rest", "nps", "nps_rest", "impact", "low", "high",
                                        "p_value", "significant"])
    table = suppress_small(table, size_col="n", min_group_size=min_group_size)
    table = suppress_small(table, size_col="n_rest", min_group_size=min_group_size)
    return table.sort_values("impact", ignore_index=True)
