"""The research routine: parameters, run folders, manifests, failures, index and latest."""
from __future__ import annotations

import html
import json
import os
import re
import warnings
from dataclasses import fields, replace

import nbformat
import pandas as pd
import pytest
import yaml
from papermill.inspection import inspect_notebook

from cxresearch import compare_verdicts, personas, routine
from cxresearch.cli import main
from cxresearch.errors import ParameterError
from cxresearch.personas import fit_personas
from cxresearch.routine import runner
from cxresearch.routine.runs import failure_sentence
from cxresearch.routine import (NOTEBOOKS, NOTEBOOKS_DIR, RoutineParameters, previous_run, run, run_personas,
                                run_summary)
from cxresearch.summary import Summary
from cxresearch.synthetic import generate

PARAMETER_NAMES = [f.name for f in fields(RoutineParameters)]
PARAMETERS_CELL = "\n".join(f"{f.name}: {f.type} = {f.default!r}" for f in fields(RoutineParameters))

TINY_DATASET = {
    "customers.csv": """
        customer_id,age
        c1,30
        c2,41
    """,
    "surveys.csv": """
        response_id,timestamp,customer_id,nps
        r1,2025-01-05T10:00:00,c1,9
        r2,2025-01-06T10:00:00,c2,4
    """,
}


def write_notebook(folder, name, *code):
    """A routine notebook: title, the routine's parameters cell, then *code* cells."""
    folder.mkdir(exist_ok=True)
    cells = [nbformat.v4.new_markdown_cell(f"# {name}\n\n## Section"),
             nbformat.v4.new_code_cell(PARAMETERS_CELL, metadata={"tags": ["parameters"]}),
             *(nbformat.v4.new_code_cell(source) for source in code)]
    notebook = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, folder / f"{name}.ipynb")
    return folder


@pytest.fixture
def tiny(make_dataset):
    return make_dataset(TINY_DATASET)


@pytest.fixture
def notebooks(tmp_path):
    return write_notebook(tmp_path / "notebooks", "00_data_quality",
                          "import pandas as pd\npd.DataFrame({'answers': [2]})", "print(data_dir)")


@pytest.mark.parametrize("name", [n for n in NOTEBOOKS if (NOTEBOOKS_DIR / f"{n}.ipynb").is_file()])
def test_notebook_parameters_agree_with_the_routine(name):
    declared = inspect_notebook(str(NOTEBOOKS_DIR / f"{name}.ipynb"))
    assert list(declared) == PARAMETER_NAMES
    for field in fields(RoutineParameters):
        assert declared[field.name]["inferred_type_name"] == field.type
        assert declared[field.name]["default"] == json.dumps(field.default)


def test_funnel_window_may_be_empty_for_no_limit():
    assert RoutineParameters.from_strings({"data_dir": "x", "funnel_window": ""}).funnel_window == ""
    assert RoutineParameters(data_dir="x").funnel_window == "30D"


def test_unknown_parameter_is_an_error_naming_the_valid_ones():
    with pytest.raises(ParameterError, match=r"unknown parameter 'rndom_state'.*Did you mean 'random_state'"):
        RoutineParameters.from_strings({"data_dir": "x", "rndom_state": "1"})
    # the name of earlier versions still reads (a --parameter seed=7 in someone's script)
    assert RoutineParameters.from_strings({"data_dir": "x", "seed": "7"}).random_state == 7


@pytest.mark.parametrize("values, message", [
    ({"seed": "one"}, "random_state must be a whole number"),     # the old name reads as random_state
    ({"personas": "many"}, "personas must be 'auto' or a whole number"),
    ({"period_start": "2025-31-01"}, "period_start must be an ISO date"),
    ({"period_start": "2025-02-01", "period_end": "2025-01-01"}, "must come before period_end"),
    ({"min_group_size": "0"}, "min_group_size must be a whole number of 1 or more"),
    ({"intervention_window": "2 months"},
     "intervention_window must be a whole number of weeks or days such as '8W', '16W' or '60D'; got '2 months'"),
    ({"intervention_window": "0W"}, "intervention_window must be a whole number of weeks or days"),
    ({"funnel_window": "1 month"}, "funnel_window must be a whole number of weeks or days such as '8W'"),
])
def test_bad_parameter_values_are_reported(values, message):
    with pytest.raises(ParameterError, match=message):
        RoutineParameters.from_strings({"data_dir": "x", **values})


