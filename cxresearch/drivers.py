"""Key drivers: which ratings drive a target (NPS, CSAT...), how sure we are, and which to fix first.

Each driver's importance is its Shapley (LMG) share of the R² of a linear
regression of the target on the standardised driver ratings: its average gain
in R² over all orders of entering the model, so importances are non-negative
and sum to the model's R², even when drivers are correlated. Bootstrap
resamples (of whole customers) give intervals on importance, rank and
coefficient. Respondents who rate only the touchpoints they used are handled
by available-case correlations repaired to the nearest correlation matrix.
Methods and references: ``docs/METHODS.md``.
"""
from __future__ import annotations

import fnmatch
import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.correlation_tools import corr_clipped, corr_nearest
from statsmodels.tools.sm_exceptions import IterationLimitWarning

from ._checks import check_columns
from .columns import code_label
from .errors import DataError, DataWarning, ParameterError, SmallGroupWarning
from .i18n import _, format_count, format_number, format_percent, ngettext
from .privacy import MIN_GROUP_SIZE
from .resampling import bootstrap_weights, canonical_order, cluster_codes, percentile_interval
from .survey_design import LOW_BASE, survey_weights

__all__ = ["KeyDrivers", "key_drivers", "driver_outcome", "Outcome", "QUADRANTS", "PLACEMENTS"]

#: Importance-performance quadrants, in the order they should be acted on.
QUADRANTS = ("fix first", "keep up", "low priority", "possible overkill")
#: Where a driver's intervals of importance and performance put it, by its side of each average line
#: (+1 above, -1 below, 0 straddling): one quadrant, two, or "uncertain" when both straddle.
PLACEMENTS = {(1, -1): "fix first", (1, 1): "keep up", (-1, -1): "low priority", (-1, 1): "possible overkill",
              (1, 0): "fix first or keep up", (-1, 0): "low priority or possible overkill",
              (0, -1): "fix first or low priority", (0, 1): "keep up or possible overkill", (0, 0): "uncertain"}
_MAX_DRIVERS = 16
#: Survey columns (lower case, glob) that may hold a two-valued outcome to explain when there is no NPS or CSAT.
_OUTCOME_NAMES = ("satisf*", "*_satisf*", "recommend*", "*_recommend*")
#: The answer meaning the good outcome in such a column ("satisfied" against "neutral or dissatisfied").
_GOOD_OUTCOMES = frozenset({"satisfied", "yes", "true", "1"})


@dataclass(frozen=True)
class Outcome:
    """What key drivers and topic impact explain when the caller does not say (:func:`driver_outcome`).

    Attributes
    ----------
    column : str
        The surveys' column.
    values : Series
        Its answers as numbers: the score, or 1 (the good outcome) and 0.
    note : str
        Which outcome and why, for the key drivers' page; empty for NPS, the default.
    kind : str
        ``"nps"`` (0-10), ``"csat"`` (1-5) or ``"binary"`` (1 = the good outcome, 0 = the other).
    good : str
        The answer meaning the good outcome, as written ("satisfied"), of a binary outcome.
    """

    column: str
    values: pd.Series
    note: str
    kind: str = "nps"
    good: str = ""

    @property
    def label(self) -> str:
        """The outcome in the reader's words: "NPS", "CSAT" or the column's name ("satisfaction")."""
        return self.kind.upper() if self.kind != "binary" else code_label(self.column)


