"""Explorers fill their outputs without a front end and leave a placeholder for static viewers."""
import json
import sys
import warnings
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
import pytest

from cxresearch.errors import SmallGroupWarning
from cxresearch.widgets import JourneyExplorer
from cxresearch.widgets.output import noted, placeholder, reopened_hint, show_in

from .test_journeys import pain_dataset

PLOTLY = "application/vnd.plotly.v1+json"


def test_show_in_sets_outputs_without_capturing():
    output = widgets.Output()
    show_in(output, pd.DataFrame({"a": [1]}).style, "two")
    assert [sorted(out["data"]) for out in output.outputs] == [["text/html", "text/plain"], ["text/plain"]]
    assert output.msg_id == ""          # nothing captured: no front end is asked for anything
    show_in(output, "only")
    assert len(output.outputs) == 1


def test_journey_explorer_shows_an_interactive_chart_and_a_readable_table():
    personas = pd.Series({f"c{i:02d}": "left" if i < 10 else "bought" for i in range(20)})
    explorer = JourneyExplorer(pain_dataset(), personas=personas)
    chart, table = explorer.output.outputs
    assert PLOTLY in chart["data"]
    html = table["data"]["text/html"]
    assert "Top pain points" in html and "Abandon rate" in html and "%" in html
    assert (explorer.journey.pain_points(top=5)["impact"] > 0).sum() == html.count("<tr>") - 1
    assert explorer._repr_mimebundle_()["text/html"] == placeholder()


def test_an_explorer_says_what_to_do_where_a_reopened_notebook_lost_it():
    """Seen in JupyterLab 4 (headless Chromium): run, saved without widget state, reopened on a new kernel, the
    explorer reads "Error displaying widget: model not found"; the hint under it then shows, and hides while the
    explorer is live (its CSS hides it after an output holding the explorer's class)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from cxresearch import i18n

    InteractiveShell.instance()
    explorer = JourneyExplorer(pain_dataset())
    assert "cx-explorer" in explorer._dom_classes
    with capture_output() as captured:
        explorer._ipython_display_()
    widget, hint = (output.data for output in captured.outputs)
    assert "application/vnd.jupyter.widget-view+json" in widget and widget["text/html"] == placeholder()
    assert ".jp-OutputArea-child:has(.cx-explorer) + .jp-OutputArea-child .cx-explorer-hint { display: none; }" in (
        hint["text/html"])
    assert "run the cell again" in hint["text/html"] and "Save Widget State Automatically" in hint["text/html"]
    with i18n.using("it"):
        assert "eseguite di nuovo la cella" in reopened_hint()


def test_noted_turns_library_warnings_into_a_note_and_passes_others_on():
    label = widgets.HTML()
    with noted(label):
        warnings.warn("3 group(s) with fewer than 5 customers suppressed", SmallGroupWarning)
    assert label.value.count("Note: 3 group(s) with fewer than 5 customers suppressed.") == 1
    assert "test_widgets.py" not in label.value            # no source path
    with pytest.warns(RuntimeWarning, match="another library"):
        with noted(label):
            warnings.warn("another library", RuntimeWarning)
    assert label.value == ""


def test_make_lab_sets_a_real_jupyterlab_setting_that_saves_widget_state():
    """``make lab`` installs jupyter/overrides.json; each key must be a setting the installed extension declares."""
    root = Path(__file__).resolve().parents[2]
    overrides = json.loads((root / "jupyter" / "overrides.json").read_text())
    assert overrides["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": True}
    for key, values in overrides.items():
        extension, plugin = key.split(":")
        schema = (Path(sys.prefix) / "share/jupyter/labextensions" / extension / "schemas" / extension
                  / f"{plugin}.json")
        assert set(values) <= set(json.loads(schema.read_text())["properties"]), key
    assert "$(LAB_OVERRIDES)" in (root / "Makefile").read_text().split("\nlab:")[1].splitlines()[0]