def test_parameters_convert_personas_and_describe_the_period():
    parameters = RoutineParameters.from_strings({"data_dir": "x", "personas": "4", "period_start": "2025-01-01"})
    assert parameters.n_personas == 4
    assert parameters.period == "2025-01-01 to end"
    assert RoutineParameters().n_personas == "auto" and RoutineParameters().period == "all data"


def test_cli_usage_errors_exit_2(capsys, tiny, tmp_path):
    assert main(["run", str(tiny), "--reports", str(tmp_path / "r"), "-p", "colour=red"]) == 2
    assert "unknown parameter 'colour'" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_run_writes_pages_manifest_index_and_latest(tiny, notebooks, tmp_path):
    reports = tmp_path / "reports"
    lines = []
    done = run(RoutineParameters(data_dir=str(tiny), random_state=7), reports_dir=reports, notebooks_dir=notebooks,
               progress=lines.append)
    assert done.ok and done.folder == reports / done.run_id
    manifest = json.loads((done.folder / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["parameters"]["random_state"] == 7
    assert manifest["skipped_notebooks"] == list(NOTEBOOKS[1:])
    assert set(manifest["inputs"]) == {"customers.csv", "surveys.csv"}
    assert all(len(digest) == 64 for digest in manifest["inputs"].values())
    assert manifest["notebooks"][0]["status"] == "ok" and manifest["notebooks"][0]["seconds"] >= 0

    executed = nbformat.read(done.folder / "00_data_quality.ipynb", as_version=4)
    assert str(tiny) in "".join(out.get("text", "") for cell in executed.cells for out in cell.get("outputs", []))
    page = (done.folder / "00_data_quality.html").read_text()
    assert "pd.DataFrame" not in page and "answers" in page          # outputs without code
    assert done.run_id in page and tiny.name in page
    assert not list(reports.glob("*.partial")) and not list(done.folder.glob(".*"))

    assert os.readlink(reports / "latest") == done.run_id
    assert (reports / "latest.txt").read_text().strip() == done.run_id
    assert done.run_id in (reports / "index.html").read_text()
    assert any("00_data_quality ok" in line for line in lines)
    assert previous_run(reports, tiny).run_id == done.run_id


def test_a_figure_reopens_live_in_jupyterlab_and_is_embedded_offline_in_the_page(tiny, tmp_path):
    figure = ("import plotly.graph_objects as go\n"
              "go.Figure(go.Bar(x=['delivery', 'price'], y=[3, 5]))")
    notebooks = write_notebook(tmp_path / "notebooks", "00_data_quality", figure)
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "reports", notebooks_dir=notebooks)
    executed = nbformat.read(done.folder / "00_data_quality.ipynb", as_version=4)
    bundles = [out["data"] for cell in executed.cells for out in cell.get("outputs", []) if "data" in out]
    chart = next(data for data in bundles if "application/vnd.plotly.v1+json" in data)
    assert chart["application/vnd.plotly.v1+json"]["data"][0]["x"] == ["delivery", "price"]
    assert "text/html" in chart                                   # the same output carries the page's HTML
    page = (done.folder / "00_data_quality.html").read_text()
    assert "Plotly.newPlot" in page and '"delivery"' in page
    assert not re.search(r"<script[^>]*src=[\"']?https?:", page)      # plotly.js embedded, nothing remote
    assert "application/vnd.plotly.v1+json" not in page


def test_the_routines_kernels_start_without_the_iri_checker(tiny, tmp_path):
    """The routine's kernels (cxresearch.kernel) skip the optional import showing a figure would pay for."""
    code = "import sys\nprint('IRI checker:', sys.modules.get('rfc3987_syntax', 'not imported'))"
    notebooks = write_notebook(tmp_path / "notebooks", "00_data_quality", code)
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "reports", notebooks_dir=notebooks)
    executed = nbformat.read(done.folder / "00_data_quality.ipynb", as_version=4)
    assert "IRI checker: None" in "".join(out.get("text", "") for cell in executed.cells for out in cell.get("outputs", []))


