"""ipywidgets explorers for JupyterLab; they call analyses and charts, never compute themselves."""
# persona widgets
from .journeys import JourneyExplorer
