"""Fill ipywidgets ``Output`` areas without capturing display calls.

``with output: display(obj)`` makes the front end collect the outputs; a
kernel run headless by papermill has nbclient emulate that front end, which
then writes each output back to the kernel on the shell channel while it is
still waiting on that channel for the cell's reply, and now and then never
wakes up (the run hangs for good). Setting the ``outputs`` trait instead sends
the outputs one way, kernel to front end, and works the same in JupyterLab.
"""
from __future__ import annotations

import contextlib
import html
import warnings

import ipywidgets as widgets
import plotly.graph_objects as go
import plotly.io as pio
from IPython.core.interactiveshell import InteractiveShell

from ..errors import CXResearchWarning
from ..i18n import N_, _
from ..notes import record
from ..templating import render_template

__all__ = ["ExplorerBox", "show_in", "noted", "mime_bundle", "placeholder", "reopened_hint"]

#: What a saved notebook opened without the explorer's live widgets says in its place.
PLACEHOLDER_TEXT = N_("Interactive explorer: run this cell in JupyterLab to explore.")
#: What a reopened notebook says under an explorer JupyterLab cannot draw (its state was not saved).
REOPENED_TEXT = N_("If the explorer above reads “Error displaying widget: model not found”, the notebook was saved "
                   "without its state: run the cell again to explore. To keep explorers in saved notebooks, turn on "
                   "Settings → Widget Manager → Save Widget State Automatically in JupyterLab (make lab does).")
#: Class of an explorer's root element: the hint under it hides while it shows.
EXPLORER_CLASS = "cx-explorer"


def placeholder() -> str:
    """HTML shown wherever a saved notebook is opened without the explorer's live widgets, in the reader's language."""
    return str(render_template("explorer_note.html.j2", text=_(PLACEHOLDER_TEXT), hint=False))


def reopened_hint() -> str:
    """HTML shown under an explorer: hidden while the explorer shows, it says what to do when a reopened notebook
    has lost the explorer's state."""
    return str(render_template("explorer_note.html.j2", text=_(REOPENED_TEXT), hint=True))


def mime_bundle(obj) -> dict:
    """The display data of *obj*: plotly figures as interactive plotly JSON, others as IPython shows them."""
    if isinstance(obj, go.Figure):
        return {**pio.renderers["plotly_mimetype"].to_mimebundle(obj.to_dict()),
                "text/plain": f"<{obj.layout.title.text or 'figure'}>"}
    data, _ = InteractiveShell.instance().display_formatter.format(obj)
    return data


@contextlib.contextmanager
def noted(label: widgets.HTML):
    """Show the library's warnings raised inside the block as one short note in *label* (empty when none).

    An explorer reacts to its controls outside any cell, where a warning would
    reach the kernel's stderr; here it becomes a note beside what it concerns
    (what was hidden and why). Other libraries' warnings are re-raised as usual.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    ours = [w.message for w in caught if issubclass(w.category, CXResearchWarning)]
    note = _("Note: %(note)s") % {"note": record(ours)}
    label.value = f"<div style='color:#57606a;font-size:13px;margin:4px 0'>{html.escape(note)}</div>" if ours else ""
    for w in caught:
        if not issubclass(w.category, CXResearchWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def show_in(output: widgets.Output, *objects) -> None:
    """Make *output* show *objects*, replacing what it showed."""
    output.outputs = tuple({"output_type": "display_data", "data": mime_bundle(obj), "metadata": {}}
                           for obj in objects)


class ExplorerBox(widgets.VBox):
    """A ``VBox`` whose saved output also carries a placeholder, and a hint under it.

    A notebook reopened without the widget's live state (untrusted, another
    viewer, a static export) shows :func:`placeholder` instead of the widget's repr;
    JupyterLab, which draws "model not found" there instead, shows :func:`reopened_hint` under it.
    """

    def __init__(self, children, **kwargs):
        super().__init__(children, **kwargs)
        self.add_class(EXPLORER_CLASS)

    def _repr_mimebundle_(self, **kwargs):
        return {**super()._repr_mimebundle_(**kwargs), "text/html": placeholder()}

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)
        display({"text/html": reopened_hint(), "text/plain": ""}, raw=True)
