"""The planted model of the demo data: channels, journeys, personas and how satisfaction arises.

Every constant here is a known answer the analyses should find in the data
:func:`cxresearch.synthetic.generate` writes (and is written to its ``truth/``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHANNELS = ("web", "app", "store", "email", "chat", "call_center", "social")
STAGES = {
    "awareness": ("social_ad", "newsletter", "search_ad"),
    "consideration": ("home", "product_page", "store_visit", "reviews_page"),
    "purchase": ("cart", "checkout", "store_checkout"),
    "service": ("chat_support", "call_center", "faq", "returns"),
    "loyalty": ("loyalty_program", "referral", "review_request"),
}
TOUCHPOINTS = tuple(tp for tps in STAGES.values() for tp in tps)
TP_INDEX = {tp: i for i, tp in enumerate(TOUCHPOINTS)}
EXIT = len(TOUCHPOINTS)
STAGE_OF = np.array([i for i, tps in enumerate(STAGES.values()) for _ in tps])
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
EVENT_NAMES = tuple(dict.fromkeys(EVENTS.values()))
PURCHASE = np.isin(np.arange(EXIT), [TP_INDEX["checkout"], TP_INDEX["store_checkout"]])

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
            "Young (about 31), mostly on the app, coming back to it rather than through ads; the most "
            "sessions per month; moderate baskets; satisfied, love the app.",
            age=(31, 5), sessions_per_month=1.2,
            kinds={"online": 0.88, "store": 0.04, "chat_service": 0.05, "phone_service": 0.03},
            app_share=0.85, entry={"social_ad": 0.10, "home": 0.38, "product_page": 0.38, "search_ad": 0.05,
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
            app_share=0.1, entry={"newsletter": 0.50, "search_ad": 0.25, "home": 0.12, "product_page": 0.08,
                                   "review_request": 0.05},
            p_cart=0.30, p_checkout=0.55, p_store_buy=0.4, order_value=28, satisfaction=0.0,
            rating_shift={"price": -0.9}, italian=0.5, plans={"basic": 0.7, "plus": 0.25, "premium": 0.05},
            surveys_per_year=0.35, reviews_per_year=0.2,
            topics={"price": 0.5, "delivery": 0.25, "quality": 0.15, "returns": 0.1}),
    Persona("service_strugglers", "Service-heavy frustrated customers", 0.15,
            "Around 50, often in the chat and on the phone with support and returns; medium baskets; "
            "the least satisfied (low NPS), complain about chat waiting times.",
            age=(50, 10), sessions_per_month=0.7,
            kinds={"online": 0.27, "store": 0.03, "chat_service": 0.45, "phone_service": 0.25},
            app_share=0.4, entry={"home": 0.45, "product_page": 0.3, "search_ad": 0.1, "newsletter": 0.1,
                                   "review_request": 0.05},
            p_cart=0.35, p_checkout=0.6, p_store_buy=0.5, order_value=65, satisfaction=-0.7,
            rating_shift={"chat": -0.3, "delivery": -0.5}, italian=0.5,
            plans={"basic": 0.3, "plus": 0.5, "premium": 0.2}, surveys_per_year=0.7, reviews_per_year=0.5,
            topics={"chat_wait": 0.45, "returns": 0.25, "delivery": 0.2, "quality": 0.1}),
    Persona("social_browsers", "Social browsers", 0.10,
            "The youngest (about 20), arrive now and then from social ads, mostly in the mobile browser; "
            "browse and rarely buy; the smallest baskets; lukewarm.",
            age=(20, 3), sessions_per_month=0.35,
            kinds={"online": 0.97, "store": 0.01, "chat_service": 0.01, "phone_service": 0.01},
            app_share=0.25, entry={"social_ad": 0.75, "home": 0.15, "product_page": 0.10},
            p_cart=0.06, p_checkout=0.35, p_store_buy=0.2, order_value=22, satisfaction=-0.1,
            rating_shift={}, italian=0.4, plans={"basic": 0.8, "plus": 0.2, "premium": 0.0},
            surveys_per_year=0.2, reviews_per_year=0.1,
            topics={"app": 0.3, "quality": 0.3, "price": 0.25, "delivery": 0.15}),
)

#: Shape of the gamma distribution (mean 1) of each customer's own activity multiplier on the sessions per
#: month: customers of one persona differ in how often they come by a coefficient of variation 1/sqrt(shape).
ACTIVITY_SHAPE = 10.0

REGIONS = {"nord": 0.45, "centro": 0.20, "sud": 0.23, "isole": 0.12}
PLANS = ("basic", "plus", "premium")
LANGUAGES = ("en", "it")

#: Topic a survey comment talks about, by surveyed touchpoint (others pick one at random).
COMMENT_TOPIC = {"chat_support": "chat_wait", "returns": "returns", "cart": "delivery", "checkout": "delivery",
                 "store_visit": "staff", "store_checkout": "staff", "call_center": "staff"}
