"""Choosing the number of personas: candidates scored on a sample by per-persona bootstrap stability,
separation, variable shares and mirror pairs (the rule is in docs/METHODS.md, "Personas").

The functions take the :class:`~cxresearch.personas.PersonaModel` being fitted
(its parameters and its fitted ``preprocessor_``) and a sample of its space.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.metrics import silhouette_score

from ..errors import CXResearchWarning, ParameterError
from ..i18n import _, format_count, format_list, format_number, format_percent
from .profiles import feature_label

#: Customers the silhouette is computed on, the same for every k (a sample of the selection sample: it costs n
#: squared). Its standard error is about 0.005, a quarter of the tolerance that compares k.
SILHOUETTE_SAMPLE = 2000
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
#: Fewest bootstrap refits per k before the refits may stop (see :func:`bootstrap_jaccard`).
MIN_REFITS = 5
#: Confidence of the interval that decides when a persona's stability is settled.
SETTLED_LEVEL = 0.95


class UnstablePersonasWarning(CXResearchWarning):
    """No candidate number of personas reached the stability threshold."""


def select(model, sample: np.ndarray, rng) -> tuple[pd.DataFrame, dict, dict, dict]:
    """Score every candidate k on *sample*.

    Returns the selection table, the centres per k (to start the final fit),
    the bootstrap Jaccard of each cluster per k (in the centres' order) and
    the variables' weights per k.
    """
    n = len(sample)
    automatic = model.n_personas == "auto"
    if automatic:
        low, high = model.k_range
        candidates = list(range(low, min(high, n // model.min_group_size) + 1)) or [low]
    else:
        candidates = [int(model.n_personas)]
    if candidates[-1] >= n:
        raise ParameterError(f"n_personas={candidates[-1]} needs more than {n} customers; got n_samples={n}.")
    rows, references, jaccards, weights_per_k = [], {}, {}, {}
    scored = np.sort(rng.choice(n, size=min(n, SILHOUETTE_SAMPLE), replace=False))  # the same customers for every k
    for k in candidates:
        weights, reference, labels, shares = balanced_fit(model, sample, k, rng)
        weighted = sample * column_weights(model.preprocessor_, weights)
        references[k] = reference.means_ if model.method == "gmm" else reference.cluster_centers_
        rounds = bootstrap_jaccard(weighted, labels, k, lambda: model._clusterer(k, rng), model.n_bootstrap, rng,
                                   thresholds=(model.stability_threshold, HIGHLY_STABLE) if automatic else ())
        jaccards[k] = rounds.mean(axis=0)
        weights_per_k[k] = weights
        found = np.unique(labels[scored]).size
        rows.append({
            "k": k,
            "silhouette": (silhouette_score(weighted[scored], labels[scored]) if 1 < found < len(scored)
                           else np.nan),
            "stability": float(jaccards[k].mean()),
            "stability_sd": float(jaccards[k].std()),
            "min_stability": float(jaccards[k].min()),
            "min_size": int(np.bincount(labels, minlength=k).min()),
            "refits": len(rounds),
            "top_variable": shares.index[0] if len(shares) else "",
            "top_share": float(shares.iloc[0]) if len(shares) else np.nan,
            "mirror_pairs": mirror_pairs(references[k] - weighted.mean(axis=0)) if k > 2 else 0,
        })
    table = pd.DataFrame(rows).set_index("k")
    cap = share_cap(model.preprocessor_, model.max_share)
    table["eligible"] = ((table["min_stability"] >= model.stability_threshold)
                         & (table["min_size"] >= model.min_group_size)
                         & ~(table["top_share"] > cap + SHARE_SLACK) & (table["mirror_pairs"] == 0))
    table["chosen"] = False
    chosen = choose(model, table)
    if chosen is not None:
        table.loc[chosen, "chosen"] = True
    return table, references, jaccards, weights_per_k


def balanced_fit(model, sample: np.ndarray, k: int, rng):
    """Fit k personas on *sample*, down-weighting any variable that carries more than ``max_share``
    of the separation (at most :data:`BALANCE_ROUNDS` times).

    A variable of weight *w* has *w* squared times its between-persona sum of
    squares; the weight that brings its share from *s* to ``max_share`` *m*
    (the personas unchanged) is ``sqrt(m (1 - s) / ((1 - m) s))``.
    Returns the weights per variable, the fitted clusterer, the labels of
    *sample* and the variables' shares of the separation.
    """
    weights = pd.Series(1.0, index=list(model.preprocessor_.output_indices_))
    m = share_cap(model.preprocessor_, model.max_share)
    for _ in range(BALANCE_ROUNDS):
        weighted = sample * column_weights(model.preprocessor_, weights)
        reference = model._clusterer(k, rng, n_init=REFERENCE_STARTS).fit(weighted)
        labels = reference.predict(weighted)
        shares = separation_shares(weighted, labels, model.preprocessor_)
        top = shares.iloc[0] if len(shares) else 0.0
        if top <= m or m >= 1:
            break
        weights[shares.index[0]] *= 0.98 * np.sqrt(m * (1 - top) / ((1 - m) * top))
    return weights, reference, labels, shares


def share_cap(preprocessor: ColumnTransformer, max_share: float) -> float:
    """Largest share of the separation one variable may carry: ``max_share``, but at least
    twice an equal share (with two variables one of them always carries half or more)."""
    n_variables = sum(part.stop > part.start for part in preprocessor.output_indices_.values())
    return max(max_share, min(1.0, 2 / max(n_variables, 1)))


def column_weights(preprocessor: ColumnTransformer, weights: pd.Series) -> np.ndarray:
    """The weight of each column of the model's space, from the weight of each variable."""
    columns = np.ones(max(part.stop for part in preprocessor.output_indices_.values()))
    for name, part in preprocessor.output_indices_.items():
        columns[part] = weights.get(name, 1.0)
    return columns


def choose(model, table: pd.DataFrame) -> int | None:
    """The chosen k (see the module docstring), or None when no k of an automatic choice is eligible."""
    eligible = table[table["eligible"]]
    if model.n_personas != "auto":
        k = int(table.index[0])
        if eligible.empty:
            warnings.warn(_("k=%(k)s has stability %(stability)s (%(reasons)s); the personas marked "
                            "unstable may not be reproducible.")
                          % {"k": k, "stability": format_number(table.loc[k, "stability"], decimals=2),
                             "reasons": "; ".join(not_eligible(model, table.loc[k]))},
                          UnstablePersonasWarning, stacklevel=4)
        return k
    if eligible.empty:
        return None
    silhouette = eligible["silhouette"].fillna(-1)
    separated = eligible[silhouette >= silhouette.max() - model.score_tolerance]
    strong = separated[separated["min_stability"] >= HIGHLY_STABLE]
    return int(strong.index.max()) if len(strong) else int(eligible["stability"].idxmax())


def not_eligible(model, row: pd.Series) -> list[str]:
    """Why the candidate of selection-table *row* is not eligible, one clause per condition it fails."""
    cap = share_cap(model.preprocessor_, model.max_share)
    reasons = [
        _("its least stable persona reappears with Jaccard %(jaccard)s < %(threshold)s in resamples")
        % {"jaccard": format_number(row["min_stability"], decimals=2),
           "threshold": format_number(model.stability_threshold, decimals=2)}
        if row["min_stability"] < model.stability_threshold else "",
        _("%(variable)s carries %(share)s of the separation")
        % {"variable": feature_label(row["top_variable"]), "share": format_percent(row["top_share"], decimals=0)}
        if row["top_share"] > cap + SHARE_SLACK else "",
        _("some personas mirror each other") if row["mirror_pairs"] else "",
        _("its smallest persona has %(n)s customers in the sample") % {"n": format_count(row["min_size"])}
        if row["min_size"] < model.min_group_size else ""]
    return [reason for reason in reasons if reason]


def no_segmentation(model, sample: np.ndarray, rng) -> str:
    """The sentence saying that no k in the range is stable, and along what the data splits instead."""
    low, high = model.k_range
    tried = model.selection_
    reasons = {k: not_eligible(model, row) for k, row in tried.iterrows()}   # one row per candidate k
    best = min(reasons, key=lambda k: (len(reasons[k]), -tried.loc[k, "min_stability"]))  # fewest failed, most stable
    why = _("no number of personas from %(low)s to %(high)s gives personas that all reappear in resamples, none too "
            "small, dominated by one variable or mirroring another (closest: %(best)s personas, where "
            "%(reasons)s)") % {"low": low, "high": high, "best": best,
                               "reasons": "; ".join(reasons[best])}
    labels = model._clusterer(2, rng).fit(sample).predict(sample)
    jaccard = bootstrap_jaccard(sample, labels, 2, lambda: model._clusterer(2, rng), model.n_bootstrap, rng,
                                thresholds=(model.stability_threshold,)).mean(axis=0)
    shares = separation_shares(sample, labels, model.preprocessor_)
    if jaccard.min() < model.stability_threshold or shares.empty:
        sentence = _("No stable segmentation: %(why)s, and the customers form no distinct groups on these "
                     "features.") % {"why": why}
    else:
        along = shares.index[:max(1, int((shares.cumsum() < 0.6).sum()) + 1)][:3]
        sentence = _("No stable segmentation: the data splits only along %(features)s (%(share)s of the separation "
                     "of a two-way split); %(why)s.") % {"features": format_list(map(feature_label, along)),
                                                         "share": format_percent(shares[along].sum(), decimals=0),
                                                         "why": why}
    warnings.warn(sentence + " " + _("All customers are shown as one group."), UnstablePersonasWarning,
                  stacklevel=4)
    return sentence


def bootstrap_jaccard(sample: np.ndarray, labels: np.ndarray, k: int, make, n_bootstrap: int, rng, *,
                      thresholds=()) -> np.ndarray:
    """Bootstrap Jaccard similarity of each cluster of *labels* in each refit (Hennig's clusterboot).

    Each round refits ``make()`` on a bootstrap resample of *sample*; every
    original cluster, restricted to the customers drawn, is compared with the
    most similar refitted cluster on those customers: Jaccard = shared /
    in either. After :data:`MIN_REFITS` rounds the refits stop as soon as the
    verdict on *thresholds* is :func:`settled`; at most *n_bootstrap* rounds.
    Returns the Jaccard of every round (rows) and cluster (columns); the
    stability of a cluster is its column's mean.
    """
    n = len(sample)
    rounds = np.zeros((n_bootstrap, k))
    for done in range(1, n_bootstrap + 1):
        rows = rng.randint(0, n, size=n)
        refit = make().fit(sample[rows])
        drawn = np.unique(rows)
        mine, theirs = labels[drawn], refit.predict(sample[drawn])
        shared = np.bincount(mine * k + theirs, minlength=k * k).reshape(k, k).astype(float)  # contingency table
        union = shared.sum(axis=1, keepdims=True) + shared.sum(axis=0, keepdims=True) - shared
        rounds[done - 1] = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0).max(axis=1, initial=0.0)
        if done >= MIN_REFITS and settled(rounds[:done], thresholds):
            return rounds[:done]
    return rounds


