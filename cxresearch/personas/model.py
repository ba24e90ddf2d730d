"""Buyer personas: a scikit-learn clustering estimator with k selection, stability and profiles.

:class:`PersonaModel` clusters a per-customer feature table (usually
:func:`~cxresearch.features.customer_features`) into personas:

1. **The space** (:mod:`.space`): the *active* columns (``active``; by
   default those missing for at most ``max_missing`` of the customers), each
   variable one block weighted as FAMD does, channel shares as one
   composition in centred log-ratios.
2. **Choosing k** (:mod:`.selection`, ``n_personas="auto"``) on a random
   sample of ``sample_size`` customers: each k in ``k_range`` is fitted
   (down-weighting a variable that carries more than ``max_share`` of the
   separation) and every persona's stability is its mean bootstrap Jaccard
   (Hennig's clusterboot). A k is eligible when every persona reaches
   ``stability_threshold``, is at least ``min_group_size`` large, no variable
   dominates and no two personas mirror each other; among the eligible k whose
   silhouette is within ``score_tolerance`` of the best, the largest whose
   personas are all highly stable (Jaccard 0.85) is chosen, else the most
   stable. When no k is eligible, all customers form one group and
   ``segmentation_`` says why.
3. **Final fit** on all customers, started from the sample's centres.
   Persona ids run 0..k-1 by size (largest first, ties broken by centre), and
   rows are processed in index order, so the same data and seed give the same
   personas whatever the row order.

Profiles, traits, distinctiveness, preferred channels and names are computed
at fit (:mod:`.profiles`, :mod:`.names`); :meth:`PersonaModel.align_to` keeps
ids and names stable across runs (:mod:`.state`).
"""
from __future__ import annotations

import re
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ..columns import OUTCOMES
from ..errors import DataError, DataWarning, ParameterError, did_you_mean
from ..features import REPEAT_ONLY, NoCustomerDataError, customer_features, persona_basis, persona_sources
from ..i18n import N_, _, format_list, format_number
from ..privacy import MIN_GROUP_SIZE
from . import selection
from .names import deduplicate, name_personas, telling_traits, traits_in_words
from .profiles import (correlations, distinctiveness, persona_kpis, persona_outcome, preferred_channels,
                       standardised_differences)
from .selection import column_weights, separation_shares
from .space import SAME_MEASURE, id_like, preprocessor, same_measures, text_encoder
from .state import PersonaState

METHODS = ("kmeans", "gmm")
#: Durations (tenure, recency, days since a date) whose SD is under this share of their mean name no persona: in
#: a cohort all some 500 days old (SD 23), "new" customers are three weeks younger than the rest.
NARROW_SPREAD = 0.1
DURATIONS = re.compile(r".*(tenure|recency|days_since).*")
#: Name of the single group shown when no stable segmentation exists.
ALL_CUSTOMERS = N_("All customers")


class InvalidPersonaParameter(ParameterError, InvalidParameterError):
    """A PersonaModel parameter outside its declared constraints (scikit-learn's wording)."""




