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
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score,
                             silhouette_score)
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from .errors import CXResearchWarning, DataError, ParameterError, SmallGroupWarning, did_you_mean
from .features import NoCustomerDataError, customer_features, feature_group, persona_basis, persona_sources
from .privacy import MIN_GROUP_SIZE, redact_pii
from .stats import nps_interval, wilson_interval

__all__ = ["PersonaModel", "PersonaCard", "PersonaState", "PersonaStateWarning", "UnstablePersonasWarning",
           "NoCustomerDataError", "fit_personas", "persona_card",
           "representative_quotes", "projection_data", "feature_label"]

METHODS = ("kmeans", "gmm")
SKEW_THRESHOLD = 1.0
MAX_CATEGORIES = 12


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

    def __init__(self, n_personas="auto", *, k_range=(2, 10), method="kmeans", min_group_size=MIN_GROUP_SIZE,
                 active=None, max_missing=0.5, stability_threshold=0.75, score_tolerance=0.015, n_bootstrap=10,
                 sample_size=10_000,
                 random_state=None):
        self.n_personas = n_personas
        self.k_range = k_range
        self.method = method
        self.min_group_size = min_group_size
        self.active = active
        self.max_missing = max_missing
        self.stability_threshold = stability_threshold
        self.score_tolerance = score_tolerance
        self.n_bootstrap = n_bootstrap
        self.sample_size = sample_size
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing values are imputed, with missing-indicators
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
            self.selection_, references = self._select(sample, rng)
        k = int(self.selection_.index[self.selection_["chosen"]][0])
        self.n_personas_ = k
        self.stability_ = float(self.selection_.loc[k, "stability"])

        self.estimator_ = self._clusterer(k, rng, init=references[k]).fit(Z)
        internal = self.estimator_.predict(Z)
        self.cluster_to_id_ = _order_by_size(internal, self._centres(), k)
        labels = np.empty(n, dtype=np.int64)
        labels[order] = self.cluster_to_id_[internal]
        self.labels_ = pd.Series(labels, index=frame.index, name="persona")
        self._describe(frame)
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

    def _clusterer(self, k: int, rng, *, init=None):
        seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.method == "gmm":
            return GaussianMixture(k, covariance_type="diag", reg_covar=1e-3, means_init=init, random_state=seed)
        if init is None:
            return KMeans(k, n_init=3, random_state=seed)
        return KMeans(k, init=init, n_init=1, random_state=seed)

    def _centres(self) -> np.ndarray:
        return self.estimator_.means_ if self.method == "gmm" else self.estimator_.cluster_centers_

    def _select(self, sample: np.ndarray, rng) -> tuple[pd.DataFrame, dict]:
        """Score every candidate k on *sample*; return the selection table and the centres per k."""
        n = len(sample)
        if self.n_personas == "auto":
            low, high = self.k_range
            candidates = list(range(low, min(high, n // self.min_group_size) + 1)) or [low]
        else:
            candidates = [int(self.n_personas)]
        if candidates[-1] >= n:
            raise ParameterError(f"n_personas={candidates[-1]} needs more than {n} customers; got n_samples={n}.")
        rows, references = [], {}
        for k in candidates:
            reference = self._clusterer(k, rng).fit(sample)
            labels = reference.predict(sample)
            references[k] = reference.means_ if self.method == "gmm" else reference.cluster_centers_
            refits = [adjusted_rand_score(labels, self._clusterer(k, rng).fit(sample[boot]).predict(sample))
                      for boot in rng.randint(0, n, size=(self.n_bootstrap, n))]
            found = np.unique(labels).size
            rows.append({
                "k": k,
                "silhouette": silhouette_score(sample, labels) if 1 < found < n else np.nan,
                "calinski_harabasz": calinski_harabasz_score(sample, labels) if 1 < found < n else np.nan,
                "davies_bouldin": davies_bouldin_score(sample, labels) if 1 < found < n else np.nan,
                "stability": float(np.mean(refits)),
                "stability_sd": float(np.std(refits)),
                "min_size": int(np.bincount(labels, minlength=k).min()),
            })
        table = pd.DataFrame(rows).set_index("k")
        table["eligible"] = ((table["stability"] >= self.stability_threshold)
                             & (table["min_size"] >= self.min_group_size))
        table["chosen"] = False
        table.loc[self._choose(table), "chosen"] = True
        return table, references

    def _choose(self, table: pd.DataFrame) -> int:
        eligible = table[table["eligible"]]
        if eligible.empty:
            chosen = int(table["stability"].idxmax())
            tried = f"k={chosen} has" if len(table) == 1 else f"no k in {list(table.index)} has"
            warnings.warn(
                f"{tried} stability >= {self.stability_threshold} with every persona of at least "
                f"{self.min_group_size} members; using k={chosen} (stability {table.loc[chosen, 'stability']:.2f}, "
                f"smallest persona {table.loc[chosen, 'min_size']}). The personas may not be reproducible.",
                UnstablePersonasWarning, stacklevel=4)
            return chosen
        silhouette = eligible["silhouette"].fillna(-1)
        return int(silhouette.index[silhouette >= silhouette.max() - self.score_tolerance].min())

    def _describe(self, frame: pd.DataFrame):
        """Profiles, traits, KPIs and names of the fitted personas."""
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
        table = pd.DataFrame({"name": _name_personas(self.traits_, self.profiles_, suppressed),
                              "size": size, "share": size / size.sum(),
                              "top_traits": self.traits_.apply(_top_traits, axis=1),
                              "channels": self.profiles_.apply(_preferred_channels, axis=1),
                              "suppressed": suppressed})
        table = table.join(_kpis(frame, labels).reindex(ids))
        described = table.columns.difference(["name", "size", "share", "suppressed"])
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
    return features, model


# ----------------------------------------------------------------- preprocessing
def _log1p_nonnegative(values):
    return np.log1p(np.clip(values, 0, None))


def _category_name(feature, category) -> str:
    return f"{feature}={category}"


def _preprocessor(frame: pd.DataFrame) -> ColumnTransformer:
    """The model's preprocessing for the columns of *frame* (see the module docstring)."""
    values = frame.select_dtypes("number").astype(float)
    text = [c for c in frame.columns if c not in values.columns]
    skewed = [c for c in values if values[c].min() >= 0 and values[c].skew() > SKEW_THRESHOLD]
    plain = [c for c in values if c not in skewed]
    gappy = [c for c in values if values[c].isna().any()]
    parts = [
        ("skewed", make_pipeline(SimpleImputer(strategy="median"),
                                 FunctionTransformer(_log1p_nonnegative, feature_names_out="one-to-one"),
                                 StandardScaler()), skewed),
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), plain),
        ("missing", MissingIndicator(error_on_new=False), gappy),
        ("text", _text_encoder(), text),
    ]
    return ColumnTransformer([part for part in parts if part[2]], verbose_feature_names_out=False)


def _text_encoder():
    """One-hot encoding of text columns ("region=north"), missing as its own category, rare ones grouped."""
    return make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                         OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES,
                                       sparse_output=False, feature_name_combiner=_category_name))


