"""Voice of the customer: NPS, CSAT and CES by group and over time, topic impact (and key drivers, from
:mod:`cxresearch.drivers`).

KPI tables and trends come from the one KPI engine,
:func:`cxresearch.stats.kpi_summary` (NPS with the adjusted Wald interval,
CSAT top-2-box with Wilson, means with Student's t and the standard error from
the data; repeated respondents and survey weights through the design effect).
Groups answered by fewer than ``min_group_size`` respondents are suppressed
(dropped, with a :class:`~cxresearch.errors.SmallGroupWarning`), never shown;
estimates on fewer than 30 effective answers are flagged ``low_base``. Trend
flags are corrected for multiplicity across the whole table. Methods and
references: ``docs/METHODS.md``.

Key drivers (Shapley/LMG relative importance with bootstrap intervals) live in
:mod:`cxresearch.drivers` and are importable from here too.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._checks import check_choice, check_columns
from .drivers import QUADRANTS, KeyDrivers, driver_outcome, key_drivers
from .errors import DataError, ParameterError
from .i18n import _
from .kpis import kpi_points
from .privacy import MIN_GROUP_SIZE, suppress_small
from .resampling import bootstrap_weights, canonical_order, cluster_codes, percentile_interval
from .stats import (KPI_METRICS, LOW_BASE, Comparison, Estimate, absent_metrics, adjust_pvalues, ces, compare,
                    correction_note, csat, kpi_differences, kpi_summary, nps)
from .survey_design import survey_weights

__all__ = ["Estimate", "Comparison", "nps", "csat", "ces", "compare", "METRICS", "FREQUENCIES",
           "QUADRANTS", "KPITrend", "KeyDrivers", "TopicImpact", "kpi_table", "kpi_trend", "key_drivers",
           "topic_impact"]

#: KPIs of :func:`kpi_table` and :func:`kpi_trend` (see :data:`cxresearch.stats.KPI_METRICS`).
METRICS = KPI_METRICS
#: Period lengths accepted by :func:`kpi_trend` (pandas period aliases).
FREQUENCIES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
#: Engine columns used to compute differences, left out of the tables shown.
_INTERNAL = ["top_share", "bottom_share", "df", "weight_total"]


@dataclass(frozen=True)
class KPITrend:
    """A KPI per period with change flags (:func:`kpi_trend`).

    Attributes
    ----------
    table : DataFrame
        One row per period (and group), see :func:`kpi_trend`.
    note : str
        How the change flags were corrected for multiplicity, for the page under the chart.
    tests : int
        Number of period-to-period comparisons tested together.
    correction : str
        ``"fdr_bh"``, ``"holm"`` or ``"none"``.
    absent : dict
        Metric -> the answer column the surveys lack (empty when the metric was computed).
    """

    table: pd.DataFrame
    note: str
    tests: int
    correction: str
    absent: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TopicImpact:
    """Points of the outcome (NPS, CSAT...) each topic costs or earns (:func:`topic_impact`).

    Attributes
    ----------
    table : DataFrame
        One row per topic, see :func:`topic_impact`.
    overall : float
        The outcome over every answer to it: NPS (-100 to 100), or the percentage of CSAT 4-5 answers or of good
        outcomes (0 to 100).
    n, clusters : int
        Answers to the outcome and distinct respondents among them.
    n_boot : int
    level, fdr : float
    outcome : str
        The outcome in the reader's words: "NPS", "CSAT" or the column's name ("satisfaction").
    note : str
        What the impact is measured on, for the page.
    method : str
    """

    table: pd.DataFrame
    overall: float
    n: int
    clusters: int
    n_boot: int
    level: float
    fdr: float
    outcome: str
    note: str
    method: str = "overall_minus_without"


def _with_period(surveys: pd.DataFrame, freq: str, name: str) -> pd.DataFrame:
    check_columns(surveys, ["timestamp"], f"grouping by {name!r}")
    stamps = pd.to_datetime(surveys["timestamp"], utc=True).dt.tz_convert(None)
    return surveys.assign(**{name: stamps.dt.to_period(freq).dt.start_time})


def _with_periods(surveys: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """*surveys* with ``month`` (``week``, ``quarter``...) derived from ``timestamp`` where *by* asks for it."""
    periods = {name: alias for alias, name in FREQUENCIES.items()}
    for key in by:
        if key not in surveys.columns and key in periods:
            surveys = _with_period(surveys, periods[key], key)
    return surveys


def kpi_table(surveys: pd.DataFrame, *, by=(), metrics=("nps", "csat", "ces"), level: float = 0.95,
              min_group_size: int = MIN_GROUP_SIZE, low_base: int = LOW_BASE, cluster_col: str | None = "customer_id",
              weight_col: str | None = "weight") -> pd.DataFrame:
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
        Metrics whose column is absent are skipped (:func:`cxresearch.kpis.absent_metrics` names them).
    min_group_size : int
        Groups with fewer respondents are suppressed.
    low_base, cluster_col, weight_col
        As :func:`cxresearch.stats.kpi_summary`.

    Returns
    -------
    DataFrame
        The *by* columns, ``metric``, ``value``, ``low``, ``high``, ``se``, ``n``,
        ``respondents``, ``n_effective``, ``design_effect``, ``low_base``.

    Examples
    --------
    >>> table = kpi_table(pd.DataFrame({"channel": ["web"] * 5, "nps": [10, 9, 8, 3, 10]}), metrics=["nps"])
    >>> table[["metric", "value", "n"]].to_dict("records")
    [{'metric': 'nps', 'value': 40.0, 'n': 5}]
    """
    by = [by] if isinstance(by, str) else list(by)
    table = kpi_summary(_with_periods(surveys, by), by=by, metrics=metrics, level=level,
                        min_group_size=min_group_size, low_base=low_base, cluster_col=cluster_col,
                        weight_col=weight_col)
    return table.drop(columns=_INTERNAL)


