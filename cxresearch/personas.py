"""Buyer personas: a scikit-learn clustering estimator with k selection, stability and profiles.

:class:`PersonaModel` clusters a per-customer feature table (usually
:func:`~cxresearch.features.customer_features`) into personas:

1. **Preprocessing** (inside the model, a ``ColumnTransformer``) of the
   *active* columns (``active``; by default those missing for at most half the
   customers, so sparse survey answers describe personas without splitting
   customers into "answered" and "did not answer"): numeric
   columns get the median for missing values, skewed non-negative ones
   (skewness > 1) are log-scaled, all are standardised; every numeric column
   with gaps also gets a 0/1 missing-indicator column; text columns are
   one-hot encoded (rare categories grouped).
2. **Choosing k** (``n_personas="auto"``) on a fixed-size random sample of
   ``sample_size`` customers: for each k in ``k_range`` the sample is clustered
   and scored with silhouette, Calinski-Harabasz and Davies-Bouldin, and its
   *stability* is the mean adjusted Rand index between that clustering and
   ``n_bootstrap`` refits on bootstrap resamples. A k is *eligible* when its
   stability is at least ``stability_threshold`` (0.75) and every persona has
   ``min_group_size`` members in the sample. Among eligible k the rule takes the
   **smallest k whose silhouette is within** ``score_tolerance`` (0.015) **of
   the best**, so fewer personas win when the scores cannot tell them apart
   (a silhouette on a 10k sample lies within about 0.015 of the full-data one).
   When no k is eligible the most stable one is taken with an
   :class:`UnstablePersonasWarning`.
3. **Final fit** on all customers, started from the sample's centroids.
   Persona ids run 0..k-1 by size (largest first, ties broken by centroid), and
   rows are processed in index order, so the same data and seed give the same
   personas whatever the row order.

Profiles, traits (mean differences vs the other customers, in SDs of all customers),
preferred channels, NPS/CSAT with confidence intervals and readable names are
computed at fit; :meth:`PersonaModel.align_to` keeps ids and names stable
across runs; :func:`persona_card` renders a self-contained HTML card.
"""
from __future__ import annotations

import html
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .errors import CXResearchWarning, DataError, ParameterError, SmallGroupWarning, did_you_mean
from .features import NoCustomerDataError, customer_features, feature_group, persona_basis, persona_sources
from .privacy import MIN_GROUP_SIZE, redact_pii
from .stats import kpi_summary

__all__ = ["PersonaModel", "PersonaCard", "PersonaState", "PersonaStateWarning", "UnstablePersonasWarning",
           "NoCustomerDataError", "fit_personas", "persona_card",
           "representative_quotes", "projection_data", "feature_label"]

METHODS = ("kmeans", "gmm")
SKEW_THRESHOLD = 1.0
MAX_CATEGORIES = 12
#: Added to every channel share before the log-ratio, so a channel never or once used is a small share, not log(0).
SHARE_FLOOR = 0.1
#: Name of the variable made of all channel shares.
CHANNEL_MIX = "channel mix"
#: Customers the silhouette is computed on (a sample of the selection sample: it costs n squared).
SILHOUETTE_SAMPLE = 3000
#: K-means starts of each candidate's reference fit (its bootstrap refits use 3).
REFERENCE_STARTS = 10
#: Bootstrap Jaccard from which Hennig calls a cluster highly stable.
HIGHLY_STABLE = 0.85
#: How far above the cap a variable's share may end after down-weighting (the personas move as weights change).
SHARE_SLACK = 0.05
#: Most rounds of down-weighting a variable that dominates the separation.
BALANCE_ROUNDS = 4
#: Two personas are mirror images when their centres point in nearly opposite directions.
MIRROR_COSINE = 0.95
#: Name of the single group shown when no stable segmentation exists.
ALL_CUSTOMERS = "All customers"


class UnstablePersonasWarning(CXResearchWarning):
    """No candidate number of personas reached the stability threshold."""


class PersonaStateWarning(CXResearchWarning):
    """The previous run's personas could not be read: this run's personas are not aligned to them."""


