"""Recipes: real public exports reshaped into a :class:`~cxresearch.dataset.CXDataset`.

Each recipe reads the files of one public dataset where the user keeps them
(the folder as published, see ``/shared/data/README.md`` of the project's
machines), reshapes them into the canonical tables and validates those through
:func:`~cxresearch.dataset.load_dataset`, so a recipe's dataset passes exactly
the checks of a dataset folder (:func:`~cxresearch.dataset.from_frames`);
nothing is copied into the project.

===================  ===============================================================
recipe               what becomes what
===================  ===============================================================
``olist``            orders -> events (order placed, payment approved, handed to
                     carrier, delivered on time / late; never delivered -> stage
                     outcome); review -> review and CSAT
                     survey tied to the order's last milestone; people by
                     ``customer_unique_id``
``bpic2012``         loan applications -> customers (amount, outcome); activities ->
                     touchpoints, ``A_``/``W_``/``O_`` prefixes -> stages, final
                     states -> stage outcome
``airline``          passengers -> customers; 14 touchpoint ratings -> ``rating_*``
                     (0 = not applicable -> missing); ``satisfaction`` kept as the
                     target
``clothing``         each review is its own anonymous reviewer (age, product,
                     recommends)
``telco``            customers from demographics, services and status; the
                     satisfaction score -> a CSAT survey (1-5)
``dunnhumby``        households -> customers (demographics, top department, discount
                     share); campaigns received, coupon redemptions and baskets ->
                     events
``cdnow``            each purchase line -> a purchase event (value, CDs)
``olist_funnel``     leads -> customers (origin, won, deal profile); first contact
                     and deal won -> events, stages acquisition and closing
``bank_marketing``   each call line is its own client (profile, contacts, previous
                     outcome, subscribed); call duration and the economy left out
``online_shoppers``  each session is its own visitor (pages and time per page type,
                     bounce/exit rates, traffic, visitor type, purchased)
===================  ===============================================================

Undated files (airline, clothing, telco) get the timestamp :data:`UNDATED` (the
Unix epoch, an unmistakable "no date"), and the dataset's notes say so: their
trends and periods mean nothing, their KPIs, drivers, topics and personas do.
The undated bank_marketing and online_shoppers give customers only.

Examples
--------
>>> from cxresearch import recipes
>>> ds = recipes.load("olist", "path/to/olist_ecommerce_sample15k")  # doctest: +SKIP
>>> sorted(recipes.RECIPES)  # doctest: +NORMALIZE_WHITESPACE
['airline', 'bank_marketing', 'bpic2012', 'cdnow', 'clothing', 'dunnhumby', 'olist', 'olist_funnel',
 'online_shoppers', 'telco']
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import CXDataset, from_frames
from .errors import DataError, ParameterError, Problem, did_you_mean
from .i18n import N_, _

__all__ = ["Recipe", "RECIPES", "UNDATED", "load", "missing", "olist", "bpic2012", "airline", "clothing", "telco",
           "dunnhumby", "cdnow", "olist_funnel", "bank_marketing", "online_shoppers"]

#: Timestamp given to rows of files that carry no date at all.
UNDATED = pd.Timestamp("1970-01-01", tz="UTC")


@dataclass(frozen=True)
class Recipe:
    """How to read one public dataset.

    Attributes
    ----------
    name : str
        Key in :data:`RECIPES`.
    load : callable
        ``load(path) -> CXDataset``.
    description : str
        What the data is and how it is mapped.
    licence : str
        The data's licence (the project never copies non-CC0/CC-BY data).
    folder : str
        Name of the dataset's folder in the shared data.
    files : dict of str to tuple of str
        Every file the recipe reads, with the columns it needs.
    """

    name: str
    load: Callable[[str | Path], CXDataset]
    description: str
    licence: str
    folder: str
    files: dict[str, tuple[str, ...]]


# ----------------------------------------------------------------------- helpers
def _problems(folder: Path, files: dict[str, tuple[str, ...]]) -> list[Problem]:
    """Every file or column of *files* that *folder* lacks."""
    if not folder.is_dir():
        return [Problem(str(folder), f"folder not found; expected the folder of the original export holding "
                        f"{', '.join(files)}.")]
    problems = []
    for file, columns in files.items():
        if not (folder / file).is_file():
            problems.append(Problem(file, f"not found in {folder}; expected this file of the original export."
                                    f"{did_you_mean(file, [p.name for p in folder.iterdir()])}"))
            continue
        header = pd.read_csv(folder / file, nrows=0, sep=None, engine="python", encoding="utf-8-sig").columns
        problems += [Problem(file, f"required column '{column}' is missing; the file has "
                             f"{', '.join(map(str, header))}.{did_you_mean(column, header)}", column=column)
                     for column in columns if column not in header]
    return problems


def _read(path, files: dict[str, tuple[str, ...]], **read_csv) -> dict[str, pd.DataFrame]:
    """The columns the recipe needs of each file, raising one DataError for all that is missing."""
    folder = Path(path)
    problems = _problems(folder, files)
    if problems:
        raise DataError(problems)
    return {file: pd.read_csv(folder / file, usecols=list(columns), **read_csv) for file, columns in files.items()}


def _dataset(name: str, source, tables: dict[str, pd.DataFrame], *, stages=None, notes=(),
             timezone: str = "UTC") -> CXDataset:
    """Validate reshaped *tables* with the loader's checks (:func:`~cxresearch.dataset.from_frames`)."""
    dataset = from_frames(tables, name=name, stages=stages, timezone=timezone)
    return replace(dataset, path=Path(source), notes=[*map(str, map(_, notes)), *dataset.notes])


