"""Bootstrap resampling shared by the analyses: rows or whole clusters (customers) drawn with replacement.

A resample is represented by how many times each row is drawn (its weight), so
an estimator that accepts row weights evaluates every resample with matrix
products instead of copying data. Drawing whole clusters (a customer and all
their answers) keeps the dependence between a customer's repeated answers
inside each resample: the cluster bootstrap (Davison and Hinkley 1997, 2.4;
Cameron, Gelbach and Miller 2008).
"""
from __future__ import annotations

import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._checks import check_fraction, check_positive
from .errors import ParameterError

__all__ = ["bootstrap_weights", "bootstrap_sums", "canonical_order", "cluster_codes", "percentile_interval"]

#: Largest number of weights held in memory at once (rows x resamples).
_CHUNK_CELLS = 4_000_000
#: The same for :func:`bootstrap_sums`, which keeps no weights beyond a chunk: a wider chunk makes its product
#: with the per-cluster sums a matrix product rather than many thin ones (about 100 MB of counts and draws at
#: most; at 1M customers a chunk of 8 resamples is still a matrix product).
_SUM_CHUNK_CELLS = 8_000_000


def cluster_codes(clusters, n_rows: int) -> np.ndarray:
    """Integer cluster of each row: equal labels share a code, a missing label is a cluster of its own.

    Labels are numbered in sorted order, so the same data in another row order draws the same clusters.
    """
    if clusters is None:
        return np.arange(n_rows)
    codes, _ = pd.factorize(pd.Series(clusters, dtype=object).astype("string").reset_index(drop=True), sort=True)
    if len(codes) != n_rows:
        raise ParameterError(f"clusters must give one label per row ({n_rows}); got {len(codes)}.")
    alone = codes < 0
    codes[alone] = codes.max(initial=-1) + 1 + np.arange(int(alone.sum()))
    return codes


def canonical_order(values, clusters=None) -> np.ndarray:
    """Row order that depends only on what the rows hold (cluster label, then values), not on their input order.

    Resampling rows in this order draws the same resamples for the same data shuffled, so results do not
    depend on how an export was sorted; rows that tie are identical, so their order does not matter.

    Examples
    --------
    >>> canonical_order([[2.0], [1.0], [3.0]]).tolist()
    [1, 0, 2]
    """
    values = np.asarray(values, dtype=float)
    keys = list(values.reshape(len(values), -1).T)
    if clusters is not None:
        labels, _ = pd.factorize(pd.Series(clusters, dtype=object).astype("string"), sort=True)
        keys.insert(0, labels)
    return np.lexsort(keys[::-1])


def bootstrap_weights(n_rows: int, *, clusters=None, n_boot: int = 200, random_state=None) -> Iterator[np.ndarray]:
    """Draw *n_boot* bootstrap resamples of *n_rows* rows, as row weights, in chunks.

    Parameters
    ----------
    n_rows : int
        Rows of the data.
    clusters : array-like, optional
        A label per row (e.g. the customer); whole clusters are drawn with
        replacement, as many as there are clusters. Missing labels are
        clusters of one row. Default: rows are drawn independently.
    n_boot : int
        Number of resamples.
    random_state : int, RandomState or None
        Seed of the draws.

    Yields
    ------
    ndarray of shape (chunk, n_rows)
        How many times each row is in each resample; chunks together hold
        *n_boot* resamples, in the same order for the same seed.

    Examples
    --------
    >>> weights = np.vstack(list(bootstrap_weights(4, n_boot=3, random_state=0)))
    >>> weights.shape, weights.sum(axis=1).tolist()
    ((3, 4), [4.0, 4.0, 4.0])
    """
    check_positive(n_boot=n_boot)
    rng = check_random_state(random_state)
    codes = cluster_codes(clusters, n_rows)
    n_clusters = int(codes.max(initial=-1)) + 1
    chunk = max(1, _CHUNK_CELLS // max(n_rows, 1))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.randint(0, n_clusters, size=(size, n_clusters)) + n_clusters * np.arange(size)[:, None]
        counts = np.bincount(draws.ravel(), minlength=size * n_clusters).reshape(size, n_clusters)
        yield (counts if clusters is None else counts[:, codes]).astype(float)


def bootstrap_sums(per_cluster: np.ndarray, *, n_boot: int = 200, random_state=None) -> Iterator[np.ndarray]:
    """Column sums of *per_cluster* (one row per cluster) in *n_boot* cluster bootstrap resamples, in chunks.

    The resamples are those of ``bootstrap_weights(len(per_cluster), n_boot=n_boot, random_state=random_state)``,
    drawn from the same random stream in the same order; only a chunk's draws are held at a time, and each chunk's
    sums are one matrix product (on one thread: a product of this shape gains nothing from more).

    Yields
    ------
    ndarray of shape (chunk, per_cluster.shape[1])
        Chunks together hold *n_boot* resamples.

    Examples
    --------
    >>> per_cluster = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> weights = np.vstack(list(bootstrap_weights(3, n_boot=4, random_state=0)))
    >>> bool(np.array_equal(np.vstack(list(bootstrap_sums(per_cluster, n_boot=4, random_state=0))),
    ...                     weights @ per_cluster))
    True
    """
    from threadpoolctl import threadpool_limits

    check_positive(n_boot=n_boot)
    rng = check_random_state(random_state)
    n_clusters = len(per_cluster)
    chunk = max(1, _SUM_CHUNK_CELLS // max(n_clusters, 1))
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        draws = rng.randint(0, max(n_clusters, 1), size=(size, n_clusters), dtype=np.int32)  # as int64 draws, faster
        counts = np.empty((size, n_clusters))
        for row, drawn in enumerate(draws):
            counts[row] = np.bincount(drawn, minlength=n_clusters)
        with threadpool_limits(1):
            sums = counts @ per_cluster
        yield sums


def percentile_interval(samples: np.ndarray, *, level: float = 0.95, axis: int = 0):
    """Percentile bootstrap interval ``(low, high)`` of *samples* along *axis*, ignoring NaN resamples."""
    check_fraction("level", level)
    tail = 100 * (1 - level) / 2
    with warnings.catch_warnings():   # a statistic no resample could compute stays NaN, silently
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = np.nanpercentile(samples, [tail, 100 - tail], axis=axis)
    return low, high