def driver_outcome(surveys: pd.DataFrame, column: str | None = None) -> Outcome | None:
    """The outcome the surveys have for key drivers: NPS, else CSAT, else a two-valued satisfaction column as 1/0.

    A two-valued column is one named like ``satisfaction``, ``satisfied`` or
    ``recommend*`` whose answers are exactly two, one of them "satisfied",
    "yes", "true" or 1 (the good outcome, 1); None when there is none.
    *column* reads that one column (``"nps"``, ``"csat"`` or a two-valued
    column of any name) instead of the first the surveys have; None when it cannot be read so.
    """
    for name in ("nps", "csat") if column is None else (column,) * (column in ("nps", "csat")):
        if name in surveys.columns and pd.to_numeric(surveys[name], errors="coerce").notna().any():
            note = "" if name == "nps" else _(
                "No NPS answers: the key drivers explain CSAT, the score these surveys have.")
            return Outcome(name, pd.to_numeric(surveys[name], errors="coerce").astype(float), note, name)
    named = [c for c in surveys.columns if any(fnmatch.fnmatchcase(str(c).lower(), p) for p in _OUTCOME_NAMES)]
    for name in named if column is None else [column] * (column in surveys.columns and column not in ("nps", "csat")):
        answered = surveys[name].dropna()
        words = answered.astype(str).str.strip().str.lower()
        good = [word for word in words.unique() if word in _GOOD_OUTCOMES]
        if words.nunique() != 2 or len(good) != 1:
            continue
        flag = words.eq(good[0]).astype(float).reindex(surveys.index)
        other, written = answered[words.ne(good[0])].iloc[0], answered[words.eq(good[0])].iloc[0]
        return Outcome(str(name), flag, _(
            "No NPS or CSAT answers: the key drivers explain %(column)s, the outcome these surveys have, as 1 for "
            "“%(good)s” (%(share)s of answers) and 0 for “%(other)s”; importance is each rating's share of the "
            "variance of that 1/0 outcome (a linear probability model).") % {
            "column": str(name), "good": written, "other": other,
            "share": format_percent(flag.mean(), decimals=0)}, "binary", str(written))
    return None


@dataclass(frozen=True)
class KeyDrivers:
    """Key drivers of a target with the model's fit and the one sample it rests on (:func:`key_drivers`).

    Attributes
    ----------
    table : DataFrame
        One row per driver in the model, see :func:`key_drivers`.
    r2, r2_low, r2_high : float
        R² of the full model and its bootstrap interval.
    n : int
        Complete cases: answers to the target that rate every driver in the model (the sample of every number);
        with available cases (``method == "shapley_lmg_pairwise"``) the smallest base of a correlation.
    answers : int
        Answers to the target.
    clusters : int
        Distinct respondents among the complete cases (rows when no ``cluster_col``).
    left_out : dict
        Driver -> why it is not in the model (too few answers, or too few answers together with the others).
    n_boot : int
    level : float
    method : str
    outcome : str
        Which outcome the drivers explain and why, when :func:`key_drivers` chose it (``score_col=None``).
    target : str
        The outcome in the reader's words ("NPS", "CSAT", "satisfaction": :attr:`Outcome.label`), or the
        ``score_col`` given.
    """

    table: pd.DataFrame
    r2: float
    r2_low: float
    r2_high: float
    n: int
    answers: int
    clusters: int
    left_out: dict
    n_boot: int
    level: float
    method: str = "shapley_lmg"
    outcome: str = ""
    target: str = ""

    @property
    def coverage(self) -> float:
        """Complete cases (or the smallest pairwise base) as a share of the target's answers (0-1)."""
        return self.n / self.answers if self.answers else float("nan")

    @property
    def note(self) -> str:
        """One sentence: the model's R² with its interval and the answers it rests on."""
        if self.method == "shapley_lmg_pairwise":
            sentence = _("R² %(r2)s (%(level)s interval %(low)s to %(high)s) from the %(answers)s answers, each "
                         "correlation on the answers rating both of its columns (at least %(n)s).")
        else:
            sentence = _("R² %(r2)s (%(level)s interval %(low)s to %(high)s) on %(n)s of %(answers)s answers "
                         "(%(coverage)s) that rate every driver shown.")
        sentence = (self.outcome + " " if self.outcome else "") + sentence % {
            "r2": format_number(self.r2, decimals=2), "level": format_percent(self.level, decimals=0),
            "low": format_number(self.r2_low, decimals=2), "high": format_number(self.r2_high, decimals=2),
            "n": format_count(self.n), "answers": format_count(self.answers),
            "coverage": format_percent(self.coverage, decimals=0)}
        unplaced = int((self.table["placement"] != self.table["quadrant"]).sum())
        if unplaced:
            sentence += " " + ngettext(
                "%(n)s of %(total)s drivers is too close to an average line to place in one quadrant: its placement "
                "names each quadrant its intervals reach.",
                "%(n)s of %(total)s drivers are too close to an average line to place in one quadrant: their "
                "placement names each quadrant their intervals reach.", unplaced) % {
                "n": format_count(unplaced), "total": format_count(len(self.table))}
        if self.left_out:
            sentence += " " + _("Not in the model: %(drivers)s.") % {
                "drivers": "; ".join(f"{name} ({why})" for name, why in self.left_out.items())}
        return sentence