def _undated() -> str:
    return N_("This export has no dates: every timestamp is set to 1970-01-01, so trends and periods "
             "mean nothing here.")


def _largest(frame: pd.DataFrame, key: str, by: str, column: str) -> pd.Series:
    """*column* of the row with the largest *by* in each *key* group (ties: first in file order)."""
    top = frame.sort_values(by, ascending=False, kind="stable").drop_duplicates(key)
    return top.set_index(key)[column]


# ------------------------------------------------------------------------- olist
OLIST_FILES = {
    "olist_orders_dataset.csv": ("order_id", "customer_id", "order_status", "order_purchase_timestamp",
                                 "order_approved_at", "order_delivered_carrier_date",
                                 "order_delivered_customer_date", "order_estimated_delivery_date"),
    "olist_customers_dataset.csv": ("customer_id", "customer_unique_id", "customer_city", "customer_state"),
    "olist_order_payments_dataset.csv": ("order_id", "payment_type", "payment_installments", "payment_value"),
    "olist_order_reviews_dataset.csv": ("review_id", "order_id", "review_score", "review_comment_title",
                                        "review_comment_message", "review_answer_timestamp"),
    "olist_order_items_dataset.csv": ("order_id", "product_id", "price"),
    "olist_products_dataset.csv": ("product_id", "product_category_name"),
    "product_category_name_translation.csv": ("product_category_name", "product_category_name_english"),
}
#: Order milestone column -> touchpoint (delivery splits into on time / late).
OLIST_MILESTONES = {"order_purchase_timestamp": "order_placed", "order_approved_at": "payment_approved",
                    "order_delivered_carrier_date": "handed_to_carrier",
                    "order_delivered_customer_date": "delivered_on_time"}
OLIST_TIMEZONE = "America/Sao_Paulo"
#: An order never delivered is no delivery: its stage is the journey's outcome (as bpic2012's declined loans), so
#: the delivery stage's reach counts the orders delivered.
OLIST_STAGES = {"purchase": ["order_placed", "payment_approved"], "fulfilment": ["handed_to_carrier"],
                "delivery": ["delivered_on_time", "delivered_late"], "outcome": ["not_delivered"]}


