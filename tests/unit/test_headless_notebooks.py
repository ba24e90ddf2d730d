"""Every notebook, widget cells included, runs with plain papermill on a kernel with no front end.

And it runs cleanly: no cell shows an error, writes to stderr or shows a
warning with its source path ("journeys.py:659: SmallGroupWarning: ..."); the
library's warnings reach the reader as notes (see test_notes.py).

A scheduler calls ``papermill NOTEBOOK OUT -p data_dir ...`` and nothing else:
no cell may wait for a browser. The explorers used to fill their Output widgets
with ``with output: display(...)``; nbclient then answered each captured output
on the kernel's shell channel while it was itself waiting on that channel for
the cell's reply, and about one run in three never woke up. Each run here has a
per-cell timeout, so a hang fails the test instead of stalling the suite.

Slow by nature (a kernel per run): about 10-30 s per notebook on a 300-customer
demo; this is the only test that runs the notebooks unmodified.
"""
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from cxresearch.synthetic import generate

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("0*.ipynb"))
CELL_TIMEOUT = 300   # seconds; a cell of these notebooks takes a few on 300 customers
RUNS = 3             # a hang showed up in about one run in three
RAW_WARNING = re.compile(r"\.py:\d+|Warning:")   # a source line or a warning class, as warnings print them


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo300"), customers=300, random_state=42)


def _unclean(executed) -> list[str]:
    """Every output of *executed* a reader should not see: errors, stderr, raw warnings."""
    found = []
    for number, cell in enumerate(executed.cells):
        for out in cell.get("outputs", []):
            text = out.get("text", "") + json.dumps(out.get("data", {}))
            if out.output_type == "error" or out.get("name") == "stderr" or RAW_WARNING.search(text):
                found.append(f"cell {number}: {out.get('ename') or text[:300]}")
    return found


def _run(source, target, **parameters):
    return papermill.execute_notebook(str(source), str(target), parameters={k: str(v) for k, v in parameters.items()},
                                      cwd=str(source.parent), kernel_name="python3", progress_bar=False,
                                      execution_timeout=CELL_TIMEOUT)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_headless_with_its_widget_cells(notebook, small_demo, tmp_path):
    executed = _run(notebook, tmp_path / notebook.name, data_dir=small_demo, reports_dir=tmp_path / "reports")
    assert _unclean(executed) == []


def test_explorers_run_headless_again_and_again(small_demo, tmp_path):
    """Both explorers built and flipped through every selection, in three fresh kernels."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell('data_dir = ""', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "from cxresearch import notes\nnotes.collect('Explorers', run_dir='')\n"
            "import cxresearch as cx\nfrom cxresearch.personas import fit_personas\n"
            "from cxresearch.widgets import JourneyExplorer, PersonaExplorer\n"
            "dataset = cx.load_dataset(data_dir)\nfeatures, model = fit_personas(dataset, random_state=0)"),
        nbformat.v4.new_code_cell(
            "personas = PersonaExplorer(model)\n"
            "for _, persona in personas.persona.options:\n    personas.persona.value = persona\npersonas"),
        nbformat.v4.new_code_cell(
            "journeys = JourneyExplorer(dataset, personas=model.labels_)\n"
            "for chart in journeys.chart.options:\n    journeys.chart.value = chart\n"
            "for persona in journeys.persona.options:\n    journeys.persona.value = persona\njourneys"),
    ]
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / "explorers.ipynb"
    nbformat.write(notebook, source)
    for run in range(RUNS):
        executed = _run(source, tmp_path / f"run{run}.ipynb", data_dir=small_demo)
        assert _unclean(executed) == [], run
        shown = executed.cells[-1].outputs[0].data
        assert "application/vnd.jupyter.widget-view+json" in shown and "run this cell" in shown["text/html"]


def test_a_raw_warning_stderr_or_error_counts_as_unclean():
    """What the runs above look for, shown on outputs a reader must not see (no kernel needed)."""
    warning = "journeys.py:659: SmallGroupWarning: 677 group(s) suppressed\n  kept = suppress_small(...)\n"
    cells = [nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", name="stderr", text="plain\n")]),
             nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", name="stdout", text=warning)]),
             nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("error", ename="KeyError", evalue="x",
                                                                       traceback=[])]),
             nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
                 "display_data", data={"text/markdown": "> **Notes on this run**\n> - 677 group(s) suppressed."})])]
    notebook = nbformat.v4.new_notebook(cells=cells)
    assert [line.split(":")[0] for line in _unclean(notebook)] == ["cell 0", "cell 1", "cell 2"]
