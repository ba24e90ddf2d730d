"""Interventions and their measured effect: before and after, against comparable scopes.

:func:`intervention_effects` measures every intervention of a dataset
(``ds.interventions``) on each metric, in a window before and a window after
its start, at its scope and on the comparable unaffected scopes, and reads the
difference-in-differences as a plain-language verdict, beside a pre-trend
check (:func:`event_study` gives its bin-by-bin effects). :func:`intervention_series`
gives one metric over time for a chart; :func:`compare_verdicts` lists the
verdicts that changed since a previous run; :func:`window_note` says, under the
verdicts, which windows they compare and how to widen them.

Definitions
-----------
scope kind
    An intervention's ``scope`` is a touchpoint, a channel or a stage of the
    data, looked up in that order (a name that is both a touchpoint and a
    channel is read as the touchpoint).
windows
    ``before`` is ``[start - window, start)``, ``after`` is ``[start, start +
    window)``, cut at the intervention's ``end`` when it has one. The window is
    chosen before looking at the verdicts (the routine's ``intervention_window``):
    a wider one measures a longer-run effect, another question.
attribution
    A survey belongs to a scope when its ``channel`` (channel scope) or its
    ``touchpoint`` (touchpoint scope) is the scope, or its touchpoint belongs to
    the scoped stage (stage scope). Events belong to the scope when their
    channel, touchpoint or stage is the scope. A review belongs to it when its
    text mentions the scope: its name, underscores read as spaces or hyphens
    (``chat_support`` matches "chat support"), or the words given in *mentions*,
    else in the interventions file's ``mentions`` column (``chat; chat support``).
    Each observation falls in the window of its own time; a session counts at
    the time of its first event in the scope.
metrics
    ``csat``: share (a fraction of 1) of CSAT answers of 4 or 5; ``csat_mean``:
    their mean (1-5, more sensitive in small windows). ``nps``: NPS of the
    answers, in points (-100..100). ``exit_rate``: share of the sessions
    touching the scope whose last event is in the scope (lower is better).
    ``conversion``: share of the sessions
    touching the scope at a stage with a next stage that reach a later stage
    after their first event in the scope. ``sentiment``: mean sentiment
    (-1..1, :func:`cxresearch.text.sentiment`) of the reviews mentioning the scope.
comparison
    The same metric on all other scopes of the same kind in the same windows:
    surveys of the other channels (touchpoints, stages), sessions counted once
    per other scope they touch (pooled), reviews not mentioning the scope. A
    session that touches the scope is scope evidence only: its visits to other
    places never enter the comparison arm, so a change at the scope cannot
    show up on both sides (an exit that moves away from the scope would
    otherwise be counted twice).
intervals
    Customers answer and visit repeatedly, so observations of one customer are
    not independent. Every estimate is a ratio of sums, and each customer's sums
    per arm and time bin are resampled together (cluster bootstrap, *n_boot*
    resamples; rows without a customer are customers of their own). The
    standard error of a change and of the difference-in-differences ``(scope
    after - scope before) - (comparison after - comparison before)`` is the
    standard deviation over resamples; intervals are estimate ± z·SE and
    p-values two-sided normal.
pre-trend (event study)
    Each window is cut into *pretrend_bins* bins; the gap scope - comparison of
    each bin, minus the gap of the last bin before the start, is the event-study
    effect (:func:`event_study`). Before the start these effects should be zero
    if scope and comparison were moving in parallel; a Wald test of all of them
    with their bootstrap covariance gives ``pretrend_p_value``. The check
    ``failed`` below 1 - level, is ``not testable`` when fewer than two bins
    before the start hold *min_group_size* observations in both arms, else
    ``passed``.
multiplicity
    The p-values of all interventions x metrics measured are corrected together
    (Holm by default, Benjamini-Hochberg or none): ``did_p_adjusted``.
minimum detectable effect
    ``mde = (z_(1 - alpha/2) + z_0.80) * SE``: the smallest true
    difference-in-differences this sample would detect with 80 % power at the
    uncorrected level, stated beside "no detectable change". Changes of shares
    are in fractions of 1 (0.05 is 5 percentage points), of NPS in NPS points.
verdict
    "not enough data" when one of the four groups has fewer than
    ``min_group_size`` observations (its numbers are then suppressed) or the
    SE cannot be computed; "not identified" when the pre-trend check failed
    (the difference-in-differences cannot be read as the intervention's
    effect); "improved" or "worse" when the corrected p-value is below
    1 - level (in the metric's better direction or against it); "too few
    answers to tell" (sessions, for the session metrics) when nothing was
    detected and ``mde`` exceeds what would be a large change of the metric
    (``large`` of :data:`~cxresearch.intervention_evidence.METRICS`: 20
    percentage points of a share, 25 NPS points, half a point of CSAT mean,
    0.3 of sentiment): even a large effect could go unseen; else "no
    detectable change", which means no effect larger than about ``mde`` rather
    than no effect.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd
from scipy import stats as _sp

from ._checks import check_choice, check_duration, check_integer, check_positive
from .errors import DataError, DataWarning, ParameterError
from .columns import code_label, value_label
from .display import metric_change
from .i18n import _, format_count, format_date, format_list, ngettext
from .intervention_evidence import METRICS, OTHERS, Evidence, Observations, interventions_table, mentioning
from .privacy import MIN_GROUP_SIZE, redact_pii, suppress_small
from .resampling import bootstrap_sums, percentile_interval
from .stats import CORRECTIONS, adjust_pvalues, mean_interval, nps_interval, nps_se, wilson_interval, z_value
from .voice import FREQUENCIES

if TYPE_CHECKING:
    from .dataset import CXDataset
    from .journeys import JourneyLog

__all__ = ["METRICS", "VERDICTS", "intervention_effects", "event_study", "intervention_study", "InterventionStudy",
           "intervention_series", "InterventionSeries", "period_interventions",
           "compare_verdicts", "window_note", "window_sentence", "changes_note", "event_study_table"]


#: Possible verdicts, best first.
VERDICTS = ("improved", "no detectable change", "worse", "too few answers to tell", "too few sessions to tell",
            "not identified", "not enough data")
#: Power at which the minimum detectable effect is stated.
POWER = 0.8

#: Verdicts that a wider window (more answers or sessions) could settle.
_TOO_FEW = ("too few answers to tell", "too few sessions to tell")
_GROUPS = (("scope", "before"), ("scope", "after"), ("comparison", "before"), ("comparison", "after"))
_SMALL_GROUP = "not enough data"
#: Columns of :func:`intervention_effects`.
_COLUMNS = ["intervention_id", "description", "scope", "scope_kind", "metric", "better",
            "before_start", "start", "after_end",
            "before", "before_n", "after", "after_n", "change", "change_low", "change_high", "change_p_value",
            "comparison_before", "comparison_before_n", "comparison_after", "comparison_after_n",
            "comparison_change", "comparison_change_low", "comparison_change_high", "comparison_change_p_value",
            "customers", "did", "did_se", "did_low", "did_high", "did_p_value", "did_p_adjusted", "mde",
            "pretrend_p_value", "pretrend", "verdict"]
#: How a period of each length is named (Babel date patterns): "Jul 2025" for a month, "Q3 2025" for a quarter.
_PERIOD_PATTERNS = {"M": "MMM y", "Q": "QQQ y", "Y": "y"}
#: Columns of :func:`event_study`.
_EVENT_COLUMNS = ["intervention_id", "metric", "bin", "bin_start", "scope_n", "comparison_n", "gap", "effect",
                  "effect_low", "effect_high"]


class InterventionStudy(NamedTuple):
    """What :func:`intervention_study` measures: the verdicts and the event study of the same resamples."""

    effects: pd.DataFrame
    event_study: pd.DataFrame


def intervention_study(ds: CXDataset, *, window: str = "8W", metrics=tuple(METRICS), mentions=None,
                       level: float = 0.95, correction: str = "holm", pretrend_bins: int = 4, n_boot: int = 500,
                       random_state=0, min_group_size: int = MIN_GROUP_SIZE, sentiment: pd.Series | None = None,
                       log: JourneyLog | None = None) -> InterventionStudy:
    """:func:`intervention_effects` and :func:`event_study` at once, from one pass over the data and resamples.

    Parameters are those of :func:`intervention_effects`.
    """
    duration = check_duration("window", window)
    metrics = _check_metrics(metrics)
    check_positive(min_group_size=min_group_size)
    check_choice("correction", correction, CORRECTIONS)
    check_integer("pretrend_bins", pretrend_bins, minimum=2)
    z = z_value(level)
    measured = [(plan, *_did(obs, plan, bins=pretrend_bins, n_boot=n_boot, random_state=random_state,
                             min_group_size=min_group_size, level=level))
                for plan, obs in _plans(Evidence(ds, mentions, sentiment, log), duration, metrics)]
    if not measured:
        return InterventionStudy(pd.DataFrame(columns=_COLUMNS), pd.DataFrame(columns=_EVENT_COLUMNS))
    by_id = pd.DataFrame([{**plan, **row} for plan, row, _ in measured])
    by_id = by_id.sort_values("intervention_id", kind="stable")    # the file's row order does not matter
    return InterventionStudy(_judge(by_id, z, level, correction, min_group_size),
                             pd.concat([study for _, _, study in measured], ignore_index=True))


def intervention_effects(ds: CXDataset, *, window: str = "8W", metrics=tuple(METRICS), mentions=None,
                         level: float = 0.95, correction: str = "holm", pretrend_bins: int = 4, n_boot: int = 500,
                         random_state=0, min_group_size: int = MIN_GROUP_SIZE, sentiment: pd.Series | None = None,
                         log: JourneyLog | None = None) -> pd.DataFrame:
    """Effect of each intervention on each metric, by difference-in-differences.

    Definitions of scopes, windows, metrics, comparison groups, intervals,
    the pre-trend check and verdicts are in the module docstring.

    Parameters
    ----------
    ds : CXDataset
        A dataset with an ``interventions`` table.
    window : str
        Length of the windows before and after each start (a pandas duration:
        ``"8W"``, ``"30D"``...).
    metrics : sequence of {"csat", "csat_mean", "nps", "exit_rate", "conversion", "sentiment"}
        Metrics to measure; those the dataset cannot observe (no surveys, no
        events, no review texts...) are left out.
    mentions : dict of str to list of str, optional
        Scope -> words that count as a review mentioning it (default: those of
        the interventions file's ``mentions`` column, separated by semicolons,
        else its name).
    correction : {"holm", "fdr_bh", "none"}
        How the verdicts' p-values are corrected across all interventions and
        metrics measured: Holm (family-wise error rate, the default),
        Benjamini-Hochberg (false discovery rate) or none.
    pretrend_bins : int
        Bins each window is cut into for the event study; the pre-trend check
        tests the bins before the start (2 or more).
    n_boot : int
        Cluster bootstrap resamples (of customers).
    random_state : int, RandomState or None
        Seed of the bootstrap.
    min_group_size : int
        Smallest group (answers, sessions, reviews) whose numbers are shown.
    sentiment : Series, optional
        The sentiment of each review (:func:`cxresearch.text.sentiment` of
        ``ds.reviews["text"]``, in its order) when a run has scored it
        already; default: scored here.
    log : JourneyLog, optional
        The events cut into sessions (:func:`cxresearch.journeys.journey_log`
        of *ds*) when a run has cut them already; default: cut here, with the
        dataset's session gap.

    Returns
    -------
    DataFrame
        One row per intervention and metric: ``intervention_id``,
        ``description``, ``scope``, ``scope_kind``, ``metric``, ``better``,
        ``before_start``, ``start``, ``after_end``; ``before``, ``after`` (with
        ``before_n``, ``after_n``), ``change``, ``change_low``, ``change_high``,
        ``change_p_value`` at the scope; the same ``comparison_*`` on the other
        scopes; ``customers`` (clusters resampled), ``did``, ``did_se``,
        ``did_low``, ``did_high``, ``did_p_value``, ``did_p_adjusted`` (after
        *correction*), ``mde`` (minimum detectable effect: the smallest
        difference-in-differences this sample detects with 80 % power),
        ``pretrend_p_value``, ``pretrend`` ("passed", "failed" or "not
        testable") and ``verdict`` (one of :data:`VERDICTS`). Empty without
        interventions.
    """
    return intervention_study(ds, window=window, metrics=metrics, mentions=mentions, level=level,
                              correction=correction, pretrend_bins=pretrend_bins, n_boot=n_boot,
                              random_state=random_state, min_group_size=min_group_size, sentiment=sentiment,
                              log=log).effects


def event_study(ds: CXDataset, *, window: str = "8W", metrics=tuple(METRICS), mentions=None, level: float = 0.95,
                pretrend_bins: int = 4, n_boot: int = 500, random_state=0,
                min_group_size: int = MIN_GROUP_SIZE, sentiment: pd.Series | None = None,
                log: JourneyLog | None = None) -> pd.DataFrame:
    """The scope-minus-comparison gap bin by bin around each start, against the last bin before it.

    Parameters are those of :func:`intervention_effects` (the same seed gives
    the same resamples; :func:`intervention_study` gives both at once). Flat
    effects before the start (bins < 0) support the parallel-trends
    assumption behind the difference-in-differences.

    Returns
    -------
    DataFrame
        ``intervention_id``, ``metric``, ``bin`` (-pretrend_bins..pretrend_bins-1;
        0 is the first bin after the start), ``bin_start``, ``scope_n``,
        ``comparison_n``, ``gap`` (scope minus comparison), ``effect`` (gap
        minus the gap of bin -1) with ``effect_low``/``effect_high``
        (cluster bootstrap). Bins with fewer than *min_group_size*
        observations in an arm are left out.
    """
    return intervention_study(ds, window=window, metrics=metrics, mentions=mentions, level=level,
                              pretrend_bins=pretrend_bins, n_boot=n_boot, random_state=random_state,
                              min_group_size=min_group_size, sentiment=sentiment, log=log).event_study


def _plans(evidence: Evidence, duration: pd.Timedelta, metrics: list[str]):
    """(plan, observations in its windows) for every intervention and observable metric."""
    for intervention in interventions_table(evidence.ds).itertuples(index=False):
        kind = evidence.kind_of(intervention.scope)
        after_end = intervention.start + duration
        if pd.notna(intervention.end):
            after_end = min(after_end, intervention.end)
        for metric in metrics:
            obs = evidence.observations(metric, kind, intervention.scope)
            if obs is None:
                continue
            plan = {"intervention_id": intervention.intervention_id, "description": intervention.description,
                    "scope": intervention.scope, "scope_kind": kind, "metric": metric,
                    "better": METRICS[metric].better, "before_start": intervention.start - duration,
                    "start": intervention.start, "after_end": after_end}
            inside = np.flatnonzero((obs.time >= plan["before_start"].value) & (obs.time < after_end.value))
            obs = Observations(*(values[inside] for values in obs))
            # a canonical row order (customer, time, arm, score; unknown customers last): the bootstrap draws
            # the same resamples whatever order the exports came in
            known = np.where(obs.customer >= 0, obs.customer, np.iinfo(np.int64).max)
            order = np.lexsort((obs.score, obs.scope, obs.time, known))
            yield plan, Observations(*(values[order] for values in obs))


def _did(obs: Observations, plan: dict, *, bins: int, n_boot: int, random_state, min_group_size: int,
         level: float) -> tuple[dict, pd.DataFrame]:
    """Difference-in-differences, its cluster-bootstrap SE and the event study of one intervention and metric.

    The observations are cut into ``2 * bins`` time bins per arm (``bins`` before
    the start, ``bins`` after). Each customer's sums and counts per arm and bin
    are resampled together, so every estimate (window means, changes, the
    difference-in-differences, the bin-by-bin gaps) is a ratio of resampled
    sums: one matrix product per chunk of resamples.
    """
    width = (plan["start"] - plan["before_start"]) / bins
    offset = (obs.time - plan["before_start"].value) / width.value
    position = np.minimum(np.floor(offset).astype(int), 2 * bins - 1)
    group = np.where(obs.scope, 0, 2 * bins) + position
    value = _row_values(obs.score, METRICS[plan["metric"]].estimate)
    customers = _cluster_codes(obs.customer)
    n_customers = int(customers.max(initial=-1)) + 1
    cells = customers * 4 * bins + group
    sums = np.bincount(cells, weights=value, minlength=n_customers * 4 * bins).reshape(n_customers, 4 * bins)
    counts = np.bincount(cells, minlength=n_customers * 4 * bins).reshape(n_customers, 4 * bins).astype(float)

    def estimates(totals):
        s, c = totals[:, :4 * bins], totals[:, 4 * bins:]
        with np.errstate(invalid="ignore", divide="ignore"):
            windows = np.stack([s[:, a * 2 * bins + w * bins:a * 2 * bins + (w + 1) * bins].sum(axis=1)
                                / c[:, a * 2 * bins + w * bins:a * 2 * bins + (w + 1) * bins].sum(axis=1)
                                for a in (0, 1) for w in (0, 1)], axis=1)
            gap = s[:, :2 * bins] / c[:, :2 * bins] - s[:, 2 * bins:] / c[:, 2 * bins:]
        changes = np.stack([windows[:, 1] - windows[:, 0], windows[:, 3] - windows[:, 2]], axis=1)
        return windows, changes, changes[:, 0] - changes[:, 1], gap

    per_customer = np.hstack([sums, counts])
    point = estimates(np.ones((1, n_customers)) @ per_customer)
    draws = [estimates(totals) for totals in bootstrap_sums(per_customer, n_boot=n_boot, random_state=random_state)]
    _, boot_changes, boot_did, boot_gap = (np.concatenate(parts) for parts in zip(*draws))
    windows, changes, did, gap = (values[0] for values in point)
    effects, boot_effects = gap - gap[bins - 1], boot_gap - boot_gap[:, [bins - 1]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        change_se = np.nanstd(boot_changes, axis=0, ddof=1)
        did_se = float(np.nanstd(boot_did, ddof=1))
    window_n = [int(counts[:, a * 2 * bins + w * bins:a * 2 * bins + (w + 1) * bins].sum())
                for a in (0, 1) for w in (0, 1)]
    bin_n = counts.sum(axis=0)
    shown = (bin_n[:2 * bins] >= min_group_size) & (bin_n[2 * bins:] >= min_group_size)
    row = {"customers": n_customers, "did": did, "did_se": did_se, "pretrend_p_value": _pretrend_p(
        effects[:bins - 1], boot_effects[:, :bins - 1], shown[:bins - 1] & shown[bins - 1])}
    for (arm, window_name), value_, n in zip(_GROUPS, windows, window_n):
        prefix = f"{'comparison_' if arm == 'comparison' else ''}{window_name}"
        row.update({prefix: value_, f"{prefix}_n": n})
    for prefix, change, se in zip(("", "comparison_"), changes, change_se):
        row.update({f"{prefix}change": change, f"{prefix}change_se": se})
    low, high = percentile_interval(boot_effects, level=level)
    study = pd.DataFrame({"intervention_id": plan["intervention_id"], "metric": plan["metric"],
                          "bin": np.arange(-bins, bins), "bin_start": plan["before_start"] + width * np.arange(2 * bins),
                          "scope_n": bin_n[:2 * bins].astype(int), "comparison_n": bin_n[2 * bins:].astype(int),
                          "gap": gap, "effect": effects,
                          "effect_low": low, "effect_high": high})
    return row, study.loc[shown & shown[bins - 1]].reset_index(drop=True)


def _row_values(score: np.ndarray, estimate: str) -> np.ndarray:
    """Per-observation value whose mean is the metric: 0/1 for shares, +-100 per answer for NPS, the score."""
    if estimate == "share":
        return score
    if estimate == "nps":
        return 100 * ((score >= 9).astype(float) - (score <= 6))
    return score


def _pretrend_p(effects: np.ndarray, boot: np.ndarray, testable: np.ndarray) -> float:
    """Wald test that the event-study effects before the start are all zero, with their bootstrap covariance."""
    effects, boot = effects[testable], boot[:, testable]
    boot = boot[np.isfinite(boot).all(axis=1)]
    if not len(effects) or len(boot) < 10 * len(effects):
        return float("nan")
    covariance = np.atleast_2d(np.cov(boot, rowvar=False))
    statistic = float(effects @ np.linalg.pinv(covariance) @ effects)
    return float(_sp.chi2.sf(statistic, df=len(effects)))


def _judge(table: pd.DataFrame, z: float, level: float, correction: str, min_group_size: int) -> pd.DataFrame:
    """Intervals, corrected p-values, minimum detectable effects and verdicts; small groups suppressed."""
    for prefix in ("", "comparison_"):
        diff, se = table[f"{prefix}change"], table[f"{prefix}change_se"]
        table = table.assign(**{f"{prefix}change_low": diff - z * se, f"{prefix}change_high": diff + z * se,
                                f"{prefix}change_p_value": _p_value(diff, se)})
    did, se = table["did"], table["did_se"]
    table = table.assign(did_low=did - z * se, did_high=did + z * se, did_p_value=_p_value(did, se),
                         mde=(z + _sp.norm.ppf(POWER)) * se)
    smallest = table[["before_n", "after_n", "comparison_before_n", "comparison_after_n"]].min(axis=1)
    group = table["intervention_id"].astype(str) + " · " + table["metric"].map(value_label)   # "I001 · Sentiment"
    shown = suppress_small(table.assign(smallest=smallest, group=group), size_col="smallest",
                           min_group_size=min_group_size, label_col="group").index
    suppressed = ~table.index.isin(shown) | table["did_p_value"].isna()
    numbers = [c for c in _COLUMNS if c.startswith(("before", "after", "change", "comparison_", "did", "mde",
                                                    "pretrend_p"))
               and not c.endswith(("_n", "_start", "_end"))]
    table.loc[suppressed, numbers] = np.nan
    table["did_p_adjusted"] = adjust_pvalues(table["did_p_value"], correction=correction, level=level)[0]
    table["pretrend"] = np.select([table["pretrend_p_value"].isna(), table["pretrend_p_value"] < 1 - level],
                                  ["not testable", "failed"], "passed")
    detected = table["did_p_adjusted"] < 1 - level
    lower_is_better = table["better"] == "lower"
    better = np.where(lower_is_better, table["did"] < 0, table["did"] > 0)
    metric = table["metric"].map(METRICS)
    too_few = table["mde"] > metric.map(lambda m: m.large)
    table["verdict"] = np.select(
        [suppressed, table["pretrend"] == "failed", detected & better, detected, too_few],
        [_SMALL_GROUP, "not identified", "improved", "worse",
         metric.map(lambda m: _TOO_FEW[1] if m.source == "sessions" else _TOO_FEW[0])],
        "no detectable change")
    return table[_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class InterventionSeries:
    """A metric per period at an intervention's scope and on its comparison (:func:`intervention_series`).

    Attributes
    ----------
    table : DataFrame
        ``group`` ("scope" or "comparison"), ``label`` (what the group is, in
        words), ``period`` (start time), ``value``, ``se`` (from the data),
        ``low``, ``high``, ``n``.
    intervention_id, description, scope : str
        The intervention, as in ``ds.interventions``.
    scope_kind : str
        "touchpoint", "channel" or "stage".
    start : Timestamp
        When the intervention started (naive UTC, like ``period``).
    metric, label, better : str
        The metric's key, its name in words and "higher" or "lower" (which way is better).
    """

    table: pd.DataFrame
    intervention_id: str
    description: str
    scope: str
    scope_kind: str
    start: pd.Timestamp
    metric: str
    label: str
    better: str

    def _repr_html_(self) -> str:
        return self.table._repr_html_()


def intervention_series(ds: CXDataset, intervention_id: str, *, metric: str | None = None, freq: str = "M",
                        mentions=None, level: float = 0.95, min_group_size: int = MIN_GROUP_SIZE,
                        sentiment: pd.Series | None = None, log: JourneyLog | None = None) -> InterventionSeries:
    """One metric per period at an intervention's scope and on the comparison scopes.

    Attribution and comparison are those of :func:`intervention_effects`, over
    the whole data period rather than two windows.

    Parameters
    ----------
    intervention_id : str
        An ``intervention_id`` of ``ds.interventions``.
    metric : {"csat", "csat_mean", "nps", "exit_rate", "conversion", "sentiment"}, optional
        Default: the intervention's ``expected_metric`` when it is one of
        these and the data can observe it, else the first observable of them.
    freq : {"D", "W", "M", "Q", "Y"}
        Period length.
    min_group_size : int
        Periods with fewer observations in a group are suppressed.
    sentiment : Series, optional
        The reviews' sentiment, when scored already (as in :func:`intervention_effects`).
    log : JourneyLog, optional
        The events cut into sessions, when cut already (as in :func:`intervention_effects`).

    Returns
    -------
    InterventionSeries
        The table per group and period, with the intervention and metric it shows.
    """
    if metric is not None:
        check_choice("metric", metric, METRICS)
    check_choice("freq", freq, FREQUENCIES)
    check_positive(min_group_size=min_group_size)
    interventions = interventions_table(ds)
    check_choice("intervention_id", intervention_id, interventions["intervention_id"].tolist())
    intervention = interventions.loc[interventions["intervention_id"] == intervention_id].iloc[0]
    evidence = Evidence(ds, mentions, sentiment, log)
    kind = evidence.kind_of(intervention["scope"])
    candidates = [metric] if metric else [intervention["expected_metric"], *METRICS]
    observed = ((m, evidence.observations(m, kind, intervention["scope"]))
                for m in dict.fromkeys(candidates) if m in METRICS)
    metric, obs = next(((m, obs) for m, obs in observed if obs is not None), (metric, None))
    if obs is None:
        raise DataError(f"intervention {intervention_id!r}: the dataset cannot observe "
                        f"{repr(metric) if metric else 'any metric'} (it needs surveys, events or review texts "
                        f"with the columns the metric uses); metrics: {', '.join(METRICS)}.")
    # periods are whole days: each distinct day is placed in its period once
    days, day = np.unique(obs.time // (24 * 3600 * 10**9), return_inverse=True)
    starts = pd.Series(pd.to_datetime(days, unit="D")).dt.to_period(freq).dt.start_time.to_numpy()
    frame = pd.DataFrame({"metric": metric, "arm": pd.Categorical.from_codes(obs.scope.astype(np.int8),
                                                                             ["comparison", "scope"]),
                          "period": starts[day], "score": obs.score})
    series = _estimates(frame, ["metric", "arm", "period"], level)
    series["arm"] = series["arm"].astype(object)
    scope = intervention["scope"]
    labels = ({"scope": _("reviews mentioning %(scope)s") % {"scope": code_label(scope, stage=kind == "stage")},
               "comparison": _("other reviews")}
              if metric == "sentiment" else {"scope": code_label(scope, stage=kind == "stage"),
                                             "comparison": _(OTHERS[kind])})
    series = series.rename(columns={"arm": "group"}).assign(label=lambda t: t["group"].map(labels))
    pattern = _PERIOD_PATTERNS.get(freq, "medium")
    series = suppress_small(  # named "I001 · chat support · Jul 2025": the intervention, group and period
        series.assign(named=intervention_id + " · " + series["label"] + " · "
                      + series["period"].map(lambda period: format_date(period, format=pattern))),
        size_col="n", min_group_size=min_group_size, label_col="named")
    series = series.sort_values(["group", "period"], ascending=[False, True], ignore_index=True)
    return InterventionSeries(series[["group", "label", "period", "value", "se", "low", "high", "n"]],
                              intervention_id=intervention_id, description=intervention["description"], scope=scope,
                              scope_kind=kind, start=intervention["start"].tz_convert(None), metric=metric,
                              label=METRICS[metric].label, better=METRICS[metric].better)


def period_interventions(ds: CXDataset, start=None, end=None, *, window: str = "8W") -> CXDataset:
    """*ds* with the interventions a period ``start <= t < end`` measures: those that start before its end and
    whose after window (*window* long) reaches into it. The others are named in a warning (a note on the page).

    Examples
    --------
    A run over July to December measures a change of June 1 with an 8-week window (its after window ends in
    July), not one of April 1 (measured by the run of its own period).
    """
    duration = check_duration("window", window)
    table = ds.interventions
    if table is None or table.empty or (start is None and end is None):
        return ds
    keep = pd.Series(True, index=table.index)
    if start is not None:
        keep &= table["start"] + duration > pd.to_datetime(start, utc=True)
    if end is not None:
        keep &= table["start"] < pd.to_datetime(end, utc=True)
    if keep.all():
        return ds
    left_out = table.loc[~keep, "intervention_id"].astype(str).tolist()
    warnings.warn(ngettext(
        "%(n)s intervention is not measured in this period: it starts after the period ends, or its after window "
        "(%(window)s) ends before the period starts (%(ids)s). The run of its own period measures it.",
        "%(n)s interventions are not measured in this period: they start after the period ends, or their after "
        "windows (%(window)s) end before the period starts (%(ids)s). The runs of their own periods measure them.",
        len(left_out)) % {"n": len(left_out), "window": window, "ids": format_list(left_out)},
        DataWarning, stacklevel=2)
    return replace(ds, interventions=table.loc[keep])


def compare_verdicts(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Verdicts that changed between two :func:`intervention_effects` tables (e.g. this run and the last).

    A verdict measured in windows of another length answers another question
    (a run with a wider ``intervention_window``), so it is not compared: only
    verdicts of the same window length count as changes, when both tables
    have ``before_start`` and ``start``.

    Returns
    -------
    DataFrame
        ``intervention_id``, ``metric``, ``previous_verdict``, ``verdict``: one
        row per intervention and metric whose verdict differs, missing on the
        side where it was not measured (new or dropped).
    """
    keys = ["intervention_id", "metric", "verdict"]
    for name, table in (("current", current), ("previous", previous)):
        missing = [c for c in keys if c not in table.columns]
        if missing:
            raise ParameterError(f"{name} table lacks column(s) {missing}; expected a table of "
                                 f"intervention_effects with {', '.join(keys)}.")
    merged = current[keys].assign(window=_window_lengths(current)).merge(
        previous[keys].assign(window=_window_lengths(previous)).rename(columns={"verdict": "previous_verdict"}),
        on=keys[:2], how="outer", suffixes=("", "_previous"))
    changed = merged["verdict"].fillna("").ne(merged["previous_verdict"].fillna(""))
    another_window = merged["window"].notna() & merged["window_previous"].notna() & merged["window"].ne(
        merged["window_previous"])
    return merged.loc[changed & ~another_window,
                      ["intervention_id", "metric", "previous_verdict", "verdict"]].reset_index(drop=True)


def _window_lengths(effects: pd.DataFrame) -> pd.Series:
    """The length of each row's windows (``start - before_start``; a saved table's dates as text), NaT unknown."""
    if not {"start", "before_start"} <= set(effects.columns):
        return pd.Series(pd.NaT, index=effects.index, dtype="timedelta64[ns]")
    return pd.to_datetime(effects["start"], utc=True) - pd.to_datetime(effects["before_start"], utc=True)


def window_sentence(effects: pd.DataFrame) -> str:
    """The windows a table of :func:`intervention_effects` compares, in one sentence ("" when it is empty or
    lacks ``before_start`` and ``start``)."""
    if effects.empty or not {"start", "before_start"} <= set(effects.columns):
        return ""
    window = (pd.to_datetime(effects["start"], utc=True)
              - pd.to_datetime(effects["before_start"], utc=True)).iloc[0]   # a saved table holds dates as text
    weeks, days = divmod(-(-window // pd.Timedelta("1D")), 7)
    length, code = ((ngettext("%(n)s week", "%(n)s weeks", weeks) % {"n": weeks}, f"{weeks}W") if not days else
                    (ngettext("%(n)s day", "%(n)s days", 7 * weeks + days) % {"n": 7 * weeks + days},
                     f"{7 * weeks + days}D"))
    return (_("Each verdict compares the %(length)s before an intervention's start with the %(length)s after it "
              "(the run's `intervention_window`, %(window)s, chosen before looking at the results).")
            % {"length": length, "window": code})


def window_note(effects: pd.DataFrame, *, period_end=None) -> str:
    """Markdown for under the verdicts: the windows they compare, those the run's period cuts and, when a
    verdict is "too few answers (sessions) to tell", what the scope held in them and the wider window to run
    the routine with.

    Parameters
    ----------
    effects : DataFrame
        A table of :func:`intervention_effects` (its windows are read from ``before_start`` and ``start``).
    period_end : str or Timestamp, optional
        The end of the run's period (excluded): after windows reaching beyond it are named.
    """
    if effects.empty:
        return ""
    window = (effects["start"] - effects["before_start"]).iloc[0]    # one window for every intervention
    weeks, days = divmod(-(-window // pd.Timedelta("1D")), 7)
    lines = [window_sentence(effects)]
    ended = effects.loc[effects["after_end"] < effects["start"] + window].drop_duplicates("intervention_id")
    lines += [_("%(intervention)s ended on %(end)s: its after window stops there.")
              % {"intervention": row.intervention_id, "end": format_date(row.after_end)} for row in ended.itertuples()]
    if period_end is not None:
        cut = effects.loc[effects["after_end"] > pd.to_datetime(period_end, utc=True), "intervention_id"].unique()
        if len(cut):
            last_day = pd.to_datetime(period_end) - pd.Timedelta("1D")
            lines.append(ngettext(
                "The run's period ends on %(day)s: the after window of %(ids)s stops there. A run whose period "
                "reaches the end of that window measures it whole.",
                "The run's period ends on %(day)s: the after windows of %(ids)s stop there. A run whose period "
                "reaches the end of those windows measures them whole.", len(cut))
                % {"day": format_date(last_day), "ids": format_list([str(i) for i in cut])})
    too_few = effects.loc[effects["verdict"].isin(_TOO_FEW)]
    if too_few.empty:
        return "\n\n".join(lines)
    lines.append(_("Too few to tell in these windows (after each, the smallest change the sample would detect "
                   "with 80% power):") + "\n")
    for row in too_few.itertuples():
        source = METRICS[row.metric].source
        lines[-1] += "\n- " + _("**%(intervention)s** %(metric)s: %(before)s at %(scope)s before the start, "
                                 "%(after)s after: ±%(mde)s") % {
            "intervention": row.intervention_id, "metric": _(METRICS[row.metric].label),
            "scope": code_label(row.scope, stage=row.scope_kind == "stage"), "before": _observed(source, row.before_n),
            "after": _observed(source, row.after_n),
            "mde": metric_change(row.metric, row.mde, words=True, signed=False)}
    wider = f"{2 * weeks}W" if not days else f"{2 * (7 * weeks + days)}D"
    lines.append(_("A longer window holds more of them: run the routine with `-p intervention_window=%(wider)s`. "
                   "Decide on it before looking at the verdicts and say which window you report: a wider window "
                   "measures a longer-run effect, with more of whatever else changed mixed in, so it asks another "
                   "question rather than giving this one a second try at significance.") % {"wider": wider})
    return "\n\n".join(lines)


def changes_note(ds: CXDataset, effects: pd.DataFrame, *, mentions=None) -> str:
    """Markdown for "What was changed": each intervention at its scope (in words, with its kind when measured),
    its start and description; when review sentiment was measured, which words made a review count as naming
    each scope, in how many reviews, each word of a phrase alone, and where to list other words.

    Parameters
    ----------
    effects : DataFrame
        The :func:`intervention_effects` of *ds* (the scopes' kinds and the metrics measured).
    mentions : dict, optional
        As in :func:`intervention_effects`.
    """
    kinds = effects.drop_duplicates("intervention_id").set_index("intervention_id")["scope_kind"]
    lines = [_("- **%(intervention)s** at %(scope)s%(kind)s from %(start)s: %(description)s") % {
        "intervention": row.intervention_id,
        "scope": code_label(row.scope, stage=kinds.get(row.intervention_id) == "stage"),
        "kind": f" ({_(kinds[row.intervention_id])})" if row.intervention_id in kinds.index else "",
        "start": format_date(row.start), "description": redact_pii(row.description)}
        for row in interventions_table(ds).itertuples()]
    scopes = effects.loc[effects["metric"] == "sentiment", "scope"].unique()
    if not len(scopes):
        return "\n".join(lines)
    evidence, texts = Evidence(ds, mentions), ds.reviews["text"]
    found = []
    for scope in scopes:
        words = evidence.words(scope)
        alone = [word for phrase in words for word in re.split(r"[\s_-]+", phrase.strip()) if len(word) > 2]
        alone = [word for word in dict.fromkeys(alone) if word.lower() not in {w.lower() for w in words}]
        line = _("%(scope)s: %(words)s in %(n)s") % {
            "scope": code_label(scope), "words": format_list([f"“{code_label(word)}”" for word in words]),
            "n": _observed("reviews", mentioning(texts, words).sum())}
        if alone:
            line += " " + _("(alone: %(words)s)") % {"words": format_list([
                _("“%(word)s” in %(n)s") % {"word": word, "n": _observed("reviews", mentioning(texts, [word]).sum())}
                for word in alone])}
        found.append("- " + line)
    return "\n\n".join(["\n".join(lines), _(
        "Review sentiment at a scope is that of the reviews naming it; these words count (any case, whole words):"),
        "\n".join(found), _(
        "To count other words (a word of the name alone, what customers call it), list them in the interventions "
        "file's `mentions` column, separated by semicolons (`chat; chat support`), and run again: decide on them "
        "before looking at the verdicts, as they change what is measured.")])


def event_study_table(event_study: pd.DataFrame) -> pd.DataFrame:
    """The :func:`event_study` as one row per intervention and metric, one column per bin ("-4" .. "3"): the effect
    in the metric's unit when shown with :func:`cxresearch.display.pretty` and ``kinds`` of "metric_change"."""
    table = event_study.pivot(index=["intervention_id", "metric"], columns="bin", values="effect")
    return table.rename(columns=str).rename_axis(columns=None).reset_index()


def _observed(source: str, n) -> str:
    """*n* observations of a metric's *source* in words: "5 answers", "1 session", "12 reviews"."""
    n, count = int(n), format_count(n)
    if source == "sessions":
        return ngettext("%(n)s session", "%(n)s sessions", n) % {"n": count}
    if source == "reviews":
        return ngettext("%(n)s review", "%(n)s reviews", n) % {"n": count}
    return ngettext("%(n)s answer", "%(n)s answers", n) % {"n": count}


def _estimates(obs: pd.DataFrame, keys: list[str], level: float) -> pd.DataFrame:
    """value, se, low, high and n of the ``score`` per group of *keys*, all groups (and metrics) at once.

    *keys* include ``metric``, which picks each group's estimate: a share of 1 with
    Wilson interval, NPS with adjusted Wald, or mean with t interval. The
    standard error comes from the data (binomial, trinomial or sample standard
    deviation over root n), never from the interval.
    """
    data = obs.assign(promoter=obs["score"] >= 9, detractor=obs["score"] <= 6)
    agg = data.groupby(keys, observed=True, sort=True).agg(
        n=("score", "size"), total=("score", "sum"), mean=("score", "mean"), std=("score", "std"),
        promoters=("promoter", "sum"), detractors=("detractor", "sum")).reset_index()
    n = agg["n"].to_numpy(dtype=float)
    share, share_low, share_high = wilson_interval(agg["total"], n, level=level)
    nps_value, nps_low, nps_high = nps_interval(agg["promoters"], agg["detractors"], n, level=level)
    mean_low, mean_high = mean_interval(agg["mean"], agg["std"], n, level=level)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_se = np.sqrt(share * (1 - share) / n)
        mean_se = np.where(n > 1, agg["std"] / np.sqrt(n), np.nan)
    estimate = agg["metric"].map({name: m.estimate for name, m in METRICS.items()})
    choose = [estimate == "share", estimate == "nps"]
    return agg[keys + ["n"]].assign(
        value=np.select(choose, [share, nps_value], agg["mean"]),
        se=np.select(choose, [share_se, nps_se(agg["promoters"], agg["detractors"], n)], mean_se),
        low=np.select(choose, [share_low, nps_low], mean_low),
        high=np.select(choose, [share_high, nps_high], mean_high))


def _cluster_codes(customer: np.ndarray) -> np.ndarray:
    """Customers numbered 0.. in the order of their numbers; each row of an unknown one (-1) a customer of its own.

    On rows in canonical order this is :func:`~cxresearch.resampling.cluster_codes` of their labels.
    """
    known = customer >= 0
    codes = np.empty(len(customer), np.int64)
    distinct, codes[known] = np.unique(customer[known], return_inverse=True)
    codes[~known] = len(distinct) + np.arange(int((~known).sum()))
    return codes


def _p_value(diff, se):
    with np.errstate(invalid="ignore", divide="ignore"):
        return 2 * _sp.norm.sf(np.abs(diff / se))


def _check_metrics(metrics) -> list[str]:
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for metric in metrics:
        check_choice("metric", metric, METRICS)
    return metrics