def olist(path) -> CXDataset:
    """The Olist e-commerce export (orders, customers, payments, reviews, items, products).

    - **customers**: one per person (``customer_unique_id``; Olist gives each
      order its own ``customer_id``) with ``state``, ``city`` and, from the
      person's largest payment and item, ``payment_type``, ``installments`` and
      ``category`` (English).
    - **events**: one per order milestone, channel ``web``, ``session_id`` the
      order: ``order_placed`` (event ``purchase``, value = the order's payments
      in BRL), ``payment_approved``, ``handed_to_carrier`` and
      ``delivered_on_time`` or ``delivered_late`` (delivered on a later day than
      the estimated delivery date); an order never delivered whose estimated
      delivery date has passed (before the export's last milestone) adds
      ``not_delivered`` at that date. Timestamps are Sao Paulo time. Each
      order is one session: the dataset trusts ``session_id`` (``session_gap``
      ``auto``), so milestones days apart stay one journey.
    - **reviews**: star rating (1-5) and title + message (Portuguese), at the
      answer time; a review covering several orders (same ``review_id``) is kept once.
    - **surveys**: the same review is Olist's post-delivery satisfaction survey,
      so it is also a ``csat`` answer with its ``comment``, tied to the
      touchpoint of the order's last milestone (a late delivery, an order
      stuck at the carrier...), which gives the journey map its pain points.
    """
    raw = _read(path, OLIST_FILES)
    people = raw["olist_customers_dataset.csv"]
    person = people.set_index("customer_id")["customer_unique_id"]
    orders = raw["olist_orders_dataset.csv"].assign(person=lambda o: o["customer_id"].map(person))
    payments = raw["olist_order_payments_dataset.csv"].assign(person=lambda p: p["order_id"].map(
        orders.set_index("order_id")["person"]))
    categories = raw["product_category_name_translation.csv"].set_index("product_category_name").iloc[:, 0]
    products = raw["olist_products_dataset.csv"].set_index("product_id")["product_category_name"]
    items = raw["olist_order_items_dataset.csv"].assign(
        person=lambda i: i["order_id"].map(orders.set_index("order_id")["person"]),
        category=lambda i: i["product_id"].map(products).map(categories))

    customers = (people.drop_duplicates("customer_unique_id")
                 .rename(columns={"customer_state": "state", "customer_city": "city"})
                 .set_index("customer_unique_id")[["state", "city"]]
                 .assign(payment_type=_largest(payments, "person", "payment_value", "payment_type"),
                         installments=payments.groupby("person")["payment_installments"].max(),
                         category=_largest(items.dropna(subset=["category"]), "person", "price", "category"))
                 .rename_axis("customer_id").reset_index())

    milestones = orders.melt(id_vars=["order_id", "person", "order_estimated_delivery_date"],
                             value_vars=list(OLIST_MILESTONES), var_name="milestone", value_name="timestamp")
    milestones = milestones.dropna(subset=["timestamp"])
    promised = pd.to_datetime(orders["order_estimated_delivery_date"])
    broken = (orders["order_delivered_customer_date"].isna() & promised.notna()
              & (promised <= pd.to_datetime(milestones["timestamp"]).max()))
    milestones = pd.concat([milestones, orders.loc[broken, ["order_id", "person", "order_estimated_delivery_date"]]
                            .assign(milestone="not_delivered", timestamp=lambda o: o["order_estimated_delivery_date"])],
                           ignore_index=True)
    late = (milestones["milestone"].eq("order_delivered_customer_date")
            & (pd.to_datetime(milestones["timestamp"]).dt.normalize()
               > pd.to_datetime(milestones["order_estimated_delivery_date"])))
    placed = milestones["milestone"].eq("order_purchase_timestamp")
    events = pd.DataFrame({
        "customer_id": milestones["person"], "timestamp": pd.to_datetime(milestones["timestamp"]),
        "channel": "web",
        "touchpoint": milestones["milestone"].map(OLIST_MILESTONES).fillna(milestones["milestone"])
                                             .mask(late, "delivered_late"),
        "event": np.where(placed, "purchase", "milestone"), "session_id": milestones["order_id"],
        "value": milestones["order_id"].map(payments.groupby("order_id")["payment_value"].sum()).where(placed),
    }).sort_values(["customer_id", "timestamp"], kind="stable")
    last_milestone = events.drop_duplicates("session_id", keep="last").set_index("session_id")["touchpoint"]

    answers = raw["olist_order_reviews_dataset.csv"]
    duplicates = int(answers["review_id"].duplicated().sum())
    answers = answers.drop_duplicates("review_id")
    text = answers["review_comment_title"].str.cat(answers["review_comment_message"], sep=". ", na_rep="")
    text = text.str.strip(". ").replace("", np.nan)
    common = {"customer_id": answers["order_id"].map(orders.set_index("order_id")["person"]),
              "timestamp": pd.to_datetime(answers["review_answer_timestamp"])}
    reviews = pd.DataFrame({"review_id": answers["review_id"], **common, "rating": answers["review_score"],
                            "text": text, "source": "olist"})
    surveys = pd.DataFrame({"response_id": answers["review_id"], **common, "channel": "web",
                            "touchpoint": answers["order_id"].map(last_milestone),
                            "csat": answers["review_score"], "comment": text})
    return _dataset("Olist e-commerce (15k orders)", path,
                    {"customers": customers, "events": events, "surveys": surveys, "reviews": reviews},
                    stages=OLIST_STAGES, timezone=OLIST_TIMEZONE,
                    notes=[N_("reviews: a review covering several orders (one review_id) is kept once, with its first "
                             "order.")] * bool(duplicates)
                    + [N_("reviews and surveys: each review is also the order's CSAT survey answer; texts are "
                         "Portuguese (sentiment scored with the LeIA lexicon).")])


# ---------------------------------------------------------------------- bpic2012
BPIC2012_FILES = {"bpic2012_events.csv.gz": ("case:concept:name", "concept:name", "lifecycle:transition",
                                             "time:timestamp", "org:resource", "case:REG_DATE", "case:AMOUNT_REQ")}
#: Dutch work items of the log, in English.
BPIC2012_WORK_ITEMS = {
    "W_Completeren aanvraag": "w_complete_application", "W_Nabellen offertes": "w_call_after_offer",
    "W_Nabellen incomplete dossiers": "w_call_incomplete_file", "W_Valideren aanvraag": "w_validate_application",
    "W_Afhandelen leads": "w_handle_lead", "W_Beoordelen fraude": "w_assess_fraud",
    "W_Wijzigen contractgegevens": "w_change_contract",
}
#: Activity prefix -> journey stage, in journey order.
BPIC2012_STAGES = {"a_": "application", "w_": "back_office", "o_": "offer"}
#: Final application states, the first one a case reaches wins.
BPIC2012_OUTCOMES = {"a_approved": "approved", "a_declined": "declined", "a_cancelled": "cancelled"}


