"""Plotly charts: one function per chart, each returning a ``plotly.graph_objects.Figure``.

Renderers never compute: each takes the output of an analysis function.
"""
# persona charts
from .journeys import emotion_curve, funnel_chart, journey_heatmap, journey_sankey, transition_heatmap
from .interventions import intervention_chart
from .voice import (driver_quadrant_chart, kpi_chart, topic_impact_chart, topic_sentiment_chart,
                    trend_chart)