def test_the_routines_kernels_are_forked_by_a_server_that_imported_their_libraries_once(tiny, tmp_path):
    """A run's kernels share the libraries its kernel server imported (cxresearch.kernel.KernelServer)."""
    code = ("import os, sys, psutil\nserver = psutil.Process(os.getppid()).cmdline()\n"
            "print('forked by the server:', '--serve' in server, '| sklearn loaded:', 'sklearn' in sys.modules,"
            " '| stateful cxresearch modules loaded:', sorted({'cxresearch.i18n', 'cxresearch.privacy',"
            " 'cxresearch.routine'} & set(sys.modules)))")
    notebooks = write_notebook(tmp_path / "notebooks", "00_data_quality", code)
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "reports", notebooks_dir=notebooks)
    executed = nbformat.read(done.folder / "00_data_quality.ipynb", as_version=4)
    printed = "".join(out.get("text", "") for cell in executed.cells for out in cell.get("outputs", []))
    # cxresearch reads its environment (language, snapshot) and draws its salt in each kernel
    assert "forked by the server: True | sklearn loaded: True | stateful cxresearch modules loaded: []" in printed
    assert done.manifest["timings"]["kernel_server_cpu"] > 0   # its imports count in the run's CPU seconds
    assert done.manifest["notebooks"][0]["timings"]["kernel_cpu"] is not None   # read from the forked kernel
    assert "Ctrl-C will not work" not in (done.folder / runner.KERNEL_LOG).read_text()  # started as by jupyter


def test_each_run_gets_its_own_folder(tiny, notebooks, tmp_path):
    reports = tmp_path / "reports"
    first = run(RoutineParameters(data_dir=str(tiny)), reports_dir=reports, notebooks_dir=notebooks)
    second = run(RoutineParameters(data_dir=str(tiny)), reports_dir=reports, notebooks_dir=notebooks)
    assert first.run_id != second.run_id
    assert first.folder.is_dir() and second.folder.is_dir()
    assert os.readlink(reports / "latest") == max(first.run_id, second.run_id)


def test_a_failing_notebook_fails_the_run_and_keeps_latest(tiny, notebooks, tmp_path, capsys):
    reports = tmp_path / "reports"
    good = run(RoutineParameters(data_dir=str(tiny)), reports_dir=reports, notebooks_dir=notebooks)
    write_notebook(notebooks, "01_personas", "x = 1", "raise ValueError('no personas today')")

    assert main(["run", str(tiny), "--reports", str(reports), "--notebooks", str(notebooks)]) == 1
    err = capsys.readouterr().err
    assert "Personas could not be completed: an unexpected ValueError in cell 5" in err and "Traceback" not in err

    failed = [(p.parent, json.loads(p.read_text())) for p in reports.glob("2*/manifest.json")]
    [(folder, manifest)] = [(f, m) for f, m in failed if m["status"] == "failed"]
    error = manifest["error"]
    assert (error["notebook"], error["exception"], error["message"]) == ("01_personas", "ValueError",
                                                                       "no personas today")
    assert error["cell"] == 5 and "raise ValueError" in error["source"]   # title, params, injected, x = 1, raise
    assert os.readlink(reports / "latest") == good.run_id
    index = (reports / "index.html").read_text()
    assert "Personas could not be completed: an unexpected ValueError in cell 5" in index
    assert "no personas today" not in index and f'href="{folder.name}/run.log"' in index
    log = (folder / "run.log").read_text()
    assert "no personas today" in log and "raise ValueError" in log and "01_personas failed" in log

    page = (folder / "00_data_quality.html").read_text()       # written, though the run failed
    assert not (folder / "01_personas.html").exists() and "01_personas.html" not in page
    assert "This run did not finish: Personas could not be completed" in html.unescape(page)


def test_a_missing_data_folder_fails_at_once_and_creates_nothing(tmp_path, capsys):
    reports = tmp_path / "reports"
    assert main(["run", str(tmp_path / "no-such-export"), "--reports", str(reports)]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "no-such-export") in err and "dataset folder not found" in err and "Traceback" not in err
    assert not reports.exists()


@pytest.mark.parametrize("error, sentence", [
    ({"step": "input", "exception": "DataError", "message": "2 problems in surveys.csv:\n  - nps ..."},
     "The data could not be loaded: 2 problems in surveys.csv."),
    ({"step": "notebook", "notebook": "03_voice_of_customer", "cell": 12, "exception": "DataError",
      "message": "1 problem in <input>:\n  - too few answers"},
     "Voice of the customer could not be completed (cell 12): 1 problem in <input>"),
    ({"step": "notebook", "notebook": "02_journey_map", "cell": 7, "exception": "KeyError", "message": "'stage'"},
     "Journey map could not be completed: an unexpected KeyError in cell 7; the run log has the details."),
])
def test_the_index_says_what_failed_in_a_sentence(error, sentence):
    assert failure_sentence(error) == sentence