def settled(rounds: np.ndarray, thresholds) -> bool:
    """Whether more refits could not change which of *thresholds* every cluster reaches.

    Each cluster's mean Jaccard has a :data:`SETTLED_LEVEL` t-interval over the
    refits so far. Going up the thresholds: when some cluster lies wholly below
    one, the verdict is settled (not every cluster reaches it); when some
    interval straddles it, it is not; when every cluster lies wholly above it,
    the next threshold decides. No thresholds: never settled.
    """
    if not len(thresholds):
        return False
    done = len(rounds)
    half = stats.t.ppf(0.5 + SETTLED_LEVEL / 2, done - 1) * rounds.std(axis=0, ddof=1) / np.sqrt(done)
    mean = rounds.mean(axis=0)
    for threshold in sorted(thresholds):
        if (mean + half < threshold).any():
            return True
        if not (mean - half > threshold).all():
            return False
    return True


def separation_shares(Z: np.ndarray, labels: np.ndarray, preprocessor: ColumnTransformer) -> pd.Series:
    """Each variable's share of the between-persona sum of squares in the model's space, largest first."""
    centred = pd.DataFrame(Z - Z.mean(axis=0))
    groups = centred.groupby(labels)
    between = (groups.sum() ** 2).div(groups.size(), axis=0).sum().to_numpy()
    per_variable = pd.Series({name: between[part].sum() for name, part in preprocessor.output_indices_.items()
                              if part.stop > part.start})
    total = per_variable.sum()
    return (per_variable / total if total > 0 else per_variable * 0).sort_values(ascending=False, kind="stable")


def mirror_pairs(centres: np.ndarray) -> int:
    """Pairs of persona centres (relative to the overall mean) pointing in opposite directions (cosine < -0.95)."""
    norms = np.linalg.norm(centres, axis=1, keepdims=True)
    unit = np.divide(centres, norms, out=np.zeros_like(centres), where=norms > 0)
    cosine = unit @ unit.T
    return int((cosine[np.triu_indices(len(centres), 1)] < -MIRROR_COSINE).sum())