def bpic2012(path) -> CXDataset:
    """The BPI Challenge 2012 loan-application event log (Dutch bank, 2011-2012).

    - **customers**: one per application (``case:concept:name``) with
      ``amount_requested``, ``registered_at``, ``outcome`` (approved,
      declined, cancelled, or open when the log ends before) and ``approved``
      (1 = approved, 0 = declined or cancelled, missing while open).
    - **events**: every event of the log; ``touchpoint`` is the activity
      (``A_``/``O_`` states lower-cased, Dutch ``W_`` work items in English),
      ``event`` its lifecycle transition (schedule, start, complete), channel
      ``employee`` or ``automatic`` (no ``org:resource``), ``session_id`` the case.
    - **stages**: application (``A_``), back_office (``W_``), offer (``O_``) and outcome (approved,
      declined, cancelled: the application's final states, which the journey map reports as outcomes, not
      as places customers leave).
    """
    log = _read(path, BPIC2012_FILES, dtype={"case:concept:name": str})["bpic2012_events.csv.gz"]
    activity = log["concept:name"].map(BPIC2012_WORK_ITEMS).fillna(log["concept:name"].str.lower())
    events = pd.DataFrame({
        "customer_id": log["case:concept:name"], "timestamp": pd.to_datetime(log["time:timestamp"], utc=True),
        "channel": np.where(log["org:resource"].isna(), "automatic", "employee"), "touchpoint": activity,
        "event": log["lifecycle:transition"].str.lower(), "session_id": log["case:concept:name"],
    })
    stage = activity.str[:2].map(BPIC2012_STAGES).mask(activity.isin(list(BPIC2012_OUTCOMES)), "outcome")
    stages = {name: sorted(activity[stage == name].unique()) for name in [*BPIC2012_STAGES.values(), "outcome"]}
    ends = events.loc[activity.isin(list(BPIC2012_OUTCOMES))].sort_values("timestamp", kind="stable")
    cases = log.drop_duplicates("case:concept:name").set_index("case:concept:name")
    customers = pd.DataFrame({
        "amount_requested": cases["case:AMOUNT_REQ"].astype(float),
        "registered_at": pd.to_datetime(cases["case:REG_DATE"], utc=True),
        "outcome": ends.drop_duplicates("customer_id").set_index("customer_id")["touchpoint"]
        .map(BPIC2012_OUTCOMES).reindex(cases.index).fillna("open"),
    }).rename_axis("customer_id").reset_index()
    customers["approved"] = customers["outcome"].eq("approved").astype(float).mask(customers["outcome"].eq("open"))
    return _dataset("BPI Challenge 2012 loan applications", path, {"customers": customers, "events": events},
                    stages=stages)


# ----------------------------------------------------------------------- airline
AIRLINE_FILE = "airline_passenger_satisfaction_test.csv"
#: The survey's touchpoint ratings (0-5, 0 = not applicable), in journey order of the columns.
AIRLINE_RATINGS = ("Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking",
                   "Gate location", "Food and drink", "Online boarding", "Seat comfort", "Inflight entertainment",
                   "On-board service", "Leg room service", "Baggage handling", "Checkin service", "Inflight service",
                   "Cleanliness")
AIRLINE_PROFILE = ("Gender", "Customer Type", "Age", "Type of Travel", "Class", "Flight Distance",
                   "Departure Delay in Minutes", "Arrival Delay in Minutes")
AIRLINE_FILES = {AIRLINE_FILE: ("id", *AIRLINE_PROFILE, *AIRLINE_RATINGS, "satisfaction")}


def airline(path) -> CXDataset:
    """The airline passenger satisfaction survey (Kaggle test split, 25,976 passengers).

    - **customers**: one per passenger (``id``) with gender, customer type,
      age, type of travel, class, flight distance, delays (minutes) and
      ``satisfied`` (1 = "satisfied", 0 = "neutral or dissatisfied").
    - **surveys**: one answer per passenger, ``rating_<touchpoint>`` for the 14
      ratings with 0 ("not applicable") as missing, and ``satisfaction`` as
      given (the target of driver analysis). Undated: see :data:`UNDATED`.
    """
    raw = _read(path, AIRLINE_FILES)[AIRLINE_FILE]
    ids = raw["id"].astype(str)
    customers = raw[list(AIRLINE_PROFILE)].assign(
        customer_id=ids, satisfied=raw["satisfaction"].eq("satisfied").astype(float))
    ratings = raw[list(AIRLINE_RATINGS)].mask(raw[list(AIRLINE_RATINGS)] == 0).add_prefix("rating_")
    surveys = pd.concat([pd.DataFrame({"response_id": ids, "customer_id": ids, "timestamp": UNDATED}),
                         ratings, raw[["satisfaction"]]], axis=1)
    return _dataset("Airline passenger satisfaction", path, {"customers": customers, "surveys": surveys},
                    notes=[_undated(),
                           N_("surveys: ratings of 0 mean 'not applicable' and are missing.")])


# ---------------------------------------------------------------------- clothing
CLOTHING_FILE = "Womens Clothing E-Commerce Reviews.csv"
CLOTHING_FILES = {CLOTHING_FILE: ("Unnamed: 0", "Clothing ID", "Age", "Title", "Review Text", "Rating",
                                  "Recommended IND", "Positive Feedback Count", "Division Name",
                                  "Department Name", "Class Name")}


