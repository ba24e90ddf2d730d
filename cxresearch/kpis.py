"""The one KPI engine: NPS, CSAT (top-2-box and mean) and CES by any grouping.

:func:`kpi_summary` computes every table of KPIs in the library (voice,
journeys, personas, interventions, the summary): n, interval, standard error,
design effect, low-base flag and small-group suppression, optionally weighted
and allowing for customers who answer more than once
(:mod:`cxresearch.survey_design`); the intervals are those of
:mod:`cxresearch.intervals`. :func:`kpi_differences` tests changes between
two such tables and :func:`mix_decomposition` splits a change of an overall
KPI into segment mix and within-segment change.

Every method and threshold, with its reference, is in ``docs/METHODS.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._checks import check_choice, check_columns, check_positive
from .errors import DataError, ParameterError
from .i18n import format_count, format_list, format_number, ngettext
from .intervals import (_t_interval, mean_diff_interval, nps_diff_interval, nps_interval, proportion_diff_interval,
                        wilson_interval, z_value)
from .privacy import MIN_GROUP_SIZE, suppress_small
from .survey_design import (LOW_BASE, _as_list, _design_data, _in_canonical_order, _linearised, is_low_base,
                            survey_weights)

__all__ = ["KPIMetric", "KPI_METRICS", "kpi_points", "kpi_summary", "absent_metrics", "kpi_differences", "MixDecomposition",
           "mix_decomposition", "segment_mix"]



class KPIMetric(NamedTuple):
    """How a KPI is read from its answer column."""

    column: str
    scale: tuple[float, float]
    kind: str    # "nps", "share" (top-2-box) or "mean"
    label: str


#: KPI -> how it is computed. ``csat`` is the top-2-box share (a fraction of 1), ``csat_mean`` the mean score;
#: NPS is a score from -100 to 100 (promoters' minus detractors' percentage), not a share.
KPI_METRICS = {
    "nps": KPIMetric("nps", (0, 10), "nps", "NPS"),
    "csat": KPIMetric("csat", (1, 5), "share", "CSAT (share satisfied)"),
    "csat_mean": KPIMetric("csat", (1, 5), "mean", "CSAT mean (1-5)"),
    "ces": KPIMetric("ces", (1, 7), "mean", "CES (1-7, higher = easier)"),
}
_COLUMNS = ["metric", "value", "low", "high", "se", "n", "respondents", "n_effective", "design_effect",
            "low_base", "top_share", "bottom_share", "df", "weight_total"]


def _scores(frame: pd.DataFrame, metric: str) -> pd.Series:
    """Valid answers of *metric* as floats; answers off the scale raise :class:`DataError`."""
    column, (low, high) = KPI_METRICS[metric][:2]
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    off_scale = values.notna() & ~values.between(low, high)
    if off_scale.any():
        n = int(off_scale.sum())
        raise DataError(ngettext(
            "column '%(column)s' must hold %(metric)s answers from %(low)s to %(high)s; found %(n)s outside: %(values)s.",
            "column '%(column)s' must hold %(metric)s answers from %(low)s to %(high)s; found %(n)s outside, such as "
            "%(values)s.", n) % {"column": column, "metric": metric.upper(), "low": low, "high": high,
                                 "n": format_count(n), "values": format_list(
                                     [format_number(v, decimals=1) for v in values[off_scale].head(5)])})
    return values


def kpi_points(frame: pd.DataFrame, metric: str) -> pd.Series:
    """What each answer adds to *metric* (a key of :data:`KPI_METRICS`): its mean over the answers is the KPI.

    NPS: 1 for a promoter (9-10), -1 for a detractor (0-6), 0 for a passive (times 100 it is the NPS); CSAT: 1 for
    a 4 or 5 (top-2-box), else 0; a mean's score itself. Missing where unanswered; answers off the scale raise
    :class:`DataError`.
    """
    kind = KPI_METRICS[metric].kind
    scores = _scores(frame, metric)
    top = (scores >= 9) if kind == "nps" else (scores >= 4)
    y = {"nps": top.astype(float) - (scores <= 6), "share": top.astype(float), "mean": scores}[kind]
    return y.where(scores.notna())


def _summarise(frame: pd.DataFrame, by: list[str], metric: str, weights: pd.Series, cluster_col,
               level: float, low_base: int) -> pd.DataFrame:
    kind = KPI_METRICS[metric].kind
    data = _design_data(frame, by, kpi_points(frame, metric), weights, cluster_col)
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
        _, low, high = wilson_interval(agg["top_share"] * n_eff, n_eff, level=level)
        value = agg["mean"].to_numpy()
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
        ``"csat"`` is the top-2-box share (0-1), ``"csat_mean"`` the mean score.
        A metric whose column is absent is skipped (see :func:`absent_metrics`).
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
        (from the data, in the value's units: NPS points, a share of 1, a mean), ``n`` (answers), ``respondents``,
        ``n_effective``, ``design_effect``, ``low_base``, ``top_share`` and
        ``bottom_share`` (promoters and detractors for NPS, the top-2-box share
        for CSAT), ``df`` (of a mean's t interval) and ``weight_total``.

    Examples
    --------
    >>> table = kpi_summary(pd.DataFrame({"nps": [10, 9, 8, 3, 10]}), metrics=["nps", "ces"])
    >>> table[["metric", "value", "n", "low_base"]].to_dict("records")
    [{'metric': 'nps', 'value': 40.0, 'n': 5, 'low_base': True}]
    """
    by, metrics = _as_list(by), _as_list(metrics)
    for metric in metrics:
        check_choice("metric", metric, KPI_METRICS)
    check_columns(frame, by, "kpi_summary by")
    z_value(level)
    check_positive(min_group_size=min_group_size)
    cluster_col = cluster_col if cluster_col and cluster_col in frame.columns else None
    frame = _in_canonical_order(frame, by + [cluster_col, weight_col] + [m.column for m in KPI_METRICS.values()])
    weights = survey_weights(frame, weight_col)
    absent = absent_metrics(frame, metrics)
    parts = [_summarise(frame, by, m, weights, cluster_col, level, low_base) for m in metrics if m not in absent]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=by + _COLUMNS)
    return suppress_small(table, size_col="respondents", min_group_size=min_group_size,
                          label_col=by).reset_index(drop=True)