def test_broken_input_exits_1_before_any_notebook(make_dataset, notebooks, tmp_path, capsys):
    reports = tmp_path / "reports"
    good = run(RoutineParameters(data_dir=str(make_dataset(TINY_DATASET))), reports_dir=reports,
               notebooks_dir=notebooks)
    broken = make_dataset({"surveys.csv": "response_id,timestamp,nps\nr1,2025-01-05,11\n"})

    assert main(["run", str(broken), "--reports", str(reports), "--notebooks", str(notebooks)]) == 1
    err = capsys.readouterr().err
    assert "surveys.csv" in err and "Traceback" not in err
    manifest = json.loads(next(p for p in reports.glob("2*/manifest.json") if good.run_id not in str(p)).read_text())
    assert manifest["status"] == "failed" and manifest["error"]["step"] == "input"
    assert all(entry["status"] == "pending" for entry in manifest["notebooks"])
    assert os.readlink(reports / "latest") == good.run_id


def test_a_failed_runs_entry_lists_its_problems_in_the_readers_language_and_links_the_last_good_report(
        make_dataset, notebooks, tmp_path):
    reports = tmp_path / "reports"
    good = run(RoutineParameters(data_dir=str(make_dataset(TINY_DATASET))), reports_dir=reports,
               notebooks_dir=notebooks)
    broken = make_dataset({"surveys.csv": "response_id,timestamp,nps,csat\nr1,2025-01-05,11,3\nr2,2025-01-06,7,9\n"})
    failed = run(RoutineParameters(data_dir=str(broken)), reports_dir=reports, notebooks_dir=notebooks, language="it")
    problems = failed.manifest["error"]["problems"]
    assert len(problems) == 2 and all(problem.startswith("surveys.csv, colonna") for problem in problems)
    index = html.unescape((reports / "index.html").read_text())
    entry = index[index.index(failed.run_id):]
    assert all(f"<li>{problem}</li>" in entry for problem in problems)
    assert f'Ultimo report riuscito: <a href="{good.run_id}/04_summary.html">' in entry


def test_the_index_and_pages_show_the_last_day_of_the_period(tiny, notebooks, tmp_path):
    from cxresearch import i18n

    done = run(RoutineParameters(data_dir=str(tiny), period_start="2025-07-01", period_end="2025-08-01"),
               reports_dir=tmp_path / "reports", notebooks_dir=notebooks)
    july = i18n.format_period("2025-07-01", "2025-07-31")
    for page in (tmp_path / "reports" / "index.html", done.folder / "00_data_quality.html"):
        text = html.unescape(page.read_text())
        assert july in text and i18n.format_date("2025-08-01") not in text, page


def test_kernel_output_goes_to_the_run_log_not_the_terminal(tiny, tmp_path, capfd):
    notebooks = write_notebook(tmp_path / "noisy", "00_data_quality",
                               "import os\nos.write(2, b'kernel noise on stderr\\n')\nos.write(1, b'kernel noise on stdout\\n')")
    assert main(["run", str(tiny), "--reports", str(tmp_path / "r"), "--notebooks", str(notebooks)]) == 0
    out, err = capfd.readouterr()
    assert err == ""
    assert "kernel noise" not in out and "IPKernelApp" not in out
    assert [line.split(" ")[-1] for line in out.splitlines() if line.startswith("  [")] == ["...", "s"]
    log = (tmp_path / "r" / "latest" / "kernel.log").read_text()
    assert "kernel noise on stderr" in log and "kernel noise on stdout" in log


def test_the_manifest_says_the_cpu_seconds_of_each_kernel_and_cell(tiny, tmp_path):
    notebooks = write_notebook(tmp_path / "timed", "00_data_quality", "import time\ntime.sleep(1.5)",
                               "sum(i * i for i in range(3_000_000))")
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "r", notebooks_dir=notebooks)
    executed = nbformat.read(done.folder / "00_data_quality.ipynb", as_version=4)
    number = {cell.source.splitlines()[-1]: n for n, cell in enumerate(executed.cells, start=1)}
    spent = done.manifest["notebooks"][0]["timings"]
    cells = {cell["cell"]: cell for cell in spent["slowest"]}
    asleep, busy = cells[number["time.sleep(1.5)"]], cells[number["sum(i * i for i in range(3_000_000))"]]
    assert asleep["cpu"] < asleep["seconds"] / 2       # waiting costs no CPU, whatever the machine's load
    assert busy["cpu"] > asleep["cpu"] and spent["kernel_cpu"] > 0
    assert spent["cells_cpu"] >= busy["cpu"] + asleep["cpu"] - 0.02
    assert done.manifest["timings"]["input_cpu"] > 0
    assert done.manifest["cpu_seconds"] >= spent["kernel_cpu"] + spent["cells_cpu"]


