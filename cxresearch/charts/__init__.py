"""Plotly charts: one function per chart, each returning a ``plotly.graph_objects.Figure``.

Renderers never compute: each takes the output of an analysis function.
"""
from .personas import (k_selection_chart, persona_shares_chart, persona_sizes_chart, persona_traits_chart,
                       projection_chart, trait_heatmap)
from .journeys import emotion_curve, funnel_chart, journey_heatmap, journey_sankey, transition_heatmap
from .interventions import intervention_chart
from .voice import (driver_quadrant_chart, kpi_chart, topic_impact_chart, topic_sentiment_chart,
                    trend_chart)
from .layout import speak_the_language

speak_the_language()
