"""ipywidgets explorers for JupyterLab; they call analyses and charts, never compute themselves."""
from .personas import PersonaExplorer
from .journeys import JourneyExplorer