def clothing(path) -> CXDataset:
    """Women's e-commerce clothing reviews (23,486 reviews, English, CC0).

    The file has no reviewer id and no date. Each review is taken as its own
    anonymous reviewer (``customer_id`` = ``review_id`` = the row id), so
    personas are personas of reviews; every timestamp is :data:`UNDATED`.

    - **customers**: ``age``, ``division``, ``department``, ``class``,
      ``recommended`` (0/1) and ``positive_feedback_count``.
    - **reviews**: ``rating`` (1-5), ``title``, ``text``, language ``en`` and
      ``clothing_id`` (kept here as text: as a customer attribute the loader
      would read the id as a number).
    """
    raw = _read(path, CLOTHING_FILES, dtype={"Unnamed: 0": str, "Clothing ID": str})[CLOTHING_FILE]
    ids = raw["Unnamed: 0"]
    customers = pd.DataFrame({
        "customer_id": ids, "age": raw["Age"], "division": raw["Division Name"],
        "department": raw["Department Name"], "class": raw["Class Name"], "recommended": raw["Recommended IND"],
        "positive_feedback_count": raw["Positive Feedback Count"]})
    reviews = pd.DataFrame({"review_id": ids, "customer_id": ids, "timestamp": UNDATED, "rating": raw["Rating"],
                            "title": raw["Title"], "text": raw["Review Text"], "language": "en",
                            "clothing_id": raw["Clothing ID"]})
    return _dataset("Women's clothing e-commerce reviews", path, {"customers": customers, "reviews": reviews},
                    notes=[_undated(),
                           N_("customers: the file has no reviewer id; each review is its own reviewer.")])


# ------------------------------------------------------------------------- telco
TELCO_DEMOGRAPHICS = "Telco_customer_churn_demographics.csv"
TELCO_SERVICES = "Telco_customer_churn_services.csv"
TELCO_STATUS = "Telco_customer_churn_status.csv"
TELCO_FILES = {
    TELCO_DEMOGRAPHICS: ("Customer ID", "Gender", "Age", "Married", "Number of Dependents"),
    TELCO_SERVICES: ("Customer ID", "Referred a Friend", "Number of Referrals", "Tenure in Months", "Offer",
                     "Phone Service", "Avg Monthly Long Distance Charges", "Multiple Lines", "Internet Service",
                     "Internet Type", "Avg Monthly GB Download", "Online Security", "Online Backup",
                     "Device Protection Plan", "Premium Tech Support", "Streaming TV", "Streaming Movies",
                     "Streaming Music", "Unlimited Data", "Contract", "Paperless Billing", "Payment Method",
                     "Monthly Charge", "Total Charges", "Total Refunds", "Total Extra Data Charges",
                     "Total Long Distance Charges", "Total Revenue"),
    TELCO_STATUS: ("Status ID", "Customer ID", "Satisfaction Score", "Customer Status", "Churn Value",
                   "Churn Score", "CLTV", "Churn Category", "Churn Reason"),
}


def telco(path) -> CXDataset:
    """IBM's fictional California telco (v11.1.3 tables: demographics, services, status).

    - **customers**: the 7,043 customers with every demographic, service and
      status column (snake_case), ``Count``/``Quarter``/id columns left out.
    - **surveys**: the ``Satisfaction Score`` (1-5) as ``csat``, one answer
      per customer (``response_id`` = ``Status ID``). The tables say only
      "Q3" of an unstated year: see :data:`UNDATED`.
    """
    raw = _read(path, TELCO_FILES)
    status = raw[TELCO_STATUS]
    customers = (raw[TELCO_DEMOGRAPHICS].merge(raw[TELCO_SERVICES], on="Customer ID", validate="1:1")
                 .merge(status.drop(columns=["Status ID", "Satisfaction Score"]), on="Customer ID", validate="1:1")
                 .rename(columns={"Customer ID": "customer_id"}))
    surveys = pd.DataFrame({"response_id": status["Status ID"], "customer_id": status["Customer ID"],
                            "timestamp": UNDATED, "csat": status["Satisfaction Score"]})
    return _dataset("IBM telco customers", path, {"customers": customers, "surveys": surveys},
                    notes=[_undated()])


# --------------------------------------------------------------------- dunnhumby
DUNNHUMBY_FILES = {
    "transactions_sample.csv": ("household_id", "store_id", "basket_id", "product_id", "sales_value",
                                "retail_disc", "coupon_disc", "transaction_timestamp"),
    "demographics.csv": ("household_id", "age", "income", "home_ownership", "marital_status", "household_size",
                         "household_comp", "kids_count"),
    "campaigns.csv": ("campaign_id", "household_id"),
    "campaign_descriptions.csv": ("campaign_id", "campaign_type", "start_date"),
    "coupon_redemptions.csv": ("household_id", "coupon_upc", "campaign_id", "redemption_date"),
    "products_in_transactions_sample.csv": ("product_id", "department"),
}
DUNNHUMBY_STAGES = {"campaign": ["campaign_type_a", "campaign_type_b", "campaign_type_c"],
                    "purchase": ["basket"], "redemption": ["coupon_redemption"]}


