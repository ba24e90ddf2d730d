"""Demo data: a fictional omnichannel retailer with planted personas and known answers.

:func:`generate` writes a complete dataset folder ("Demo retailer") in the
canonical data model, plus a ``truth/`` folder holding the answers every
analysis should find. Everything is drawn from ``numpy.random.default_rng(seed)``
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
>>> path = generate(tempfile.mkdtemp(), customers=200, seed=1)
>>> sorted(p.name for p in path.iterdir())[:4]
['customers.csv', 'dataset.yml', 'events.csv', 'interventions.csv']
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import yaml

from .errors import ParameterError

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

CHANNELS = ("web", "app", "store", "email", "chat", "call_center", "social")
STAGES = {
    "awareness": ("social_ad", "newsletter", "search_ad"),
    "consideration": ("home", "product_page", "store_visit", "reviews_page"),
    "purchase": ("cart", "checkout", "store_checkout"),
    "service": ("chat_support", "call_center", "faq", "returns"),
    "loyalty": ("loyalty_program", "referral", "review_request"),
}
TOUCHPOINTS = tuple(tp for tps in STAGES.values() for tp in tps)
_TP = {tp: i for i, tp in enumerate(TOUCHPOINTS)}
_EXIT = len(TOUCHPOINTS)
_STAGE_OF = np.array([i for i, tps in enumerate(STAGES.values()) for _ in tps])
#: Touchpoints bound to one channel; the others happen on the session's device (web, app or store).
FIXED_CHANNEL = {"social_ad": "social", "newsletter": "email", "search_ad": "web",
                 "store_visit": "store", "store_checkout": "store", "chat_support": "chat",
                 "call_center": "call_center", "review_request": "email"}
EVENTS = {"social_ad": "ad_click", "newsletter": "email_open", "search_ad": "ad_click",
          "home": "page_view", "product_page": "product_view", "store_visit": "store_visit",
          "reviews_page": "page_view", "cart": "add_to_cart", "checkout": "purchase",
          "store_checkout": "purchase", "chat_support": "chat_started", "call_center": "call",
          "faq": "page_view", "returns": "return_request", "loyalty_program": "points_redeemed",
          "referral": "referral_sent", "review_request": "email_open"}
_EVENT_NAMES = tuple(dict.fromkeys(EVENTS.values()))
_PURCHASE = np.isin(np.arange(_EXIT), [_TP["checkout"], _TP["store_checkout"]])

# ---------------------------------------------------------------- session model
#: Kinds of session; online, chat and phone sessions run on web or app, store sessions in the store.
KINDS = ("online", "store", "chat_service", "phone_service")
#: Next touchpoint -> probability (the rest exits). Strings are persona parameters.
BASE_FLOW = {
    "social_ad": {"product_page": 0.45, "home": 0.25},
    "newsletter": {"product_page": 0.40, "home": 0.25},
    "search_ad": {"product_page": 0.60, "home": 0.10},
    "home": {"product_page": 0.55, "reviews_page": 0.10, "faq": 0.05},
    "product_page": {"product_page": 0.15, "reviews_page": 0.10, "cart": "p_cart"},
    "reviews_page": {"product_page": 0.45, "cart": 0.15},
    "cart": {"checkout": "p_checkout", "product_page": 0.10},
    "checkout": {"loyalty_program": 0.15, "referral": 0.05},
    "loyalty_program": {"referral": 0.10},
    "review_request": {"reviews_page": 0.30, "loyalty_program": 0.20},
    "faq": {"product_page": 0.30},
    "call_center": {"returns": 0.30, "cart": 0.25},
}
KIND_FLOW = {
    "online": {},
    "store": {"newsletter": {"store_visit": 0.60},
              "store_visit": {"store_checkout": "p_store_buy", "returns": 0.05},
              "store_checkout": {"loyalty_program": 0.20}, "loyalty_program": {}},
    "chat_service": {"faq": {"chat_support": 0.35, "returns": 0.15}, "returns": {"faq": 0.15}},
    "phone_service": {"faq": {"call_center": 0.35, "returns": 0.15}, "returns": {"faq": 0.10}},
}
#: chat_support before / after intervention I001: the chat exits 75% -> 45% of the time.
CHAT_FLOW = ({"returns": 0.10, "cart": 0.08, "faq": 0.07},
             {"returns": 0.25, "cart": 0.18, "faq": 0.12})
KIND_ENTRY = {"store": {"store_visit": 0.90, "newsletter": 0.10},
              "chat_service": {"chat_support": 0.50, "faq": 0.40, "returns": 0.10},
              "phone_service": {"call_center": 0.80, "returns": 0.20}}

# ---------------------------------------------------------------- voice model
RATINGS = ("web", "app", "store", "delivery", "chat", "call_center", "price")
#: Mean true rating (1-5) before persona shifts.
RATING_BASE = {"web": 3.9, "app": 4.0, "store": 4.1, "delivery": 3.7, "chat": 2.2,
               "call_center": 3.2, "price": 3.5}
NPS_INTERCEPT = 6.6
#: nps = clip(round(NPS_INTERCEPT + sum_k w_k (rating_k - 3) + N(0, NPS_NOISE)), 0, 10).
NPS_WEIGHTS = {"web": 0.25, "app": 0.25, "store": 0.25, "delivery": 1.5, "chat": 0.45,
               "call_center": 0.2, "price": 0.5}
NPS_NOISE = 1.0
CSAT_INTERCEPT = 3.6
#: csat = clip(round(CSAT_INTERCEPT + sum_k v_k (rating_k - 3) + offset[touchpoint] + N(0, CSAT_NOISE)), 1, 5).
CSAT_WEIGHTS = {"web": 0.15, "app": 0.15, "store": 0.15, "delivery": 0.45, "chat": 0.3,
                "call_center": 0.1, "price": 0.15}
CSAT_NOISE = 0.6
#: CSAT offset of the surveyed touchpoint (before / after I001 for chat_support).
CSAT_OFFSET = {"chat_support": (-1.0, -0.4), "call_center": (-0.4, -0.4), "returns": (-0.3, -0.3),
               "checkout": (0.3, 0.3), "store_checkout": (0.3, 0.3)}
CES_INTERCEPT = 4.8
CES_OFFSET = {"chat_support": -1.2, "call_center": -0.6, "returns": -0.5}
#: Rise of the true chat rating once intervention I001 starts.
CHAT_RATING_JUMP = 1.2
TOPICS = ("delivery", "price", "staff", "app", "chat_wait", "returns", "quality")
#: Shift of a review's rating by topic (before / after I001 for chat_wait).
TOPIC_EFFECT = {"delivery": (0.1, 0.1), "price": (0.0, 0.0), "staff": (0.4, 0.4), "app": (0.2, 0.2),
                "chat_wait": (-1.8, -0.9), "returns": (-0.5, -0.5), "quality": (0.3, 0.3)}
SOURCES = ("google", "trustpilot", "app_store", "google_play", "facebook")


@dataclass(frozen=True)
class Persona:
    """Parameters of one planted persona (all written to ``truth/personas.json``)."""

    key: str
    name: str
    share: float
    description: str
    age: tuple[float, float]
    sessions_per_month: float
    kinds: dict
    app_share: float
    entry: dict
    p_cart: float
    p_checkout: float
    p_store_buy: float
    order_value: float
    satisfaction: float
    rating_shift: dict
    italian: float
    plans: dict
    surveys_per_year: float
    reviews_per_year: float
    topics: dict


PERSONAS = (
    Persona("app_natives", "App-first young frequent buyers", 0.30,
            "Young (about 28), mostly on the app, often entering from social ads; the most sessions "
            "per month; moderate baskets; satisfied, love the app.",
            age=(28, 5), sessions_per_month=1.0,
            kinds={"online": 0.88, "store": 0.04, "chat_service": 0.05, "phone_service": 0.03},
            app_share=0.85, entry={"social_ad": 0.22, "home": 0.32, "product_page": 0.32, "search_ad": 0.05,
                                   "newsletter": 0.04, "review_request": 0.05},
            p_cart=0.45, p_checkout=0.70, p_store_buy=0.5, order_value=45, satisfaction=0.3,
            rating_shift={"app": 0.4}, italian=0.4, plans={"basic": 0.3, "plus": 0.5, "premium": 0.2},
            surveys_per_year=0.40, reviews_per_year=0.25,
            topics={"app": 0.35, "delivery": 0.3, "quality": 0.15, "price": 0.1, "returns": 0.1}),
    Persona("store_seniors", "Store-loyal seniors", 0.25,
            "Older (about 67), shop in the store and phone the call center; few sessions but the "
            "largest baskets; satisfied, praise the staff.",
            age=(68, 6), sessions_per_month=0.55,
            kinds={"online": 0.04, "store": 0.84, "chat_service": 0.02, "phone_service": 0.10},
            app_share=0.15, entry={"newsletter": 0.42, "home": 0.38, "search_ad": 0.15, "review_request": 0.05},
            p_cart=0.35, p_checkout=0.6, p_store_buy=0.6, order_value=110, satisfaction=0.3,
            rating_shift={"store": 0.4, "app": -0.5}, italian=0.75,
            plans={"basic": 0.2, "plus": 0.3, "premium": 0.5}, surveys_per_year=0.45, reviews_per_year=0.15,
            topics={"staff": 0.45, "quality": 0.3, "price": 0.1, "delivery": 0.15}),
    Persona("deal_hunters", "Email deal hunters", 0.20,
            "Middle-aged (about 41), come from newsletters and search ads to the website; browse a "
            "lot, buy small baskets; price-driven, unhappy with prices.",
            age=(40, 8), sessions_per_month=0.75,
            kinds={"online": 0.92, "store": 0.04, "chat_service": 0.02, "phone_service": 0.02},
            app_share=0.2, entry={"newsletter": 0.50, "search_ad": 0.25, "home": 0.12, "product_page": 0.08,
                                   "review_request": 0.05},
            p_cart=0.30, p_checkout=0.55, p_store_buy=0.4, order_value=28, satisfaction=0.0,
            rating_shift={"price": -0.9}, italian=0.5, plans={"basic": 0.7, "plus": 0.25, "premium": 0.05},
            surveys_per_year=0.35, reviews_per_year=0.2,
            topics={"price": 0.5, "delivery": 0.25, "quality": 0.15, "returns": 0.1}),
    Persona("service_strugglers", "Service-heavy frustrated customers", 0.15,
            "Around 47, often in the chat and on the phone with support and returns; medium baskets; "
            "the least satisfied (low NPS), complain about chat waiting times.",
            age=(47, 11), sessions_per_month=0.7,
            kinds={"online": 0.27, "store": 0.03, "chat_service": 0.45, "phone_service": 0.25},
            app_share=0.4, entry={"home": 0.45, "product_page": 0.3, "search_ad": 0.1, "newsletter": 0.1,
                                   "review_request": 0.05},
            p_cart=0.35, p_checkout=0.6, p_store_buy=0.5, order_value=65, satisfaction=-0.7,
            rating_shift={"chat": -0.3, "delivery": -0.5}, italian=0.5,
            plans={"basic": 0.3, "plus": 0.5, "premium": 0.2}, surveys_per_year=0.7, reviews_per_year=0.5,
            topics={"chat_wait": 0.45, "returns": 0.25, "delivery": 0.2, "quality": 0.1}),
    Persona("social_browsers", "Social browsers", 0.10,
            "Young (about 23), arrive from social ads on app and web, browse and rarely buy; "
            "small baskets; lukewarm.",
            age=(23, 4), sessions_per_month=0.6,
            kinds={"online": 0.97, "store": 0.01, "chat_service": 0.01, "phone_service": 0.01},
            app_share=0.55, entry={"social_ad": 0.75, "home": 0.15, "product_page": 0.10},
            p_cart=0.10, p_checkout=0.35, p_store_buy=0.2, order_value=30, satisfaction=-0.1,
            rating_shift={}, italian=0.4, plans={"basic": 0.8, "plus": 0.2, "premium": 0.0},
            surveys_per_year=0.2, reviews_per_year=0.1,
            topics={"app": 0.3, "quality": 0.3, "price": 0.25, "delivery": 0.15}),
)

REGIONS = {"nord": 0.45, "centro": 0.20, "sud": 0.23, "isole": 0.12}
PLANS = ("basic", "plus", "premium")
LANGUAGES = ("en", "it")
FIRST_NAMES = (("James", "Emma", "Oliver", "Olivia", "Harry", "Amelia", "George", "Sophie", "Jack", "Grace"),
               ("Mario", "Giulia", "Luca", "Francesca", "Marco", "Chiara", "Alessandro", "Sara", "Paolo", "Anna"))
LAST_NAMES = (("Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Johnson", "Walker", "White"),
              ("Rossi", "Bianchi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco"))

# ---------------------------------------------------------------- phrase banks
#: PHRASES[language][topic] = (positive variants, negative variants).
PHRASES = {
    "en": {
        "delivery": (("Delivery was fast and the parcel arrived intact.", "My order arrived a day early.",
                      "Shipping was quick and the tracking always worked."),
                     ("Delivery was late and nobody told me why.", "The parcel arrived damaged.",
                      "Shipping took two weeks, far too slow.")),
        "price": (("Prices are fair for the quality.", "Great deals, really good value for money.",
                   "The discount made it a bargain."),
                  ("Way too expensive for what you get.", "Prices went up again, not worth it.",
                   "The shipping costs are ridiculous.")),
        "staff": (("The staff in the store were friendly and helpful.", "The shop assistant gave me great advice.",
                   "Staff were kind and patient."),
                  ("The staff were rude and unhelpful.", "Nobody in the store could answer my questions.",
                   "The shop assistant ignored me.")),
        "app": (("The app is smooth and easy to use.", "Ordering through the app takes a minute.",
                 "The new app works really well."),
                ("The app keeps crashing at checkout.", "The app is slow and confusing.",
                 "I could not log in to the app for days.")),
        "chat_wait": (("The chat agent answered within a minute.", "Support on the chat was quick and solved my problem.",
                       "I did not have to wait long in the chat, which was nice."),
                      ("I waited over an hour in the chat and nobody answered.",
                       "The chat support queue is endless, terrible waiting times.",
                       "Waited forever in the chat, then it disconnected.")),
        "returns": (("The return was easy and the refund arrived quickly.", "Returning an item was painless.",
                     "Refund processed in two days, no questions asked."),
                    ("The return process is a nightmare.", "Still waiting for my refund after a month.",
                     "Returning an item was complicated and slow.")),
        "quality": (("The quality of the products is excellent.", "Everything I bought is well made.",
                     "The product is exactly as described, great quality."),
                    ("The product broke after a week.", "Poor quality, not as described.",
                     "Cheap materials, I am not happy with it.")),
    },
    "it": {
        "delivery": (("Consegna veloce e pacco arrivato integro.", "L'ordine è arrivato con un giorno di anticipo.",
                      "Spedizione rapida, tracciamento sempre aggiornato."),
                     ("Consegna in ritardo e nessuno mi ha avvisato.", "Il pacco è arrivato danneggiato.",
                      "La spedizione ha impiegato due settimane, troppo lenta.")),
        "price": (("Prezzi onesti per la qualità.", "Ottime offerte, davvero convenienti.",
                   "Con lo sconto è stato un affare."),
                  ("Troppo caro per quello che offre.", "I prezzi sono aumentati di nuovo, non ne vale la pena.",
                   "Costi di spedizione assurdi.")),
        "staff": (("Il personale del negozio è gentile e disponibile.", "La commessa mi ha consigliato benissimo.",
                   "Personale cortese e paziente."),
                  ("Il personale è stato scortese.", "In negozio nessuno sapeva rispondere.",
                   "Il commesso mi ha ignorato.")),
        "app": (("L'app è fluida e facile da usare.", "Ordinare dall'app richiede un minuto.",
                 "La nuova app funziona benissimo."),
                ("L'app si blocca sempre al pagamento.", "L'app è lenta e confusa.",
                 "Non riesco ad accedere all'app da giorni.")),
        "chat_wait": (("L'operatore in chat ha risposto in un minuto.", "Assistenza in chat rapida, problema risolto.",
                       "Non ho dovuto aspettare molto in chat, ottimo."),
                      ("Ho aspettato più di un'ora in chat senza risposta.",
                       "Attese infinite in chat, assistenza pessima.",
                       "Attesa lunghissima in chat e poi è caduta la linea.")),
        "returns": (("Il reso è stato semplice e il rimborso veloce.", "Restituire un articolo è stato facilissimo.",
                     "Rimborso in due giorni, senza problemi."),
                    ("Il reso è un incubo.", "Aspetto ancora il rimborso dopo un mese.",
                     "Restituire un articolo è complicato e lento.")),
        "quality": (("La qualità dei prodotti è eccellente.", "Tutto ben fatto, ottimi materiali.",
                     "Il prodotto è come descritto, ottima qualità."),
                    ("Il prodotto si è rotto dopo una settimana.", "Qualità scadente, non come descritto.",
                     "Materiali economici, non sono soddisfatto.")),
    },
}
#: OPENERS / CLOSERS[language] = (negative, neutral, positive) variants ("" = none).
OPENERS = {"en": (("Very disappointed.", "Not happy.", "Terrible experience.", "Never again.", ""),
                  ("Average experience.", "Not bad, not great.", "It was okay.", "Mixed feelings."),
                  ("Great experience!", "Not bad at all!", "Very happy.", "Excellent service.", "")),
           "it": (("Molto deluso.", "Non sono soddisfatto.", "Esperienza pessima.", "Mai più.", ""),
                  ("Esperienza nella media.", "Né bene né male.", "Tutto sommato ok.", "Sensazioni contrastanti."),
                  ("Esperienza ottima!", "Non male davvero!", "Molto soddisfatto.", "Servizio eccellente.", ""))}
CLOSERS = {"en": (("I will not order again.", "Avoid.", ""), ("Could be better.", ""),
                  ("I will buy again.", "Highly recommended.", "")),
           "it": (("Non ordinerò più.", "Da evitare.", ""), ("Si può migliorare.", ""),
                  ("Comprerò di nuovo.", "Consigliatissimo.", ""))}
#: Sentences giving the customer's (email, phone) in a few comments.
PII_SENTENCES = {"en": ("Please contact me at", "Call me back on"), "it": ("Scrivetemi a", "Richiamatemi al")}
#: Topic a survey comment talks about, by surveyed touchpoint (others pick one at random).
COMMENT_TOPIC = {"chat_support": "chat_wait", "returns": "returns", "cart": "delivery", "checkout": "delivery",
                 "store_visit": "staff", "store_checkout": "staff", "call_center": "staff"}


def generate(out_dir, *, customers: int = 5000, seed: int = 42, start="2025-01-01", months: int = 12,
             fmt: str = "csv") -> Path:
    """Write the demo dataset folder with its ``truth/`` and return its path.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write (created; existing files are overwritten).
    customers : int
        Number of customers (about 20 events, 0.4 surveys, 0.25 reviews each).
    seed : int
        Seed of ``numpy.random.default_rng``; same seed, same bytes.
    start : str or Timestamp
        First day of the observed period (UTC).
    months : int
        Length of the period, at least 2 (interventions need a before and an after).
    fmt : {"csv", "parquet"}
        Format of the four tables; truth files are always CSV/JSON.

    Returns
    -------
    pathlib.Path
        The dataset folder.
    """
    _check_int("customers", customers, 1)
    _check_int("months", months, 2)
    _check_int("seed", seed, 0)
    if fmt not in FORMATS:
        raise ParameterError(f"fmt must be one of {list(FORMATS)}; got {fmt!r}.")
    try:
        period = _Period.of(start, months)
    except ValueError as exc:
        raise ParameterError(f"start must be a date like '2025-01-01'; got {start!r}.") from exc
    out = Path(out_dir)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    people = _draw_customers(rng, customers, period)
    _write(out / "customers", _customer_table(people), fmt)
    model = _SessionModel()
    tally = _Tally(months)
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
    _write_truth(out / "truth", people, tally, period)
    return out


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name} must be an integer >= {minimum}; got {value!r}.")


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
        "activity": rng.gamma(4.0, 0.25, n),  # the customer's own activity multiplier
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
_EVENT_OF = np.array([_EVENT_NAMES.index(EVENTS[tp]) for tp in TOUCHPOINTS])


class _SessionModel:
    """Entry and transition probabilities per session kind, persona and (for chat) before/after I001."""

    def __init__(self):
        self.kinds = _persona_array("kinds", KINDS)
        self.app_share = _persona_array("app_share")
        self.entry = np.zeros((len(KINDS), len(PERSONAS), _EXIT))
        self.flow = np.zeros((len(KINDS), len(PERSONAS), 2, _EXIT, _EXIT + 1))
        self.flow[..., _EXIT] = 1.0
        for k, kind in enumerate(KINDS):
            for p, persona in enumerate(PERSONAS):
                entry = persona.entry if kind == "online" else KIND_ENTRY[kind]
                self.entry[k, p, [_TP[tp] for tp in entry]] = list(entry.values())
                for after in (0, 1):
                    rows = {**BASE_FLOW, **KIND_FLOW[kind], "chat_support": CHAT_FLOW[after]}
                    for source, targets in rows.items():
                        row = self.flow[k, p, after, _TP[source]]
                        row[:] = 0.0
                        for target, prob in targets.items():
                            row[_TP[target]] = getattr(persona, prob) if isinstance(prob, str) else prob
                        row[_EXIT] = 1.0 - row[:_EXIT].sum()
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
            going = state < _EXIT
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
        self.is_purchase = _PURCHASE[self.tp]
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
        csat_offset = np.zeros((2, _EXIT))
        for tp, offsets in CSAT_OFFSET.items():
            csat_offset[:, _TP[tp]] = offsets
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
        applicable[self.ev_cust[self.tp == _TP["checkout"]], RATINGS.index("delivery")] = True  # bought online
        applicable[:, RATINGS.index("price")] = True
        self.ratings = ratings.astype(np.int8)
        self.rating_answered = applicable[cust] & (rng.random((m, len(RATINGS))) >= 0.08)
        sentiment = np.select([self.nps <= 6, self.nps <= 8], [0, 1], 2)
        topic = np.array([TOPICS.index(COMMENT_TOPIC.get(tp, "delivery")) for tp in TOUCHPOINTS])[self.sv_tp]
        generic = ~np.isin(np.array(TOUCHPOINTS)[self.sv_tp], list(COMMENT_TOPIC))
        topic[generic] = rng.choice([TOPICS.index(t) for t in ("delivery", "price", "quality", "app")],
                                    generic.sum())
        comment = _compose(rng, self.language[cust], sentiment, topic, mixed=np.zeros(m, bool))
        self.has_pii = rng.random(m) < 0.03
        pii = _pii_sentences(rng, self.language[cust], self.email[cust], self.phone[cust])
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
        self.rv_text = _compose(rng, self.language[cust], sentiment, self.rv_topic, mixed=mixed)
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
            "event": _labels(_EVENT_OF[self.tp], _EVENT_NAMES),
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



def _ragged(rows):
    """Pad variant lists with "" into an object array; also return how many variants each cell has."""
    width = max(len(r) for r in rows)
    return (np.array([list(r) + [""] * (width - len(r)) for r in rows], dtype=object),
            np.array([len(r) for r in rows]))


_PHRASE = np.array([[PHRASES[lang][topic] for topic in TOPICS] for lang in LANGUAGES], dtype=object)
_OPENER, _OPENER_N = _ragged([v for lang in LANGUAGES for v in OPENERS[lang]])
_CLOSER, _CLOSER_N = _ragged([v for lang in LANGUAGES for v in CLOSERS[lang]])


def _compose(rng, language, sentiment, topic, *, mixed):
    """Texts in *language* (0 en, 1 it) agreeing with *sentiment* (0 negative, 1 neutral, 2 positive).

    Opener + a phrase about *topic* (+ for *mixed* texts a phrase of the opposite
    polarity about another topic) + closer, each drawn from the phrase banks.
    """
    m = len(language)
    polarity = np.select([sentiment == 2, sentiment == 0], [0, 1], rng.integers(0, 2, m))
    other = (topic + rng.integers(1, len(TOPICS), m)) % len(TOPICS)
    cell = language * 3 + sentiment
    parts = [
        _OPENER[cell, (rng.random(m) * _OPENER_N[cell]).astype(int)],
        _PHRASE[language, topic, polarity, rng.integers(0, 3, m)],
        np.where(mixed, _PHRASE[language, other, 1 - polarity, rng.integers(0, 3, m)], ""),
        _CLOSER[cell, (rng.random(m) * _CLOSER_N[cell]).astype(int)],
    ]
    text = pd.Series(parts[0], dtype=object).str.cat([pd.Series(p, dtype=object) for p in parts[1:]], sep=" ")
    return text.str.replace(r"\s+", " ", regex=True).str.strip().to_numpy(dtype=object)


def _pii_sentences(rng, language, email, phone):
    """A sentence per row giving the customer's email or phone number."""
    use_phone = rng.random(len(language)) < 0.5
    prefix = np.array([PII_SENTENCES[lang] for lang in LANGUAGES], dtype=object)[language, use_phone.astype(int)]
    return prefix + " " + np.where(use_phone, phone, email) + "."