CORPUS = NOTEBOOKS_DIR.parent / "tests" / "data" / "bad"
CORPUS_ERRORS = sorted(case.name for case in CORPUS.iterdir()
                       if yaml.safe_load((case / "expected.yml").read_text())["outcome"] == "error")


@pytest.mark.parametrize("case", CORPUS_ERRORS)
def test_bad_input_corpus_fails_the_run_with_a_message_and_exit_1(case, tmp_path, capsys):
    expected = yaml.safe_load((CORPUS / case / "expected.yml").read_text())
    reports = tmp_path / "reports"
    assert main(["run", str(CORPUS / case), "--reports", str(reports), "--notebooks", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cxresearch run: failed: ") and "Traceback" not in err
    assert expected["file"] in err and expected["message"] in err
    assert not (reports / "latest").exists()
    assert "failed" in (reports / "index.html").read_text()


def effects_row(intervention_id, metric, verdict, did=float("nan"), margin=2, mde=float("nan")):
    return {"intervention_id": intervention_id, "description": "Chat staffing", "scope": "chat",
            "before_start": "2025-05-06T00:00:00Z", "start": "2025-07-01T00:00:00Z", "metric": metric, "verdict": verdict,
            "did": did, "did_low": did - margin, "did_high": did + margin, "mde": mde}


def test_summary_tells_each_intervention_verdict_and_what_changed_since_the_previous_run():
    current = pd.DataFrame([effects_row("I1", "csat", "improved", 0.125, 0.02),
                            effects_row("I1", "nps", "too few answers to tell", 8.2, 48.2, 70.4),
                            effects_row("I1", "exit_rate", "not enough data")])
    previous = pd.DataFrame([effects_row("I1", "csat", "no detectable change", 0.01, 0.02, 0.05),
                             effects_row("I1", "nps", "too few answers to tell"),
                             effects_row("I1", "exit_rate", "not enough data")])
    summary = Summary(kpis={}, persona_model=None, persona_shares=pd.DataFrame(), assignments=pd.DataFrame(),
                      stages=pd.DataFrame(), pain_points=pd.DataFrame(), interventions=current,
                      verdict_changes=compare_verdicts(current, previous), previous_run="R0")
    assert summary.intervention_findings().splitlines() == [
        # the window the verdicts compare, as on the interventions page
        "Each verdict compares the 8 weeks before an intervention's start with the 8 weeks after it (the run's "
        "`intervention_window`, 8W, chosen before looking at the results).",
        "",
        "- **I1** Chat staffing (at chat, from July 1, 2025):",
        # each difference in its unit: percentage points of a share, NPS points
        "    - CSAT (share of 4-5 answers): **improved**, difference-in-differences +12.5 percentage points (95% interval "
        "+10.5 to +14.5 percentage points)",
        "    - NPS: **too few answers to tell**, difference-in-differences +8.2 NPS points (95% interval -40.0 to "
        "+56.4 NPS points); even a large change (25.0 NPS points) could go unseen: this sample detects only changes "
        "of ±70.4 NPS points or more (80% power)",
        "    - exit rate (share of sessions): **not enough data**",
        "",
        "Verdicts changed since the run of R0:",
        "- **I1** CSAT (share of 4-5 answers): no detectable change → **improved**",
    ]
    assert "No interventions" in replace(summary, interventions=pd.DataFrame()).intervention_findings()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("demo"), customers=300, random_state=5)


def test_personas_are_fitted_once_per_run_and_read_back(demo, tmp_path, monkeypatch):
    from cxresearch.dataset import save_snapshot

    fits = []
    monkeypatch.setattr(personas, "fit_personas", lambda *a, **k: fits.append(1) or fit_personas(*a, **k))
    parameters = RoutineParameters(data_dir=str(demo), reports_dir=str(tmp_path), run_dir=str(tmp_path))
    save_snapshot(parameters.load(), tmp_path / "snap", source=parameters.source)
    monkeypatch.setenv("CXRESEARCH_SNAPSHOT", str(tmp_path / "snap"))
    features, model = run_personas(parameters)
    summary = run_summary(parameters)
    assert len(fits) == 1
    assert summary.persona_model.labels_.equals(model.labels_)
    assert features.index.equals(model.labels_.index)
    saved = pd.read_csv(tmp_path / "personas.csv", dtype={"customer_id": str})
    assert saved["persona_name"].tolist() == model.personas_["name"].reindex(model.labels_).tolist()
    assert (tmp_path / "interventions.csv").is_file()
    assert set(pd.read_csv(tmp_path / "interventions.csv")["intervention_id"]) == {"I001", "I002"}


def test_features_are_computed_once_per_run_beside_the_snapshot(demo, tmp_path, monkeypatch):
    from cxresearch.dataset import save_snapshot

    parameters = RoutineParameters(data_dir=str(demo), reports_dir=str(tmp_path), run_dir=str(tmp_path))
    save_snapshot(parameters.load(), tmp_path / "snap", source=parameters.source)
    monkeypatch.setenv("CXRESEARCH_SNAPSHOT", str(tmp_path / "snap"))
    features, _ = run_personas(parameters)
    assert (tmp_path / "snap" / "personas.pkl").is_file()
    computed = []
    monkeypatch.setattr(personas, "fit_personas", lambda *a, **k: computed.append(1))
    again, _ = run_personas(parameters)
    assert computed == []
    pd.testing.assert_frame_equal(again, features)


def test_a_shared_result_raises_its_warnings_for_every_page_that_uses_it(demo, tmp_path, monkeypatch):
    # the journey page may compute the key drivers first: the voice page must still note what they hid
    from cxresearch.dataset import save_snapshot
    from cxresearch.errors import SmallGroupWarning
    from cxresearch.routine.results import shared

    parameters = RoutineParameters(data_dir=str(demo), reports_dir=str(tmp_path), run_dir=str(tmp_path))
    save_snapshot(parameters.load(), tmp_path / "snap", source=parameters.source)
    monkeypatch.setenv("CXRESEARCH_SNAPSHOT", str(tmp_path / "snap"))

    def compute():
        warnings.warn("2 groups with fewer than 5 members hidden: a and b.", SmallGroupWarning, stacklevel=1)
        return 42

    for _ in range(2):   # computed, then read back
        with pytest.warns(SmallGroupWarning, match="hidden: a and b") as caught:
            assert shared(parameters, "answer", compute) == 42
        assert len(caught) == 1


def test_notebooks_of_a_run_read_the_dataset_checked_once(tiny, tmp_path, monkeypatch):
    from cxresearch.dataset import load_dataset, save_snapshot

    notebooks = write_notebook(tmp_path / "nb", "00_data_quality",
                               "import os\nfrom cxresearch.routine import RoutineParameters\n"
                               "params = RoutineParameters(data_dir=data_dir, run_dir=run_dir)\n"
                               "print('snapshot' if os.environ.get('CXRESEARCH_SNAPSHOT') else 'export', "
                               "len(params.load().surveys))")
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "reports", notebooks_dir=notebooks)
    executed = nbformat.read(done.folder / "00_data_quality.ipynb", as_version=4)
    printed = "".join(out.get("text", "") for cell in executed.cells for out in cell.get("outputs", []))
    assert f"snapshot {len(load_dataset(tiny).surveys)}" in printed
    assert "CXRESEARCH_SNAPSHOT" not in os.environ

    # load() takes the snapshot only when it was made of the same folder and period
    params = RoutineParameters(data_dir=str(tiny))
    changed = load_dataset(tiny)
    changed.surveys = changed.surveys.iloc[:1]
    save_snapshot(changed, tmp_path / "snap", source=params.source)
    monkeypatch.setenv("CXRESEARCH_SNAPSHOT", str(tmp_path / "snap"))
    assert len(params.load().surveys) == 1
    assert len(replace(params, period_end="2099-01-01").load().surveys) == len(load_dataset(tiny).surveys)