class PersonaModel(ClusterMixin, TransformerMixin, BaseEstimator):
    """Cluster customers into buyer personas (see the module docstring for the method).

    Parameters
    ----------
    n_personas : "auto" or int
        Number of personas, or ``"auto"`` to choose it in ``k_range``.
    k_range : (int, int)
        Smallest and largest k tried by ``"auto"`` (inclusive).
    method : {"kmeans", "gmm"}
        K-means, or a Gaussian mixture with diagonal covariances.
    min_group_size : int
        Smallest persona worth describing; cards and charts suppress smaller ones.
    active : list of str, optional
        Columns that shape the personas (segmentation's *active* variables, e.g.
        :func:`~cxresearch.features.persona_basis`); the other columns only
        describe them. Default: every column missing for at most
        ``max_missing`` of the customers.
    max_missing : float
        Largest share of missing values of a default active column (0.5).
    stability_threshold : float
        Bootstrap Jaccard every persona must reach for a k to be eligible; a persona
        under it is marked unstable. (Among eligible k, the largest whose personas all
        reach 0.85, highly stable, is preferred.)
    score_tolerance : float
        Silhouette difference within which fewer personas are preferred.
    n_bootstrap : int
        Bootstrap refits per k for the stability (at least 10 recommended).
    sample_size : int
        Customers sampled for choosing k; the final model uses all of them.
    random_state : int, RandomState or None
        Seed for sampling, bootstrap and clustering.

    Attributes
    ----------
    labels_ : pandas.Series
        Persona id per customer, indexed like ``X``.
    n_personas_ : int
    selection_ : pandas.DataFrame
        Per k: silhouette, stability (mean bootstrap Jaccard of the personas), stability_sd,
        min_stability (the least stable persona's), min_size (smallest persona in the sample),
        top_variable and top_share (0-1) of the separation, mirror_pairs, eligible, chosen.
    stability_ : float
        Mean bootstrap Jaccard of the chosen personas (NaN for one group).
    personas_ : pandas.DataFrame
        Per persona id: name, size, share (0-1), stability, unstable, distinctiveness, top_traits (in words,
        "below-average tenure in months, more often Month-to-Month contract"),
        channels, suppressed and, from :func:`fit_personas` when some persona has answers,
        nps / csat with ``_low``, ``_high``, ``_n`` (a metric nobody answered has no columns) and, when the
        customers have a yes/no outcome (``outcome_``), its share per persona (``outcome_rate`` with
        ``_low``, ``_high``, ``outcome_n``) and how it differs from the other customers (``outcome_vs_rest``,
        ``outcome_p_adjusted``, ``outcome_differs``: :func:`~.profiles.persona_outcome`).
    outcome_ : str or None
        The customers' outcome column (:func:`~cxresearch.outcomes.outcome_column`), set by :func:`fit_personas`.
    separation_ : pandas.Series
        Each variable's share (0-1) of the between-persona sum of squares, largest first.
    segmentation_ : str or None
        The sentence saying why there is no stable segmentation, or None when there is one.
    profiles_ : pandas.DataFrame
        Mean of every feature per persona (text columns as category shares).
    traits_ : pandas.DataFrame
        Standardised mean difference of every feature, persona vs the rest.
    overall_ : pandas.Series
        Mean of every feature over all customers.
    trait_columns_ : pandas.Series
        Per persona id, the columns of its telling traits, strongest first
        (:func:`~.names.telling_traits`): its name, its ``top_traits`` and its card say these. Customer
        outcomes (:data:`~cxresearch.columns.OUTCOMES`) and id-like text columns
        (:func:`~.space.id_like`) are none of them unless the personas were fitted on them.
    correlations_ : pandas.DataFrame
        Correlation of every pair of feature columns (:func:`~.profiles.correlations`): traits that say the
        same thing, or that a stronger trait explains, are named and listed once.
    centroids_ : pandas.DataFrame
        Persona centres in the standardised feature space.
    persona_ids_ : numpy.ndarray
        Persona ids in the column order of :meth:`predict_proba`.
    preprocessor_ : sklearn.compose.ColumnTransformer

    Examples
    --------
    >>> model = PersonaModel(random_state=0).fit(features)  # doctest: +SKIP
    >>> model.personas_[["name", "size", "share"]]          # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "n_personas": [StrOptions({"auto"}), Interval(Integral, 2, None, closed="left")],
        "k_range": [tuple, list],
        "method": [StrOptions(set(METHODS))],
        "min_group_size": [Interval(Integral, 1, None, closed="left")],
        "active": ["array-like", None],
        "max_missing": [Interval(Real, 0, 1, closed="both")],
        "stability_threshold": [Interval(Real, 0, 1, closed="both")],
        "max_share": [Interval(Real, 0, 1, closed="right")],
        "score_tolerance": [Interval(Real, 0, 2, closed="both")],
        "n_bootstrap": [Interval(Integral, 2, None, closed="left")],
        "sample_size": [Interval(Integral, 10, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, n_personas="auto", *, k_range=(3, 8), method="kmeans", min_group_size=MIN_GROUP_SIZE,
                 active=None, max_missing=0.5, stability_threshold=0.6, max_share=0.5, score_tolerance=0.02,
                 n_bootstrap=10, sample_size=5_000, random_state=None):
        self.n_personas = n_personas
        self.k_range = k_range
        self.method = method
        self.min_group_size = min_group_size
        self.active = active
        self.max_missing = max_missing
        self.stability_threshold = stability_threshold
        self.max_share = max_share
        self.score_tolerance = score_tolerance
        self.n_bootstrap = n_bootstrap
        self.sample_size = sample_size
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed
        tags.input_tags.string = True
        return tags

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y=None):
        """Choose the number of personas, fit them and profile them.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_customers, n_features)
            One row per customer; numeric and text columns; NaN allowed.
        y : ignored
        """
        self._check_params()
        frame = self._frame(X, reset=True)
        n = len(frame)
        if n < 2 * self.min_group_size:
            raise ParameterError(
                f"PersonaModel needs at least {2 * self.min_group_size} customers (two personas of "
                f"min_group_size={self.min_group_size}); got n_samples={n}.")
        order = np.argsort(frame.index.to_numpy(), kind="stable")
        ordered = frame.iloc[order]
        rng = check_random_state(self.random_state)

        self.active_ = self._active_columns(frame)
        twins = same_measures(ordered, self.active_)
        if twins and len(twins) < len(self.active_):
            self.active_ = [c for c in self.active_ if c not in twins]
            warnings.warn(_("%(columns)s measure the same as %(twins)s (correlation at least %(r)s): each fact shapes "
                            "the personas once, by the first.") % {
                "columns": format_list(list(twins)), "twins": format_list(sorted(set(twins.values()))),
                "r": format_number(SAME_MEASURE, decimals=2)}, DataWarning, stacklevel=2)
        self.preprocessor_ = preprocessor(ordered[self.active_])
        Z = np.ascontiguousarray(self.preprocessor_.fit_transform(ordered), dtype=float)
        sample = Z[np.sort(rng.choice(n, size=min(n, self.sample_size), replace=False))]
        # customers with few distinct profiles leave k-means fewer distinct clusters than k: such a k has a persona
        # too small or unstable and is not chosen, so scikit-learn's warning, once per refit, says nothing new
        with threadpool_limits(1), warnings.catch_warnings():  # small fits: thread start-up costs more than it saves
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.selection_, references, jaccard, self.weights_ = selection.select(self, sample, rng)
            chosen = self.selection_.index[self.selection_["chosen"]]
            self.segmentation_ = None if len(chosen) else selection.no_segmentation(self, sample, rng)
        k = int(chosen[0]) if len(chosen) else 1
        self.n_personas_ = k
        weights = self.weights_.get(k, pd.Series(dtype=float))
        self.preprocessor_.set_params(transformer_weights=weights.to_dict() or None)
        Z = Z * column_weights(self.preprocessor_, weights)

        self.estimator_ = self._clusterer(k, rng, init=references.get(k)).fit(Z)
        internal = self.estimator_.predict(Z)
        self.cluster_to_id_ = _order_by_size(internal, self._centres(), k)
        labels = np.empty(n, dtype=np.int64)
        labels[order] = self.cluster_to_id_[internal]
        self.labels_ = pd.Series(labels, index=frame.index, name="persona")
        stability = pd.Series(jaccard.get(k, np.full(k, np.nan)), index=self.cluster_to_id_).sort_index()
        self.stability_ = float(stability.mean()) if k > 1 else float("nan")
        self.separation_ = separation_shares(Z, internal, self.preprocessor_) if k > 1 else pd.Series(dtype=float)
        self._describe(frame, stability)
        return self

    def predict(self, X):
        """Persona id of each customer of *X* (a Series indexed like *X*)."""
        Z = self.transform(X)
        internal = self.estimator_.predict(Z)
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.Series(self.cluster_to_id_[internal], index=index, name="persona")

    def predict_proba(self, X):
        """Membership probability per persona (columns in :attr:`persona_ids_` order).

        K-means: softmax of ``-d**2 / 2`` over the squared distances ``d**2`` to
        the persona centres in the standardised space, the posterior of an
        equal-weight, unit-variance Gaussian mixture at those centres.
        Gaussian mixture: its posterior.
        """
        Z = self.transform(X)
        if self.method == "gmm":
            proba = self.estimator_.predict_proba(Z)
        else:
            proba = softmax(-0.5 * self.estimator_.transform(Z) ** 2, axis=1)
        return proba[:, np.argsort(self.cluster_to_id_)]

    # ------------------------------------------------------------ persona ids
    @property
    def persona_ids_(self) -> np.ndarray:
        check_is_fitted(self, "cluster_to_id_")
        return np.sort(self.cluster_to_id_)

    def rename(self, names: dict):
        """Give personas new names, e.g. ``model.rename({0: "Weekend app shoppers"})``.

        Names must be non-empty and stay unique. Returns the model.
        """
        check_is_fitted(self, "personas_")
        unknown = sorted(set(names) - set(self.personas_.index))
        if unknown:
            raise ParameterError(f"unknown persona id(s) {unknown}; valid ids are {self.personas_.index.tolist()}.")
        blank = [pid for pid, name in names.items() if not str(name).strip()]
        if blank:
            raise ParameterError(f"persona names must not be empty; got empty names for ids {blank}.")
        renamed = self.personas_["name"].copy()
        renamed.loc[list(names)] = [str(name).strip() for name in names.values()]
        duplicated = sorted(set(renamed[renamed.duplicated()]))
        if duplicated:
            raise ParameterError(f"persona names must be unique; {duplicated} would be used twice.")
        self.personas_ = self.personas_.assign(name=renamed)
        return self

    def align_to(self, previous: "PersonaModel | PersonaState"):
        """Give personas the ids and names of the matching personas of a previous run.

        *previous* is the earlier fitted model or its :class:`PersonaState`
        (what a run saves for the next one).

        Personas are matched on their mean features divided by the previous
        run's standard deviation of each feature, on the features that shaped
        this run's personas (all shared features when none is shared: the
        dozens that only describe personas, such as journey reach and
        ratings, made the same segments of the next period look new), with the
        Hungarian algorithm. A matched pair is the same persona when its
        distance is under half the distance from the previous persona to its
        nearest other previous persona. Other personas are new (they get the
        next free ids) or vanished. :attr:`alignment_` lists each persona with
        its status ("kept", "new", "vanished") and distance. Returns the model.
        """
        check_is_fitted(self, "personas_")
        previous = previous if isinstance(previous, PersonaState) else PersonaState.of(previous)
        shared = self.profiles_.columns.intersection(previous.profiles.columns)
        if shared.empty:
            raise ParameterError("the two models share no feature; align_to needs models fitted on the same features.")
        shaping = shared[[str(c).split("=")[0] in self.active_ for c in shared]]
        shared = shaping if len(shaping) else shared
        scale = previous.scale[shared].where(previous.scale[shared] > 0, 1.0)
        fill = previous.overall[shared] / scale
        mine = (self.profiles_[shared] / scale).fillna(fill)
        theirs = (previous.profiles[shared] / scale).fillna(fill)
        cost = cdist(mine.to_numpy(), theirs.to_numpy())
        spacing = cdist(theirs.to_numpy(), theirs.to_numpy()) + np.diag(np.full(len(theirs), np.inf))
        rows, cols = linear_sum_assignment(cost)
        kept = cost[rows, cols] < 0.5 * spacing.min(axis=1)[cols]
        kept_ids, previous_ids = mine.index[rows[kept]], theirs.index[cols[kept]]
        new_ids = self.personas_.index.difference(kept_ids, sort=False)
        first_free = int(previous.personas.index.max()) + 1
        mapping = dict(zip(kept_ids, previous_ids)) | {pid: first_free + i for i, pid in enumerate(new_ids)}

        names = pd.concat([previous.personas["name"].loc[previous_ids].set_axis(kept_ids),
                           self.personas_["name"].loc[new_ids]])
        self._relabel(mapping, deduplicate(names))
        vanished = previous.personas.index.difference(previous_ids)
        self.alignment_ = pd.DataFrame({
            "persona": pd.array([*previous_ids, *(mapping[p] for p in new_ids), *[None] * len(vanished)], "Int64"),
            "previous_id": pd.array([*previous_ids, *[None] * len(new_ids), *vanished], "Int64"),
            "name": [*self.personas_["name"].loc[[*previous_ids, *(mapping[p] for p in new_ids)]],
                     *previous.personas["name"].loc[vanished]],
            "status": ["kept"] * len(previous_ids) + ["new"] * len(new_ids) + ["vanished"] * len(vanished),
            "distance": [*cost[rows[kept], cols[kept]], *[np.nan] * (len(new_ids) + len(vanished))],
        })
        return self

    # --------------------------------------------------------------- internals
    def _check_params(self):
        """Parameters against :attr:`_parameter_constraints` (scikit-learn's checks and wording), then k_range."""
        try:
            self._validate_params()
        except InvalidParameterError as error:
            raise InvalidPersonaParameter(str(error)) from None
        k_range = tuple(self.k_range)
        if not (len(k_range) == 2 and all(isinstance(v, Integral) and not isinstance(v, bool) for v in k_range)
                and 2 <= k_range[0] <= k_range[1]):
            raise InvalidPersonaParameter(f"The 'k_range' parameter of PersonaModel must be a pair (low, high) of "
                                          f"integers with 2 <= low <= high. Got {self.k_range!r} instead.")

    def _active_columns(self, frame: pd.DataFrame) -> list[str]:
        if self.active is None:
            missing = frame.isna().mean()
            return [c for c in frame.columns if missing[c] <= self.max_missing]
        active = [str(c) for c in self.active]
        unknown = [c for c in active if c not in frame.columns]
        if unknown:
            raise ParameterError(f"active columns {unknown} are not in X; X has {list(frame.columns)}."
                                 + did_you_mean(unknown[0], frame.columns))
        if not active:
            raise ParameterError("active must name at least one column of X; got an empty list.")
        return active

    def _frame(self, X, *, reset: bool) -> pd.DataFrame:
        """*X* as a DataFrame with string column names, checked like scikit-learn does."""
        if isinstance(X, pd.DataFrame):
            validate_data(self, X, skip_check_array=True, reset=reset)
            numeric = X.select_dtypes("number")
            check_array(numeric.to_numpy(dtype=float), ensure_all_finite="allow-nan", ensure_min_samples=1,
                        ensure_min_features=0, input_name="X")
            dates = X.select_dtypes(include=["datetime", "datetimetz", "timedelta"]).columns.tolist()
            if dates:
                raise DataError(f"columns {dates} hold dates or durations; expected numbers or text "
                                "(turn dates into ages in days, as customer_features does).")
            frame = X.rename(columns=str)
        else:
            array = check_array(X, ensure_all_finite="allow-nan", dtype="numeric")
            validate_data(self, array, skip_check_array=True, reset=reset)
            columns = [f"x{i}" for i in range(array.shape[1])] if reset else self.columns_
            frame = pd.DataFrame(array, columns=columns)
        if reset:
            self.columns_ = list(frame.columns)
        return frame

    def transform(self, X) -> np.ndarray:
        """*X* in the personas' space (the standardised, weighted space the personas are centres of).

        Returns an array of shape (n_customers, n_columns), columns named by
        ``preprocessor_.get_feature_names_out()`` as :attr:`centroids_` is.
        """
        check_is_fitted(self, "estimator_")
        return np.asarray(self.preprocessor_.transform(self._frame(X, reset=False)), dtype=float)

    def _clusterer(self, k: int, rng, *, init=None, n_init: int = 3):
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.method == "gmm":
            return GaussianMixture(k, covariance_type="diag", reg_covar=1e-3, means_init=init, n_init=1 if init is not
                                   None else max(1, n_init // 3), random_state=seed)
        if init is None:
            return KMeans(k, n_init=n_init, random_state=seed)
        return KMeans(k, init=init, n_init=1, random_state=seed)

    def _centres(self) -> np.ndarray:
        return self.estimator_.means_ if self.method == "gmm" else self.estimator_.cluster_centers_

    def _describe(self, frame: pd.DataFrame, stability: pd.Series):
        """Profiles, traits, stability, distinctiveness, KPIs and names of the fitted personas."""
        labels = self.labels_.to_numpy()
        ids = np.sort(self.cluster_to_id_)
        numeric = frame.select_dtypes("number").astype(float)
        # ids and codes say nothing of a persona ("40dec9f3... landing page id") unless they shaped it
        text = [c for c in frame.columns if c not in numeric.columns and (c in self.active_ or not id_like(frame[c]))]
        blocks = [numeric]
        if text:
            encoder = text_encoder().fit(frame[text])
            blocks.append(pd.DataFrame(encoder.transform(frame[text]), index=frame.index,
                                       columns=encoder.get_feature_names_out()))
        values = pd.concat(blocks, axis=1)
        self.profiles_ = values.groupby(labels).mean().reindex(ids).rename_axis("persona")
        self.traits_ = standardised_differences(values, labels).reindex(ids).rename_axis("persona")
        self.overall_ = values.mean()
        self.scale_ = values.std()
        self.centroids_ = pd.DataFrame(self._centres()[np.argsort(self.cluster_to_id_)],
                                       index=pd.Index(ids, name="persona"),
                                       columns=self.preprocessor_.get_feature_names_out())

        size = pd.Series(np.bincount(labels, minlength=ids.max() + 1)[ids], index=self.profiles_.index)
        suppressed = size < self.min_group_size
        similar = self.correlations_ = correlations(values)
        # frequency, recency, tenure and purchases that did not shape the personas (customers do not come back)
        # only say when one-visit customers came: they do not name personas; nor does how the customers' story
        # ended (churned, subscribed: columns.OUTCOMES), which the cards report as an outcome rate; nor a duration
        # all customers share within a few percent
        narrow = self.scale_ < NARROW_SPREAD * self.overall_.abs()
        untold = [c for c in self.traits_.columns if (c.split("=")[0] not in self.active_
                  and (REPEAT_ONLY.match(str(c)) or OUTCOMES.match(c.split("=")[0])))
                  or (DURATIONS.fullmatch(c) and narrow[c])]
        named = self.traits_.drop(columns=untold)
        self.trait_columns_ = named.apply(telling_traits, axis=1, similar=similar)
        names = (name_personas(named, self.profiles_, suppressed, similar) if len(ids) > 1
                 else pd.Series(_(ALL_CUSTOMERS), index=self.profiles_.index))
        words = pd.Series({pid: traits_in_words(named.loc[pid], self.trait_columns_[pid]) for pid in ids})
        table = pd.DataFrame({"name": names, "size": size, "share": size / size.sum(),
                              "stability": stability.to_numpy(),
                              "unstable": (stability < self.stability_threshold).to_numpy(),
                              "distinctiveness": self.traits_.apply(distinctiveness, axis=1),
                              "top_traits": words if len(ids) > 1 else "",   # one group: no others to differ from
                              "channels": self.profiles_.apply(preferred_channels, axis=1),
                              "suppressed": suppressed})
        described = table.columns.difference(["name", "size", "share", "stability", "unstable", "suppressed"])
        table.loc[suppressed, described] = np.nan
        self.personas_ = table

    def _relabel(self, mapping: dict, names: pd.Series):
        """Rename persona ids with *mapping* (old id -> new id) and set *names* (indexed by old id)."""
        lookup = pd.Series(mapping)
        self.cluster_to_id_ = lookup.loc[self.cluster_to_id_].to_numpy()
        self.labels_ = self.labels_.map(lookup).astype(np.int64)
        personas = self.personas_.assign(name=names.loc[self.personas_.index])
        for attr, table in (("personas_", personas), ("profiles_", self.profiles_), ("traits_", self.traits_),
                            ("centroids_", self.centroids_), ("trait_columns_", self.trait_columns_)):
            setattr(self, attr, table.rename(index=mapping).sort_index())



def fit_personas(ds, *, n_personas="auto", random_state=None, min_group_size: int = MIN_GROUP_SIZE,
                 previous: "PersonaModel | PersonaState | None" = None, **params) -> tuple[pd.DataFrame, PersonaModel]:
    """Customer features of *ds* and the personas fitted on them, the standard way.

    The personas are shaped by the :func:`~cxresearch.features.persona_basis`
    columns (all columns when the data has none of them) and, when *previous*
    is given, aligned to that earlier run's ids and names.

    Returns
    -------
    features : pandas.DataFrame
        :func:`~cxresearch.features.customer_features` of *ds*.
    model : PersonaModel
        The fitted model; other keyword arguments are passed to it.

    Raises
    ------
    NoCustomerDataError
        When the dataset cannot give personas: no per-customer table, fewer
        than ``2 * min_group_size`` customers, or no attribute that varies
        between them. ``str(error)`` is one sentence to show on the page.
    """
    features = customer_features(ds)
    varying = features.columns[features.nunique() > 1]
    if len(features) < 2 * min_group_size:
        raise NoCustomerDataError(
            f"No personas: {len(features)} customers found ({', '.join(persona_sources(ds))}); "
            f"at least {2 * min_group_size} are needed for two personas of {min_group_size}.")
    if varying.empty:
        raise NoCustomerDataError(
            f"No personas: the {len(features)} customers ({', '.join(persona_sources(ds))}) share every "
            "feature; add attributes to the customers table, events, or surveys or reviews with a customer_id.")
    model = PersonaModel(n_personas, active=persona_basis(features) or None, min_group_size=min_group_size,
                         random_state=random_state, **params).fit(features)
    if previous is not None:
        model.align_to(previous)
    kpis = persona_kpis(ds.surveys, model.labels_, min_group_size).reindex(model.personas_.index)
    answered = {column.split("_")[0] for column in kpis.columns[kpis.notna().any()]}
    kpis = kpis[[column for column in kpis.columns if column.split("_")[0] in answered]]  # no empty NPS/CSAT columns
    model.personas_ = model.personas_.drop(columns=kpis.columns, errors="ignore").join(kpis)
    model.outcome_, rates = persona_outcome(ds.customers, model.labels_, min_group_size)
    if model.outcome_ is not None and model.n_personas_ > 1:   # one group: nothing to compare it with
        model.personas_ = model.personas_.join(rates.reindex(model.personas_.index))
    return features, model



def _order_by_size(internal: np.ndarray, centres: np.ndarray, k: int) -> np.ndarray:
    """Persona id of each internal cluster: 0 for the largest, ties broken by centre coordinates."""
    sizes = np.bincount(internal, minlength=k)
    order = np.lexsort(np.vstack([centres.T[::-1], -sizes]))
    ids = np.empty(k, dtype=np.int64)
    ids[order] = np.arange(k)
    return ids