class _Tally:
    """Running counts over chunks, from which the truth files are computed exactly."""

    def __init__(self, months):
        n, k = _EXIT, len(PERSONAS)
        self.transitions = np.zeros((n, n), dtype=np.int64)
        self.visits = np.zeros((months, n), dtype=np.int64)  # events by month of their session's start
        self.exits = np.zeros((months, n), dtype=np.int64)  # sessions ending at each touchpoint
        self.stage_sessions = np.zeros(len(STAGES), dtype=np.int64)
        self.sessions = 0
        self.events = 0
        # per persona: responses, promoters, detractors, csat n, csat top-2, ces n, ces sum
        self.voice = np.zeros((k, 7))
        self.csat_tp = np.zeros((2, months, n))  # sum, count of csat by survey month and touchpoint
        self.rating = np.zeros((2, months, len(RATINGS)))  # sum, count of answered ratings by month
        self.topic_reviews = np.zeros((2, len(TOPICS)))  # reviews, negative (1-2) reviews
        self.pii_ids = []

    def add(self, part: _Chunk):
        n, months = _EXIT, len(self.visits)
        same = part.sess[1:] == part.sess[:-1]
        self.transitions += np.bincount(part.tp[:-1][same] * n + part.tp[1:][same], minlength=n * n).reshape(n, n)
        month = part.period.month_of(part.sess_start)
        self.visits += np.bincount(month[part.sess] * n + part.tp, minlength=months * n).reshape(months, n)
        self.exits += np.bincount(month * n + part.tp[part.last_event], minlength=months * n).reshape(months, n)
        reached = np.zeros((part.n_sessions, len(STAGES)), dtype=bool)
        reached[part.sess, _STAGE_OF[part.tp]] = True
        self.stage_sessions += reached.sum(axis=0)
        self.sessions += part.n_sessions
        self.events += len(part.tp)
        who, k = part.persona[part.sv_cust], len(PERSONAS)
        csat, ces = part.csat_answered, part.ces_answered
        for column, weights in enumerate([None, part.nps >= 9, part.nps <= 6, csat, csat & (part.csat >= 4),
                                          ces, np.where(ces, part.ces, 0)]):
            self.voice[:, column] += np.bincount(who, weights=weights, minlength=k)
        sv_month = part.period.month_of(part.sv_ts)
        cell = sv_month[csat] * n + part.sv_tp[csat]
        for i, weights in enumerate([part.csat[csat], None]):
            self.csat_tp[i] += np.bincount(cell, weights=weights, minlength=months * n).reshape(months, n)
        for j in range(len(RATINGS)):
            answered = part.rating_answered[:, j]
            for i, weights in enumerate([part.ratings[answered, j], None]):
                self.rating[i, :, j] += np.bincount(sv_month[answered], weights=weights, minlength=months)
        for i, weights in enumerate([None, part.rv_rating <= 2]):
            self.topic_reviews[i] += np.bincount(part.rv_topic, weights=weights, minlength=len(TOPICS))
        self.pii_ids += list(part.response_ids[part.has_pii])


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


