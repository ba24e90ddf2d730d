"""A 2-D view of the personas: customers projected on the two principal axes of the personas' space."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state

from .model import PersonaModel

__all__ = ["Projection", "projection_data"]


@dataclass(frozen=True)
class Projection:
    """Customers on the two principal axes of the personas' space (:func:`projection_data`).

    Attributes
    ----------
    points : DataFrame
        ``pc1``, ``pc2``, ``persona`` and ``name``, one row per sampled customer (index: customer).
    explained_variance : tuple of float
        The share of the variance each axis holds (fractions of 1).
    """

    points: pd.DataFrame
    explained_variance: tuple[float, float]


def projection_data(model: PersonaModel, X, *, sample: int = 2000, random_state=None) -> Projection:
    """2-D PCA projection of a random sample of customers in the model's standardised space.

    Customers of personas smaller than ``min_group_size`` are left out; see :class:`Projection`.
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    rng = check_random_state(random_state)
    rows = np.sort(rng.choice(len(frame), size=min(sample, len(frame)), replace=False))
    picked = frame.iloc[rows] if isinstance(X, pd.DataFrame) else np.asarray(X)[rows]
    Z = model.transform(picked)
    Z = np.pad(Z, ((0, 0), (0, max(0, 2 - Z.shape[1]))))  # a one-variable space gets a flat second axis
    pca = PCA(n_components=2, random_state=0).fit(Z)
    labels = model.predict(picked).to_numpy()
    out = pd.DataFrame(pca.transform(Z), columns=["pc1", "pc2"], index=frame.index[rows])
    out["persona"] = labels
    out["name"] = model.personas_["name"].loc[labels].to_numpy()
    out = out[~model.personas_["suppressed"].loc[labels].to_numpy().astype(bool)]
    return Projection(out, tuple(float(share) for share in pca.explained_variance_ratio_))