def absent_metrics(frame: pd.DataFrame, metrics=("nps", "csat", "ces")) -> dict[str, str]:
    """The *metrics* :func:`kpi_summary` skips on *frame*: metric -> the answer column it lacks.

    Examples
    --------
    >>> absent_metrics(pd.DataFrame({"nps": [10, 9]}), ["nps", "ces"])
    {'ces': 'ces'}
    """
    return {m: KPI_METRICS[m].column for m in _as_list(metrics) if KPI_METRICS[m].column not in frame.columns}


def kpi_differences(before: pd.DataFrame, after: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Differences ``after - before`` of aligned rows of two :func:`kpi_summary` tables.

    Rows are paired by position and must hold the same ``metric``. NPS uses
    :func:`nps_diff_interval`, the top-2-box :func:`proportion_diff_interval`
    and means :func:`mean_diff_interval`, each on effective counts.

    Returns
    -------
    DataFrame
        ``change``, ``change_low``, ``change_high``, ``p_value`` (index of *after*); a change of a
        share is a difference of fractions of 1 (0.05 is 5 percentage points), of NPS in NPS points.
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
        "share": proportion_diff_interval(b["top_share"] * nb, nb, a["top_share"] * na, na, level=level),
        "mean": mean_diff_interval(b["value"], b["se"], b["df"], a["value"], a["se"], a["df"], level=level),
    }
    columns = {}
    for i, name in enumerate(("change", "change_low", "change_high", "p_value")):
        columns[name] = np.select([kind == k for k in results], [results[k][i] for k in results], np.nan)
    return pd.DataFrame(columns, index=after.index)


