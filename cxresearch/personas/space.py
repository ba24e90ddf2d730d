"""The personas' space: every variable of a per-customer table as one block, weighted as FAMD does.

Numbers get the median for missing values and, when skewed and non-negative,
a log; text columns are one-hot encoded; the channel shares together are one
composition, taken as centred log-ratios. Each block is centred and scaled so
that no variable weighs more than one unit on any direction of the space.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from ..features import feature_group

SKEW_THRESHOLD = 1.0
MAX_CATEGORIES = 12
#: Added to every channel share before the log-ratio, so a channel never or once used is a small share, not log(0).
SHARE_FLOOR = 0.1
#: Name of the variable made of all channel shares.
CHANNEL_MIX = "channel mix"


#: Names of columns that identify things rather than group customers (landing_page_id, store_key, zip_code).
ID_NAME = re.compile(r"(^|_)(id|ids|key|code|uuid|hash|number|no)$", re.IGNORECASE)
#: Values that read as codes, not words: hexadecimal hashes of 8 characters or more, or digits only.
ID_VALUE = re.compile(r"[0-9a-fA-F-]{8,}|\d+")
#: Share of the distinct values of a text column, at most, that may read as codes before it is id-like.
ID_SHARE = 0.5


def id_like(values: pd.Series) -> bool:
    """True when a text column identifies things (landing pages, stores, orders) rather than grouping customers
    into kinds: its name says so (``*_id``, ``*_key``, ``*_code``...) or most of its distinct values are codes
    (hashes, digits). Such a column never describes a persona: "40dec9f3... landing page id" says nothing.

    Examples
    --------
    >>> id_like(pd.Series(["40dec9f3d5259a3d2dbcdab2114fae47", "88740e65d5d6b056e0cda098e1ea6313"], name="page"))
    True
    >>> id_like(pd.Series(["credit_card", "boleto"], name="payment_type"))
    False
    """
    if pd.api.types.is_numeric_dtype(values):
        return False
    if ID_NAME.search(str(values.name)):
        return True
    distinct = pd.Series(values.dropna().unique()).astype(str)
    return bool(len(distinct) and distinct.str.fullmatch(ID_VALUE.pattern).mean() > ID_SHARE)


#: Correlation from which two numeric columns measure the same thing (olist's CSAT and review stars, one review
#: each): only the first shapes the personas, so that no fact weighs twice.
SAME_MEASURE = 0.95


def same_measures(frame: pd.DataFrame, columns: list[str], *, sample: int = 20_000) -> dict[str, str]:
    """Numeric *columns* that measure the same thing as an earlier one (|r| at least :data:`SAME_MEASURE`, on at
    most *sample* evenly spaced rows), each mapped to that earlier column.

    Examples
    --------
    >>> frame = pd.DataFrame({"csat": [1, 5, 4, 2], "review_rating": [1, 5, 4, 2], "age": [30, 20, 50, 40]})
    >>> same_measures(frame, ["csat", "review_rating", "age"])
    {'review_rating': 'csat'}
    """
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(frame[c])]
    rows = np.unique(np.linspace(0, len(frame) - 1, min(len(frame), sample)).astype(int))
    r = frame[numeric].iloc[rows].astype(float).corr().abs().fillna(0.0)
    same, kept = {}, []
    for column in numeric:
        twin = next((k for k in kept if r.at[k, column] >= SAME_MEASURE), None)
        if twin is None:
            kept.append(column)
        else:
            same[column] = twin
    return same


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


def preprocessor(frame: pd.DataFrame) -> ColumnTransformer:
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
            kind, steps = "categories", [text_encoder()]
        else:
            kind = "number"
            column = values.iloc[:, 0].astype(float)
            skewed = column.min() >= 0 and column.skew() > SKEW_THRESHOLD
            steps = [SimpleImputer(strategy="median", keep_empty_features=True),
                     *([FunctionTransformer(_log1p_nonnegative, feature_names_out="one-to-one")] if skewed else [])]
        parts.append((name, make_pipeline(*steps, _FamdScaler(kind)), columns))
    return ColumnTransformer(parts, verbose_feature_names_out=False)


def _as_text(values):
    """Values as a fixed-width text array: scikit-learn counts categories of one with numpy, of objects one by one."""
    return np.asarray(values, dtype=str)


#: The category a missing value of a text attribute is encoded as.
MISSING = "missing"


def text_encoder():
    """One-hot encoding of text columns ("region=north"), missing as its own category, rare ones grouped."""
    return make_pipeline(SimpleImputer(strategy="constant", fill_value=MISSING, keep_empty_features=True),
                         FunctionTransformer(_as_text, feature_names_out="one-to-one"),
                         OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES,
                                       sparse_output=False, feature_name_combiner=_category_name))