def kpi_trend(surveys: pd.DataFrame, *, metric: str = "nps", freq: str = "M", by=(), level: float = 0.95,
              min_group_size: int = MIN_GROUP_SIZE, correction: str = "fdr_bh", low_base: int = LOW_BASE,
              cluster_col: str | None = "customer_id", weight_col: str | None = "weight") -> KPITrend:
    """A KPI per period (and group) with its interval band and flags on changes, corrected for multiplicity.

    Each period is compared with the previous shown period of the same group
    (:func:`cxresearch.stats.kpi_differences`: adjusted Wald for NPS,
    Newcombe for CSAT top-2-box, Welch t for means). The p-values of all the
    table's comparisons, across periods and groups, are adjusted together.

    Parameters
    ----------
    by : list of str
        Groups with a trend each (e.g. ``["channel"]``); empty for one trend.
    correction : {"fdr_bh", "holm", "none"}
        Benjamini-Hochberg false discovery rate (default), Holm family-wise
        error rate, or none.

    Returns
    -------
    KPITrend
        ``table``: ``period`` (start time), the *by* columns, ``metric``,
        ``value``, ``low``, ``high``, ``n``, ``low_base``, ``change`` (from the
        previous period), ``change_low``, ``change_high``, ``p_value``,
        ``p_adjusted`` and ``significant`` (on the adjusted p-value; False for
        the first period); ``note`` says how the flags were corrected (show it
        under the chart), ``tests`` counts the comparisons.
    """
    check_choice("metric", metric, METRICS)
    check_choice("freq", freq, FREQUENCIES)
    by = [by] if isinstance(by, str) else list(by)
    trend = kpi_summary(_with_period(surveys, freq, "period"), by=by + ["period"], metrics=[metric], level=level,
                        min_group_size=min_group_size, low_base=low_base, cluster_col=cluster_col,
                        weight_col=weight_col)
    trend = trend.sort_values(by + ["period"], ignore_index=True)
    previous = trend.groupby(by, sort=False).shift() if by else trend.shift()
    first = previous["metric"].isna()
    changes = kpi_differences(previous.assign(metric=metric).fillna({"n_effective": 0}), trend, level=level)
    changes = changes.mask(first)
    adjusted, significant = adjust_pvalues(changes["p_value"], correction=correction, level=level)
    columns = ["period", *by, "metric", "value", "low", "high", "n", "low_base"]
    trend = trend[columns].assign(**changes, p_adjusted=adjusted, significant=significant)
    tests = int(changes["p_value"].notna().sum())
    return KPITrend(trend, correction_note(correction, tests, level), tests, correction,
                    absent_metrics(surveys, [metric]))


