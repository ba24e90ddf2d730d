"""cxresearch: a customer-experience research and buyer-persona workbench.

Load a company's exports into one customer view (:func:`load_dataset`), then
cluster buyer personas, map customer journeys and measure the voice of the
customer; :mod:`cxresearch.routine` runs it all as a periodic papermill routine.
"""
from .errors import CXResearchError, DataError, DataWarning, ParameterError, Problem
from .stats import Estimate, compare, ces, csat, nps
from .privacy import redact_pii
from .dataset import CXDataset, load_dataset, validate  # noqa: F401
from .features import customer_features, persona_basis
from .personas import PersonaModel, persona_card, representative_quotes
from .journeys import JourneyMap, journey_map, sessionize
from .voice import key_drivers, kpi_table, kpi_trend, topic_impact
from .interventions import compare_verdicts, intervention_effects, intervention_series
from .text import detect_language, fit_sentiment, sentiment
from .topics import topics
from .display import pretty

__version__ = "0.1.0"
