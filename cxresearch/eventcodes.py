"""Integer codes and counting kernels for event logs in journey order.

Columns become integer codes (:func:`encode`); tables are then counted by
combining codes into one integer key and calling :func:`numpy.bincount`, so no
step loops over rows or customers. Used by :mod:`~cxresearch.sessions` and
:class:`~cxresearch.journeys.JourneyMap`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def encode(values: pd.Series, order: np.ndarray | None = None) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 = missing, taken in *order*) and sorted labels of a column."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, labels = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, labels = pd.factorize(values, sort=True)
    codes = codes if order is None else codes[order]  # gathered while still narrow (int8 for categories)
    return codes.astype(np.int64, copy=False), pd.Index(labels, dtype=object)


def session_positions(start: np.ndarray) -> np.ndarray:
    """1-based position of each event in its session."""
    index = np.arange(len(start))
    return index - np.maximum.accumulate(np.where(start, index, 0)) + 1


def distinct_pairs(customer: np.ndarray, key: np.ndarray, n_keys: int) -> np.ndarray:
    """Distinct (customer, key) pairs, encoded as ``customer * n_keys + key``.

    *customer* is non-decreasing (events in journey order), so the codes are
    already sorted by blocks and a stable (tim)sort finishes them in one pass.
    """
    combined = np.sort(customer * n_keys + key, kind="stable")
    new = np.ones(len(combined), bool)
    new[1:] = combined[1:] != combined[:-1]
    return combined[new]


def distinct_customers(key: np.ndarray, customer: np.ndarray, n_keys: int) -> np.ndarray:
    """Distinct customers per key code (0..n_keys-1)."""
    return np.bincount(distinct_pairs(customer, key, n_keys) % n_keys, minlength=n_keys)


def group_median(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of non-negative int64 *values* per group code, NaN for empty groups."""
    counts = np.bincount(group, minlength=n_groups)
    if not len(values):
        return np.full(n_groups, np.nan)
    span = int(values.max()) + 1
    if n_groups * span < 2**62:  # sorting one combined key is cheaper than an argsort
        ordered = np.sort(group * span + values) - np.repeat(np.arange(n_groups) * span, counts)
    else:
        ordered = values[np.lexsort((values, group))]
    starts = np.cumsum(counts) - counts
    low = ordered[np.clip(starts + (counts - 1) // 2, 0, len(ordered) - 1)]
    high = ordered[np.clip(starts + counts // 2, 0, len(ordered) - 1)]
    return np.where(counts > 0, low + (high - low) / 2, np.nan)


def most_common(codes: np.ndarray, values: np.ndarray, n_codes: int, n_values: int) -> np.ndarray:
    """Most frequent value code (-1 = missing) per code."""
    counts = np.bincount(codes * (n_values + 1) + values + 1, minlength=n_codes * (n_values + 1))
    return counts.reshape(n_codes, n_values + 1).argmax(axis=1) - 1


def decode(labels: pd.Index, codes: np.ndarray) -> np.ndarray:
    """Labels of *codes*, None where the code is -1."""
    return np.append(np.asarray(labels, dtype=object), None)[codes]


def path_labels(rows: np.ndarray, touchpoints: pd.Index) -> np.ndarray:
    """"a > b > c" for each row of [truncated, code, code, ...] (code -1 = no step)."""
    names = np.append(np.asarray(touchpoints, dtype=object), "")[rows[:, 1:]]
    label = names[:, 0]
    for column in names.T[1:]:  # one pass per step, vectorised over paths
        label = np.where(column == "", label, label + " > " + column)
    return np.where(rows[:, 0] == 1, label + " > ...", label)