def dunnhumby(path) -> CXDataset:
    """84.51°/dunnhumby "The Complete Journey" (grocery households, 2017, CC0).

    - **customers**: every household seen in any file, with the demographics
      (banded text, for the 801 households that have them), ``top_department``
      (largest sampled spend) and ``discount_share`` (retail discount / sales).
    - **events**: ``campaign_type_a|b|c`` (channel ``campaign``, at the
      campaign's start date: the day a household received it is not in the
      data), ``coupon_redemption`` (channel ``store``, at its date, with its
      ``coupon_id`` and ``campaign_id``, which tell a household's redemptions of a day apart) and one
      ``basket`` per basket (channel ``store``, event ``purchase``,
      ``session_id`` the basket, ``value`` its sales).
    - **stages**: campaign, purchase, redemption.

    The transactions are the package's 75,000-line random sample of ~1.47M, so
    a basket's value is the sum of its *sampled* lines, not the whole basket.
    """
    raw = _read(path, DUNNHUMBY_FILES, dtype={"basket_id": str, "coupon_upc": str})
    lines = raw["transactions_sample.csv"].assign(department=lambda t: t["product_id"].map(
        raw["products_in_transactions_sample.csv"].set_index("product_id")["department"]))
    baskets = lines.groupby("basket_id", sort=False).agg(
        customer_id=("household_id", "first"), timestamp=("transaction_timestamp", "min"),
        value=("sales_value", "sum")).reset_index()
    campaigns = raw["campaigns.csv"].merge(raw["campaign_descriptions.csv"], on="campaign_id", validate="m:1")
    redemptions = raw["coupon_redemptions.csv"]
    events = pd.concat([
        pd.DataFrame({"customer_id": campaigns["household_id"], "timestamp": campaigns["start_date"],
                      "channel": "campaign", "event": "campaign_received",
                      "touchpoint": campaigns["campaign_type"].str.lower().str.replace(" ", "_").radd("campaign_")}),
        pd.DataFrame({"customer_id": redemptions["household_id"], "timestamp": redemptions["redemption_date"],
                      "channel": "store", "touchpoint": "coupon_redemption", "event": "redemption",
                      "coupon_id": redemptions["coupon_upc"], "campaign_id": redemptions["campaign_id"].astype(str)}),
        pd.DataFrame({"customer_id": baskets["customer_id"], "timestamp": baskets["timestamp"], "channel": "store",
                      "touchpoint": "basket", "event": "purchase", "session_id": baskets["basket_id"],
                      "value": baskets["value"]}),
    ], ignore_index=True).assign(timestamp=lambda e: pd.to_datetime(e["timestamp"], format="ISO8601"))
    spend = lines.groupby("household_id")[["sales_value", "retail_disc"]].sum()
    households = pd.Index(events["customer_id"].unique()).union(raw["demographics.csv"]["household_id"])
    customers = (raw["demographics.csv"].set_index("household_id").reindex(households)
                 .assign(top_department=_largest(lines.dropna(subset=["department"]), "household_id",
                                                 "sales_value", "department"),
                         discount_share=spend["retail_disc"] / spend["sales_value"].where(spend["sales_value"] > 0))
                 .rename_axis("customer_id").reset_index())
    return _dataset("dunnhumby The Complete Journey (households)", path, {"customers": customers, "events": events},
                    stages=DUNNHUMBY_STAGES,
                    notes=[N_("events: baskets are built from a 75,000-line random sample of ~1.47M transaction "
                             "lines; their value is the sampled lines' sales only."),
                           N_("events: campaigns are dated at their start date (the receipt date is not in the "
                             "data).")])


# --------------------------------------------------------------------- cdnow
CDNOW_FILE = "cdnow_master.csv"
CDNOW_FILES = {CDNOW_FILE: ("customer_id", "date", "num_cds", "amount_usd")}


def cdnow(path) -> CXDataset:
    """The CDNOW purchase log (Fader & Hardie; 23,570 customers of the 1997-Q1 cohort, to mid-1998).

    - **events**: one ``purchase`` per line (channel ``web``: CDNOW sold
      online), ``value`` the amount in USD and ``cds`` the number of CDs;
      ``customer_id`` kept as the zero-padded text.

    There are no customer attributes: personas come from the purchases
    (recency, frequency, value). One touchpoint and no stages: a purchase
    log has no path within a visit, so there is no pain point to rank. (Split
    into first and repeat purchases, the first would rank as the place
    visits end, which only says that each purchase is a visit of its own.)

    The 255 lines that repeat an earlier line in every column are kept (two
    equal purchases on one day are possible); the loader warns about them.
    """
    raw = _read(path, CDNOW_FILES, dtype={"customer_id": str})[CDNOW_FILE]
    events = pd.DataFrame({"customer_id": raw["customer_id"],
                           "timestamp": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d", utc=True),
                           "channel": "web", "touchpoint": "purchase", "event": "purchase",
                           "value": raw["amount_usd"], "cds": raw["num_cds"]})
    return _dataset("CDNOW purchases (1997 cohort)", path, {"events": events})


# ----------------------------------------------------------------- olist funnel
OLIST_LEADS = "olist_marketing_qualified_leads_dataset.csv"
OLIST_DEALS = "olist_closed_deals_dataset.csv"
OLIST_FUNNEL_FILES = {
    OLIST_LEADS: ("mql_id", "first_contact_date", "landing_page_id", "origin"),
    OLIST_DEALS: ("mql_id", "won_date", "business_segment", "lead_type", "lead_behaviour_profile",
                  "business_type", "declared_monthly_revenue"),
}
OLIST_FUNNEL_STAGES = {"acquisition": ["first_contact"], "closing": ["deal_won"]}


