"""ipywidgets explorers for JupyterLab; they call analyses and charts, never compute themselves."""
# persona widgets
# journey widgets