@dataclass(frozen=True)
class MixDecomposition:
    """A change of an overall KPI split into segment mix and within-segment change (:func:`mix_decomposition`).

    Attributes
    ----------
    table : DataFrame
        One row per segment: the segment column, ``share_before``,
        ``share_after``, ``value_before``, ``value_after``, ``within`` and
        ``mix`` (contributions in the KPI's units); segments with fewer than
        ``min_group_size`` respondents in either period are pooled in one row,
        ``"other segments"``, without their values.
    before, after, change : float
        Overall KPI of each period and its change.
    within, mix : float
        The two parts of the change (``within + mix == change``).
    """

    table: pd.DataFrame
    before: float
    after: float
    change: float
    within: float
    mix: float


def mix_decomposition(before: pd.DataFrame, after: pd.DataFrame, *, by, metric: str = "nps",
                      min_group_size: int = MIN_GROUP_SIZE, cluster_col: str | None = "customer_id",
                      weight_col: str | None = "weight") -> MixDecomposition:
    """Split the change of an overall KPI into mix (segment shares moved) and within-segment change.

    Direct standardisation: the *within* change is the after-period KPI of each
    segment weighted by the before-period segment shares, minus the before KPI;
    the *mix* change is the rest. When every segment improves but answers move
    towards a weaker segment, the overall KPI can fall (Simpson's paradox):
    ``within`` is then positive and ``mix`` negative.

    *before* and *after* are the two periods' answers; :func:`segment_mix`
    does the same from two :func:`kpi_summary` tables by segment (what a run
    saves for the next one).

    Examples
    --------
    >>> before = pd.DataFrame({"channel": ["web"] * 10 + ["store"] * 10, "nps": [10] * 10 + [0] * 10})
    >>> after = pd.DataFrame({"channel": ["web"] * 5 + ["store"] * 15, "nps": [10] * 5 + [0] * 15})
    >>> parts = mix_decomposition(before, after, by="channel")
    >>> parts.change, parts.within, parts.mix
    (-50.0, 0.0, -50.0)
    """
    by = _as_list(by)
    if len(by) != 1:
        raise ParameterError(f"mix_decomposition needs one segment column in by; got {by!r}.")
    tables = [kpi_summary(frame, by=by, metrics=[metric], min_group_size=1, low_base=0, cluster_col=cluster_col,
                          weight_col=weight_col) for frame in (before, after)]
    return segment_mix(*tables, segment_col=by[0], min_group_size=min_group_size)


def segment_mix(before: pd.DataFrame, after: pd.DataFrame, *, segment_col: str,
                min_group_size: int = MIN_GROUP_SIZE) -> MixDecomposition:
    """:func:`mix_decomposition` from two :func:`kpi_summary` tables of one metric by *segment_col*.

    Each table needs *segment_col*, ``value``, ``weight_total`` and
    ``respondents``, computed without suppression (``min_group_size=1``):
    segments are suppressed here, after the overall values are computed.
    """
    for table in (before, after):
        check_columns(table, [segment_col, "value", "weight_total", "respondents"], "segment_mix")
    both = before.set_index(segment_col).add_suffix("_before").join(
        after.set_index(segment_col).add_suffix("_after"), how="outer")
    share = {when: both[f"weight_total_{when}"].fillna(0) / both[f"weight_total_{when}"].sum()
             for when in ("before", "after")}
    value = {when: both[f"value_{when}"] for when in ("before", "after")}
    contribution = {when: (share[when] * value[when]).fillna(0) for when in ("before", "after")}
    within = (share["before"] * (value["after"] - value["before"])).fillna(0)
    parts = pd.DataFrame({"share_before": share["before"], "share_after": share["after"],
                          "value_before": value["before"], "value_after": value["after"],
                          "within": within, "mix": contribution["after"] - contribution["before"] - within})
    shown = (both["respondents_before"] >= min_group_size) & (both["respondents_after"] >= min_group_size)
    table = parts[shown].rename_axis(segment_col).reset_index()
    if (~shown).any():
        other = parts[~shown].sum()[["share_before", "share_after", "within", "mix"]]
        table = pd.concat([table, pd.DataFrame([{segment_col: "other segments", **other}])], ignore_index=True)
    overall = [float(contribution[when].sum()) for when in ("before", "after")]
    return MixDecomposition(table, overall[0], overall[1], overall[1] - overall[0], float(within.sum()),
                            float(parts["mix"].sum()))