def _topic_membership(topics, index: pd.Index) -> pd.DataFrame:
    """Boolean frame (rows = *index*, one column per topic) from a membership frame or a Series of labels."""
    if isinstance(topics, pd.DataFrame):
        membership = topics
    else:
        labels = pd.Series(topics)
        membership = pd.get_dummies(labels.dropna().astype(str)).reindex(labels.index, fill_value=False)
    overlap = membership.index.isin(index)
    if len(membership) and not overlap.any():
        raise ParameterError(f"topics must be indexed like the surveys (e.g. topics(surveys['comment'])); none of "
                             f"its {len(membership)} index labels is in the surveys' index.")
    try:
        return membership.reindex(index, fill_value=False).fillna(False).astype(bool)
    except (TypeError, ValueError):
        raise ParameterError("topics as a DataFrame must hold True/False membership, one column per topic; found "
                             f"dtypes {sorted(map(str, set(membership.dtypes)))}.") from None


def _mean_without(points: np.ndarray, membership: np.ndarray, weights: np.ndarray):
    """Mean of *points* over all answers and without each topic's answers, per row of *weights*: (b,), (b, topics)."""
    kept = ~membership
    with np.errstate(invalid="ignore", divide="ignore"):
        overall = (weights @ points) / weights.sum(axis=1)
        without = (weights @ (kept * points[:, None])) / (weights @ kept)
    return overall, without


def _impact_outcome(surveys: pd.DataFrame, score_col: str | None) -> tuple[pd.Series, str, str]:
    """Each answer's points of the outcome (0-100 scale, NPS -100 to 100), the outcome's label and the page's note."""
    if score_col is not None:
        check_columns(surveys, [score_col], "topic_impact")
    found = driver_outcome(surveys, score_col)
    if found is None:
        if score_col is None:
            raise DataError(_("Topic impact needs an outcome in the surveys: an `nps` (0-10) or `csat` (1-5) column, "
                              "or a two-valued satisfaction column (e.g. satisfied / dissatisfied); the surveys' "
                              "columns are %(columns)s.") % {"columns": ", ".join(map(str, surveys.columns))})
        raise ParameterError(f"score_col '{score_col}' must be `nps` (0-10), `csat` (1-5) or a two-valued column "
                             f"(e.g. satisfied / dissatisfied); found values such as "
                             f"{surveys[score_col].dropna().unique()[:3].tolist()}.")
    if found.kind == "binary":
        return 100 * found.values, found.label, _(
            "No NPS or CSAT answers: each topic's impact is in points of the share of “%(good)s” answers to "
            "%(column)s, the outcome these surveys have (the share over all answers minus the share without the "
            "topic's answers).") % {"good": found.good, "column": found.column}
    points = 100 * kpi_points(surveys, found.kind)
    if found.kind == "csat":
        return points, found.label, _(
            "No NPS answers: each topic's impact is in points of CSAT, the share of 4-5 answers these surveys have "
            "(the CSAT of all answers minus the CSAT without the topic's answers).")
    return points, found.label, _("Each topic's impact is in NPS points (the NPS of all answers minus the NPS "
                                  "without the topic's answers).")


