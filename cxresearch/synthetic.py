"""Demo data: a fictional omnichannel retailer with planted personas and known answers.

:func:`generate` writes a complete dataset folder ("Demo retailer") in the
canonical data model, plus a ``truth/`` folder holding the answers every
analysis should find. Everything is drawn from ``numpy.random.default_rng(random_state)``
and vectorised; customers are simulated in fixed chunks (so the same seed gives
identical bytes whatever the size), which keeps 1M customers / ~20M events
within bounded memory.

Files
-----
``customers``
    customer_id ("C000001"), age, region, signup_date, plan, preferred_language
    and the PII columns ``email``, ``phone``, ``name`` (fake: example.com /
    example.it, +39 / +44 numbers) that a loader must drop.
``events``
    customer_id, timestamp, channel, touchpoint, event, session_id, value (EUR,
    on purchase events only). Sessions hold 1-10 events 10 s to 20 min apart,
    on one or two channels; sessions of a customer start at least 5 h 10 min
    apart, so at least 2 h pass between them.
``surveys``
    response_id, timestamp, customer_id (empty on ~10% of rows, which carry the
    customer's ``email`` instead), channel and touchpoint of the surveyed
    session's last event, nps (0-10), csat (1-5), ces (1-7, 7 = very easy),
    comment (en/it, agreeing with the score; ~30% empty; ~3% of rows hold the
    customer's email or phone number) and ``rating_<x>`` (1-5) for web, app,
    store, delivery, chat, call_center, price (empty where not applicable).
``reviews``
    review_id, timestamp, customer_id, source, rating (1-5), text, language
    (the customer's preferred language). Texts are composed from phrase banks per
    language, sentiment and topic (delivery, price, staff, app, chat_wait,
    returns, quality), with negations and mixed reviews.
``dataset.yml``
    name, timezone (UTC) and the five ordered stages with their touchpoints.
``interventions.csv``
    intervention_id, start, end, scope, description, owner, expected_metric.

What is planted
---------------
- Five personas (:data:`PERSONAS`, shares 30/25/20/15/10%) that differ in
  channel mix, sessions per month, order value, age and satisfaction.
- Sessions are Markov chains over touchpoints whose transition probabilities
  (the stage drop-offs) depend on the persona and on the kind of session
  (online, store, chat service, phone service).
- NPS is a linear model on the true 1-5 ratings plus noise, rounded and clipped
  to 0-10; ``rating_delivery`` dominates (:data:`NPS_WEIGHTS`). CSAT is another
  linear model on the ratings plus a per-touchpoint offset (:data:`CSAT_WEIGHTS`).
- The pain point: ``chat_support`` (channel ``chat``) has long waits, the lowest
  CSAT and ratings, negative reviews about waiting, and more sessions ending
  there than at any other mid-journey touchpoint (returns, checkout and the
  loyalty touchpoints end more sessions, as journeys naturally end there).
- Intervention ``I001`` "chat staffing increased" (from the middle month) lifts
  the chat rating by :data:`CHAT_RATING_JUMP`, softens the chat CSAT offset and
  lowers the chat exit probability; ``I002`` "new newsletter template" (from the
  first quarter's end) changes nothing. Chat stays the top pain point overall.

Truth files (``truth/``)
------------------------
``personas.csv`` (customer_id, persona), ``personas.json`` (per persona: name,
planted and realised share, description, parameters), ``drivers.json`` (NPS and
CSAT weights and top drivers), ``kpis.json`` (NPS, CSAT top-2-box %, CES mean
overall and per persona, computed from the written answers), ``transitions.csv``
(from_touchpoint, to_touchpoint, count inside sessions), ``funnel.csv`` (sessions
reaching each stage), ``pain_point.json`` and ``interventions.json`` (planted
effects and the before/after values measured on the generated data),
``pii.json`` (response_ids whose comment holds planted personal data).

Examples
--------
>>> import tempfile
>>> path = generate(tempfile.mkdtemp(), customers=200, random_state=1)
>>> sorted(p.name for p in path.iterdir())[:4]
['customers.csv', 'dataset.yml', 'events.csv', 'interventions.csv']
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import yaml

from ._checks import check_choice, check_integer
from .errors import ParameterError
from .synthetic_model import (ACTIVITY_SHAPE, BASE_FLOW, CES_INTERCEPT, CES_OFFSET, CHANNELS, CHAT_FLOW,
                              CHAT_RATING_JUMP, COMMENT_TOPIC, CSAT_INTERCEPT, CSAT_NOISE, CSAT_OFFSET, CSAT_WEIGHTS,
                              EVENT_NAMES, EVENTS, EXIT, FIXED_CHANNEL, KIND_ENTRY, KIND_FLOW, KINDS, LANGUAGES,
                              NPS_INTERCEPT, NPS_NOISE, NPS_WEIGHTS, Persona, PERSONAS, PLANS, PURCHASE, RATING_BASE,
                              RATINGS, REGIONS, SOURCES, STAGES, TOPIC_EFFECT, TOPICS, TOUCHPOINTS, TP_INDEX)
from .synthetic_text import FIRST_NAMES, LAST_NAMES, compose, pii_sentences
from .synthetic_truth import Tally, write_truth

__all__ = ["generate", "Persona", "PERSONAS", "STAGES", "CHANNELS", "RATINGS",
           "NPS_WEIGHTS", "CSAT_WEIGHTS", "CHAT_RATING_JUMP"]

FORMATS = ("csv", "parquet")
#: Customers simulated per chunk; fixed so output never depends on memory.
CHUNK = 50_000
#: Longest session, in events.
MAX_EVENTS = 10
#: Gap between consecutive events of a session, in seconds.
MIN_GAP, MAX_GAP = 10, 20 * 60
#: Each session owns a slot this long: the longest session plus a 2 h 10 min pause.
SLOT = (MAX_EVENTS - 1) * MAX_GAP + 2 * 3600 + 600

def generate(out_dir, *, customers: int = 5000, random_state: int = 42, start="2025-01-01", months: int = 12,
             fmt: str = "csv", seed: int | None = None) -> Path:
    """Write the demo dataset folder with its ``truth/`` and return its path.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write (created; existing files are overwritten).
    customers : int
        Number of customers (about 20 events, 0.4 surveys, 0.25 reviews each).
    random_state : int
        Seed of ``numpy.random.default_rng``; same seed, same bytes.
    start : str or Timestamp
        First day of the observed period (UTC).
    months : int
        Length of the period, at least 2 (interventions need a before and an after).
    fmt : {"csv", "parquet"}
        Format of the four tables; truth files are always CSV/JSON.
    seed : int, optional
        Deprecated name of *random_state* (a FutureWarning says so).

    Returns
    -------
    pathlib.Path
        The dataset folder.
    """
    check_integer("customers", customers, minimum=1)
    check_integer("months", months, minimum=2)
    if seed is not None:
        warnings.warn("generate(seed=) is now generate(random_state=); seed= will be removed.", FutureWarning,
                      stacklevel=2)
        random_state = seed
    check_integer("random_state", random_state, minimum=0)
    check_choice("fmt", fmt, FORMATS)
    try:
        period = _Period.of(start, months)
    except ValueError as exc:
        raise ParameterError(f"start must be a date like '2025-01-01'; got {start!r}.") from exc
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(random_state)
    people = _draw_customers(rng, customers, period)
    _write(out / "customers", _customer_table(people), fmt)
    model = _SessionModel()
    tally = Tally(months)
    counters = np.zeros(3, dtype=np.int64)  # sessions, surveys, reviews written so far
    chunks = range(0, customers, CHUNK)
    with _Sink(out / "events", fmt) as events, _Sink(out / "surveys", fmt) as surveys, \
            _Sink(out / "reviews", fmt) as reviews:
        for lo, chunk_rng in zip(chunks, rng.spawn(len(chunks))):
            part = _Chunk(chunk_rng, people, slice(lo, min(lo + CHUNK, customers)), period, model, counters)
            events.write(part.event_table())
            surveys.write(part.survey_table())
            reviews.write(part.review_table())
            tally.add(part)
            counters += [part.n_sessions, part.n_surveys, part.n_reviews]
    _write_metadata(out, period)
    write_truth(out / "truth", people, tally, period)
    return out



@dataclass(frozen=True)
class _Period:
    """The observed period: start, length, month bounds and intervention starts (seconds from start)."""

    start: pd.Timestamp
    months: int
    seconds: int
    month_bounds: np.ndarray
    chat_start: int
    newsletter_start: int

    @classmethod
    def of(cls, start, months):
        start = pd.Timestamp(start)
        start = (start.tz_localize("UTC") if start.tz is None else start.tz_convert("UTC")).floor("D")
        bounds = np.array([(start + pd.DateOffset(months=m) - start).total_seconds() for m in range(months + 1)],
                          dtype=np.int64)
        return cls(start, months, int(bounds[-1]), bounds, int(bounds[months // 2]),
                   int(bounds[max(months // 4, 1)]))

    def month_of(self, seconds):
        return np.searchsorted(self.month_bounds, seconds, side="right") - 1

    def timestamp(self, seconds) -> pa.Array:
        epoch = np.int64(self.start.value // 10**9)
        return pa.array(np.asarray(seconds, dtype=np.int64) + epoch, type=pa.timestamp("s", tz="UTC"))

    def iso(self, seconds: int) -> str:
        return (self.start + pd.Timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _persona_array(field, keys=None):
    """Persona parameter as an array (rows = personas; columns = *keys* for dict parameters)."""
    values = [getattr(p, field) for p in PERSONAS]
    if keys is None:
        return np.array(values, dtype=float)
    return np.array([[v.get(k, 0.0) for k in keys] for v in values], dtype=float)


def _choose(rng, probabilities):
    """One category per row of *probabilities* (rows sum to 1), by inverse CDF."""
    cum = np.cumsum(probabilities, axis=1)
    cum[:, -1] = 1.0
    return (rng.random(len(cum))[:, None] >= cum).sum(axis=1)


def _exact_shares(rng, n, shares):
    """Labels with counts as close to ``n * shares`` as possible, in random order."""
    counts = np.floor(np.asarray(shares) * n).astype(int)
    counts[np.argsort(-(np.asarray(shares) * n - counts), kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _draw_customers(rng, n, period):
    persona = _exact_shares(rng, n, [p.share for p in PERSONAS])
    mean, sd = np.array([p.age for p in PERSONAS]).T
    italian = rng.random(n) < _persona_array("italian")[persona]
    first = np.array(FIRST_NAMES, dtype=object)[italian.astype(int), rng.integers(0, 10, n)]
    last = np.array(LAST_NAMES, dtype=object)[italian.astype(int), rng.integers(0, 10, n)]
    number = np.arange(1, n + 1)
    width = max(6, len(str(n)))
    ids = pd.Series(number).astype(str).str.zfill(width)
    domain = np.where(italian, "example.it", "example.com")
    email = (pd.Series(first).str.lower() + "." + pd.Series(last).str.lower() + "."
             + pd.Series(number).astype(str) + "@" + domain)
    digits = pd.Series(number % 10**7).astype(str).str.zfill(7)
    phone = np.where(italian, "+39 333 " + digits.str[:3] + " " + digits.str[3:],
                     "+44 7700 " + digits.str[1:])
    return {
        "persona": persona,
        "customer_id": ("C" + ids).to_numpy(dtype=object),
        "age": np.clip(np.rint(rng.normal(mean[persona], sd[persona])), 18, 90).astype(np.int16),
        "region": _choose(rng, np.tile(list(REGIONS.values()), (n, 1))),
        "signup_date": np.datetime64(period.start.date(), "D") - rng.integers(30, 5 * 365, n),
        "plan": _choose(rng, _persona_array("plans", PLANS)[persona]),
        "italian": italian,
        "name": (pd.Series(first) + " " + pd.Series(last)).to_numpy(dtype=object),
        "email": email.to_numpy(dtype=object),
        "phone": phone.astype(object),
        "mood": rng.normal(0.0, 0.5, n),  # the customer's own satisfaction latent
        "activity": rng.gamma(ACTIVITY_SHAPE, 1 / ACTIVITY_SHAPE, n),  # the customer's own activity multiplier
    }


def _customer_table(people):
    return pa.table({
        "customer_id": pa.array(people["customer_id"], pa.string()),
        "age": pa.array(people["age"]),
        "region": _labels(people["region"], tuple(REGIONS)),
        "signup_date": pa.array(people["signup_date"], pa.date32()),
        "plan": _labels(people["plan"], PLANS),
        "preferred_language": _labels(people["italian"].astype(int), LANGUAGES),
        "email": pa.array(people["email"], pa.string()),
        "phone": pa.array(people["phone"], pa.string()),
        "name": pa.array(people["name"], pa.string()),
    })


def _labels(codes, names) -> pa.Array:
    """Plain string array of ``names[codes]`` (computed by Arrow)."""
    return pc.take(pa.array(list(names), pa.string()), pa.array(np.asarray(codes, dtype=np.int32)))


def _maybe(values, present, type_) -> pa.Array:
    """Arrow array with nulls where *present* is False."""
    return pa.array(np.asarray(values), type=type_, mask=~np.asarray(present, dtype=bool))


_CHANNEL = {c: i for i, c in enumerate(CHANNELS)}
_FIXED = np.array([_CHANNEL.get(FIXED_CHANNEL.get(tp), -1) for tp in TOUCHPOINTS])
_EVENT_OF = np.array([EVENT_NAMES.index(EVENTS[tp]) for tp in TOUCHPOINTS])


class _SessionModel:
    """Entry and transition probabilities per session kind, persona and (for chat) before/after I001."""

    def __init__(self):
        self.kinds = _persona_array("kinds", KINDS)
        self.app_share = _persona_array("app_share")
        self.entry = np.zeros((len(KINDS), len(PERSONAS), EXIT))
        self.flow = np.zeros((len(KINDS), len(PERSONAS), 2, EXIT, EXIT + 1))
        self.flow[..., EXIT] = 1.0
        for k, kind in enumerate(KINDS):
            for p, persona in enumerate(PERSONAS):
                entry = persona.entry if kind == "online" else KIND_ENTRY[kind]
                self.entry[k, p, [TP_INDEX[tp] for tp in entry]] = list(entry.values())
                for after in (0, 1):
                    rows = {**BASE_FLOW, **KIND_FLOW[kind], "chat_support": CHAT_FLOW[after]}
                    for source, targets in rows.items():
                        row = self.flow[k, p, after, TP_INDEX[source]]
                        row[:] = 0.0
                        for target, prob in targets.items():
                            row[TP_INDEX[target]] = getattr(persona, prob) if isinstance(prob, str) else prob
                        row[EXIT] = 1.0 - row[:EXIT].sum()
        assert (self.flow >= 0).all() and np.allclose(self.entry.sum(axis=2), 1.0)


class _Chunk:
    """Sessions, events, surveys and reviews of one chunk of customers."""

    def __init__(self, rng, people, rows, period, model, counters):
        self.rng, self.period = rng, period
        self.persona = people["persona"][rows]
        self.customer_id = people["customer_id"][rows]
        self.email, self.phone = people["email"][rows], people["phone"][rows]
        self.language = people["italian"][rows].astype(int)
        self.mood = people["mood"][rows]
        self.offsets = counters.copy()
        self._simulate_sessions(model, people["activity"][rows])
        self._simulate_events()
        self._simulate_surveys()
        self._simulate_reviews()

    # -- behaviour
    def _simulate_sessions(self, model, activity):
        rng, period, persona = self.rng, self.period, self.persona
        rate = _persona_array("sessions_per_month")[persona] * period.months * activity
        self.n_sess = np.minimum(rng.poisson(rate), period.seconds // (2 * SLOT))
        cust = np.repeat(np.arange(len(persona)), self.n_sess)
        self.first_sess = np.cumsum(self.n_sess) - self.n_sess
        rank = np.arange(len(cust)) - self.first_sess[cust]
        position = rng.random(len(cust))
        position = position[np.lexsort((position, cust))]  # sorted within each customer
        free = period.seconds - self.n_sess[cust] * SLOT
        self.sess_start = (position * free).astype(np.int64) + rank * SLOT
        self.sess_cust, self.n_sessions = cust, len(cust)
        who = persona[cust]
        kind = _choose(rng, model.kinds[who])
        device = np.where(rng.random(len(cust)) < model.app_share[who], _CHANNEL["app"], _CHANNEL["web"])
        self.device = np.where(kind == KINDS.index("store"), _CHANNEL["store"], device)
        after = (self.sess_start >= period.chat_start).astype(int)
        steps = np.full((len(cust), MAX_EVENTS), -1, dtype=np.int8)
        active, state = np.arange(len(cust)), _choose(rng, model.entry[kind, who])
        steps[:, 0] = state
        for step in range(1, MAX_EVENTS):
            state = _choose(rng, model.flow[kind[active], who[active], after[active], state])
            going = state < EXIT
            active, state = active[going], state[going]
            steps[active, step] = state
        self.steps = steps

    def _simulate_events(self):
        rng = self.rng
        lengths = (self.steps >= 0).sum(axis=1)
        self.tp = self.steps[self.steps >= 0].astype(np.int64)
        self.sess = np.repeat(np.arange(self.n_sessions), lengths)
        first = np.cumsum(lengths) - lengths
        self.last_event = first + lengths - 1
        gaps = np.clip(np.exp(rng.normal(np.log(120), 1.1, len(self.tp))), MIN_GAP, MAX_GAP).astype(np.int64)
        gaps[first] = 0
        elapsed = np.cumsum(gaps)
        self.ts = self.sess_start[self.sess] + elapsed - elapsed[first][self.sess]
        self.channel = np.where(_FIXED[self.tp] >= 0, _FIXED[self.tp], self.device[self.sess])
        self.ev_cust = self.sess_cust[self.sess]
        median = _persona_array("order_value")[self.persona[self.ev_cust]]
        self.is_purchase = PURCHASE[self.tp]
        self.value = np.round(median * np.exp(rng.normal(0.0, 0.35, len(self.tp))), 2)

    # -- voice
    def _pick_sessions(self, per_year):
        """Customers (with sessions) answering, the session they answer about and its last event."""
        rng = self.rng
        count = rng.poisson(per_year[self.persona] * self.period.months / 12) * (self.n_sess > 0)
        cust = np.repeat(np.arange(len(self.persona)), count)
        sess = self.first_sess[cust] + (rng.random(len(cust)) * self.n_sess[cust]).astype(np.int64)
        return cust, self.last_event[sess]

    def _simulate_surveys(self):
        rng, period = self.rng, self.period
        cust, last = self._pick_sessions(_persona_array("surveys_per_year"))
        m, who = len(cust), self.persona[cust]
        self.sv_cust, self.sv_tp, self.sv_channel = cust, self.tp[last], self.channel[last]
        self.sv_ts = np.minimum(self.ts[last] + rng.integers(600, 2 * 86400, m), period.seconds - 1)
        after = (self.sv_ts >= period.chat_start).astype(int)
        base = np.array([RATING_BASE[r] for r in RATINGS])
        latent = (base + _persona_array("rating_shift", RATINGS)[who] + _persona_array("satisfaction")[who, None]
                  + self.mood[cust, None] + rng.normal(0.0, 0.7, (m, len(RATINGS))))
        latent[:, RATINGS.index("chat")] += CHAT_RATING_JUMP * after
        ratings = np.clip(np.rint(latent), 1, 5)
        weights = np.array([[NPS_WEIGHTS[r] for r in RATINGS], [CSAT_WEIGHTS[r] for r in RATINGS]]).T
        nps_latent, csat_latent = (np.array([NPS_INTERCEPT, CSAT_INTERCEPT]) + (ratings - 3) @ weights).T
        csat_offset = np.zeros((2, EXIT))
        for tp, offsets in CSAT_OFFSET.items():
            csat_offset[:, TP_INDEX[tp]] = offsets
        csat_latent = csat_latent + csat_offset[after, self.sv_tp] + rng.normal(0.0, CSAT_NOISE, m)
        ces_offset = np.array([CES_OFFSET.get(tp, 0.0) for tp in TOUCHPOINTS])
        self.nps = np.clip(np.rint(nps_latent + rng.normal(0.0, NPS_NOISE, m)), 0, 10).astype(np.int8)
        self.csat = np.clip(np.rint(csat_latent), 1, 5).astype(np.int8)
        self.ces = np.clip(np.rint(CES_INTERCEPT + 0.9 * (csat_latent - CSAT_INTERCEPT) + ces_offset[self.sv_tp]
                                   + rng.normal(0.0, 0.8, m)), 1, 7).astype(np.int8)
        self.csat_answered = rng.random(m) >= 0.05
        self.ces_answered = rng.random(m) >= 0.40
        applicable = np.zeros((len(self.persona), len(RATINGS)), dtype=bool)
        channel_rating = np.array([RATINGS.index(c) if c in RATINGS else -1 for c in CHANNELS])[self.channel]
        applicable[self.ev_cust[channel_rating >= 0], channel_rating[channel_rating >= 0]] = True
        applicable[self.ev_cust[self.tp == TP_INDEX["checkout"]], RATINGS.index("delivery")] = True  # bought online
        applicable[:, RATINGS.index("price")] = True
        self.ratings = ratings.astype(np.int8)
        self.rating_answered = applicable[cust] & (rng.random((m, len(RATINGS))) >= 0.08)
        sentiment = np.select([self.nps <= 6, self.nps <= 8], [0, 1], 2)
        topic = np.array([TOPICS.index(COMMENT_TOPIC.get(tp, "delivery")) for tp in TOUCHPOINTS])[self.sv_tp]
        generic = ~np.isin(np.array(TOUCHPOINTS)[self.sv_tp], list(COMMENT_TOPIC))
        topic[generic] = rng.choice([TOPICS.index(t) for t in ("delivery", "price", "quality", "app")],
                                    generic.sum())
        comment = compose(rng, self.language[cust], sentiment, topic, mixed=np.zeros(m, bool))
        self.has_pii = rng.random(m) < 0.03
        pii = pii_sentences(rng, self.language[cust], self.email[cust], self.phone[cust])
        comment = np.where(self.has_pii, comment + " " + pii, comment)
        self.has_comment = rng.random(m) >= 0.3
        self.has_pii &= self.has_comment
        self.comment = comment
        self.by_email = rng.random(m) < 0.10

    def _simulate_reviews(self):
        rng, period = self.rng, self.period
        cust, last = self._pick_sessions(_persona_array("reviews_per_year"))
        m, who = len(cust), self.persona[cust]
        self.rv_cust = cust
        self.rv_ts = np.minimum(self.ts[last] + rng.integers(3600, 7 * 86400, m), period.seconds - 1)
        after = (self.rv_ts >= period.chat_start).astype(int)
        self.rv_topic = _choose(rng, _persona_array("topics", TOPICS)[who])
        effect = np.array([TOPIC_EFFECT[t] for t in TOPICS]).T
        self.rv_rating = np.clip(np.rint(3.4 + _persona_array("satisfaction")[who] + self.mood[cust]
                                         + effect[after, self.rv_topic] + rng.normal(0.0, 0.9, m)), 1, 5).astype(np.int8)
        sentiment = np.select([self.rv_rating <= 2, self.rv_rating == 3], [0, 1], 2)
        mixed = (sentiment == 1) | (rng.random(m) < 0.2)
        self.rv_text = compose(rng, self.language[cust], sentiment, self.rv_topic, mixed=mixed)
        self.rv_source = rng.choice(len(SOURCES), m, p=[0.35, 0.25, 0.15, 0.15, 0.10])

    # -- tables
    def _ids(self, prefix, offset, count):
        return (prefix + pd.Series(np.arange(offset + 1, offset + count + 1)).astype(str).str.zfill(9)
                ).to_numpy(dtype=object)

    def event_table(self) -> pa.Table:
        session_id = pa.array(self._ids("S", self.offsets[0], self.n_sessions), pa.string())
        return pa.table({
            "customer_id": pc.take(pa.array(self.customer_id, pa.string()), pa.array(self.ev_cust)),
            "timestamp": self.period.timestamp(self.ts),
            "channel": _labels(self.channel, CHANNELS),
            "touchpoint": _labels(self.tp, TOUCHPOINTS),
            "event": _labels(_EVENT_OF[self.tp], EVENT_NAMES),
            "session_id": pc.take(session_id, pa.array(self.sess)),
            "value": _maybe(self.value, self.is_purchase, pa.float64()),
        })

    @property
    def response_ids(self):
        return self._ids("R", self.offsets[1], len(self.sv_cust))

    def survey_table(self) -> pa.Table:
        cust = self.sv_cust
        columns = {
            "response_id": pa.array(self.response_ids, pa.string()),
            "timestamp": self.period.timestamp(self.sv_ts),
            "customer_id": _maybe(self.customer_id[cust], ~self.by_email, pa.string()),
            "email": _maybe(self.email[cust], self.by_email, pa.string()),
            "channel": _labels(self.sv_channel, CHANNELS),
            "touchpoint": _labels(self.sv_tp, TOUCHPOINTS),
            "nps": pa.array(self.nps),
            "csat": _maybe(self.csat, self.csat_answered, pa.int8()),
            "ces": _maybe(self.ces, self.ces_answered, pa.int8()),
            "comment": _maybe(self.comment, self.has_comment, pa.string()),
        }
        for j, rating in enumerate(RATINGS):
            columns[f"rating_{rating}"] = _maybe(self.ratings[:, j], self.rating_answered[:, j], pa.int8())
        return pa.table(columns)

    def review_table(self) -> pa.Table:
        cust = self.rv_cust
        return pa.table({
            "review_id": pa.array(self._ids("V", self.offsets[2], len(cust)), pa.string()),
            "timestamp": self.period.timestamp(self.rv_ts),
            "customer_id": pa.array(self.customer_id[cust], pa.string()),
            "source": _labels(self.rv_source, SOURCES),
            "rating": pa.array(self.rv_rating),
            "text": pa.array(self.rv_text, pa.string()),
            "language": _labels(self.language[cust], LANGUAGES),
        })

    @property
    def n_surveys(self):
        return len(self.sv_cust)

    @property
    def n_reviews(self):
        return len(self.rv_cust)


class _Sink:
    """Append Arrow tables to one CSV (ISO-8601 "Z" timestamps) or Parquet file."""

    def __init__(self, stem: Path, fmt: str):
        self.path, self.fmt, self._writer = stem.with_suffix("." + fmt), fmt, None

    def __enter__(self):
        return self

    def write(self, table: pa.Table):
        if self.fmt == "csv":
            for i, field in enumerate(table.schema):
                if pa.types.is_timestamp(field.type):
                    table = table.set_column(i, field.name, pc.strftime(table[i], format="%Y-%m-%dT%H:%M:%SZ"))
        if self._writer is None:
            self._writer = (pa_csv.CSVWriter(self.path, table.schema) if self.fmt == "csv"
                            else pq.ParquetWriter(self.path, table.schema))
        self._writer.write_table(table)

    def __exit__(self, *exc):
        if self._writer is not None:
            self._writer.close()


def _write(stem: Path, table: pa.Table, fmt: str):
    with _Sink(stem, fmt) as sink:
        sink.write(table)


def _interventions(period):
    return pd.DataFrame({
        "intervention_id": ["I001", "I002"],
        "start": [period.iso(period.chat_start), period.iso(period.newsletter_start)],
        "end": ["", ""],
        "scope": ["chat_support", "newsletter"],
        "description": ["Chat staffing increased: more agents at peak hours to cut waiting times",
                        "New newsletter template"],
        "owner": ["Customer service", "CRM team"],
        "expected_metric": ["csat", "conversion"],
    })


def _write_metadata(out: Path, period):
    meta = {"name": "Demo retailer", "timezone": "UTC",
            "stages": {stage: list(tps) for stage, tps in STAGES.items()}}
    (out / "dataset.yml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    _interventions(period).to_csv(out / "interventions.csv", index=False)