def _driver_columns(surveys: pd.DataFrame, drivers) -> list[str]:
    if isinstance(drivers, str):
        columns = [c for c in surveys.columns if fnmatch.fnmatchcase(str(c), drivers)]
        if not columns:
            raise ParameterError(f"no column matches driver_cols={drivers!r}; columns: "
                                 f"{', '.join(map(str, surveys.columns))}.")
        return columns
    columns = list(drivers)
    check_columns(surveys, columns, "key_drivers driver_cols")
    return columns


def _weighted_correlations(data: np.ndarray, weights: np.ndarray, *, repair: bool = False) -> np.ndarray:
    """Correlation matrix of the columns of *data* under each row of *weights*: shape (resamples, q, q).

    Missing values (NaN) leave out only the pairs they belong to (available-case, pairwise Pearson); on
    complete data this is the ordinary correlation matrix. With *repair*, each matrix is replaced by the
    nearest correlation matrix (Higham 2002; statsmodels ``corr_nearest``), so R² and importances stay in [0, 1].
    """
    seen = ~np.isnan(data)
    x = np.where(seen, data, 0.0)
    out = np.empty((len(weights), data.shape[1], data.shape[1]))
    for b, w in enumerate(weights):
        wm = seen * w[:, None]
        total = wm.T @ seen
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (wm * x).T @ seen / total                 # [i, j]: mean of i where j is answered too
            square = (wm * x * x).T @ seen / total
            cov = (wm * x).T @ x / total - mean * mean.T
            out[b] = cov / np.sqrt((square - mean**2) * (square - mean**2).T)
        if repair and np.isfinite(out[b]).all() and np.linalg.eigvalsh(out[b]).min() < 0:
            out[b] = _nearest_correlation(out[b])
    return out


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    """Nearest correlation matrix (Higham 2002, statsmodels); eigenvalue clipping when its iterations run out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        repaired = corr_nearest(matrix, threshold=1e-10)
    return repaired if np.linalg.eigvalsh(repaired).min() >= 0 else corr_clipped(matrix, threshold=1e-10)


def _sweep(matrix: np.ndarray, k: int, sign: float) -> None:
    """Sweep (sign +1) or reverse-sweep (-1) symmetric matrices stacked on the last axis, in place, on pivot *k*.

    Goodnight (1979); the stack is the last axis so each step works on contiguous memory.
    """
    pivot = matrix[k, k].copy()
    column, row = matrix[:, k] / pivot, matrix[k].copy()
    matrix -= column[:, None] * row[None]
    matrix[:, k] = sign * column
    matrix[k] = sign * row / pivot
    matrix[k, k] = -1 / pivot


def _subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the last variable on every subset of the others (column = bit mask), for a stack of correlations.

    *corr* has shape (resamples, p + 1, p + 1). The subsets are visited in Gray-code order, so each differs
    from the previous by one driver, swept in or out; after sweeping a subset the target's diagonal cell
    holds its residual share 1 - R².
    """
    p = corr.shape[1] - 1
    swept = np.moveaxis(np.asarray(corr, dtype=float), 0, -1).copy(order="C")   # never the caller's matrix
    r2 = np.zeros((2**p, len(corr)))
    with np.errstate(invalid="ignore", divide="ignore"):
        for step in range(1, 2**p):
            k = (step & -step).bit_length() - 1
            subset = step ^ (step >> 1)
            _sweep(swept, k, 1.0 if subset >> k & 1 else -1.0)
            r2[subset] = 1 - swept[p, p]
    return r2.T


