"""What describes fitted personas: traits (standardised differences), distinctiveness, top traits,
preferred channels, NPS/CSAT per persona from the KPI engine, the customers' outcome per persona, and readable
feature labels."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..cards import SMALL_EFFECT
from ..columns import code_label
from ..errors import SmallGroupWarning
from ..features import feature_group
from ..i18n import N_, _, attribute_label, format_number, format_percent, pgettext
from ..outcomes import outcome_by_group, outcome_column, outcome_flags
from ..stats import kpi_summary
from .space import MISSING


def distinctiveness(traits: pd.Series, top: int = 5) -> float:
    """Mean absolute standardised difference of a persona's *top* strongest traits."""
    return float(traits.dropna().abs().sort_values(ascending=False).iloc[:top].mean()) if traits.notna().any() else 0.0


def standardised_differences(values: pd.DataFrame, labels: np.ndarray) -> pd.DataFrame:
    """Each group's mean minus the rest's, in standard deviations of all customers.

    The whole population's SD (rather than the pooled within-group SD of
    Cohen's d) keeps effects bounded when a group is nearly constant, such as a
    yes/no trait every member shares; a constant column has effect 0.
    """
    n_in = values.notna().groupby(labels).sum()
    sum_in = values.fillna(0.0).groupby(labels).sum()
    n_out, sum_out = n_in.sum() - n_in, sum_in.sum() - sum_in
    scale = values.std()
    return (sum_in / n_in - sum_out / n_out).div(scale.where(scale > 0)).fillna(0.0)


def persona_kpis(surveys: pd.DataFrame | None, labels: pd.Series, min_group_size: int) -> pd.DataFrame:
    """NPS and CSAT (top-2-box %) per persona with 95% intervals, per answer, from the KPI engine.

    Each answer counts once, as in every other KPI table
    (:func:`cxresearch.stats.kpi_summary`), so a persona's NPS equals
    ``kpi_table`` by persona; personas with fewer than *min_group_size*
    respondents get none. *labels* maps customer_id to persona.
    """
    columns = [f"{m}{suffix}" for m in ("nps", "csat") for suffix in ("", "_low", "_high", "_n")]
    if surveys is None or "customer_id" not in surveys.columns:
        return pd.DataFrame(columns=columns, dtype=float)
    persona = surveys["customer_id"].map(labels)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        table = kpi_summary(surveys.assign(persona=persona), by=["persona"], metrics=["nps", "csat"],
                            min_group_size=min_group_size)
    wide = table.pivot(index="persona", columns="metric", values=["value", "low", "high", "n"])
    out = pd.DataFrame({f"{m}{suffix}": wide[(stat, m)] if (stat, m) in wide.columns else np.nan
                        for m in ("nps", "csat") for suffix, stat in (("", "value"), ("_low", "low"),
                                                                     ("_high", "high"), ("_n", "n"))},
                       index=wide.index)
    return out[columns]


def persona_outcome(customers: pd.DataFrame | None, labels: pd.Series,
                    min_group_size: int) -> tuple[str | None, pd.DataFrame]:
    """The customers' yes/no outcome (:func:`~cxresearch.outcomes.outcome_column`) and its share per persona,
    with Wilson intervals and, Holm-adjusted across the personas, whether each differs from the other customers
    (:func:`~cxresearch.outcomes.outcome_by_group`); ``(None, empty table)`` without an outcome column.
    *labels* maps customer_id to persona; personas with fewer than *min_group_size* customers get no rate."""
    column = outcome_column(customers)
    if column is None:
        return None, pd.DataFrame()
    flags = outcome_flags(customers[column]).set_axis(customers["customer_id"].astype(str).to_numpy())
    personas = pd.Series(labels.to_numpy(), index=labels.index.astype(str), name="persona")
    return column, outcome_by_group(flags, personas, min_group_size=min_group_size, correction="holm")


_LABELS = {"n_events": N_("events"), "n_sessions": N_("sessions"), "events_per_session": N_("events per session"),
           "frequency": N_("sessions per month"), "recency_days": N_("days since last visit"),
           "tenure_days": N_("days since first visit"), "n_channels": N_("channels used"),
           "cross_channel_sessions": N_("cross-channel sessions"), "n_purchases": N_("purchases"),
           "avg_order_value": N_("average order value"), "service_contacts": N_("service contacts"),
           "n_surveys": N_("survey answers"), "nps": N_("NPS answer"), "csat": N_("CSAT"), "ces": N_("CES"),
           "n_reviews": N_("reviews"), "review_rating": N_("review stars"), "review_sentiment": N_("review sentiment"),
           "channel mix": N_("channel mix"), "rating_price": N_("price rating"),
           "days_since_signup": N_("days since signup")}