class PersonaModel(ClusterMixin, BaseEstimator):
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
        Mean bootstrap ARI below which a k is not chosen.
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
        Per k: silhouette, calinski_harabasz, davies_bouldin, stability (mean bootstrap ARI),
        stability_sd, min_size (smallest persona in the sample), eligible, chosen.
    stability_ : float
        Stability (mean bootstrap ARI) of the chosen k.
    personas_ : pandas.DataFrame
        Per persona id: name, size, share, top_traits, channels, suppressed and,
        when the features have them, nps / csat with ``_low``, ``_high``, ``_n``.
    profiles_ : pandas.DataFrame
        Mean of every feature per persona (text columns as category shares).
    traits_ : pandas.DataFrame
        Standardised mean difference of every feature, persona vs the rest.
    overall_ : pandas.Series
        Mean of every feature over all customers.
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
        self._validate_params()
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
        self.preprocessor_ = _preprocessor(ordered[self.active_]).fit(ordered)
        Z = np.ascontiguousarray(self.preprocessor_.transform(ordered), dtype=float)
        sample = Z[np.sort(rng.choice(n, size=min(n, self.sample_size), replace=False))]
        with threadpool_limits(1):  # small fits: thread start-up costs more than it saves
            self.selection_, references, jaccard = self._select(sample, rng)
            chosen = self.selection_.index[self.selection_["chosen"]]
            self.segmentation_ = None if len(chosen) else self._no_segmentation(sample, rng)
        k = int(chosen[0]) if len(chosen) else 1
        self.n_personas_ = k
        weights = self.weights_.get(k, pd.Series(dtype=float))
        self.preprocessor_.set_params(transformer_weights=weights.to_dict() or None)
        Z = Z * self._column_weights(weights)

        self.estimator_ = self._clusterer(k, rng, init=references.get(k)).fit(Z)
        internal = self.estimator_.predict(Z)
        self.cluster_to_id_ = _order_by_size(internal, self._centres(), k)
        labels = np.empty(n, dtype=np.int64)
        labels[order] = self.cluster_to_id_[internal]
        self.labels_ = pd.Series(labels, index=frame.index, name="persona")
        stability = pd.Series(jaccard.get(k, np.full(k, np.nan)), index=self.cluster_to_id_).sort_index()
        self.stability_ = float(stability.mean()) if k > 1 else float("nan")
        self.separation_ = _separation_shares(Z, internal, self.preprocessor_) if k > 1 else pd.Series(dtype=float)
        self._describe(frame, stability)
        return self

    def predict(self, X):
        """Persona id of each customer of *X* (a Series indexed like *X*)."""
        Z = self._transform(X)
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
        Z = self._transform(X)
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
        run's standard deviation of each feature (the shared standardised
        feature space), with the Hungarian algorithm. A matched pair is the same
        persona when its distance is under half the distance from the previous
        persona to its nearest other previous persona. Other personas are new
        (they get the next free ids) or vanished. :attr:`alignment_` lists each
        persona with its status ("kept", "new", "vanished") and distance.
        Returns the model.
        """
        check_is_fitted(self, "personas_")
        previous = previous if isinstance(previous, PersonaState) else PersonaState.of(previous)
        shared = self.profiles_.columns.intersection(previous.profiles.columns)
        if shared.empty:
            raise ParameterError("the two models share no feature; align_to needs models fitted on the same features.")
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
        self._relabel(mapping, _deduplicate(names))
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
    def _validate_params(self):
        if not (self.n_personas == "auto" or (isinstance(self.n_personas, (int, np.integer))
                                              and not isinstance(self.n_personas, bool) and self.n_personas >= 2)):
            raise ParameterError(f"n_personas must be 'auto' or an integer >= 2; got {self.n_personas!r}.")
        if self.method not in METHODS:
            raise ParameterError(f"method must be one of {', '.join(map(repr, METHODS))}; got {self.method!r}.")
        k_range = tuple(self.k_range) if isinstance(self.k_range, (tuple, list)) else ()
        if not (len(k_range) == 2 and all(isinstance(v, (int, np.integer)) for v in k_range)
                and 2 <= k_range[0] <= k_range[1]):
            raise ParameterError(f"k_range must be a pair (low, high) of integers with 2 <= low <= high; "
                                 f"got {self.k_range!r}.")
        for name, value, smallest in (("min_group_size", self.min_group_size, 1), ("n_bootstrap", self.n_bootstrap, 2),
                                      ("sample_size", self.sample_size, 10)):
            if not isinstance(value, (int, np.integer)) or value < smallest:
                raise ParameterError(f"{name} must be an integer >= {smallest}; got {value!r}.")
        if not 0 <= self.max_missing <= 1:
            raise ParameterError(f"max_missing must lie between 0 and 1; got {self.max_missing!r}.")
        if self.active is not None and (isinstance(self.active, str) or not np.iterable(self.active)):
            raise ParameterError(f"active must be a list of column names or None; got {self.active!r}.")
        if not 0 < self.max_share <= 1:
            raise ParameterError(f"max_share must lie in (0, 1]; got {self.max_share!r}.")
        if not 0 <= self.score_tolerance <= 2:
            raise ParameterError(f"score_tolerance must lie between 0 and 2; got {self.score_tolerance!r}.")
        if not 0 <= self.stability_threshold <= 1:
            raise ParameterError(f"stability_threshold must lie between 0 and 1; got {self.stability_threshold!r}.")

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

    def _transform(self, X) -> np.ndarray:
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

    def _select(self, sample: np.ndarray, rng) -> tuple[pd.DataFrame, dict, dict]:
        """Score every candidate k on *sample*.

        Returns the selection table, the centres per k (to start the final fit)
        and the bootstrap Jaccard of each cluster per k (in the centres' order).
        """
        n = len(sample)
        if self.n_personas == "auto":
            low, high = self.k_range
            candidates = list(range(low, min(high, n // self.min_group_size) + 1)) or [low]
        else:
            candidates = [int(self.n_personas)]
        if candidates[-1] >= n:
            raise ParameterError(f"n_personas={candidates[-1]} needs more than {n} customers; got n_samples={n}.")
        rows, references, jaccards, self.weights_ = [], {}, {}, {}
        for k in candidates:
            weights, reference, labels, shares = self._balanced_fit(sample, k, rng)
            weighted = sample * self._column_weights(weights)
            references[k] = reference.means_ if self.method == "gmm" else reference.cluster_centers_
            jaccards[k] = _bootstrap_jaccard(weighted, labels, k, lambda: self._clusterer(k, rng), self.n_bootstrap,
                                             rng)
            self.weights_[k] = weights
            found = np.unique(labels).size
            rows.append({
                "k": k,
                "silhouette": (silhouette_score(weighted, labels, sample_size=min(n, SILHOUETTE_SAMPLE),
                                                random_state=rng.randint(2**31 - 1)) if 1 < found < n else np.nan),
                "stability": float(jaccards[k].mean()),
                "stability_sd": float(jaccards[k].std()),
                "min_stability": float(jaccards[k].min()),
                "min_size": int(np.bincount(labels, minlength=k).min()),
                "top_variable": shares.index[0] if len(shares) else "",
                "top_share": float(shares.iloc[0]) if len(shares) else np.nan,
                "mirror_pairs": _mirror_pairs(references[k] - weighted.mean(axis=0)) if k > 2 else 0,
            })
        table = pd.DataFrame(rows).set_index("k")
        table.attrs["kinds"] = {"top_share": "share", "mirror_pairs": "count", "min_size": "count"}
        table["eligible"] = ((table["min_stability"] >= self.stability_threshold)
                             & (table["min_size"] >= self.min_group_size)
                             & ~(table["top_share"] > self._share_cap() + SHARE_SLACK) & (table["mirror_pairs"] == 0))
        table["chosen"] = False
        chosen = self._choose(table)
        if chosen is not None:
            table.loc[chosen, "chosen"] = True
        return table, references, jaccards

    def _balanced_fit(self, sample: np.ndarray, k: int, rng):
        """Fit k personas on *sample*, down-weighting any variable that carries more than ``max_share``
        of the separation (at most :data:`BALANCE_ROUNDS` times).

        A variable of weight *w* has *w* squared times its between-persona sum of
        squares; the weight that brings its share from *s* to ``max_share`` *m*
        (the personas unchanged) is ``sqrt(m (1 - s) / ((1 - m) s))``.
        Returns the weights per variable, the fitted clusterer, the labels of
        *sample* and the variables' shares of the separation.
        """
        weights = pd.Series(1.0, index=list(self.preprocessor_.output_indices_))
        m = self._share_cap()
        for _ in range(BALANCE_ROUNDS):
            weighted = sample * self._column_weights(weights)
            reference = self._clusterer(k, rng, n_init=REFERENCE_STARTS).fit(weighted)
            labels = reference.predict(weighted)
            shares = _separation_shares(weighted, labels, self.preprocessor_)
            top = shares.iloc[0] if len(shares) else 0.0
            if top <= m or m >= 1:
                break
            weights[shares.index[0]] *= 0.98 * np.sqrt(m * (1 - top) / ((1 - m) * top))
        return weights, reference, labels, shares

    def _share_cap(self) -> float:
        """Largest share of the separation one variable may carry: ``max_share``, but at least
        twice an equal share (with two variables one of them always carries half or more)."""
        n_variables = sum(part.stop > part.start for part in self.preprocessor_.output_indices_.values())
        return max(self.max_share, min(1.0, 2 / max(n_variables, 1)))

    def _column_weights(self, weights: pd.Series) -> np.ndarray:
        """The weight of each column of the model's space, from the weight of each variable."""
        columns = np.ones(max(part.stop for part in self.preprocessor_.output_indices_.values()))
        for name, part in self.preprocessor_.output_indices_.items():
            columns[part] = weights.get(name, 1.0)
        return columns

    def _choose(self, table: pd.DataFrame) -> int | None:
        """The chosen k (see the module docstring), or None when no k of an automatic choice is eligible."""
        eligible = table[table["eligible"]]
        if self.n_personas != "auto":
            k = int(table.index[0])
            if eligible.empty:
                row = table.loc[k]
                unstable = "" if row["min_stability"] >= self.stability_threshold else (
                    f"its least stable persona reappears with Jaccard {row['min_stability']:.2f} "
                    f"< {self.stability_threshold} in resamples")
                dominated = "" if not row["top_share"] > self._share_cap() + SHARE_SLACK else (
                    f"{feature_label(row['top_variable'])} carries {row['top_share']:.0%} of the separation")
                reasons = "; ".join(r for r in (unstable, dominated,
                                                "some personas mirror each other" * bool(row["mirror_pairs"]),
                                                f"its smallest persona has {row['min_size']} customers in the sample"
                                                * bool(row["min_size"] < self.min_group_size)) if r)
                warnings.warn(f"k={k} has stability {row['stability']:.2f} ({reasons}); the personas marked "
                              "unstable may not be reproducible.", UnstablePersonasWarning, stacklevel=4)
            return k
        if eligible.empty:
            return None
        silhouette = eligible["silhouette"].fillna(-1)
        separated = eligible[silhouette >= silhouette.max() - self.score_tolerance]
        strong = separated[separated["min_stability"] >= HIGHLY_STABLE]
        return int(strong.index.max()) if len(strong) else int(eligible["stability"].idxmax())

    def _no_segmentation(self, sample: np.ndarray, rng) -> str:
        """The sentence saying that no k in the range is stable, and along what the data splits instead."""
        low, high = self.k_range
        tried = self.selection_
        best = int(tried["min_stability"].idxmax())
        why = (f"no number of personas from {low} to {high} gives personas that all reappear in resamples "
               f"(best: {best} personas, least stable {tried.loc[best, 'min_stability']:.2f}"
               f"{', largest variable share ' + format(tried.loc[best, 'top_share'], '.0%') if tried.loc[best, 'top_share'] > self._share_cap() + SHARE_SLACK else ''})")
        labels = self._clusterer(2, rng).fit(sample).predict(sample)
        jaccard = _bootstrap_jaccard(sample, labels, 2, lambda: self._clusterer(2, rng), self.n_bootstrap, rng)
        shares = _separation_shares(sample, labels, self.preprocessor_)
        if jaccard.min() < self.stability_threshold or shares.empty:
            sentence = f"No stable segmentation: {why}, and the customers form no distinct groups on these features."
        else:
            along = shares.index[:max(1, int((shares.cumsum() < 0.6).sum()) + 1)][:3]
            sentence = (f"No stable segmentation: the data splits only along {' and '.join(map(feature_label, along))} "
                        f"({shares[along].sum():.0%} of the separation of a two-way split); {why}.")
        warnings.warn(sentence + " All customers are shown as one group.", UnstablePersonasWarning, stacklevel=4)
        return sentence

    def _describe(self, frame: pd.DataFrame, stability: pd.Series):
        """Profiles, traits, stability, distinctiveness, KPIs and names of the fitted personas."""
        labels = self.labels_.to_numpy()
        ids = np.sort(self.cluster_to_id_)
        numeric = frame.select_dtypes("number").astype(float)
        text = [c for c in frame.columns if c not in numeric.columns]
        blocks = [numeric]
        if text:
            encoder = _text_encoder().fit(frame[text])
            blocks.append(pd.DataFrame(encoder.transform(frame[text]), index=frame.index,
                                       columns=encoder.get_feature_names_out()))
        values = pd.concat(blocks, axis=1)
        self.profiles_ = values.groupby(labels).mean().reindex(ids).rename_axis("persona")
        self.traits_ = _standardised_differences(values, labels).reindex(ids).rename_axis("persona")
        self.overall_ = values.mean()
        self.scale_ = values.std()
        self.centroids_ = pd.DataFrame(self._centres()[np.argsort(self.cluster_to_id_)],
                                       index=pd.Index(ids, name="persona"),
                                       columns=self.preprocessor_.get_feature_names_out())

        size = pd.Series(np.bincount(labels, minlength=ids.max() + 1)[ids], index=self.profiles_.index)
        suppressed = size < self.min_group_size
        names = (_name_personas(self.traits_, self.profiles_, suppressed) if len(ids) > 1
                 else pd.Series(ALL_CUSTOMERS, index=self.profiles_.index))
        table = pd.DataFrame({"name": names, "size": size, "share": size / size.sum(),
                              "stability": stability.to_numpy(),
                              "unstable": (stability < self.stability_threshold).to_numpy(),
                              "distinctiveness": self.traits_.apply(_distinctiveness, axis=1),
                              "top_traits": self.traits_.apply(_top_traits, axis=1),
                              "channels": self.profiles_.apply(_preferred_channels, axis=1),
                              "suppressed": suppressed})
        table.attrs["kinds"] = {"stability": "score", "unstable": "flag", "distinctiveness": "score"}
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
                            ("centroids_", self.centroids_)):
            setattr(self, attr, table.rename(index=mapping).sort_index().rename_axis("persona"))


