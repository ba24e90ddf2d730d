"""Buyer personas from any per-customer table (see :mod:`cxresearch.personas.model` for the method).

One module per job: :mod:`.space` (the weighted FAMD-like space),
:mod:`.selection` (choosing k by per-persona stability), :mod:`.model` (the
:class:`PersonaModel` estimator and :func:`fit_personas`), :mod:`.profiles`
(traits, KPIs, labels), :mod:`.names`, :mod:`.quotes`, :mod:`.projection`,
:mod:`.card` and :mod:`.state` (what the next run aligns to).
"""
from ..features import NoCustomerDataError
from .card import PersonaCard, persona_card, persona_card_data
from .model import PersonaModel, fit_personas
from .profiles import feature_label, overview
from .projection import Projection, projection_data
from .quotes import representative_quotes
from .selection import UnstablePersonasWarning
from .state import PersonaState, PersonaStateWarning

__all__ = ["PersonaModel", "PersonaCard", "PersonaState", "PersonaStateWarning", "UnstablePersonasWarning",
           "NoCustomerDataError", "fit_personas", "persona_card", "persona_card_data",
           "representative_quotes", "Projection", "projection_data", "feature_label",
           "overview"]