def olist_funnel(path) -> CXDataset:
    """Olist's seller-acquisition funnel (8,000 marketing-qualified leads, 842 closed deals, 2017-2018).

    - **customers**: one per lead (``mql_id``) with its ``landing_page_id``,
      ``won`` (1 = a closed deal) and, for won leads, ``business_segment``,
      ``lead_type``, ``lead_behaviour_profile``, ``business_type`` and
      ``declared_monthly_revenue``.
    - **events**: ``first_contact`` (channel the ``origin``, the acquisition
      channel, blank -> ``unknown``; at its date) and, for
      won leads, ``deal_won`` (channel ``sales``, event ``purchase``, at the
      won date); ``session_id`` the lead, so a lead's funnel is one journey.
    - **stages**: acquisition (first contact), closing (deal won).
    """
    raw = _read(path, OLIST_FUNNEL_FILES)
    leads = raw[OLIST_LEADS].assign(origin=lambda lead: lead["origin"].fillna("unknown"))
    deals = raw[OLIST_DEALS]
    customers = (leads.drop(columns=["first_contact_date", "origin"])
                 .merge(deals.drop(columns="won_date"), on="mql_id", how="left", validate="1:1")
                 .assign(won=leads["mql_id"].isin(deals["mql_id"]).astype(float))
                 .rename(columns={"mql_id": "customer_id"}))
    events = pd.concat([
        pd.DataFrame({"customer_id": leads["mql_id"], "timestamp": pd.to_datetime(leads["first_contact_date"]),
                      "channel": leads["origin"], "touchpoint": "first_contact", "event": "contact"}),
        pd.DataFrame({"customer_id": deals["mql_id"], "timestamp": pd.to_datetime(deals["won_date"]),
                      "channel": "sales", "touchpoint": "deal_won", "event": "purchase"}),
    ], ignore_index=True).assign(session_id=lambda e: e["customer_id"])
    return _dataset("Olist seller-acquisition funnel", path, {"customers": customers, "events": events},
                    stages=OLIST_FUNNEL_STAGES, timezone=OLIST_TIMEZONE,
                    notes=[N_("events: leads' first contacts are dates without a time of day; the leads are sellers "
                             "Olist recruited, not shoppers.")])


# --------------------------------------------------------------- bank marketing
BANK_FILE = "bank-additional-full.csv"
BANK_PROFILE = ("age", "job", "marital", "education", "default", "housing", "loan")
#: The economy at the time of the call, not a trait of the client: left out.
BANK_CONTEXT = ("emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed")
BANK_FILES = {BANK_FILE: (*BANK_PROFILE, "contact", "campaign", "pdays", "previous", "poutcome", "y")}


def bank_marketing(path) -> CXDataset:
    """UCI Bank Marketing (bank-additional-full: a Portuguese bank's term-deposit calls, 2008-2010, CC BY 4.0).

    - **customers**: one per line (the file has no client id; ``customer_id``
      is the line number) with ``age``, ``job``, ``marital``, ``education``,
      ``default``, ``housing``, ``loan``, ``contact`` (cellular or telephone),
      ``contacts_this_campaign``, ``previous_contacts``,
      ``days_since_previous_campaign`` (999 = never -> missing),
      ``previous_outcome`` and ``subscribed`` (1 = took the term deposit).

    Left out: ``duration`` (known only once the call ends, it gives the outcome
    away), the macro context of :data:`BANK_CONTEXT` (the economy on the day
    of the call, which would split clients by when they were called) and
    ``month``/``day_of_week`` (no year: the file has no dates).
    """
    raw = _read(path, BANK_FILES, sep=";")[BANK_FILE]
    customers = raw[list(BANK_PROFILE)].assign(
        customer_id=(raw.index + 2).astype(str), contact=raw["contact"], contacts_this_campaign=raw["campaign"],
        previous_contacts=raw["previous"], days_since_previous_campaign=raw["pdays"].mask(raw["pdays"] == 999),
        previous_outcome=raw["poutcome"], subscribed=raw["y"].eq("yes").astype(float))
    return _dataset("UCI bank marketing calls", path, {"customers": customers},
                    notes=[N_("customers: the file has no client id; each line is its own client, numbered by its "
                             "line. The call's duration and the economy at the time of the call are left out: "
                             "the one gives the outcome away, the other describes the day, not the client.")])


# ------------------------------------------------------------------ online shoppers
SHOPPERS_FILE = "online_shoppers_intention.csv"
#: Column of the file -> customer attribute.
SHOPPERS_COLUMNS = {
    "Administrative": "administrative_pages", "Administrative_Duration": "administrative_seconds",
    "Informational": "informational_pages", "Informational_Duration": "informational_seconds",
    "ProductRelated": "product_pages", "ProductRelated_Duration": "product_seconds",
    "BounceRates": "bounce_rate", "ExitRates": "exit_rate", "PageValues": "page_value",
    "SpecialDay": "special_day", "Month": "month", "OperatingSystems": "operating_system", "Browser": "browser",
    "Region": "region", "TrafficType": "traffic_type", "VisitorType": "visitor_type", "Weekend": "weekend",
    "Revenue": "purchased",
}
SHOPPERS_FILES = {SHOPPERS_FILE: tuple(SHOPPERS_COLUMNS)}
#: Coded columns -> the prefix that keeps their codes text ("browser_2"): numbers would read as amounts.
SHOPPERS_CODES = {"OperatingSystems": "os_", "Browser": "browser_", "Region": "region_", "TrafficType": "traffic_"}


