"""The pandera models of the canonical tables (loaded on first use through :mod:`cxresearch.schemas`).

Each table is a :class:`pandera.pandas.DataFrameModel` whose attributes are the
canonical column names. Each field's ``description`` says, in words, what a
valid value is; error messages quote it.
"""
from __future__ import annotations

from typing import Optional

import sys

import pandas as pd

# pandera imports pyspark.pandas whenever pyspark is installed (cxresearch's spark extra): on import, and for
# its pyspark type annotations when it builds a schema. Nothing here uses either, and it costs ~0.4 s of CPU and
# a FutureWarning on stderr ("PySpark does not yet fully support pandas >= 3") in every process that checks an
# export. A None entry makes those imports raise ImportError, which pandera catches (its pyspark typing module
# then records pyspark as absent); an already imported pyspark.pandas is left alone.
_BLOCK_PYSPARK_PANDAS = "pyspark.pandas" not in sys.modules
if _BLOCK_PYSPARK_PANDAS:
    sys.modules["pyspark.pandas"] = None
try:
    import pandera.pandas as pa
    import pandera.typing.pyspark  # noqa: F401  (imported while blocked: see above)
    from pandera.typing import Series
finally:
    if _BLOCK_PYSPARK_PANDAS:
        del sys.modules["pyspark.pandas"]

from .i18n import N_

__all__ = ["Customers", "Events", "Surveys", "Reviews", "Interventions", "SCHEMAS"]

_UTC = {"unit": "us", "tz": "UTC"}


def _whole(series: pd.Series) -> pd.Series:
    return series % 1 == 0



def _score(low: int, high: int, *, alias: str | None = None, regex: bool = False):
    return pa.Field(ge=low, le=high, nullable=True, alias=alias, regex=regex,
                    description=f"a whole number from {low} to {high}")


class _Table(pa.DataFrameModel):
    class Config:
        strict = False
        coerce = False


class Customers(_Table):
    """One row per customer; any further columns are attributes."""

    customer_id: Series[str] = pa.Field(unique=True, description=N_("a unique customer id"))


class Events(_Table):
    """Behavioural events: one row per interaction on a channel's touchpoint."""

    customer_id: Series[str] = pa.Field(description=N_("a customer id"))
    timestamp: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description=N_("an ISO-8601 date-time"))
    channel: Series[str] = pa.Field(description=N_("a channel name such as 'web' or 'store'"))
    touchpoint: Series[str] = pa.Field(description=N_("a touchpoint name such as 'checkout'"))
    value: Optional[Series[float]] = pa.Field(nullable=True, description=N_("a money amount"))


class Surveys(_Table):
    """Survey answers; scores are optional, each on its standard scale."""

    response_id: Series[str] = pa.Field(unique=True, description=N_("a unique response id"))
    timestamp: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description=N_("an ISO-8601 date-time"))
    customer_id: Optional[Series[str]] = pa.Field(nullable=True, description=N_("a customer id"))
    nps: Optional[Series[float]] = _score(0, 10)
    csat: Optional[Series[float]] = _score(1, 5)
    ces: Optional[Series[float]] = _score(1, 7)
    rating: Optional[Series[float]] = _score(1, 5, alias=r"rating_.+", regex=True)

    @pa.check("nps", "csat", "ces", r"rating_.+", regex=True, name="whole_number")
    @classmethod
    def _scores_are_whole(cls, score: pd.Series) -> pd.Series:
        return _whole(score)


class Reviews(_Table):
    """Online reviews with a 1-5 star rating."""

    review_id: Series[str] = pa.Field(unique=True, description=N_("a unique review id"))
    timestamp: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description=N_("an ISO-8601 date-time"))
    rating: Series[float] = pa.Field(ge=1, le=5, description=N_("a whole number from 1 to 5"))
    customer_id: Optional[Series[str]] = pa.Field(nullable=True, description=N_("a customer id"))

    @pa.check("rating", name="whole_number")
    @classmethod
    def _rating_is_whole(cls, rating: pd.Series) -> pd.Series:
        return _whole(rating)


class Interventions(_Table):
    """Changes the company made at a channel, touchpoint or stage, to measure their effect."""

    intervention_id: Series[str] = pa.Field(unique=True, description=N_("a unique intervention id"))
    start: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs=_UTC, description=N_("the date the change started"))
    end: Optional[Series[pd.DatetimeTZDtype]] = pa.Field(dtype_kwargs=_UTC, nullable=True,
                                                         description=N_("the date the change ended (optional)"))
    scope: Series[str] = pa.Field(description=N_("a channel, touchpoint or stage of the data"))


SCHEMAS = {"customers": Customers, "events": Events, "surveys": Surveys, "reviews": Reviews,
           "interventions": Interventions}