def feature_label(column: str) -> str:
    """Readable label of a feature column ("share_app" -> "app share").

    Examples
    --------
    >>> feature_label("share_call_center"), feature_label("region=north"), feature_label("days_since_last_order")
    ('call center share', 'region: north', 'days since last order')
    """
    column = str(column)
    if column in _LABELS:
        return _(_LABELS[column])
    for prefix, template in (("share_", N_("%(name)s share")), ("reached_", N_("reached %(name)s")),
                             ("rating_", N_("%(name)s rating")), ("days_since_", N_("days since %(name)s"))):
        if column.startswith(prefix):
            name = column[len(prefix):]
            words = (attribute_label(name).replace("_", " ") if prefix == "days_since_"
                     else code_label(name, stage=prefix == "reached_"))
            return _(template) % {"name": words}
    attribute, equals, category = column.partition("=")
    return attribute_label(attribute).replace("_", " ") + (": " + category_label(category).replace("_", " ")
                                                           if equals else "")


#: scikit-learn's name for the rare categories a one-hot encoder groups (``max_categories``).
INFREQUENT = "infrequent_sklearn"


def category_label(category: str) -> str:
    """A category of a text attribute as people read it: the rare ones grouped by the encoder are "other".

    Examples
    --------
    >>> category_label("infrequent_sklearn"), category_label("missing"), category_label("Dresses")
    ('other', 'not given', 'Dresses')
    """
    if category == MISSING:
        return pgettext("attribute value", "not given")
    return _("other") if category == INFREQUENT else category


#: Two features whose correlation over the customers reaches this (in absolute value) say the same thing (total
#: charges and total revenue): names and trait lists keep only the stronger trait of the two.
REDUNDANT = 0.8
#: Customers the correlations are computed on (an evenly spaced sample in customer order).
CORRELATION_SAMPLE = 20_000


def correlations(values: pd.DataFrame) -> pd.DataFrame:
    """Correlation of every pair of feature columns over the customers (0 where undefined).

    Computed on at most :data:`CORRELATION_SAMPLE` customers, evenly spaced in
    customer_id order, so the result does not depend on the order of rows.
    """
    ordered = values.iloc[np.argsort(values.index.astype(str), kind="stable")]
    rows = np.unique(np.linspace(0, len(ordered) - 1, min(len(ordered), CORRELATION_SAMPLE)).astype(int))
    return ordered.iloc[rows].corr().fillna(0.0)


def distinct(columns, similar: pd.DataFrame | None, *, kept=()) -> list[str]:
    """*columns* in their order, one per attribute (``attribute=category``), none redundant with an earlier one
    (*similar*: :func:`correlations`, redundant from :data:`REDUNDANT`).

    *kept* are columns already said elsewhere (e.g. in a name's adjectives):
    columns redundant with them are left out too.
    """
    position = {} if similar is None else {column: i for i, column in enumerate(similar.columns)}
    close = None if similar is None else np.abs(similar.to_numpy()) >= REDUNDANT
    chosen, attributes = list(kept), set()
    said = [position[c] for c in kept if c in position]
    for column in columns:
        attribute = str(column).split("=")[0]
        if attribute in attributes or (column in position and close[position[column], said].any()):
            continue
        chosen.append(column)
        attributes.add(attribute)
        if column in position:
            said.append(position[column])
    return chosen[len(kept):]


def preferred_channels(profile: pd.Series, top: int = 3) -> str:
    shares = profile[[c for c in profile.index if feature_group(c) == "channels"]].dropna()
    shares = shares[shares >= 0.05].sort_values(ascending=False, kind="stable").iloc[:top]
    return ", ".join(f"{code_label(c, prefix='share_')} {format_percent(v, decimals=0)}" for c, v in shares.items())


def overview(personas: pd.DataFrame) -> pd.DataFrame:
    """The personas table without the columns that say nothing, so that it fits the page: a flag no persona
    has (``suppressed``, ``unstable``) and a text column empty for all (``channels`` without events)."""
    flags = [c for c in ("suppressed", "unstable") if c in personas and not personas[c].fillna(False).any()]
    texts = [c for c in ("channels",) if c in personas and not personas[c].fillna("").astype(bool).any()]
    return personas.drop(columns=flags + texts)
