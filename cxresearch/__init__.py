"""cxresearch: a customer-experience research and buyer-persona workbench.

Load a company's exports into one customer view (:func:`load_dataset`), then
cluster buyer personas, map customer journeys and measure the voice of the
customer; :mod:`cxresearch.routine` runs it all as a periodic papermill routine.

The names below are imported on first use (PEP 562), so ``import cxresearch``
stays fast: scipy, scikit-learn, plotly, pandera and DuckDB load only when an
analysis that needs them is first called.
"""
from __future__ import annotations

import importlib
import sys
import types

from .errors import CXResearchError, DataError, DataWarning, ParameterError, Problem

__version__ = "0.1.0"

#: Public name -> the module defining it.
_LAZY = {
    **dict.fromkeys(("Estimate", "compare", "ces", "csat", "nps"), "stats"),
    "redact_pii": "privacy",
    **dict.fromkeys(("CXDataset", "load_dataset", "validate"), "dataset"),
    **dict.fromkeys(("customer_features", "persona_basis"), "features"),
    **dict.fromkeys(("PersonaModel", "persona_card", "representative_quotes"), "personas"),
    **dict.fromkeys(("JourneyMap", "JourneyLog", "journey_map", "journey_log"), "journeys"),
    "sessionize": "sessions",
    "key_drivers": "drivers",
    **dict.fromkeys(("outcome_rate", "outcome_by_group"), "outcomes"),
    **dict.fromkeys(("kpi_table", "kpi_trend", "topic_impact"), "voice"),
    **dict.fromkeys(("changes_note", "compare_verdicts", "event_study_table", "intervention_effects",
                     "intervention_series", "window_note"), "interventions"),
    **dict.fromkeys(("detect_language", "fit_sentiment", "sentiment", "star_agreement_note"), "text"),
    "topics": "topics",
    "pretty": "display",
    **dict.fromkeys(("absent_scores", "missing", "present_scores", "supported", "then", "when"), "capabilities"),
}

__all__ = ["CXResearchError", "DataError", "DataWarning", "ParameterError", "Problem", *_LAZY]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        try:  # a subpackage used as a namespace, e.g. ``cx.personas.fit_personas``
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'cxresearch' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    """The package module: importing the submodule ``topics`` keeps ``cxresearch.topics`` the function."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _LAZY.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