def test_interactive_cells_are_left_out_of_a_run(tiny, tmp_path):
    folder = write_notebook(tmp_path / "nb", "00_data_quality", "print('static part')")
    notebook = nbformat.read(folder / "00_data_quality.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("raise RuntimeError('a widget explorer')",
                                                    metadata={"tags": [routine.INTERACTIVE_TAG]}))
    nbformat.write(notebook, folder / "00_data_quality.ipynb")
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "reports", notebooks_dir=folder)
    assert done.ok
    executed = nbformat.read(done.folder / "00_data_quality.ipynb", as_version=4)
    assert "a widget explorer" not in "".join(c.source for c in executed.cells)
    saved = json.loads((done.folder / "manifest.json").read_text())   # the folder it ended in, not the .partial one
    assert saved["parameters"]["run_dir"] == str(done.folder) and not done.folder.name.endswith(".partial")


def test_the_data_quality_report_of_a_run_comes_from_its_one_load_of_the_export(demo, tmp_path, monkeypatch):
    from cxresearch import dataset as loading

    expected = loading.validate(demo)
    parameters = RoutineParameters(data_dir=str(demo), reports_dir=str(tmp_path), run_dir=str(tmp_path))
    runner._snapshot_input(parameters, tmp_path / "snap")
    monkeypatch.setenv(routine.SNAPSHOT_VARIABLE, str(tmp_path / "snap"))
    monkeypatch.setattr(loading, "_load", lambda *a, **k: pytest.fail("the export was read a second time"))
    report = parameters.validation()
    assert (report.problems, report.warnings, report.notes) == (expected.problems, expected.warnings, expected.notes)
    assert len(parameters.load().events) == len(loading.load_snapshot(tmp_path / "snap").events)


