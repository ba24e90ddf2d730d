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

__all__ = ["ExplorerBox", "show_in", "noted", "mime_bundle", "placeholder"]

#: What a saved notebook opened without the explorer's live widgets says in its place.
PLACEHOLDER_TEXT = N_("Interactive explorer: run this cell in JupyterLab to explore.")


def placeholder() -> str:
    """HTML shown wherever a saved notebook is opened without the explorer's live widgets, in the reader's language."""
    return ("<p style='padding:8px 12px;border:1px dashed #8c959f;border-radius:6px;color:#57606a'>"
            f"{html.escape(_(PLACEHOLDER_TEXT))}</p>")


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
    """A ``VBox`` whose saved output also carries a placeholder.

    A notebook reopened without the widget's live state (untrusted, another
    viewer, a static export) shows :func:`placeholder` instead of the widget's repr.
    """

    def _repr_mimebundle_(self, **kwargs):
        return {**super()._repr_mimebundle_(**kwargs), "text/html": placeholder()}
