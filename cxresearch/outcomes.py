"""Customer outcomes: how many customers bought, subscribed, converted or left, overall and per group.

A customers table often says how each customer's story ended: a yes/no column named as an outcome
(:data:`~cxresearch.columns.OUTCOMES`: ``subscribed``, ``purchased``, ``converted``, ``won``, ``approved``,
``satisfied``, ``churn``...).
:func:`outcome_column` finds it, :func:`outcome_rate` gives the share of customers with the outcome and its
Wilson interval, and :func:`outcome_by_group` the share per group (a persona) with the difference from the
other customers (Newcombe's interval, the two-proportion z test) and the p-values adjusted by Holm's method
across the groups, as the interventions' verdicts are. The intervals are those of :mod:`cxresearch.intervals`;
the method and its references are in ``docs/METHODS.md``.

Examples
--------
>>> customers = pd.DataFrame({"customer_id": list("abcdef"), "subscribed": ["yes", "no", "no", "no", "yes", None]})
>>> rate = outcome_rate(customers)
>>> rate.column, rate.positives, rate.n, rate.missing, round(rate.value, 2)
('subscribed', 2, 5, 1, 0.4)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import OUTCOMES
from .i18n import N_, _, format_count, format_percent
from .intervals import adjust_pvalues, proportion_diff_interval, wilson_interval

__all__ = ["OutcomeRate", "outcome_column", "outcome_flags", "outcome_rate", "outcome_by_group", "outcome_label"]

#: Answers read as the outcome happening (1) or not (0), in lower case.
_YES = frozenset({"1", "1.0", "yes", "y", "true", "t"})
_NO = frozenset({"0", "0.0", "no", "n", "false", "f"})
#: Outcome column (or its family, ``churn`` for ``churn_value``) -> how its share reads, and its short label.
_WORDS = {
    "subscribed": (N_("%(share)s of customers subscribed"), N_("subscribed")),
    "purchased": (N_("%(share)s of customers bought"), N_("bought")),
    "converted": (N_("%(share)s of customers converted"), N_("converted")),
    "won": (N_("%(share)s of leads were won"), N_("won")),
    "approved": (N_("%(share)s of applications were approved"), N_("approved")),
    "satisfied": (N_("%(share)s of customers were satisfied"), N_("satisfied")),
    "churn": (N_("%(share)s of customers left (churned)"), N_("churned")),
}


def _family(column: str) -> str:
    return "churn" if column.startswith("churn") else column


def outcome_label(column: str) -> str:
    """How the outcome *column* reads as a header, in the language in force ("churn_value" -> "churned")."""
    return _(_WORDS.get(_family(column), (None, column))[1])


def outcome_flags(values: pd.Series) -> pd.Series | None:
    """*values* as 1.0 (the outcome happened) and 0.0, missing kept missing; None when they are not yes/no
    (1/0, yes/no, true/false) or all missing.

    Examples
    --------
    >>> outcome_flags(pd.Series(["Yes", "no", None])).tolist()
    [1.0, 0.0, nan]
    >>> outcome_flags(pd.Series([0, 35, 100])) is None
    True
    """
    present = values.dropna()
    if present.empty:
        return None
    words = present.astype(str).str.strip().str.lower()
    distinct = set(words.unique())
    if not distinct <= _YES | _NO:
        return None
    return words.isin(_YES).astype(float).reindex(values.index)


def outcome_column(customers: pd.DataFrame | None) -> str | None:
    """The first column of *customers* named as an outcome (:data:`~cxresearch.columns.OUTCOMES`) that holds
    yes/no values (:func:`outcome_flags`), or None."""
    if customers is None or customers.empty:
        return None
    return next((str(column) for column in customers.columns
                 if OUTCOMES.match(str(column)) and outcome_flags(customers[column]) is not None), None)


@dataclass(frozen=True)
class OutcomeRate:
    """The share of customers with a yes/no outcome, with its Wilson interval.

    Attributes
    ----------
    column : str
        The customers' outcome column.
    positives, n : int
        Customers with the outcome, and customers with a value (yes or no).
    value, low, high : float
        The share (0-1) and its interval.
    missing : int
        Customers without a value, left out of *n*.
    level : float
        Confidence level of the interval.
    """

    column: str
    positives: int
    n: int
    value: float
    low: float
    high: float
    missing: int = 0
    level: float = 0.95

    @property
    def label(self) -> str:
        """The outcome in a word ("subscribed", "churned")."""
        return outcome_label(self.column)

    def sentence(self) -> str:
        """"11.3% of customers subscribed", in the language in force."""
        template = _WORDS.get(_family(self.column), (N_("%(share)s of customers: %(column)s = yes"),))[0]
        return _(template) % {"share": format_percent(self.value, decimals=1), "column": self.column}

    def interval(self) -> str:
        """"95% interval 11.0% to 11.6%; 4,640 of 41,188 customers (column subscribed)", and the customers left
        out."""
        words = _("%(level)s interval %(low)s to %(high)s; %(k)s of %(n)s customers (column %(column)s)") % {
            "level": format_percent(self.level, decimals=0), "low": format_percent(self.low, decimals=1),
            "high": format_percent(self.high, decimals=1), "k": format_count(self.positives),
            "n": format_count(self.n), "column": self.column}
        if self.missing:
            words += "; " + _("%(n)s without a value left out") % {"n": format_count(self.missing)}
        return words


def outcome_rate(customers: pd.DataFrame | None, *, level: float = 0.95) -> OutcomeRate | None:
    """The share of *customers* with the outcome of :func:`outcome_column`, with its Wilson interval; None
    without an outcome column."""
    column = outcome_column(customers)
    if column is None:
        return None
    flags = outcome_flags(customers[column])
    positives, n = int(flags.sum()), int(flags.notna().sum())
    value, low, high = wilson_interval(positives, n, level=level)
    return OutcomeRate(column, positives, n, float(value), float(low), float(high),
                       missing=int(flags.isna().sum()), level=level)


def outcome_by_group(flags: pd.Series, groups: pd.Series, *, min_group_size: int, level: float = 0.95,
                     correction: str = "holm") -> pd.DataFrame:
    """The outcome's share per group, and how it differs from the other customers'.

    Parameters
    ----------
    flags : Series
        1.0 / 0.0 per customer (:func:`outcome_flags`), missing left out.
    groups : Series
        The group of each customer (a persona id), indexed like *flags*.
    min_group_size : int
        Groups with fewer customers with a value get no rate.
    level : float
        Confidence level of the intervals and of the flags.
    correction : {"holm", "fdr_bh", "none"}
        Multiplicity correction across the groups (:func:`cxresearch.intervals.adjust_pvalues`).

    Returns
    -------
    DataFrame
        Indexed by group: ``outcome_rate`` with ``_low`` and ``_high`` (Wilson), ``outcome_n``,
        ``outcome_vs_rest`` (the group's share minus the other customers', 0-1), ``outcome_p_adjusted``
        and ``outcome_differs`` ("higher", "lower" or "within noise").
    """
    frame = pd.DataFrame({"flag": flags, "group": groups.reindex(flags.index)}).dropna()
    counts = frame.groupby("group", sort=True)["flag"].agg(["sum", "count"])
    counts = counts[counts["count"] >= min_group_size]
    k, n = counts["sum"].to_numpy(), counts["count"].to_numpy()
    total_k, total_n = float(frame["flag"].sum()), float(len(frame))
    rate, low, high = wilson_interval(k, n, level=level)
    diff, _low, _high, p = proportion_diff_interval(total_k - k, total_n - n, k, n, level=level)
    adjusted, significant = adjust_pvalues(np.atleast_1d(p), correction=correction, level=level)
    differs = np.where(significant, np.where(np.atleast_1d(diff) > 0, "higher", "lower"), "within noise")
    return pd.DataFrame({"outcome_rate": rate, "outcome_rate_low": low, "outcome_rate_high": high,
                         "outcome_n": n.astype(int), "outcome_vs_rest": diff, "outcome_p_adjusted": adjusted,
                         "outcome_differs": differs}, index=counts.index.rename(groups.name))
