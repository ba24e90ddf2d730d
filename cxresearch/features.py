"""Per-customer feature table: one row per customer from every table present.

:func:`customer_features` joins four blocks on ``customer_id``; a table that is
absent adds no columns. Column names are snake_case; ``<channel>``, ``<stage>``
and ``<touchpoint>`` are the (sanitised) values found in the data.

========================== ===========================================================
column                     meaning
========================== ===========================================================
**events**
n_events                   events of the customer
n_sessions                 sessions (:mod:`cxresearch.sessions`: a new one starts when
                           ``session_id`` changes or more than ``gap`` passes between
                           events; by default a given ``session_id`` is trusted)
events_per_session         n_events / n_sessions
frequency                  sessions per 30 days: n_sessions / max(tenure_days, 30) * 30
recency_days               days from the last event to ``as_of``
tenure_days                days from the first event to ``as_of``
share_<channel>            share of the customer's events on that channel
n_channels                 distinct channels used
cross_channel_sessions     share of sessions that use more than one channel
n_purchases                purchase events (``value`` > 0 or ``event == "purchase"``)
spend                      sum of positive ``value`` over purchase events
avg_order_value            spend / n_purchases (0 without purchases)
service_contacts           events in stage "service" or on channel chat / call_center
reached_<stage>            1 when the customer has an event in that journey stage
**surveys**
n_surveys                  survey answers linked to the customer
nps, csat, ces             mean answer of the customer (0-10, 1-5, 1-7)
rating_<touchpoint>        mean per-touchpoint rating (1-5)
**reviews**
n_reviews                  reviews written
review_rating              mean star rating (1-5)
review_sentiment           mean ``sentiment`` of the reviews, when reviews carry one
**customers**
<attribute>                numeric attributes as float, text attributes as str
days_since_<name>          for datetime attributes (``signup_date`` -> days_since_signup)
========================== ===========================================================

Missing values are explicit, never guessed here: counts and shares are 0 for a
customer without events, surveys or reviews (a true zero), while averages
(recency, tenure, NPS, ratings...) stay NaN when there is nothing to average.
:class:`~cxresearch.personas.PersonaModel` then imputes the median and adds a
missing-indicator column for each feature with gaps, so "did not answer" stays
visible to the clustering instead of being silently filled.
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import OUTCOMES, days_since, name_part, zero_when_absent
from .engine import choose_engine, execute
from .errors import DataError
from .sql import event_features_query, gap_parameters
from .sessions import AUTO_GAP, SessionLog, check_events, check_gap, cut_sessions, dataset_gap, narrow

__all__ = ["customer_features", "event_features", "persona_basis", "persona_sources", "feature_group",
           "FEATURE_GROUPS", "NoCustomerDataError", "PERSONA_BASIS", "DESCRIPTORS", "REPEAT_ONLY", "SERVICE_CHANNELS"]

#: Channels whose events count as service contacts.
SERVICE_CHANNELS = ("chat", "call_center")

_DAY = pd.Timedelta(days=1)


class NoCustomerDataError(DataError):
    """The dataset holds nothing to describe customers one by one.

    Raised by :func:`customer_features` (and so by
    :func:`~cxresearch.personas.fit_personas`) when no table gives rows per
    customer: no customers table, no events, and surveys or reviews without a
    filled ``customer_id``; and by :func:`~cxresearch.personas.fit_personas`
    when the customers found are too few or carry no attribute. ``str(error)``
    is one sentence for the page; :func:`persona_sources` tells beforehand.
    """

    def __init__(self, sentence: str):
        self.sentence = sentence
        super().__init__(sentence)

    def __str__(self) -> str:
        return self.sentence


def persona_sources(ds) -> list[str]:
    """Tables of *ds* that describe customers one by one, in the order customers, events, surveys, reviews.

    Customers and events always do; surveys and reviews only when they have a
    ``customer_id`` filled on at least one row. An empty list means no personas
    can be built (:func:`customer_features` raises :class:`NoCustomerDataError`).

    Examples
    --------
    >>> from cxresearch.dataset import CXDataset
    >>> surveys = pd.DataFrame({"response_id": ["r1"], "nps": [9]})
    >>> persona_sources(CXDataset(name="nps export", surveys=surveys))
    []
    """
    sources = []
    for name in ("customers", "events", "surveys", "reviews"):
        table = getattr(ds, name)
        if table is None or table.empty:
            continue
        if name in ("customers", "events") or ("customer_id" in table and table["customer_id"].notna().any()):
            sources.append(name)
    return sources


#: The sentence shown when a dataset has no per-customer source.
NO_CUSTOMER_SOURCE = ("No personas: the dataset has nothing per customer; add a customers table, events, "
                      "or a customer_id column to surveys or reviews.")


def customer_features(ds, *, as_of=None, gap=AUTO_GAP, engine: str = "auto") -> pd.DataFrame:
    """One row per customer (index ``customer_id``) from every table of *ds*.

    Customer ids are looked up once per table, in Arrow, as positions in the
    list of customers; every block is computed on those positions and the ids
    label only the finished table.

    Parameters
    ----------
    ds : CXDataset
        The loaded dataset; any of its tables may be None.
    as_of : timestamp-like, optional
        Reference time for recency, tenure and ``days_since_*`` columns; defaults
        to the latest timestamp found in events, surveys and reviews.
    gap : "auto", str, Timedelta or None
        Inactivity that starts a new session, as in
        :func:`~cxresearch.sessions.sessionize`; "auto" (default) takes the
        dataset's ``session_gap``.
    engine : {"auto", "pandas", "duckdb"}
        Who aggregates the events (see :func:`event_features`); same result either way.

    Returns
    -------
    pandas.DataFrame
        Columns as listed in the module docstring. Rows are the customers table
        when present, else every customer id seen in the other tables.

    Raises
    ------
    NoCustomerDataError
        When no table describes customers one by one (see :func:`persona_sources`).

    Examples
    --------
    >>> from cxresearch import load_dataset
    >>> features = customer_features(load_dataset("data/demo"))  # doctest: +SKIP
    """
    sources = persona_sources(ds)
    if not sources:
        raise NoCustomerDataError(NO_CUSTOMER_SOURCE)
    reference = _reference_time(ds, as_of)
    if "customers" in sources:
        ids = ds.customers["customer_id"].astype("str")
        keys = pc.unique(_arrow(ids))
    else:
        keys = _sorted_keys([getattr(ds, name)["customer_id"] for name in sources])
    blocks = []
    if "events" in sources:
        blocks.append(_event_block(ds.events, keys, as_of=reference, gap=dataset_gap(ds, gap),
                                   stages=list(ds.stages), engine=engine))
    if "surveys" in sources:
        blocks.append(_survey_features(ds.surveys, keys))
    if "reviews" in sources:
        blocks.append(_review_features(ds.reviews, keys))
    if "customers" in sources:
        if len(keys) < len(ids):  # a customer listed twice: each of its rows gets its features
            rows = _positions(ids, keys)
            blocks = [block.take(rows).reset_index(drop=True) for block in blocks]
        blocks.insert(0, _profile_features(ds.customers, as_of=reference))
    else:
        ids = keys.to_pandas()
    table = pd.concat(blocks, axis=1) if len(blocks) > 1 else blocks[0]
    table.index = pd.Index(ids, dtype="str", name="customer_id")
    return table.fillna({c: 0.0 for c in table.columns if zero_when_absent(c)})


def event_features(events: pd.DataFrame, *, as_of=None, gap=AUTO_GAP, stages=(), engine: str = "auto") -> pd.DataFrame:
    """Behavioural features per customer from the events table.

    Two engines give the same table. ``"pandas"`` cuts sessions with
    :func:`~cxresearch.sessions.cut_sessions` and counts with numpy kernels
    over integer codes (:func:`numpy.bincount`); ``"duckdb"`` runs the one SQL
    definition of the session cutting and the aggregates,
    :func:`cxresearch.sql.event_features_query`, which Spark can run too.
    See the module docstring for the columns.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events: customer_id, timestamp, channel, touchpoint and the
        optional event, session_id, value, stage.
    as_of : timestamp-like, optional
        Reference time for recency and tenure (default: the last event).
    gap : "auto", str, Timedelta or None
        Inactivity that starts a new session (see :func:`~cxresearch.sessions.sessionize`).
    stages : sequence of str
        Stage order for the ``reached_<stage>`` columns; stages found in the
        data but not listed follow in alphabetical order.
    engine : {"auto", "pandas", "duckdb"}
        Who aggregates; ``"auto"`` is ``"pandas"`` at every size: on events in
        memory its kernels take about a quarter of the CPU time of the SQL
        definition's two window passes (``bench/run.py``, features step).

    Returns
    -------
    pandas.DataFrame
        One row per customer with events (index ``customer_id``, sorted).
    """
    check_events(events, ("customer_id", "timestamp"))
    keys = _sorted_keys([events["customer_id"]])
    out = _event_block(events, keys, as_of=as_of, gap=gap, stages=stages, engine=engine)
    out.index = pd.Index(keys.to_pandas(), dtype="str", name="customer_id")
    return out


def _event_block(events: pd.DataFrame, keys: pa.Array, *, as_of, gap, stages, engine: str) -> pd.DataFrame:
    """The columns of :func:`event_features` for each customer of *keys*, in that order (default index).

    A customer without events has NaN everywhere (the caller fills counts with
    0); events of customers not in *keys* count for nothing.
    """
    engine = "pandas" if engine == "auto" else choose_engine(engine, len(events))
    gap = check_gap(gap)
    check_events(events, ("customer_id", "timestamp"))
    events = events[[c for c in _AGGREGATED if c in events]]
    with ThreadPoolExecutor(max_workers=1) as pool:  # Arrow and numpy release the GIL: the two run side by side
        cut = pool.submit(_cut_sessions, events, keys, gap) if engine == "pandas" else None
        channel = _LabelCodes(events["channel"])
        stage = _LabelCodes(events["stage"] if "stage" in events else None, stages)
        coded = cut.result() if cut is not None else None
    if engine == "duckdb":
        table = _duckdb_aggregates(events, gap, channel.labels, stage.labels)
        out = table.set_axis(_positions(table.index.to_series(), keys)).reindex(range(len(keys)))
        for column in ("first", "last"):
            out[column] = out[column].to_numpy(dtype="datetime64[ns]").view(np.int64)
    else:
        out = _pandas_aggregates(events, coded, len(keys), channel, stage)
    has_events = out["n_events"].to_numpy() > 0
    reference = (pd.Timestamp(as_of) if as_of is not None else events["timestamp"].max()).value
    per_channel = out[[f"_on_{i}" for i in range(len(channel.labels))]].to_numpy(dtype=float)
    out["events_per_session"] = out["n_events"] / out["n_sessions"]
    out["recency_days"] = (reference - out.pop("last").to_numpy()) / _DAY.value
    out["tenure_days"] = (reference - out.pop("first").to_numpy()) / _DAY.value
    out["frequency"] = out["n_sessions"] / np.maximum(out["tenure_days"], 30) * 30
    out["avg_order_value"] = (out["spend"] / out["n_purchases"]).where(out["n_purchases"] > 0, 0.0)
    out["n_channels"] = (per_channel > 0).sum(axis=1)
    with np.errstate(invalid="ignore"):  # customers without events: 0 / 0, masked below
        shares = pd.DataFrame(per_channel / per_channel.sum(axis=1, keepdims=True), index=out.index,
                              columns=[f"share_{name_part(c)}" for c in channel.labels])
    reached = out[[f"_reached_{i}" for i in range(len(stage.labels))]].set_axis(
        [f"reached_{name_part(s)}" for s in stage.labels], axis=1)
    out = pd.concat([out[_EVENT_COLUMNS], shares, reached], axis=1).astype(float)
    return out if has_events.all() else out.where(pd.Series(has_events, index=out.index), axis=0)


_EVENT_COLUMNS = ["n_events", "n_sessions", "n_channels", "n_purchases", "spend", "service_contacts",
                  "events_per_session", "recency_days", "tenure_days", "frequency", "avg_order_value",
                  "cross_channel_sessions"]


_AGGREGATED = ["customer_id", "timestamp", "session_id", "channel", "stage", "event", "value"]


class _LabelCodes:
    """A text column of the events dictionary-encoded once in Arrow: ``labels`` in column order
    (the *first* given ones found in the data, then the others sorted) and ``codes``, each event's position
    in them (-1 where missing; None for an absent column), in the narrowest integer type."""

    def __init__(self, values: pd.Series | None, first=()):
        if values is None:
            self.labels, self.codes = [], None
            return
        encoded = pc.dictionary_encode(_arrow(values)).unify_dictionaries()
        found = encoded.chunk(0).dictionary.to_pylist() if encoded.num_chunks else []
        self.labels = [s for s in first if s in found] + sorted(set(found) - set(first))
        position = narrow(np.array([self.labels.index(value) for value in found] + [-1]), len(self.labels))
        indices = pa.chunked_array([chunk.indices for chunk in encoded.chunks], pa.int32())
        self.codes = position[(pc.fill_null(indices, -1) if indices.null_count else indices).to_numpy()]

    def flags(self, labels) -> np.ndarray | None:
        """True for the events whose label is one of *labels*; None for an absent column."""
        if self.codes is None:
            return None
        return np.isin(self.codes, [self.labels.index(label) for label in labels if label in self.labels])

    def per_customer(self, customer: np.ndarray, n_customers: int) -> np.ndarray:
        """Events per customer code (rows) and label (columns); code -1 is left out."""
        if not self.labels:
            return np.zeros((n_customers, 0), np.int64)
        width = len(self.labels) + 1
        key = customer * width
        key += self.codes
        key += 1
        counts = np.bincount(key, minlength=n_customers * width)
        return counts.reshape(n_customers, width)[:, 1:]


def _cut_sessions(events: pd.DataFrame, keys: pa.Array, gap) -> tuple[np.ndarray, SessionLog]:
    """Each event's customer, as its position in *keys* (``len(keys)``: none of them), and the events cut
    into sessions (:func:`~cxresearch.sessions.cut_sessions`) with those codes."""
    customer = _positions(events["customer_id"], keys, missing=len(keys))
    return customer, cut_sessions(events, gap, customer=(customer, pd.RangeIndex(len(keys) + 1)))


def _pandas_aggregates(events: pd.DataFrame, coded: tuple[np.ndarray, SessionLog], n: int, channel: _LabelCodes,
                       stage: _LabelCodes) -> pd.DataFrame:
    """Per-customer aggregates (the columns of ``cxresearch/sql/event_features.sql``) with numpy kernels.

    *coded* is each event's customer code and the sessions (:func:`_cut_sessions`)
    of the *n* customers and of one more code, the events of no customer, dropped at the end;
    counts are one :func:`numpy.bincount` over the customer codes of the
    events in file order (or over customer and channel or stage codes
    combined), so no step groups or hashes text, and only what depends on the
    order is taken in journey order: session starts and channel changes, and
    the spend, summed in journey order. One row per customer; ``first`` and
    ``last`` in int64 nanoseconds.
    """
    customer, log = coded
    size = n + 1

    def journey(values: np.ndarray) -> np.ndarray:
        return values if log.ordered else values[log.order]

    purchase = _purchases(events)
    value = events["value"].to_numpy(dtype=float, na_value=np.nan) if "value" in events else np.zeros(len(events))
    paid = np.flatnonzero(journey(purchase & (value > 0)))  # in journey order, the order spend is summed in
    service = channel.flags(SERVICE_CHANNELS)
    if "service" in stage.labels:
        service |= stage.codes == stage.labels.index("service")
    counts = np.bincount(customer, minlength=size)
    starts = np.flatnonzero(log.start)
    sessions = np.bincount(log.customer[starts], minlength=size)
    first = np.minimum(np.cumsum(counts) - counts, len(customer) - 1)  # customers without events: masked later
    multi_channel = _multi_channel(journey(channel.codes), starts, len(channel.labels))
    with np.errstate(invalid="ignore"):
        out = pd.DataFrame({
            "n_events": counts,
            "n_sessions": sessions,
            "first": log.time[first],
            "last": log.time[np.maximum(first + counts - 1, 0)],
            "n_purchases": np.bincount(customer[purchase], minlength=size),
            "spend": np.bincount(log.customer[paid], weights=value[log.order[paid]], minlength=size),
            "service_contacts": np.bincount(customer[service], minlength=size),
            "cross_channel_sessions": np.bincount(log.customer[starts], weights=multi_channel,
                                                  minlength=size) / sessions,
        })
    on = channel.per_customer(customer, size)
    reached = stage.per_customer(customer, size) > 0
    out = pd.concat([out, pd.DataFrame(on, columns=[f"_on_{i}" for i in range(len(channel.labels))]),
                     pd.DataFrame(reached.astype(float), columns=[f"_reached_{i}" for i in range(len(stage.labels))])],
                    axis=1)
    return out.iloc[:n]


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    """*values* as Arrow text (pandas' Arrow-backed text as it is, other columns converted)."""
    if not (isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"):
        values = values.astype("str")
    return pa.chunked_array(values.array.__arrow_array__()).cast(pa.large_string())


def _positions(values: pd.Series, keys: pa.Array, *, missing: int = -1) -> np.ndarray:
    """Position of each of *values* in *keys* (int64); *missing* where missing or not in *keys*.

    Where equal values come in runs (events grouped by customer), only the
    first of each run is looked up: comparing neighbours costs a fraction of hashing every value.
    """
    strings = _arrow(values)
    heads = lengths = None
    if len(strings) > 1 and _in_runs(strings[:_RUN_SAMPLE]):
        same = pc.fill_null(pc.equal(strings[1:], strings[:-1]), False).to_numpy(zero_copy_only=False)
        heads = np.flatnonzero(np.concatenate(([True], ~same)))
        lengths = np.diff(heads, append=len(strings))
        strings = strings.take(heads)
    found = pc.fill_null(pc.index_in(strings, value_set=keys), missing).to_numpy().astype(np.int64)
    return found if heads is None else np.repeat(found, lengths)


#: Values sampled to tell whether equal values come in runs (:func:`_positions`).
_RUN_SAMPLE = 10_000


def _in_runs(strings: pa.ChunkedArray) -> bool:
    """True when at least half of *strings* equal the one before them."""
    same = pc.sum(pc.fill_null(pc.equal(strings[1:], strings[:-1]), False)).as_py() or 0
    return 2 * same >= len(strings) - 1


def _sorted_keys(columns) -> pa.Array:
    """The distinct customer ids found in *columns*, sorted, as Arrow text."""
    found = pc.drop_null(pc.unique(pa.chunked_array([pc.unique(_arrow(column)) for column in columns],
                                                    pa.large_string())))
    return found.take(pc.array_sort_indices(found))


def _multi_channel(channel: np.ndarray, starts: np.ndarray, n_channels: int) -> np.ndarray:
    """1.0 for each session (starting at the rows *starts*) with more than one known channel, else 0.0."""
    if not len(starts):
        return np.zeros(0)
    highest = np.maximum.reduceat(channel, starts)
    lowest = np.minimum.reduceat(np.where(channel < 0, n_channels, channel), starts)
    return ((highest >= 0) & (lowest < highest)).astype(float)


def _duckdb_aggregates(events: pd.DataFrame, gap, channels: list, stages: list) -> pd.DataFrame:
    """The same aggregates as :func:`_pandas_aggregates`, by :func:`~cxresearch.sql.event_features_query` in DuckDB."""
    query = event_features_query([*events.columns, "event_row"], channels=channels, stages=stages,
                                 service_channels=SERVICE_CHANNELS)
    table = execute(query, {"events": events.assign(event_row=np.arange(len(events)))}, parameters=gap_parameters(gap))
    return table.set_index("customer_id")


def _purchases(events: pd.DataFrame) -> np.ndarray:
    """True for purchase events: positive value or event == "purchase"."""
    is_purchase = np.zeros(len(events), bool)
    if "value" in events:
        is_purchase |= events["value"].to_numpy(dtype=float, na_value=np.nan) > 0
    if "event" in events:
        is_purchase |= events["event"].eq("purchase").to_numpy(dtype=bool, na_value=False)
    return is_purchase


#: The part of a persona description each feature belongs to, by column-name pattern.
FEATURE_GROUPS = {
    "behaviour": re.compile(r"^(n_events|n_sessions|events_per_session|frequency|recency_days|tenure_days|"
                            r"n_channels|cross_channel_sessions|n_purchases|spend|avg_order_value|"
                            r"service_contacts)$"),
    "channels": re.compile(r"^share_"),
    "journey": re.compile(r"^reached_"),
    "ratings": re.compile(r"^rating_"),
    "voice": re.compile(r"^(n_surveys|nps|csat|ces|n_reviews|review_rating|review_sentiment)$"),
}


#: Customer attributes that describe personas without shaping them: place, gender, family status,
#: language, identifiers and outcomes (:data:`~cxresearch.columns.OUTCOMES`: churn, subscribed, purchased, converted,
#: won, approved, satisfied), which would otherwise split customers on who they are on paper or on how the story ended rather than on how
#: they behave and what they value.
DESCRIPTORS = re.compile(r"^(.*_)?(id|city|state|region|country|zip|zip_code|postcode|postal_code|latitude|"
                         r"longitude|gender|sex|married|marital|marital_status|partner|language|preferred_language)$|"
                         + OUTCOMES.pattern)

#: Behaviour that only means something when customers come back: for one-visit customers recency and
#: tenure just say when they came, and frequency and purchase counts are the same for nearly everyone.
REPEAT_ONLY = re.compile(r"^(frequency|recency_days|tenure_days|n_purchases)$")

#: Behaviour, value, channel mix and voice columns that may shape personas; counts that restate others
#: (n_events, n_sessions, spend...), journey reach and the number of answers only describe them.
PERSONA_BASIS = re.compile(r"^(frequency|recency_days|tenure_days|n_purchases|avg_order_value|service_contacts|"
                           r"share_.+|nps|csat|ces|rating_.+|review_rating|review_sentiment)$")

#: Correlation with the events' tenure from which a customer date is the first visit itself (bpic2012's
#: application registered): for customers who do not come back it only says when they came.
SAME_DATE = 0.9

#: Share of customers with more than one session from which customers count as repeating.
REPEAT_SHARE = 0.2

#: Most categories of a text attribute that shapes personas (more: a name, a city, a free text).
MAX_LEVELS = 15


def persona_basis(features: pd.DataFrame, *, max_missing: float = 0.5) -> list[str]:
    """Columns of *features* that shape personas (``PersonaModel(active=...)``); the others describe them.

    A column shapes personas when it varies, is missing for at most
    *max_missing* of the customers and is one of:

    - behaviour and value (:data:`PERSONA_BASIS`): order value, service
      contacts, the channel mix (two channels or more) and, only when at least
      :data:`REPEAT_SHARE` of the customers come back (more than one purchase
      where the data has purchases, else more than one session), frequency,
      recency, tenure and purchase count (:data:`REPEAT_ONLY`);
    - voice: NPS, CSAT, CES, touchpoint ratings, review stars and sentiment;
    - customer attributes: numbers, and texts with at most :data:`MAX_LEVELS`
      categories, except the :data:`DESCRIPTORS` (place, gender, family
      status, language, ids, churn outcomes) and, when the events give the
      tenure of repeating customers, the ``days_since_*`` of customer dates
      (for customers who do not come back, those of the first visit itself,
      correlated at :data:`SAME_DATE` with tenure: when they came).

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [30, 40, 50], "region": ["n", "s", "n"], "share_app": [0.1, 0.5, 0.9],
    ...                       "share_web": [0.9, 0.5, 0.1], "nps": [9, None, None], "n_sessions": [1, 1, 1],
    ...                       "recency_days": [3.0, 40.0, 9.0]})
    >>> persona_basis(frame)
    ['age', 'share_app', 'share_web']
    """
    repeat = _repeat_share(features) >= REPEAT_SHARE
    missing = features.isna().mean()
    shares = [c for c in features.columns if feature_group(c) == "channels"]
    basis = []
    for column in features.columns:
        name, values = str(column), features[column]
        if missing[column] > max_missing or values.nunique() < 2:
            continue
        if feature_group(name) == "profile":
            numeric = pd.api.types.is_numeric_dtype(values)
            shaping = not DESCRIPTORS.match(name) and (numeric or values.nunique() <= MAX_LEVELS)
            shaping &= not (name.startswith("days_since_") and "tenure_days" in features and (
                repeat or abs(values.corr(features["tenure_days"])) >= SAME_DATE))
        else:
            shaping = bool(PERSONA_BASIS.match(name)) and (repeat or not REPEAT_ONLY.match(name))
            shaping &= name not in shares or len(shares) > 1
        if shaping:
            basis.append(column)
    return basis


def _repeat_share(features: pd.DataFrame) -> float:
    """Share of customers who came back: more than one purchase, or more than one session without purchases."""
    if "n_purchases" in features and features["n_purchases"].gt(0).any():
        return float(features["n_purchases"].gt(1).mean())
    return float(features["n_sessions"].gt(1).mean()) if "n_sessions" in features else 0.0


def feature_group(column: str) -> str:
    """Group of a feature column: one of :data:`FEATURE_GROUPS`, else ``"profile"``.

    Examples
    --------
    >>> feature_group("share_app"), feature_group("age")
    ('channels', 'profile')
    """
    return next((group for group, pattern in FEATURE_GROUPS.items() if pattern.match(str(column))), "profile")


def _survey_features(surveys: pd.DataFrame, keys: pa.Array) -> pd.DataFrame:
    linked = surveys.dropna(subset=["customer_id"])
    by = linked.groupby(_positions(linked["customer_id"], keys), sort=True)
    scores = [c for c in ("nps", "csat", "ces") if c in linked]
    ratings = [c for c in linked.columns if c.startswith("rating_")]
    out = by[scores + ratings].mean().astype(float)
    out.insert(0, "n_surveys", by.size().astype(float))
    return out.reindex(range(len(keys)))


def _review_features(reviews: pd.DataFrame, keys: pa.Array) -> pd.DataFrame:
    linked = reviews.dropna(subset=["customer_id"])
    by = linked.groupby(_positions(linked["customer_id"], keys), sort=True)
    out = pd.DataFrame({"n_reviews": by.size().astype(float), "review_rating": by["rating"].mean()})
    if "sentiment" in linked:
        out["review_sentiment"] = by["sentiment"].mean()
    return out.reindex(range(len(keys)))


def _profile_features(customers: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """The customers table's attributes, in its row order (default index); dates as days since."""
    profile = customers.drop(columns="customer_id").reset_index(drop=True)
    dates = profile.select_dtypes(include=["datetime", "datetimetz"]).columns
    if as_of is not None and len(dates):
        elapsed = profile[dates].rsub(as_of).div(_DAY)
        elapsed.columns = [days_since(c) for c in dates]
        profile = profile.drop(columns=dates).join(elapsed)
    else:
        profile = profile.drop(columns=dates)
    return profile


def _reference_time(ds, as_of):
    if as_of is not None:
        return pd.Timestamp(as_of)
    latest = [t["timestamp"].max() for t in (ds.events, ds.surveys, ds.reviews)
              if t is not None and len(t) and "timestamp" in t]
    return max(latest) if latest else None