@dataclass(frozen=True)
class PersonaState:
    """What a later run needs of fitted personas to keep their ids and names, in plain files.

    Written by :meth:`files` as ``persona_model.json`` (format version, ids,
    names, sizes, each feature's mean and SD over all customers) and two
    Parquet tables (``persona_profiles.parquet``: mean of every feature per
    persona; ``persona_centroids.parquet``: persona centres in the model's
    space); read back by :meth:`read`. Nothing in them runs code when read,
    and they outlive library upgrades. :meth:`PersonaModel.align_to` takes a
    state as well as a model.

    Attributes
    ----------
    personas : pandas.DataFrame
        name, size, share per persona id.
    profiles, centroids : pandas.DataFrame
        Per persona id, as :attr:`PersonaModel.profiles_` and :attr:`PersonaModel.centroids_`.
    overall, scale : pandas.Series
        Mean and standard deviation of every feature over all customers.
    """

    personas: pd.DataFrame
    profiles: pd.DataFrame
    centroids: pd.DataFrame
    overall: pd.Series
    scale: pd.Series

    FORMAT = "cxresearch persona state"
    VERSION = 1
    FILES = ("persona_model.json", "persona_profiles.parquet", "persona_centroids.parquet")

    @classmethod
    def of(cls, model: PersonaModel) -> "PersonaState":
        """The state of a fitted *model*."""
        check_is_fitted(model, "personas_")
        return cls(personas=model.personas_[["name", "size", "share"]], profiles=model.profiles_,
                   centroids=model.centroids_, overall=model.overall_, scale=model.scale_)

    def files(self) -> dict[str, bytes]:
        """File name -> content of the three files of the state."""
        features = list(self.profiles.columns)
        meta = {"format": self.FORMAT, "version": self.VERSION,
                "personas": {"id": [int(i) for i in self.personas.index], "name": self.personas["name"].tolist(),
                             "size": [int(v) for v in self.personas["size"]],
                             "share": [float(v) for v in self.personas["share"]]},
                "features": features,
                "overall": _plain(self.overall.reindex(features)), "scale": _plain(self.scale.reindex(features))}
        json_name, profiles_name, centroids_name = self.FILES
        return {json_name: (json.dumps(meta, indent=1) + "\n").encode(),
                profiles_name: _parquet(self.profiles), centroids_name: _parquet(self.centroids)}

    @classmethod
    def read(cls, folder) -> "PersonaState | None":
        """The state saved in *folder*, or None when there is none or it cannot be read.

        An unreadable state (damaged, truncated, another format) gives a
        :class:`PersonaStateWarning` naming the file and the reason; so does a
        state saved only as the pickle of older versions, which is never loaded.
        """
        folder = Path(folder)
        json_name, profiles_name, centroids_name = cls.FILES
        if not (folder / json_name).is_file():
            if (folder / "persona_model.pkl").is_file():
                warnings.warn(f"the previous run ({folder.name}) saved its personas as a pickle, which is not "
                              "read (it could run code); this run's personas are not aligned to it.",
                              PersonaStateWarning, stacklevel=2)
            return None
        try:
            meta = json.loads((folder / json_name).read_text(encoding="utf-8"))
            if meta.get("format") != cls.FORMAT or meta.get("version") != cls.VERSION:
                raise ValueError(f"format {meta.get('format')!r} version {meta.get('version')!r}, "
                                 f"expected {cls.FORMAT!r} version {cls.VERSION}")
            ids = pd.Index(meta["personas"]["id"], name="persona", dtype="int64")
            personas = pd.DataFrame({key: meta["personas"][key] for key in ("name", "size", "share")}, index=ids)
            features = pd.Index(meta["features"], dtype="str")
            profiles = pd.read_parquet(folder / profiles_name)
            centroids = pd.read_parquet(folder / centroids_name)
            for name, table in ((profiles_name, profiles), (centroids_name, centroids)):
                if not table.index.equals(ids):
                    raise ValueError(f"{name} lists personas {table.index.tolist()}, expected {ids.tolist()}")
            if not profiles.columns.equals(features):
                raise ValueError(f"{profiles_name} has other features than {json_name}")
            state = cls(personas=personas, profiles=profiles.astype(float), centroids=centroids.astype(float),
                        overall=pd.Series(meta["overall"], index=features, dtype=float),
                        scale=pd.Series(meta["scale"], index=features, dtype=float))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            warnings.warn(f"the previous run's personas in {folder.name} could not be read ({error}); this run's "
                          "personas are not aligned to them: ids and names start afresh.",
                          PersonaStateWarning, stacklevel=2)
            return None
        return state


