"""Plotly charts: one function per chart, each returning a ``plotly.graph_objects.Figure``.

Renderers never compute: each takes the output of an analysis function.
"""
# persona charts
# journey charts
# voice charts