def _shapley(r2: np.ndarray, p: int) -> np.ndarray:
    """Shapley value (LMG) of each driver in the R² games *r2* (resamples x bit masks): shape (resamples, p)."""
    masks = np.arange(2**p)
    sizes = ((masks[:, None] >> np.arange(p)) & 1).sum(axis=1)
    weights = np.array([math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) if s < p else 0.0
                        for s in sizes])
    importance = np.empty((len(r2), p))
    for j in range(p):
        without = masks[(masks >> j & 1) == 0]
        importance[:, j] = (r2[:, without | 1 << j] - r2[:, without]) @ weights[without]
    return np.maximum(importance, 0)


def _importance_and_beta(corr: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LMG importances, full-model R² and standardised coefficients of each correlation matrix in a stack."""
    p = corr.shape[1] - 1
    r2 = _subset_r2(corr)
    try:
        beta = np.linalg.solve(corr[:, :p, :p], corr[:, :p, p:])[..., 0]
    except np.linalg.LinAlgError:
        beta = (np.linalg.pinv(corr[:, :p, :p]) @ corr[:, :p, p:])[..., 0]
    return _shapley(r2, p), r2[:, -1], beta


def _performance(ratings: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of each column of *ratings* (NaN = not rated) under each row of *weights*: (resamples, p)."""
    seen = ~np.isnan(ratings)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (weights @ np.where(seen, ratings, 0.0)) / (weights @ seen)


def _side(samples: np.ndarray, level: float) -> np.ndarray:
    """Per driver: +1 (above the drivers' average), -1 (below) or 0 (cannot tell) from resamples x drivers.

    The interval is that of the driver's distance from the average of all drivers in the same resample, so
    the uncertainty of the average line counts too.
    """
    with warnings.catch_warnings():   # a resample no driver could be computed in stays NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        distance = samples - np.nanmean(samples, axis=1, keepdims=True)
    low, high = percentile_interval(distance, level=level)
    return np.select([low > 0, high < 0], [1, -1], 0)


def _placement(important: np.ndarray, performing: np.ndarray) -> list[str]:
    """The quadrant(s) each driver's intervals reach, from its sides (:func:`_side`) of the two average lines."""
    return [PLACEMENTS[(i, f)] for i, f in zip(important, performing)]


def _sparse_pairs(answered: pd.DataFrame, minimum: int) -> list[str]:
    """Drivers to leave out so that every pair of columns of *answered* (bool, the target last) shares at least
    *minimum* answers: repeatedly the least-answered driver of the pair answered together least."""
    left_out, columns = [], list(answered.columns)
    while len(columns) > 2:
        together = answered[columns].astype(int)
        counts = (together.T @ together).to_numpy()
        i, j = np.unravel_index(counts.argmin(), counts.shape)
        if counts[i, j] >= minimum:
            break
        drivers = [columns[k] for k in (i, j) if k != len(columns) - 1]
        worst = min(drivers, key=lambda name: (int(answered[name].sum()), str(name)))
        left_out.append(worst)
        columns.remove(worst)
    return left_out


def key_drivers(surveys: pd.DataFrame, *, score_col: str | None = "nps", driver_cols="rating_*", na_codes=(),
                min_coverage: float = 0.5, cluster_col: str | None = None, weight_col: str | None = "weight",
                n_boot: int = 200, level: float = 0.95, random_state=0,
                min_group_size: int = MIN_GROUP_SIZE) -> KeyDrivers:
    """Which ratings drive the target, how sure we are, and which to fix first.

    Each driver's importance is its Shapley (LMG) share of the R² of a linear
    regression of the target on the drivers: its gain in R² averaged over all
    orders of entering the model. Importances lie in [0, R²] and sum to R², even
    when drivers are correlated. Everything is computed on the complete cases
    (rows answering the target and every driver in the model), so all numbers
    describe the same respondents; bootstrap resamples of those rows (of whole
    customers with *cluster_col*) give the intervals.

    Respondents rate only the touchpoints they used, so the rows rating every
    touchpoint can be a small, unusual minority. When complete cases are fewer
    than *min_coverage* of the target's answers, the correlations are computed
    on the available cases instead (each pair on every answer rating both) and
    the matrix is repaired to the nearest correlation matrix (Higham 2002), so
    every answer counts and importances stay in [0, R²]; a
    :class:`~cxresearch.errors.DataWarning` says so, ``method`` is
    ``"shapley_lmg_pairwise"`` and ``n`` is the smallest pairwise base. Drivers
    rated together with another column by fewer than 30 answers are left out
    (named in ``left_out``).

    Parameters
    ----------
    surveys : DataFrame
    score_col : str or None
        Numeric or boolean column to explain (``"nps"``, ``"csat"``, a 0/1 flag...);
        None explains the outcome the surveys have (:func:`driver_outcome`:
        NPS, else CSAT, else a satisfied/dissatisfied column as 1/0) and says
        which in ``outcome`` and the note.
    driver_cols : str or list of str
        Driver columns, or a glob pattern over column names.
    na_codes : sequence of numbers
        Driver values that mean "not applicable" (e.g. ``[0]`` on a 0-5 scale);
        they count as missing.
    min_coverage : float
        Smallest share (0-1) of the target's answers the complete cases may
        cover; below it correlations use the available cases. 0 always uses
        complete cases.
    cluster_col : str, optional
        Column identifying who answered (e.g. ``"customer_id"``): the bootstrap
        draws whole customers, so repeated answers are not counted as
        independent evidence. Missing ids are respondents of their own.
    weight_col : str or None
        Survey weights (e.g. raked to ``dataset.yml`` margins): correlations,
        performance and every resample are weighted; ignored when absent.
    n_boot : int
        Bootstrap resamples (200 gives stable 95 % limits in a few seconds).
    random_state : int, RandomState or None
        Seed of the bootstrap.
    min_group_size : int
        Drivers with fewer answers are left out (with a warning); fewer
        complete cases raise :class:`DataError`.

    Returns
    -------
    KeyDrivers
        ``table``: one row per driver in the model, most important first:
        ``driver``, ``importance`` (LMG share of R²; the column sums to the
        model's R²) with ``importance_low``/``importance_high`` (bootstrap
        percentile interval), ``signed_importance`` (importance with the sign of
        ``beta``), ``share`` (importance / R²), ``rank`` (1 = most important)
        with ``rank_low``/``rank_high`` (bootstrap interval of the rank),
        ``correlation`` with the target, ``beta`` (standardised coefficient in
        the full model) with ``beta_low``/``beta_high``, ``direction``
        ("positive"/"negative": the sign of beta, the effect with the other
        drivers held fixed), ``significant`` (beta's interval excludes zero),
        ``performance`` (mean rating), ``quadrant`` (importance and performance
        against their averages: "fix first", "keep up", "low priority",
        "possible overkill") and ``priority`` (1 = act first: fix-first drivers
        by importance, then the other quadrants). Beside it ``r2`` with
        ``r2_low``/``r2_high``, ``n`` (complete cases: the one sample size of
        every number; with available cases the smallest pairwise base),
        ``answers`` (to the target), ``clusters``, ``left_out``, ``method`` and
        ``note`` (one sentence for the page).

    Notes
    -----
    An unrepaired pairwise correlation matrix need not be positive
    semi-definite, and then R² and importances leave [0, 1]: it is always
    repaired. Ratings of unused touchpoints are not imputed, since no such
    rating exists. See ``docs/METHODS.md``.
    """
    outcome, target = "", score_col
    if score_col is None:
        found = driver_outcome(surveys)
        if found is None:
            raise DataError(_("Key drivers need an outcome in the surveys: an `nps` (0-10) or `csat` (1-5) column, "
                              "or a two-valued satisfaction column (e.g. satisfied / dissatisfied); the surveys' "
                              "columns are %(columns)s.") % {"columns": ", ".join(map(str, surveys.columns))})
        surveys, score_col, outcome = surveys.assign(**{found.column: found.values}), found.column, found.note
        target = found.label
    columns = _driver_columns(surveys, driver_cols)
    check_columns(surveys, [score_col] + ([cluster_col] if cluster_col else []), "key_drivers")
    if not 0 <= min_coverage <= 1:
        raise ParameterError(f"min_coverage must be a share between 0 and 1; got {min_coverage!r}.")
    if score_col in columns:
        columns.remove(score_col)
    y = surveys[score_col]
    if not (pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y)):
        raise ParameterError(f"score_col column '{score_col}' must be numeric or boolean; found {y.dtype} values such as "
                             f"{y.dropna().unique()[:3].tolist()}. Map it to numbers first.")
    ratings = surveys[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    ratings = ratings.mask(ratings.isin(list(na_codes)))
    answered_all = ratings.notna().sum()
    too_few = answered_all.index[answered_all < max(min_group_size, 3)].tolist()
    if too_few:
        warnings.warn(_("%(drivers)s left out, each rated by fewer than %(n)s respondents.") % {
            "drivers": ", ".join(map(str, too_few)), "n": min_group_size}, SmallGroupWarning, stacklevel=2)
    if len(too_few) == len(columns):
        raise DataError(_("Key drivers need ratings with at least %(n)s answers each; answers per rating: "
                          "%(answers)s.") % {"n": format_count(max(min_group_size, 3)),
                                            "answers": _answer_counts(answered_all)})
    y = y.astype(float)
    ratings = ratings.drop(columns=too_few)
    answers = int(y.notna().sum())
    complete = ratings.notna().all(axis=1) & y.notna()
    pairwise = complete.sum() < min_coverage * answers
    sparse = []
    if pairwise:
        complete = y.notna() & ratings.notna().any(axis=1)   # every row that answers the target and a driver
        answered = ratings[complete].notna().assign(**{"\0target": True})
        sparse = _sparse_pairs(answered, max(min_group_size, LOW_BASE))
        ratings = ratings.drop(columns=sparse)
        complete &= ratings.notna().any(axis=1)
        every = ratings.notna().all(axis=1) & y.notna()
        if every.sum() >= min_coverage * answers:   # without the sparse drivers, complete cases suffice
            pairwise, complete = False, every
    left_out = {**{name: _("%(n)s answers") % {"n": format_count(answered_all[name])} for name in too_few},
                **{name: _("rated together with the others by too few") for name in sparse}}
    p = ratings.shape[1]
    if p > _MAX_DRIVERS:
        raise DataError(_("Key drivers rank at most %(max)s ratings at once (each further rating doubles the models "
                          "to fit); the surveys have %(n)s: %(columns)s. Keep the %(max)s to rank: in dataset.yml, "
                          "map the others to names not starting with `rating_` (`columns: {surveys: {rating_wifi: wifi}}`).") % {
            "max": _MAX_DRIVERS, "n": p, "columns": ", ".join(map(str, ratings.columns))})
    data = np.c_[ratings[complete].to_numpy(), y[complete].to_numpy()]
    seen = (~np.isnan(data)).astype(int)
    n = int((seen.T @ seen).min()) if len(data) else 0
    constant = [name for name, sd in zip([*ratings.columns, score_col], np.nanstd(data, axis=0) if n else [])
                if sd == 0]
    if n <= max(p + 1, min_group_size - 1) or constant:
        raise DataError(_("Key drivers need more than %(minimum)s answers to '%(target)s' that rate every driver, "
                          "with varied answers; found %(n)s such answers%(constant)s. Answers per rating: "
                          "%(answers)s.") % {
            "minimum": format_count(max(p + 1, min_group_size - 1)), "target": score_col, "n": format_count(n),
            "constant": (_(", and the same answer everywhere in %(columns)s") % {"columns": ", ".join(map(str, constant))}
                         if constant else ""),
            "answers": _answer_counts(answered_all.drop(too_few))})
    if pairwise:
        warnings.warn(_("Only %(complete)s of %(answers)s answers rate every driver (respondents rate "
                        "the touchpoints they used), so each correlation uses every answer that rates both of its "
                        "columns; the smallest such base is %(n)s answers.") % {
            "complete": format_count(int((ratings.notna().all(axis=1) & y.notna()).sum())),
            "answers": format_count(answers), "n": format_count(n)}, DataWarning, stacklevel=2)
    row_weights = survey_weights(surveys, weight_col)[complete].to_numpy()
    corr = _weighted_correlations(data, row_weights[None], repair=pairwise)[0]
    if np.linalg.matrix_rank(corr[:p, :p]) < p:
        raise DataError(_("Key drivers cannot tell the ratings %(drivers)s apart: on the %(n)s complete answers one "
                          "is a combination of the others (perfectly collinear); drop the redundant rating.") % {
            "drivers": ", ".join(map(str, ratings.columns)), "n": format_count(n)})
    importance, r2, beta = (values[0] for values in _importance_and_beta(corr[None]))

    clusters = surveys.loc[complete, cluster_col].to_numpy() if cluster_col else None
    order = canonical_order(np.c_[data, row_weights], clusters)
    data, row_weights, clusters = data[order], row_weights[order], (clusters[order] if cluster_col else None)
    boot = [(*_importance_and_beta(_weighted_correlations(data, weights, repair=pairwise)),
             _performance(data[:, :p], weights))
            for weights in (draws * row_weights for draws in bootstrap_weights(
                len(data), clusters=clusters, n_boot=n_boot, random_state=random_state))]
    boot_importance, boot_r2, boot_beta, boot_performance = (np.concatenate(parts) for parts in zip(*boot))
    valid = np.isfinite(boot_importance).all(axis=1)
    boot_rank = np.where(valid[:, None], (-boot_importance).argsort(axis=1).argsort(axis=1) + 1.0, np.nan)
    boot_importance[~valid] = np.nan
    importance_low, importance_high = percentile_interval(boot_importance, level=level)
    rank_low, rank_high = percentile_interval(boot_rank, level=level)
    beta_low, beta_high = percentile_interval(boot_beta, level=level)
    r2_low, r2_high = percentile_interval(boot_r2, level=level)
    performance_low, performance_high = percentile_interval(boot_performance, level=level)

    sign = np.where(beta >= 0, 1.0, -1.0)
    performance = _performance(data[:, :p], row_weights[None])[0]
    table = pd.DataFrame({
        "driver": ratings.columns, "importance": importance, "importance_low": importance_low,
        "importance_high": importance_high, "signed_importance": sign * importance, "share": importance / r2,
        "rank": (-importance).argsort().argsort() + 1, "rank_low": np.floor(rank_low).astype(int),
        "rank_high": np.ceil(rank_high).astype(int), "correlation": corr[:p, p], "beta": beta,
        "beta_low": beta_low, "beta_high": beta_high, "direction": np.where(sign > 0, "positive", "negative"),
        "significant": (beta_low > 0) | (beta_high < 0), "performance": performance,
        "performance_low": performance_low, "performance_high": performance_high,
    })
    important = table["importance"] >= table["importance"].mean()
    performing = table["performance"] >= table["performance"].mean()
    table["quadrant"] = np.select([important & ~performing, important & performing, ~important & ~performing],
                                  QUADRANTS[:3], QUADRANTS[3])
    table["placement"] = _placement(_side(boot_importance, level), _side(boot_performance, level))
    order = table.assign(q=table["quadrant"].map(QUADRANTS.index)).sort_values(["q", "importance"],
                                                                               ascending=[True, False])
    table.loc[order.index, "priority"] = np.arange(1, p + 1)
    table = table.astype({"priority": int}).sort_values("rank", ignore_index=True)
    return KeyDrivers(table, float(r2), float(r2_low), float(r2_high), n, answers,
                      int(len(np.unique(cluster_codes(clusters, len(data))))), left_out, n_boot, level,
                      "shapley_lmg_pairwise" if pairwise else "shapley_lmg", outcome, target)


def _answer_counts(counts: pd.Series) -> str:
    """"rating_a 120, rating_b 4": answers per rating, for a message."""
    return ", ".join(f"{name} {format_count(int(n))}" for name, n in counts.items())