def online_shoppers(path) -> CXDataset:
    """UCI Online Shoppers Purchasing Intention (12,330 sessions of one online shop's year, CC BY 4.0).

    The file holds one row per session, with no visitor id, no date and no
    page sequence. Each session is taken as its own anonymous visitor
    (``customer_id`` = the line number), so personas are personas of sessions.

    - **customers**: pages and seconds per page type, the Google Analytics
      bounce and exit rates and page value, ``special_day``, ``month``,
      ``visitor_type``, ``weekend`` and ``purchased`` (0/1), and the coded
      ``operating_system``, ``browser``, ``region`` and ``traffic_type`` as
      text (``browser_2``: as numbers they would read as amounts).
    """
    raw = _read(path, SHOPPERS_FILES)[SHOPPERS_FILE]
    codes = {column: raw[column].astype(str).radd(prefix) for column, prefix in SHOPPERS_CODES.items()}
    customers = raw.assign(**codes).rename(columns=SHOPPERS_COLUMNS).assign(
        customer_id=(raw.index + 2).astype(str), weekend=raw["Weekend"].astype(float),
        purchased=raw["Revenue"].astype(float))
    return _dataset("UCI online shoppers' sessions", path, {"customers": customers},
                    notes=[N_("customers: the file has one row per session and no visitor id; each session is its "
                             "own visitor, numbered by its line. It has no dates and no page sequence: no journey, "
                             "trends or periods.")])


# ---------------------------------------------------------------------- registry
RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in (
    Recipe("olist", olist, "Brazilian marketplace orders with delivery milestones, payments and post-delivery "
           "reviews (15k-order sample, Portuguese text)", "CC BY-NC-SA 4.0", "olist_ecommerce_sample15k",
           OLIST_FILES),
    Recipe("bpic2012", bpic2012, "Dutch bank loan applications: event log of application, offer and back-office "
           "activities", "CC BY 4.0 (4TU.ResearchData; verify on the DOI page)",
           "bpic2012_loan_application_eventlog", BPIC2012_FILES),
    Recipe("airline", airline, "Airline passenger survey: 14 touchpoint ratings and overall satisfaction "
           "(undated)", "not stated (Kaggle teejmahal20)", "airline_passenger_satisfaction", AIRLINE_FILES),
    Recipe("clothing", clothing, "Women's clothing e-commerce reviews: stars, text, recommendation, reviewer age "
           "(undated, anonymous)", "CC0 1.0", "womens_ecommerce_clothing_reviews", CLOTHING_FILES),
    Recipe("telco", telco, "Fictional California telco: demographics, services, churn status and a 1-5 "
           "satisfaction score (undated)", "IBM sample data terms", "ibm_telco_churn", TELCO_FILES),
    Recipe("dunnhumby", dunnhumby, "Grocery households: demographics, campaigns received, coupon redemptions "
           "and sampled baskets (2017)", "CC0 1.0", "dunnhumby_complete_journey", DUNNHUMBY_FILES),
    Recipe("cdnow", cdnow, "CD retailer purchase log of the 1997-Q1 customer cohort, to mid-1998 (dates, CDs, "
           "amounts)", "academic use (Fader & Hardie's CDNOW data; the lifetimes package is MIT)",
           "cdnow_transactions", CDNOW_FILES),
    Recipe("olist_funnel", olist_funnel, "Olist's seller-acquisition funnel: marketing-qualified leads by "
           "channel and the deals closed", "CC BY-NC-SA 4.0", "olist_marketing_funnel", OLIST_FUNNEL_FILES),
    Recipe("bank_marketing", bank_marketing, "Bank term-deposit telemarketing: client profile, contacts and "
           "whether they subscribed (undated)", "CC BY 4.0", "uci_bank_marketing", BANK_FILES),
    Recipe("online_shoppers", online_shoppers, "Online shop sessions: pages and time per page type, traffic "
           "source, visitor type and whether they bought (undated)", "CC BY 4.0", "uci_online_shoppers_intention",
           SHOPPERS_FILES),
)}


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise ParameterError(f"unknown recipe {name!r}; expected one of {', '.join(map(repr, RECIPES))}."
                             f"{did_you_mean(name, RECIPES)}")
    return RECIPES[name]


def load(name: str, path) -> CXDataset:
    """Load the export at *path* with the recipe *name* (a key of :data:`RECIPES`).

    Raises
    ------
    ParameterError
        For an unknown recipe name (the message lists the valid ones).
    DataError
        Naming every expected file or column the folder lacks.
    """
    return _recipe(name).load(path)


def missing(name: str, path) -> list[str]:
    """What the folder at *path* lacks for recipe *name*: one message per file or column, empty when complete.

    Notebooks use it to say clearly that the data is not there and skip the analyses.

    Examples
    --------
    >>> missing("olist", "no/such/folder")[0].split(";")[0]
    'no/such/folder: folder not found'
    """
    return [str(problem) for problem in _problems(Path(path), _recipe(name).files)]
