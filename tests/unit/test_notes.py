"""Warnings reach the reader as notes: one per cell, in a "Notes on this run" box, never on stderr."""
from __future__ import annotations

import json
import re
import warnings

import papermill

from cxresearch import notes
from cxresearch.errors import SmallGroupWarning
from cxresearch.routine import NOTEBOOKS_DIR
from cxresearch.synthetic import generate


def test_a_cells_warnings_become_one_note_of_distinct_sentences():
    assert notes.record(["3 group(s)  suppressed", "orphan rows kept.", "3 group(s)  suppressed"]) == \
        "3 group(s) suppressed. Orphan rows kept."
    assert notes.record([]) == ""


def test_captured_warnings_are_saved_as_the_pages_notes_and_other_warnings_go_to_the_kernel_log(tmp_path):
    with notes.captured("Loading the data", run_dir=str(tmp_path)):
        warnings.warn("2 groups suppressed", SmallGroupWarning, stacklevel=1)
        warnings.warn("a library detail", FutureWarning, stacklevel=1)
    assert notes.read(tmp_path) == {"Loading the data": ["2 groups suppressed."]}
    assert "FutureWarning: a library detail" in (tmp_path / notes.KERNEL_LOG).read_text()


def test_the_box_lists_each_pages_notes_or_says_there_is_nothing(tmp_path):
    notes.save(tmp_path, "Journey map", ["19 group(s) suppressed."])
    assert notes.box(str(tmp_path)).data == ("> **Notes on this run**\n>\n> *Journey map*\n>\n"
                                             "> - 19 group(s) suppressed.")
    assert "Nothing to note" in notes.box(str(tmp_path / "elsewhere")).data
    # a note of a result several pages use (saved by the journey page first) is listed once, under its own page
    notes.save(tmp_path, "Voice of the customer", ["Key drivers: 2 left out.", "Only here."])
    notes.save(tmp_path, "Journey map", ["19 group(s) suppressed.", "Key drivers: 2 left out."])
    notes.save(tmp_path, "Personas", ["Key drivers: 2 left out."])
    assert notes.box(str(tmp_path)).data.replace("\n>\n", "\n").split("\n") == [
        "> **Notes on this run**", "> *Personas*", "> - Key drivers: 2 left out.", "> *Journey map*",
        "> - 19 group(s) suppressed.", "> *Voice of the customer*", "> - Only here."]


# One real kernel (about 30 s): the only way to see what a reader of the page sees.
def test_a_notebook_run_shows_warnings_as_notes_without_stderr_or_source_paths(tmp_path):
    data = generate(tmp_path / "data", customers=300, random_state=5, months=3)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    executed = papermill.execute_notebook(
        str(NOTEBOOKS_DIR / "03_voice_of_customer.ipynb"), str(tmp_path / "out.ipynb"), cwd=str(NOTEBOOKS_DIR),
        parameters={"data_dir": str(data), "min_group_size": 12, "run_dir": str(run_dir)},
        progress_bar=False, log_output=False)
    outputs = [out for cell in executed.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if out.output_type == "stream" and out.name == "stderr"]
    texts = [out.get("text", "") + json.dumps(out.get("data", {})) for out in outputs]
    assert not [text for text in texts if re.search(r"\.py:\d+|Warning:", text)]
    box = executed.cells[-1].outputs[0]["data"]["text/markdown"]
    assert box.startswith("> **Notes on this run**") and re.search(r"with fewer than 12 members hidden: “\w", box)
    assert re.search(r"with fewer than 12 members hidden: “\w", " ".join(notes.read(run_dir)["Voice of the customer"]))


def test_a_note_another_page_repeats_under_its_analysis_name_is_listed_once_with_the_name(tmp_path):
    # the summary computed the interventions first (no analysis name), the interventions page named them
    notes.save(tmp_path, "Executive summary", ["2 groups with fewer than 5 members suppressed."])
    notes.save(tmp_path, "Interventions", ["Interventions: 2 groups with fewer than 5 members suppressed."])
    assert notes.box(str(tmp_path)).data.replace("\n>\n", "\n").split("\n") == [
        "> **Notes on this run**", "> *Interventions*",
        "> - Interventions: 2 groups with fewer than 5 members suppressed."]
