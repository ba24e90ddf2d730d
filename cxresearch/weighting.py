"""Survey weights raked to known population margins (``dataset.yml`` ``margins``).

Respondents are rarely a mirror of the customers: web buyers may answer more
often than store buyers. When the shares of a few variables in the population
are known (channel, region...), raking (iterative proportional fitting,
Deming and Stephan 1940) finds weights whose weighted shares match every
margin at once while staying as close as possible to equal weights. The
weights are computed with weightipy's RIM engine (the raking algorithm of the
market-research tools quantipy and weightipy), checked against samplics'
``SampleWeight.rake`` in the tests. Every KPI, trend and driver then uses
them through the ``weight`` column; Kish's effective sample size says what the
weighting costs, with a :class:`~cxresearch.errors.WeightingWarning` below 40 %
efficiency (:func:`cxresearch.survey_design.kish_effective_n`).

A ``dataset.yml`` gives the margins as shares per category, each variable
summing to 1, on a column of the surveys or of the customers (joined by
``customer_id``)::

    margins:
      channel: {web: 0.5, store: 0.3, app: 0.2}
      region: {north: 0.45, south: 0.55}
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, Problem
from .i18n import _, format_count, format_percent
from .survey_design import kish_effective_n

__all__ = ["MARGINS_KEY", "check_margins", "rake", "rake_surveys", "Weighting", "weighting_summary",
           "weighting_note"]

#: The dataset.yml key holding the margins.
MARGINS_KEY = "margins"
#: How far a variable's shares may sum from 1.
SUM_TOLERANCE = 0.01
_CONFIG = "dataset.yml"


def _problem(where: str, message: str) -> DataError:
    return DataError(Problem(_CONFIG, f"{where}: {message}"))


def check_margins(margins) -> dict[str, dict[str, float]]:
    """*margins* as ``{column: {category: share}}`` with shares summing to 1, else :class:`DataError`.

    Errors name the ``dataset.yml`` key (``margins.channel``) and say what was expected.

    Examples
    --------
    >>> check_margins({"channel": {"web": 0.6, "store": 0.4}})
    {'channel': {'web': 0.6, 'store': 0.4}}
    """
    if not isinstance(margins, dict) or not margins:
        raise _problem(MARGINS_KEY, "must map survey or customer columns to category shares, e.g. "
                                    "'channel: {web: 0.6, store: 0.4}'; found " + repr(margins) + ".")
    checked = {}
    for column, shares in margins.items():
        where = f"{MARGINS_KEY}.{column}"
        if not isinstance(shares, dict) or len(shares) < 2:
            raise _problem(where, f"must map at least two categories to their shares; found {shares!r}.")
        values = {}
        for category, share in shares.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
                raise _problem(f"{where}.{category}", f"must be a share between 0 and 1; found {share!r}.")
            values[str(category)] = float(share)
        total = sum(values.values())
        if abs(total - 1) > SUM_TOLERANCE:
            raise _problem(where, f"shares must sum to 1; they sum to {total:g}.")
        checked[str(column)] = values
    return checked


def rake(frame: pd.DataFrame, margins: dict, *, max_iterations: int = 1000, tolerance: float = 1e-8) -> pd.Series:
    """Raking weights (mean 1) that make the weighted shares of *frame* match *margins*.

    Parameters
    ----------
    frame : DataFrame
        One row per answer, with a column for every variable of *margins*.
    margins : dict
        ``{column: {category: share}}`` (see :func:`check_margins`).
    max_iterations, tolerance
        Of the RIM iterations (weightipy's convergence criterion).

    Returns
    -------
    Series
        One weight per row of *frame*, same index, averaging 1.

    Examples
    --------
    >>> answers = pd.DataFrame({"channel": ["web"] * 3 + ["store"]})
    >>> rake(answers, {"channel": {"web": 0.5, "store": 0.5}}).round(3).tolist()
    [0.667, 0.667, 0.667, 2.0]
    """
    from weightipy import scheme_from_dict, weight

    margins = check_margins(margins)
    data = pd.DataFrame(index=frame.index)
    for column, shares in margins.items():
        where = f"{MARGINS_KEY}.{column}"
        if column not in frame.columns:
            raise _problem(where, f"the surveys (and customers) have no column '{column}'; columns: "
                                  f"{', '.join(map(str, frame.columns))}.")
        values = frame[column].astype("string").str.strip()
        missing = int(values.isna().sum())
        if missing:
            raise _problem(where, f"{missing} answer(s) have no '{column}'; give every answer a category "
                                  f"(e.g. 'unknown', with its share).")
        unknown = sorted(set(values) - set(shares))
        if unknown:
            raise _problem(where, f"categories {unknown} of the data have no share; expected only "
                                  f"{sorted(shares)} (or add their shares).")
        absent = sorted(set(shares) - set(values))
        if absent:
            raise _problem(where, f"no answer falls in {absent}: nothing can be weighted up to their share; "
                                  f"drop them and rescale the other shares.")
        data[column] = values.to_numpy(dtype=object)
    scheme = scheme_from_dict({column: {category: 100 * share for category, share in shares.items()}
                               for column, shares in margins.items()},
                              rim_params={"max_iterations": max_iterations, "convcrit": tolerance})
    weights = weight(data.reset_index(drop=True), scheme).to_numpy(dtype=float)
    return pd.Series(weights / weights.mean(), index=frame.index, name="weight")


def rake_surveys(surveys: pd.DataFrame, margins: dict, *, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """*surveys* with a ``weight`` column raked to *margins* (variables of the customers joined by ``customer_id``).

    An existing ``weight`` column is replaced. Empty surveys are returned as they are.
    """
    if surveys is None or surveys.empty:
        return surveys
    margins = check_margins(margins)
    frame = surveys
    joined = [c for c in margins if c not in surveys.columns and customers is not None and c in customers.columns]
    if joined and "customer_id" in surveys.columns:
        lookup = customers.drop_duplicates("customer_id").set_index("customer_id")[joined]
        frame = surveys.join(lookup, on="customer_id")
    return surveys.assign(weight=rake(frame, margins).to_numpy())


@dataclass(frozen=True)
class Weighting:
    """What the survey weights cost: Kish's effective sample size and the weighting efficiency.

    Attributes
    ----------
    answers : int
        Weighted answers.
    n_effective : float
        Kish's effective sample size ``(sum w)^2 / sum w^2``.
    efficiency : float
        ``n_effective / answers`` (0-1); below 0.40 a warning is raised.
    margins : list of str
        The raked variables (empty for weights given in the data).
    """

    answers: int
    n_effective: float
    efficiency: float
    margins: list

    @property
    def note(self) -> str:
        """One sentence for the page."""
        values = {"n": format_count(round(self.n_effective)), "answers": format_count(self.answers),
                  "efficiency": format_percent(self.efficiency, decimals=0), "margins": ", ".join(self.margins)}
        if self.margins:
            return _("Answers are weighted to the known shares of %(margins)s: Kish's effective sample size is "
                     "%(n)s of %(answers)s answers (weighting efficiency %(efficiency)s).") % values
        return _("Answers are weighted by the survey's weight column: Kish's effective sample size is %(n)s of "
                 "%(answers)s answers (weighting efficiency %(efficiency)s).") % values


def weighting_summary(surveys: pd.DataFrame, margins: dict | None = None, *,
                      weight_col: str = "weight") -> Weighting | None:
    """Kish's effective n and efficiency of the survey weights, or None when the answers are unweighted.

    Warns (:class:`~cxresearch.errors.WeightingWarning`) when the efficiency is below 40 %.
    """
    if surveys is None or weight_col not in surveys.columns:
        return None
    weights = pd.to_numeric(surveys[weight_col], errors="coerce").to_numpy(dtype=float)
    weights = weights[np.isfinite(weights)]
    n_effective, efficiency = kish_effective_n(weights)
    return Weighting(len(weights), n_effective, efficiency, list(margins or {}))


def weighting_note(surveys: pd.DataFrame | None, margins: dict | None = None, *, weight_col: str = "weight") -> str:
    """:attr:`Weighting.note` of the survey weights, or ``""`` when the answers are unweighted (for a caption)."""
    summary = weighting_summary(surveys, margins, weight_col=weight_col)
    return summary.note if summary is not None else ""