@pytest.mark.parametrize("need, limit, most_at_once, patience", [
    (0, None, 3, 60), (2**62, None, 1, 1),
    (1000, 1000 + 1.5 * 1000 * runner.OTHER_PAGE_MEMORY, 1, 1),   # the machine has room for three, the limit for one
    (1000, 1000 + 3 * 1000 * runner.OTHER_PAGE_MEMORY, 3, 60)])
def test_notebooks_start_together_only_while_the_memory_covers_each(need, limit, most_at_once, patience):
    """The gate admits every notebook when each needs nothing, one at a time when none fits beside another
    in the memory available or within the run's memory limit (snapshot included)."""
    import threading

    gate, waited, inside, most = runner._MemoryGate(need, limit), [], [0], [0]   # a page of one's own: OTHER_PAGE_MEMORY
    together, count = threading.Barrier(3, timeout=patience), threading.Lock()

    def notebook():
        with gate.admitted("page", waited.append):
            with count:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            try:
                together.wait()  # all three inside at once, or (one at a time) never: the barrier breaks
            except threading.BrokenBarrierError:
                pass
            with count:
                inside[0] -= 1

    threads = [threading.Thread(target=notebook) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (most[0], gate.running, len(waited) > 0) == (most_at_once, [], most_at_once == 1)


def test_a_page_needs_its_measured_share_of_the_snapshot_and_an_unknown_page_the_largest():
    gate = runner._MemoryGate(1000)
    assert gate.need("02_journey_map") == 1000 * runner.PAGE_MEMORY["02_journey_map"]
    assert gate.need("00_data_quality") < gate.need("02_journey_map") == gate.need("99_my_own") == 1000 * max(
        runner.PAGE_MEMORY.values())


def test_the_reviews_sentiment_is_scored_once_per_run_and_their_themes_read_it(demo, tmp_path, monkeypatch):
    import importlib

    from cxresearch import text
    from cxresearch.dataset import save_snapshot
    from cxresearch.routine import run_sentiment, run_topics

    scored, original = [], text.sentiment
    monkeypatch.setattr(text, "sentiment", lambda texts, *a, **k: scored.append(len(texts)) or original(texts, *a, **k))
    monkeypatch.setattr(importlib.import_module("cxresearch.topics"), "sentiment",
                        lambda *a, **k: pytest.fail("the reviews' themes scored them again"))
    parameters = RoutineParameters(data_dir=str(demo), reports_dir=str(tmp_path), run_dir=str(tmp_path))
    reviews = parameters.load().reviews
    save_snapshot(parameters.load(), tmp_path / "snap", source=parameters.source)
    monkeypatch.setenv("CXRESEARCH_SNAPSHOT", str(tmp_path / "snap"))
    themes = run_topics(parameters, reviews=True)
    scores = run_sentiment(parameters)
    assert scored == [len(reviews)]
    pd.testing.assert_series_equal(scores, original(reviews["text"]))
    first = themes.membership.columns[0]
    member = themes.membership[first].to_numpy()
    assert themes.summary.set_index("topic").loc[first, "sentiment"] == pytest.approx(scores[member].mean())


def _handshake_notebooks(folder, *, page_waits: bool):
    """A page (waiting, if *page_waits*, to see the summary start), and a summary whose last cell waits for it."""
    page = ("import os, time\n"
            + ("for _ in range(1200):  # a kernel may take a while to start on a loaded machine\n"
               "    if os.path.exists(os.path.join(run_dir, 'summary-started')):\n"
               "        break\n"
               "    time.sleep(0.1)\n" if page_waits else "")
            + "print('page saw the summary start:', os.path.exists(os.path.join(run_dir, 'summary-started')))\n"
            "open(os.path.join(run_dir, 'page-done'), 'w').close()")
    write_notebook(folder, "00_data_quality", page)
    return write_notebook(folder, "04_summary",
                          "import os\nfrom cxresearch.routine import RoutineParameters, wait_for_pages\n"
                          "params = RoutineParameters(data_dir=data_dir, run_dir=run_dir)\n"
                          "print('page done when the summary started:', os.path.exists(os.path.join(run_dir, 'page-done')))\n"
                          "open(os.path.join(run_dir, 'summary-started'), 'w').close()",
                          "wait_for_pages(params)\n"
                          "print('page done before the last cell:', os.path.exists(os.path.join(run_dir, 'page-done')))")


@pytest.mark.parametrize("page_memory, early", [(None, True), (2**50, False)])
def test_the_summary_starts_with_the_pages_when_the_memory_allows_and_its_last_cell_waits_for_them(
        tiny, tmp_path, monkeypatch, page_memory, early):
    if page_memory:   # 2**50 snapshots: no memory for two kernels
        monkeypatch.setattr(runner, "PAGE_MEMORY", dict.fromkeys(runner.PAGE_MEMORY, page_memory))
    log = []
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "reports",
               notebooks_dir=_handshake_notebooks(tmp_path / "nb", page_waits=early), progress=log.append)
    assert done.ok
    started = [line.split()[:2] for line in log if line.endswith(" ...")]   # numbered in the order they start
    assert [tag for tag, _ in started] == ["[1/2]", "[2/2]"]
    assert sorted(name for _, name in started) == ["00_data_quality", "04_summary"]

    def printed(name):
        executed = nbformat.read(done.folder / f"{name}.ipynb", as_version=4)
        return "".join(out.get("text", "") for cell in executed.cells for out in cell.get("outputs", []))

    assert f"page saw the summary start: {early}" in printed("00_data_quality")
    assert f"page done when the summary started: {not early}" in printed("04_summary")
    assert "page done before the last cell: True" in printed("04_summary")