def _write_json(path: Path, content):
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


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


def _kpis(row):
    n, promoters, detractors, csat_n, top2, ces_n, ces_sum = row
    return {"responses": int(n), "nps": 100 * (promoters - detractors) / n if n else None,
            "csat_top2box": 100 * top2 / csat_n if csat_n else None,
            "ces_mean": ces_sum / ces_n if ces_n else None}


def _ratio(num, den):
    return None if den == 0 else float(num / den)


def _write_truth(truth: Path, people, tally: _Tally, period):
    keys = [p.key for p in PERSONAS]
    pd.DataFrame({"customer_id": people["customer_id"],
                  "persona": np.array(keys, dtype=object)[people["persona"]]}).to_csv(truth / "personas.csv", index=False)
    counts = np.bincount(people["persona"], minlength=len(PERSONAS))
    _write_json(truth / "personas.json", [
        {**asdict(p), "customers": int(c), "realised_share": c / counts.sum()} for p, c in zip(PERSONAS, counts)])
    _write_json(truth / "drivers.json", {
        "nps": {"intercept": NPS_INTERCEPT, "noise_sd": NPS_NOISE,
                "weights": {f"rating_{r}": w for r, w in NPS_WEIGHTS.items()},
                "top_driver": f"rating_{max(NPS_WEIGHTS, key=NPS_WEIGHTS.get)}",
                "model": "nps = clip(round(intercept + sum(w * (rating - 3)) + noise), 0, 10) on the true ratings"},
        "csat": {"intercept": CSAT_INTERCEPT, "noise_sd": CSAT_NOISE,
                 "weights": {f"rating_{r}": w for r, w in CSAT_WEIGHTS.items()},
                 "top_driver": f"rating_{max(CSAT_WEIGHTS, key=CSAT_WEIGHTS.get)}",
                 "touchpoint_offsets": {tp: {"before": b, "after": a} for tp, (b, a) in CSAT_OFFSET.items()},
                 "model": "csat = clip(round(intercept + sum(w * (rating - 3)) + offset[touchpoint] + noise), 1, 5)"},
    })
    _write_json(truth / "kpis.json", {"overall": _kpis(tally.voice.sum(axis=0)),
                                      "personas": {k: _kpis(row) for k, row in zip(keys, tally.voice)}})
    src, dst = np.nonzero(tally.transitions)
    pd.DataFrame({"from_touchpoint": np.array(TOUCHPOINTS)[src], "to_touchpoint": np.array(TOUCHPOINTS)[dst],
                  "count": tally.transitions[src, dst]}).to_csv(truth / "transitions.csv", index=False)
    pd.DataFrame({"stage": list(STAGES), "sessions": tally.stage_sessions,
                  "share": tally.stage_sessions / max(tally.sessions, 1)}).to_csv(truth / "funnel.csv", index=False)
    visits, exits = tally.visits.sum(axis=0), tally.exits.sum(axis=0)
    csat_sum, csat_n = tally.csat_tp.sum(axis=1)
    chat, topic_n = _TP["chat_support"], tally.topic_reviews[0]
    _write_json(truth / "pain_point.json", {
        "touchpoint": "chat_support", "channel": "chat", "stage": "service",
        "description": "Long waits in the chat: the lowest CSAT and rating, negative reviews about waiting "
                       "and many sessions ending there (more than at any other touchpoint where journeys do not "
                       "naturally end); better but still the top pain point "
                       "after intervention I001.",
        "csat_mean": {tp: _ratio(csat_sum[i], csat_n[i]) for i, tp in enumerate(TOUCHPOINTS)},
        "exit_rate": {tp: _ratio(exits[i], visits[i]) for i, tp in enumerate(TOUCHPOINTS)},
        "rating_mean": {f"rating_{r}": _ratio(*tally.rating[:, :, j].sum(axis=1)) for j, r in enumerate(RATINGS)},
        "negative_review_share": {t: _ratio(tally.topic_reviews[1, i], topic_n[i]) for i, t in enumerate(TOPICS)},
        "chat_exit_rate": _ratio(exits[chat], visits[chat]),
    })
    _write_json(truth / "interventions.json", [
        _intervention_truth(tally, period, "I001", "chat_support", period.chat_start, works=True),
        _intervention_truth(tally, period, "I002", "newsletter", period.newsletter_start, works=False),
    ])
    _write_json(truth / "pii.json", {"description": "response_ids whose comment holds the customer's email or phone",
                                     "response_ids": [str(i) for i in tally.pii_ids]})


def _intervention_truth(tally, period, intervention_id, touchpoint, start, *, works):
    split, i = int(period.month_of(start)), _TP[touchpoint]
    measured = {}
    for label, months in (("before", slice(None, split)), ("after", slice(split, None))):
        measured[label] = {
            "csat_mean": _ratio(tally.csat_tp[0, months, i].sum(), tally.csat_tp[1, months, i].sum()),
            "exit_rate": _ratio(tally.exits[months, i].sum(), tally.visits[months, i].sum()),
            "rating_chat_mean": _ratio(*tally.rating[:, months, RATINGS.index("chat")].sum(axis=1)),
        }
    planted = ({"rating_chat": CHAT_RATING_JUMP,
                "csat_offset": CSAT_OFFSET["chat_support"][1] - CSAT_OFFSET["chat_support"][0],
                "exit_probability": {"before": round(1 - sum(CHAT_FLOW[0].values()), 6),
                                     "after": round(1 - sum(CHAT_FLOW[1].values()), 6)}}
               if works else {})
    return {"intervention_id": intervention_id, "scope": touchpoint, "start": period.iso(start),
            "works": works, "planted_effect": planted, "measured": measured}