def _plain(values: pd.Series) -> list:
    """Floats for JSON, None for missing values."""
    return [None if pd.isna(v) else float(v) for v in values]


def _parquet(table: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table.rename(columns=str).to_parquet(buffer)
    return buffer.getvalue()


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
    kpis = _kpis(ds.surveys, model.labels_, min_group_size).reindex(model.personas_.index)
    attrs = dict(model.personas_.attrs)
    model.personas_ = model.personas_.drop(columns=kpis.columns, errors="ignore").join(kpis)
    model.personas_.attrs.update(attrs)
    return features, model


# ----------------------------------------------------------------- preprocessing
def _log1p_nonnegative(values):
    return np.log1p(np.clip(values, 0, None))


def _centred_log_ratio(shares):
    """Centred log-ratio of each row of shares (compositions), zeros replaced by :data:`SHARE_FLOOR` first."""
    values = np.nan_to_num(np.asarray(shares, dtype=float), nan=0.0) + SHARE_FLOOR
    logs = np.log(values / values.sum(axis=1, keepdims=True))
    return logs - logs.mean(axis=1, keepdims=True)


def _category_name(feature, category) -> str:
    return f"{feature}={category}"


class _FamdScaler(TransformerMixin, BaseEstimator):
    """Centre and scale the columns of one variable as factor analysis of mixed data (FAMD) does.

    ``kind="number"``: a z-score (variance 1). ``kind="categories"``: each 0/1
    indicator minus its share *p*, divided by the square root of *p*, so a
    variable with *J* categories has a total variance of *J - 1*, like a
    number for each of its degrees of freedom. ``kind="composition"``: each
    centred log-ratio standardised, then the block scaled to a total variance
    of *D - 1* for *D* parts. No variable can then weigh more than one unit on
    any direction of the space.
    """

    def __init__(self, kind="number"):
        self.kind = kind

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.mean_ = X.mean(axis=0)
        spread = np.sqrt(self.mean_) if self.kind == "categories" else X.std(axis=0)
        self.scale_ = np.where(spread > 0, spread, 1.0)
        if self.kind == "composition" and X.shape[1] > 1:
            self.scale_ = self.scale_ * np.sqrt(X.shape[1] / (X.shape[1] - 1))
        return self

    def transform(self, X):
        return (np.asarray(X, dtype=float) - self.mean_) / self.scale_

    def get_feature_names_out(self, input_features=None):
        return np.asarray(input_features, dtype=object)


def _variables(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Variable name -> its columns: every column alone, except the channel shares, one "channel mix" together."""
    shares = [c for c in frame.columns if feature_group(c) == "channels"]
    variables = {c: [c] for c in frame.columns if c not in shares or len(shares) < 2}
    if len(shares) >= 2:
        variables[CHANNEL_MIX] = shares
    return variables


def _preprocessor(frame: pd.DataFrame) -> ColumnTransformer:
    """The model's space for the columns of *frame*: one block per variable, weighted as FAMD does.

    Numbers get the median for missing values and, when skewed and
    non-negative (skewness > 1), a log; text columns are one-hot encoded
    (missing as its own category, rare ones grouped); the channel shares
    together are one composition, taken as centred log-ratios. Each block is
    then centred and scaled by :class:`_FamdScaler`.
    """
    parts = []
    for name, columns in _variables(frame).items():
        values = frame[columns]
        if name == CHANNEL_MIX:
            kind, steps = "composition", [FunctionTransformer(_centred_log_ratio, feature_names_out="one-to-one")]
        elif not pd.api.types.is_numeric_dtype(values.iloc[:, 0]):
            kind, steps = "categories", [_text_encoder()]
        else:
            kind = "number"
            column = values.iloc[:, 0].astype(float)
            skewed = column.min() >= 0 and column.skew() > SKEW_THRESHOLD
            steps = [SimpleImputer(strategy="median", keep_empty_features=True),
                     *([FunctionTransformer(_log1p_nonnegative, feature_names_out="one-to-one")] if skewed else [])]
        parts.append((name, make_pipeline(*steps, _FamdScaler(kind)), columns))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def _text_encoder():
    """One-hot encoding of text columns ("region=north"), missing as its own category, rare ones grouped."""
    return make_pipeline(SimpleImputer(strategy="constant", fill_value="missing", keep_empty_features=True),
                         OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES,
                                       sparse_output=False, feature_name_combiner=_category_name))


def _order_by_size(internal: np.ndarray, centres: np.ndarray, k: int) -> np.ndarray:
    """Persona id of each internal cluster: 0 for the largest, ties broken by centre coordinates."""
    sizes = np.bincount(internal, minlength=k)
    order = np.lexsort(np.vstack([centres.T[::-1], -sizes]))
    ids = np.empty(k, dtype=np.int64)
    ids[order] = np.arange(k)
    return ids


# ------------------------------------------------------------- choosing k
def _bootstrap_jaccard(sample: np.ndarray, labels: np.ndarray, k: int, make, n_bootstrap: int, rng) -> np.ndarray:
    """Mean bootstrap Jaccard similarity of each cluster of *labels* (Hennig's clusterboot).

    Each round refits ``make()`` on a bootstrap resample of *sample*; every
    original cluster, restricted to the customers drawn, is compared with the
    most similar refitted cluster on those customers: Jaccard = shared /
    in either. Returns the mean over the rounds, one value per cluster.
    """
    n = len(sample)
    total = np.zeros(k)
    for _ in range(n_bootstrap):
        rows = rng.randint(0, n, size=n)
        refit = make().fit(sample[rows])
        drawn = np.unique(rows)
        mine, theirs = labels[drawn], refit.predict(sample[drawn])
        shared = pd.crosstab(mine, theirs).reindex(index=range(k), fill_value=0).to_numpy(dtype=float)
        union = shared.sum(axis=1, keepdims=True) + shared.sum(axis=0, keepdims=True) - shared
        total += np.divide(shared, union, out=np.zeros_like(shared), where=union > 0).max(axis=1, initial=0.0)
    return total / n_bootstrap


def _separation_shares(Z: np.ndarray, labels: np.ndarray, preprocessor: ColumnTransformer) -> pd.Series:
    """Each variable's share of the between-persona sum of squares in the model's space, largest first."""
    centred = pd.DataFrame(Z - Z.mean(axis=0))
    groups = centred.groupby(labels)
    between = (groups.sum() ** 2).div(groups.size(), axis=0).sum().to_numpy()
    per_variable = pd.Series({name: between[part].sum() for name, part in preprocessor.output_indices_.items()
                              if part.stop > part.start})
    total = per_variable.sum()
    return (per_variable / total if total > 0 else per_variable * 0).sort_values(ascending=False, kind="stable")


def _mirror_pairs(centres: np.ndarray) -> int:
    """Pairs of persona centres (relative to the overall mean) pointing in opposite directions (cosine < -0.95)."""
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    unit = np.divide(centres, norms, out=np.zeros_like(centres), where=norms > 0)
    cosine = unit @ unit.T
    return int((cosine[np.triu_indices(len(centres), 1)] < -MIRROR_COSINE).sum())


# ---------------------------------------------------------------------- profiles
def _distinctiveness(traits: pd.Series, top: int = 5) -> float:
    """Mean absolute standardised difference of a persona's *top* strongest traits."""
    return float(traits.dropna().abs().sort_values(ascending=False).iloc[:top].mean()) if traits.notna().any() else 0.0


def _standardised_differences(values: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Each group's mean minus the rest's, in standard deviations of all customers.

    The whole population's SD (rather than the pooled within-group SD of
    Cohen's d) keeps effects bounded when a group is nearly constant, such as a
    yes/no trait every member shares; a constant column has effect 0.
    """
    n_in = values.notna().groupby(labels).sum()
    sum_in = values.fillna(0.0).groupby(labels).sum()
    n_out, sum_out = n_in.sum() - n_in, sum_in.sum() - sum_in
    scale = values.std()
    return (sum_in / n_in - sum_out / n_out).div(scale.where(scale > 0)).fillna(0.0)


def _kpis(surveys: pd.DataFrame | None, labels: pd.Series, min_group_size: int) -> pd.DataFrame:
    """NPS and CSAT (top-2-box %) per persona with 95% intervals, per answer, from the KPI engine.

    Each answer counts once, as in every other KPI table
    (:func:`cxresearch.stats.kpi_summary`), so a persona's NPS equals
    ``kpi_table`` by persona; personas with fewer than *min_group_size*
    respondents get none. *labels* maps customer_id to persona.
    """
    columns = [f"{m}{suffix}" for m in ("nps", "csat") for suffix in ("", "_low", "_high", "_n")]
    if surveys is None or "customer_id" not in surveys.columns:
        return pd.DataFrame(columns=columns, dtype=float)
    persona = surveys["customer_id"].map(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        table = kpi_summary(surveys.assign(persona=persona), by=["persona"], metrics=["nps", "csat"],
                            min_group_size=min_group_size)
    wide = table.pivot(index="persona", columns="metric", values=["value", "low", "high", "n"])
    out = pd.DataFrame({f"{m}{suffix}": wide[(stat, m)] if (stat, m) in wide.columns else np.nan
                        for m in ("nps", "csat") for suffix, stat in (("", "value"), ("_low", "low"),
                                                                     ("_high", "high"), ("_n", "n"))},
                       index=wide.index)
    return out[columns]


_LABELS = {"n_events": "events", "n_sessions": "sessions", "events_per_session": "events per session",
           "frequency": "sessions per month", "recency_days": "days since last visit",
           "tenure_days": "days since first visit", "n_channels": "channels used",
           "cross_channel_sessions": "cross-channel sessions", "n_purchases": "purchases",
           "avg_order_value": "average order value", "service_contacts": "service contacts",
           "n_surveys": "survey answers", "nps": "NPS answer", "csat": "CSAT", "ces": "CES",
           "n_reviews": "reviews", "review_rating": "review stars", "review_sentiment": "review sentiment"}


def feature_label(column: str) -> str:
    """Readable label of a feature column ("share_app" -> "app share").

    Examples
    --------
    >>> feature_label("share_call_center"), feature_label("region=north")
    ('call center share', 'region: north')
    """
    column = str(column)
    if column in _LABELS:
        return _LABELS[column]
    for prefix, template in (("share_", "{} share"), ("reached_", "reached {}"), ("rating_", "{} rating"),
                             ("days_since_", "days since {}")):
        if column.startswith(prefix):
            return template.format(column[len(prefix):].replace("_", " "))
    return column.replace("=", ": ", 1).replace("_", " ")


def _top_traits(traits: pd.Series, top: int = 5) -> str:
    """The *top* strongest traits, one per attribute (its most over- or under-represented category)."""
    strongest = traits.dropna().abs().sort_values(ascending=False, kind="stable").index
    one_each = pd.Series(strongest, index=strongest).groupby(lambda c: str(c).split("=")[0], sort=False).first()
    return ", ".join(f"{feature_label(c)} {traits[c]:+.1f} SD" for c in one_each.iloc[:top])


def _preferred_channels(profile: pd.Series, top: int = 3) -> str:
    shares = profile[[c for c in profile.index if feature_group(c) == "channels"]].dropna()
    shares = shares[shares >= 0.05].sort_values(ascending=False, kind="stable").iloc[:top]
    return ", ".join(f"{c.removeprefix('share_').replace('_', ' ')} {v:.0%}" for c, v in shares.items())


# ------------------------------------------------------------------------- names
#: Smallest |standardised mean difference| that makes a trait part of a name (a medium effect).
NAME_EFFECT = 0.5

_WORDS = (  # feature pattern, word when the persona is above the rest, word when below
    (r"frequency|n_sessions|n_events", "frequent", "occasional"),
    (r"spend|avg_order_value", "big-spending", "budget"),
    (r"nps|csat|review_rating|review_sentiment|satisfied|satisfaction", "delighted", "disappointed"),
    (r"ces", "effortless", "struggling"),
    (r"age", "senior", "young"),
    (r"recency_days", "lapsing", "recently active"),
    (r"tenure_days|days_since_signup", "long-time", "new"),
    (r"service_contacts", "support-seeking", "self-reliant"),
    (r"n_channels|cross_channel_sessions", "omnichannel", "single-channel"),
    (r"n_reviews", "vocal", None),
)


def _words(traits: pd.Series) -> list[str]:
    """Adjectives for the persona's strong traits, strongest first, each once."""
    words = []
    for column in traits.abs().sort_values(ascending=False, kind="stable").index:
        effect = traits[column]
        if abs(effect) < NAME_EFFECT:
            break
        word = next(((high if effect > 0 else low) for pattern, high, low in _WORDS
                     if re.fullmatch(pattern, str(column))), None)
        if word and word not in words:
            words.append(word)
    return words


def _name_personas(traits: pd.DataFrame, profiles: pd.DataFrame, suppressed: pd.Series) -> pd.Series:
    """Readable unique names such as "App-first frequent young buyers", from each persona's traits.

    The most distinctive channel gives "<channel>-first" when it is also the
    persona's most used channel, else "<channel>-heavy"; up to two adjectives
    come from the strongest traits in the lexicon; the noun is "buyers" or
    "browsers" by purchases. When these say fewer than two things, the
    strongest other traits are added ("with high monthly charge and contract
    Month-to-Month"), so a name rests on at least two traits where the
    persona has two of at least :data:`NAME_EFFECT`.
    """
    channels = [c for c in traits.columns if feature_group(c) == "channels"]
    parts = {}
    for pid, row in traits.iterrows():  # one row per persona, not per customer
        row = row.dropna()
        prefix = []
        if channels and row.reindex(channels).max() >= NAME_EFFECT:
            channel = row.reindex(channels).idxmax()
            kind = "first" if profiles.loc[pid, channels].idxmax() == channel else "heavy"
            prefix = [f"{channel.removeprefix('share_').replace('_', ' ')}-{kind}"]
        purchases = row.get("n_purchases", 0.0)
        noun = "buyers" if purchases >= NAME_EFFECT else "browsers" if purchases <= -NAME_EFFECT else "customers"
        adjectives = _words(row)
        described = len(prefix) + len(adjectives[:2]) + (noun != "customers")
        phrase = _other_traits(row, 2 - described) if described < 2 else []
        parts[pid] = (prefix, adjectives or ([] if prefix or phrase else ["mainstream"]), noun, phrase)

    def compose(pid, n_words):
        prefix, adjectives, noun, phrase = parts[pid]
        name = " ".join([*prefix, *adjectives[:n_words], noun, *phrase])
        return name[0].upper() + name[1:]

    names = pd.Series({pid: compose(pid, 2) for pid in parts})
    for n_words in (3, 4):
        clash = names.duplicated(keep=False)
        names[clash] = [compose(pid, n_words) for pid in names.index[clash]]
    names[suppressed.to_numpy()] = "Small group"
    return _deduplicate(names)


def _other_traits(traits: pd.Series, count: int) -> list[str]:
    """["with high <feature> and <attribute> <category>"]: the *count* strongest traits outside the lexicon
    and the channels that reach :data:`NAME_EFFECT`, one per attribute; [] when there is none."""
    covered = "|".join(pattern for pattern, _, _ in _WORDS)
    others = traits[[c for c in traits.index if not re.fullmatch(covered, str(c))
                     and feature_group(c) != "channels" and not (traits[c] < 0 and "=" in str(c))]]
    strongest = others[others.abs() >= NAME_EFFECT].abs().sort_values(ascending=False, kind="stable").index
    picked = pd.Series(strongest, index=strongest).groupby(lambda c: str(c).split("=")[0], sort=False).first()
    words = [feature_label(c).replace(":", "") if "=" in c else f"{'high' if others[c] > 0 else 'low'} {feature_label(c)}"
             for c in picked.iloc[:count]]
    return [f"with {' and '.join(words)}"] if words else []


def _deduplicate(names: pd.Series) -> pd.Series:
    """Number repeated names ("Small group", "Small group 2", ...), first occurrence unchanged."""
    repeat = names.groupby(names).cumcount()
    return names.where(repeat == 0, names + " " + (repeat + 1).astype(str))


# ------------------------------------------------------------ quotes and views
def representative_quotes(model: PersonaModel, X: pd.DataFrame, ds, *, max_chars: int = 280) -> pd.Series:
    """One redacted quote per persona: the text of the member closest to the persona's centre.

    Texts are survey comments and review texts of *ds* linked to a customer;
    personal data is replaced by placeholders (:func:`~cxresearch.privacy.redact_pii`)
    and long texts are cut at *max_chars*. Personas smaller than the model's
    ``min_group_size`` get no quote.

    Parameters
    ----------
    model : PersonaModel
        A fitted model.
    X : pandas.DataFrame
        The features the model was fitted on, indexed by customer_id.
    ds : CXDataset
        The dataset the features came from.

    Returns
    -------
    pandas.Series
        Quote per persona id (personas without any text are absent).
    """
    labels = model.predict(X)
    Z = model._transform(X)
    distance = np.linalg.norm(Z - model.centroids_.loc[labels.to_numpy()].to_numpy(), axis=1)
    members = pd.DataFrame({"customer_id": X.index.astype(str), "persona": labels.to_numpy(), "distance": distance})
    sources = [(ds.surveys, "comment"), (ds.reviews, "text")]
    found = [t[["customer_id", col]].set_axis(["customer_id", "text"], axis=1) for t, col in sources
             if t is not None and {"customer_id", col} <= set(t.columns)]
    if not found:
        return pd.Series(dtype="str", name="quote").rename_axis("persona")
    texts = pd.concat(found, ignore_index=True)
    texts = texts.dropna().assign(text=lambda t: t["text"].str.strip()).query("text != ''")
    shown = model.personas_.index[~model.personas_["suppressed"].astype(bool)]
    best = (members[members["persona"].isin(shown)].merge(texts, on="customer_id")
            .sort_values(["persona", "distance", "customer_id"], kind="stable").drop_duplicates("persona"))
    quotes = redact_pii(best["text"].set_axis(best["persona"])).str.slice(0, max_chars)
    return quotes.rename("quote").rename_axis("persona")


def projection_data(model: PersonaModel, X, *, sample: int = 2000, random_state=None) -> pd.DataFrame:
    """2-D PCA projection of a random sample of customers in the model's standardised space.

    Returns columns pc1, pc2, persona and name; customers of personas smaller
    than ``min_group_size`` are left out. ``attrs["explained_variance"]`` holds
    the share of variance of each axis.
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    rng = check_random_state(random_state)
    rows = np.sort(rng.choice(len(frame), size=min(sample, len(frame)), replace=False))
    picked = frame.iloc[rows] if isinstance(X, pd.DataFrame) else np.asarray(X)[rows]
    Z = model._transform(picked)
    Z = np.pad(Z, ((0, 0), (0, max(0, 2 - Z.shape[1]))))  # a one-variable space gets a flat second axis
    pca = PCA(n_components=2, random_state=0).fit(Z)
    labels = model.predict(picked).to_numpy()
    out = pd.DataFrame(pca.transform(Z), columns=["pc1", "pc2"], index=frame.index[rows])
    out["persona"] = labels
    out["name"] = model.personas_["name"].loc[labels].to_numpy()
    out = out[~model.personas_["suppressed"].loc[labels].to_numpy().astype(bool)]
    out.attrs["explained_variance"] = pca.explained_variance_ratio_.tolist()
    return out


# -------------------------------------------------------------------------- cards
class PersonaCard(str):
    """A persona card: an HTML string that renders itself in Jupyter."""

    def _repr_html_(self) -> str:
        return str(self)


_CARD = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:640px;border:1px solid #d0d7de;" \
        "border-radius:10px;padding:16px 20px;margin:8px 0;color:#1f2328;background:#fff;line-height:1.4"
_HEAD = "margin:14px 0 4px;font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:#57606a"
_QUOTE = "margin:6px 0;padding:6px 12px;border-left:4px solid #8250df;color:#3d444d;font-style:italic"


def persona_card(model: PersonaModel, persona_id, *, quotes: pd.Series | None = None,
                 min_group_size: int | None = None) -> PersonaCard:
    """Self-contained HTML card of one persona (inline CSS, no external assets, all text escaped).

    Shows name, size and share, who they are, behaviour, preferred channels,
    what works for them and their frustrations (their highest and lowest
    touchpoint ratings), a representative quote (redacted) and NPS / CSAT with
    95% confidence intervals. A persona smaller than *min_group_size* (default:
    the model's) is suppressed: the card says so and shows nothing else.

    Parameters
    ----------
    model : PersonaModel
        A fitted model.
    persona_id : int
        One of ``model.personas_.index``.
    quotes : pandas.Series, optional
        Quote per persona id, from :func:`representative_quotes`.
    """
    check_is_fitted(model, "personas_")
    if persona_id not in model.personas_.index:
        raise ParameterError(f"unknown persona id {persona_id!r}; valid ids are {model.personas_.index.tolist()}.")
    minimum = model.min_group_size if min_group_size is None else min_group_size
    info = model.personas_.loc[persona_id]
    esc = html.escape
    if info["size"] < minimum:
        warnings.warn(f"persona {persona_id} has fewer than {minimum} customers; its card is suppressed.",
                      SmallGroupWarning, stacklevel=2)
        return PersonaCard(f'<div style="{_CARD}"><p>Persona {esc(str(persona_id))} is not shown: it has fewer '
                           f'than {minimum} customers.</p></div>')
    profile, overall, traits = model.profiles_.loc[persona_id], model.overall_, model.traits_.loc[persona_id]
    sections = [
        ("Who they are", _who(profile, overall)),
        ("Behaviour", _behaviour(profile, overall, traits)),
        ("Preferred channels", [info["channels"]] if isinstance(info["channels"], str) and info["channels"] else []),
        *_ratings(profile),
        ("In their words", [] if quotes is None or persona_id not in quotes.index else [quotes.loc[persona_id]]),
        ("KPIs", _kpi_lines(info)),
    ]
    body = "".join(
        f'<div style="{_HEAD}">{esc(title)}</div>'
        + (f'<blockquote style="{_QUOTE}">&ldquo;{esc(redact_pii(lines[0]))}&rdquo;</blockquote>'
           if title == "In their words" else
           '<ul style="margin:0;padding-left:18px">' + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>")
        for title, lines in sections if lines)
    header = (f'<div style="font-size:20px;font-weight:600">{esc(str(info["name"]))}</div>'
              f'<div style="color:#57606a">Persona {esc(str(persona_id))} &middot; {int(info["size"]):,} customers '
              f'&middot; {info["share"]:.1%} of all &middot; {esc(_stability_words(info))}</div>')
    return PersonaCard(f'<div style="{_CARD}">{header}{body}</div>')


def _stability_words(info: pd.Series) -> str:
    """"stability 0.92", or "UNSTABLE (stability 0.41): may not reappear in other data" under the threshold."""
    if pd.isna(info["stability"]):
        return "one group: no stable segmentation"
    if info["unstable"]:
        return f"UNSTABLE (stability {info['stability']:.2f}): this persona may not reappear in other data"
    return f"stability {info['stability']:.2f}"


def _num(value) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _who(profile: pd.Series, overall: pd.Series) -> list[str]:
    """Numeric attributes with the overall mean; for text attributes, the most common value."""
    columns = [c for c in profile.index if feature_group(c) == "profile"]
    numeric = [f"{feature_label(c)}: {_num(profile[c])} (all customers {_num(overall[c])})"
               for c in columns if "=" not in c and pd.notna(profile[c])]
    shares = profile[[c for c in columns if "=" in c]].dropna()
    attribute = shares.index.str.split("=").str[0]
    top = shares.groupby(attribute).idxmax()
    return numeric + [f"{a}: {c.split('=', 1)[1]} ({shares[c]:.0%})" for a, c in top.items()]


def _behaviour(profile: pd.Series, overall: pd.Series, traits: pd.Series, top: int = 6) -> list[str]:
    """The behaviour features where the persona differs most from the rest."""
    columns = [c for c in traits.index if feature_group(c) in ("behaviour", "journey") and pd.notna(traits[c])]
    strongest = traits[columns].abs().sort_values(ascending=False, kind="stable").index[:top]
    return [f"{feature_label(c)}: {_shown(c, profile[c])} (all customers {_shown(c, overall[c])})" for c in strongest]


def _shown(column: str, value) -> str:
    """A feature value for a card: journey reach as a percentage, other values as numbers."""
    return f"{value:.0%}" if feature_group(column) == "journey" and pd.notna(value) else _num(value)


def _ratings(profile: pd.Series) -> list[tuple[str, list[str]]]:
    """"What works for them" and "Frustrations": their two highest and lowest touchpoint ratings."""
    ratings = profile[[c for c in profile.index if feature_group(c) == "ratings"]].dropna().sort_values(kind="stable")
    if ratings.empty:
        return []
    lines = pd.Series([f"{c.removeprefix('rating_').replace('_', ' ')}: {v:.1f} / 5" for c, v in ratings.items()],
                      index=ratings.index)
    best = ratings.index[::-1][:2]
    worst = [c for c in ratings.index[:2] if c not in best]
    return [("What works for them", lines[best].tolist()), ("Frustrations", lines[worst].tolist())]


def _kpi_lines(info: pd.Series) -> list[str]:
    lines = []
    for metric, label, unit in (("nps", "NPS", ""), ("csat", "CSAT (% of answers 4-5)", "%")):
        if metric in info and pd.notna(info[metric]) and info[f"{metric}_n"] > 0:
            lines.append(f"{label}: {info[metric]:.0f}{unit} (95% CI {info[f'{metric}_low']:.0f} to "
                         f"{info[f'{metric}_high']:.0f}{unit}, n={int(info[f'{metric}_n'])})")
    return lines