def test_the_summary_shows_the_journey_pages_stages_and_pain_points_without_mapping_again(demo, tmp_path, monkeypatch):
    import importlib

    from cxresearch.dataset import save_snapshot
    from cxresearch.journeys import journey_map
    from cxresearch.routine import run_journey_headline

    parameters = RoutineParameters(data_dir=str(demo), reports_dir=str(tmp_path), run_dir=str(tmp_path))
    dataset = parameters.load()
    save_snapshot(dataset, tmp_path / "snap", source=parameters.source)
    monkeypatch.setenv("CXRESEARCH_SNAPSHOT", str(tmp_path / "snap"))
    page = journey_map(dataset, min_group_size=parameters.min_group_size)
    run_journey_headline(parameters, dataset, journey=page)   # the journey page asks first
    summary_module = importlib.import_module("cxresearch.summary")
    monkeypatch.setattr(summary_module, "journey_map", lambda *a, **k: pytest.fail("the summary mapped the journeys"))
    summary = run_summary(parameters, dataset)
    pd.testing.assert_frame_equal(summary.stages, page.stages.reset_index(drop=True))
    top = page.pain_points(top=summary_module.TOP_PAIN_POINTS)
    assert summary.pain_points["name"].tolist() == top.loc[top["impact"] > 0, "name"].tolist()


def test_every_progress_line_of_a_page_carries_its_counter(tiny, tmp_path, monkeypatch):
    """A page waiting for memory says which of the run's pages it is, as its other lines do."""
    notebooks = write_notebook(tmp_path / "notebooks", "00_data_quality", "print(1)")
    for name in ("01_personas", "02_journey_map"):
        write_notebook(notebooks, name, "print(1)")
    monkeypatch.setattr(runner, "_workers", lambda: 2)   # two pages would run side by side, but memory is short
    lines = []
    done = run(RoutineParameters(data_dir=str(tiny)), reports_dir=tmp_path / "reports", notebooks_dir=notebooks,
               progress=lines.append, memory_limit=1)
    assert done.ok
    pages = [line for line in lines if re.search(r"\b0\d_[a-z]", line)]   # every line naming a page
    assert len(pages) >= 6 and all(re.match(r"  \[[1-3]/3\] 0\d_\w+ ", line) for line in pages), pages
    assert any(re.match(r"  \[\d/3\] 0\d_\w+ waits for memory \(1 running", line) for line in pages), pages