def topic_impact(surveys: pd.DataFrame, topics, *, score_col: str | None = None, cluster_col: str | None = None,
                 weight_col: str | None = "weight", n_boot: int = 2000, level: float = 0.95, fdr: float = 0.05,
                 random_state=0, min_group_size: int = MIN_GROUP_SIZE) -> TopicImpact:
    """How many points of the outcome each topic costs or earns: the outcome overall minus without the topic's answers.

    This is the impact practitioners report (Thematic, Qualtrics) on NPS: a
    topic that is both negative and frequent moves the overall score most,
    while a tiny extreme topic moves it little. The outcome is the one the
    surveys have (:func:`~cxresearch.drivers.driver_outcome`): NPS, else CSAT
    (the share of 4-5 answers, in percentage points), else a two-valued
    satisfaction column (the share of the good answer, in percentage points).
    Intervals come from bootstrap resamples of the answers (of whole customers
    with *cluster_col*); topics are flagged when their impact differs from
    zero with the false discovery rate across topics controlled at *fdr*
    (Benjamini-Hochberg).

    Parameters
    ----------
    surveys : DataFrame
        Survey answers with an outcome: ``nps`` (0-10), ``csat`` (1-5) or a two-valued satisfaction column.
    topics : DataFrame of bool or Series
        Which answers are about which topic, aligned on ``surveys.index``:
        a boolean frame with one column per topic (an answer may carry
        several topics, e.g. ``topics(...).membership``), or one label per
        answer (missing = no topic, e.g. ``topics(...).document_topic``).
    score_col : str, optional
        The outcome: ``"nps"``, ``"csat"`` or a two-valued column; None takes
        the first of them the surveys have.
    cluster_col : str, optional
        Column identifying who answered (e.g. ``"customer_id"``): the bootstrap
        draws whole customers, so repeated answers are not independent evidence.
    weight_col : str or None
        Survey weights (e.g. raked to ``dataset.yml`` margins): NPS, shares and
        every resample are weighted; ignored when absent.
    n_boot : int
        Bootstrap resamples.
    level : float
        Confidence level of the intervals.
    fdr : float
        False discovery rate of the ``significant`` flags across the shown topics.
    min_group_size : int
        Topics with fewer scored answers are suppressed.

    Returns
    -------
    TopicImpact
        ``table``: one row per topic, the largest drag on the outcome first: ``topic``, ``n``
        (answers to the outcome about it), ``share`` (of all answers to the outcome, weighted), ``outcome``
        (of its answers: NPS, or the percentage of CSAT 4-5 answers or of good outcomes), ``outcome_without``
        (of all other answers), ``outcome_impact`` (the outcome overall minus ``outcome_without``, in its
        points) with ``outcome_impact_low`` and ``outcome_impact_high`` (percentile bootstrap interval),
        ``p_value`` (bootstrap, two-sided), ``q_value`` (Benjamini-Hochberg adjusted) and ``significant``
        (``q_value < fdr``); beside it ``overall``, ``n``, ``clusters``, ``n_boot``, ``level``, ``fdr``,
        ``outcome`` (its name) and ``note`` (what the impact is measured on).

    Examples
    --------
    >>> answers = pd.DataFrame({"nps": [0, 2, 10, 9, 10, 9, 8, 10, 9, 10]})
    >>> about = pd.Series(["wait", "wait"] + [None] * 8)
    >>> result = topic_impact(answers, about, min_group_size=2, n_boot=200)
    >>> result.overall, float(result.table.loc[0, "outcome_impact"])   # 7 promoters, 2 detractors in 10; 7, 0 in 8
    (50.0, -37.5)
    """
    if cluster_col:
        check_columns(surveys, [cluster_col], "topic_impact")
    if not 0 < fdr < 1:
        raise ParameterError(f"fdr must be between 0 and 1 (exclusive); got {fdr!r}.")
    points, outcome, note = _impact_outcome(surveys, score_col)
    scored = points.notna().to_numpy()
    membership = _topic_membership(topics, surveys.index)[scored]
    clusters = surveys.loc[scored, cluster_col].to_numpy() if cluster_col else None
    row_weights = survey_weights(surveys, weight_col).to_numpy()[scored]
    order = canonical_order(np.c_[points.to_numpy()[scored], row_weights, membership.to_numpy()], clusters)
    point, about, row_weights = points.to_numpy()[scored][order], membership.to_numpy(dtype=bool)[order], row_weights[order]
    clusters = clusters[order] if cluster_col else None
    n = int(scored.sum())
    overall, without = (values[0] for values in _mean_without(point, about, row_weights[None]))
    if about.shape[1]:
        boot = np.vstack([overall_b[:, None] - without_b for overall_b, without_b in
                          (_mean_without(point, about, weights * row_weights)
                           for weights in bootstrap_weights(n, clusters=clusters, n_boot=n_boot,
                                                            random_state=random_state))])
        low, high = percentile_interval(boot, level=level)
    else:  # no topic (none found, or every one too small to show): an empty table, nothing to resample
        boot, low, high = np.empty((n_boot, 0)), np.empty(0), np.empty(0)
    impact = overall - without
    finite = np.isfinite(boot).sum(axis=0)
    tail = np.minimum((boot <= 0).sum(axis=0), (boot >= 0).sum(axis=0))
    counts = about.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = pd.DataFrame({
            "topic": membership.columns, "n": counts, "share": (row_weights @ about) / row_weights.sum(),
            "outcome": ((row_weights * point) @ about) / (row_weights @ about),
            "outcome_without": without, "outcome_impact": impact, "outcome_impact_low": low,
            "outcome_impact_high": high, "p_value": np.minimum(1, 2 * (tail + 1) / (finite + 1))})
    table = suppress_small(table, size_col="n", min_group_size=min_group_size, label_col="topic")
    table = table[table["outcome_impact"].notna()]
    table["q_value"], table["significant"] = adjust_pvalues(table["p_value"], correction="fdr_bh", level=1 - fdr)
    return TopicImpact(table.sort_values("outcome_impact", ignore_index=True), float(overall), n,
                       int(len(np.unique(cluster_codes(clusters, n)))), n_boot, level, fdr, outcome, note)