def _order_by_size(internal: np.ndarray, centres: np.ndarray, k: int) -> np.ndarray:
    """Persona id of each internal cluster: 0 for the largest, ties broken by centre coordinates."""
    sizes = np.bincount(internal, minlength=k)
    order = np.lexsort(np.vstack([centres.T[::-1], -sizes]))
    ids = np.empty(k, dtype=np.int64)
    ids[order] = np.arange(k)
    return ids


# ---------------------------------------------------------------------- profiles
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


def _kpis(frame: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Customer-level NPS and CSAT (top-2-box %) per persona with 95% intervals.

    Each customer counts once, with their mean answer: promoters have a mean
    NPS of 9 or more, detractors 6 or less; satisfied customers a mean CSAT of
    4 or more.
    """
    out = pd.DataFrame(index=np.unique(labels))

    def count(mask):
        return pd.Series(mask).groupby(labels).sum()

    if "nps" in frame:
        score = frame["nps"].to_numpy(dtype=float)
        n = count(~np.isnan(score))
        out["nps"], out["nps_low"], out["nps_high"] = nps_interval(count(score >= 9), count(score <= 6), n)
        out["nps_n"] = n
    if "csat" in frame:
        score = frame["csat"].to_numpy(dtype=float)
        n = count(~np.isnan(score))
        share, low, high = wilson_interval(count(score >= 4), n)
        out["csat"], out["csat_low"], out["csat_high"], out["csat_n"] = 100 * share, 100 * low, 100 * high, n
    return out


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
    strongest = traits.dropna().abs().sort_values(ascending=False, kind="stable").index[:top]
    return ", ".join(f"{feature_label(c)} {traits[c]:+.1f} SD" for c in strongest)


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
    (r"nps|csat|review_rating|review_sentiment", "delighted", "disappointed"),
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
    "browsers" by purchases. When the lexicon yields fewer than two adjectives,
    the strongest other trait is added ("with high monthly charge").
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
        phrase = _other_trait(row) if len(adjectives) < 2 else []
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


def _other_trait(traits: pd.Series) -> list[str]:
    """["with high <feature>"] for the strongest trait outside the lexicon and the channels, if strong enough."""
    covered = "|".join(pattern for pattern, _, _ in _WORDS)
    others = traits[[c for c in traits.index if not re.fullmatch(covered, str(c))
                     and feature_group(c) != "channels" and not (traits[c] < 0 and "=" in str(c))]]
    if others.empty or others.abs().max() < NAME_EFFECT:
        return []
    column = others.abs().idxmax()
    if "=" in column:
        return [f"with {feature_label(column).replace(':', '')}"]
    return [f"with {'high' if others[column] > 0 else 'low'} {feature_label(column)}"]


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
              f'&middot; {info["share"]:.1%} of all &middot; stability {model.stability_:.2f}</div>')
    return PersonaCard(f'<div style="{_CARD}">{header}{body}</div>')


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
    for metric, label, unit in (("nps", "NPS", ""), ("csat", "CSAT (satisfied customers)", "%")):
        if metric in info and pd.notna(info[metric]) and info[f"{metric}_n"] > 0:
            lines.append(f"{label}: {info[metric]:.0f}{unit} (95% CI {info[f'{metric}_low']:.0f} to "
                         f"{info[f'{metric}_high']:.0f}{unit}, n={int(info[f'{metric}_n'])})")
    return lines
