"""The shape matrix: the routine notebooks' calls run on any subset of tables and optional columns.

Real exports are partial. For every non-empty subset of {customers, events,
surveys, reviews} and for the full dataset with each optional column removed,
the code cells of every routine notebook run in this process (no kernel: fast)
against a small generated dataset cut to that shape, and every cell's result is
rendered the way Jupyter would render it. Nothing may raise; an analysis the
shape cannot support must come back as a sentence (:class:`Unavailable`).
"""
from __future__ import annotations

import ast
import itertools
from dataclasses import asdict, replace

import nbformat
import pytest
from IPython.core.formatters import DisplayFormatter

from cxresearch import capabilities, routine
from cxresearch.capabilities import Unavailable
from cxresearch.charts.layout import NoChart
from cxresearch.dataset import load_dataset, save_snapshot
from cxresearch.routine import NOTEBOOKS, NOTEBOOKS_DIR, RoutineParameters
from cxresearch.synthetic import generate

TABLES = ("customers", "events", "surveys", "reviews")
SHAPES = [subset for size in range(1, 5) for subset in itertools.combinations(TABLES, size)]
#: (table, column or glob) removed from the full dataset, one at a time.
OPTIONAL_COLUMNS = [("surveys", "nps"), ("surveys", "csat"), ("surveys", "ces"), ("surveys", "comment"),
                    ("surveys", "rating_*"), ("surveys", "customer_id"), ("reviews", "customer_id"),
                    ("events", "stage"), ("events", "session_id"), ("events", "value"), ("reviews", "text"),
                    ("reviews", "source"), ("reviews", "language")]


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """A small complete dataset (all five tables, every optional column)."""
    folder = generate(tmp_path_factory.mktemp("shapes") / "full", customers=150, random_state=3, months=4)
    return load_dataset(folder)


def _cells(name: str, *, interactive: bool = False) -> list[str]:
    """The code cells of notebook *name* a routine runs (with *interactive*, the explorers a researcher runs too)."""
    notebook = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    skipped = {"parameters"} | (set() if interactive else {routine.INTERACTIVE_TAG})
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"
            and not skipped & set(cell.metadata.get("tags", []))]


#: Name under which a notebook's namespace keeps what its cells displayed (a name no notebook uses: the voice page
#: has a variable ``shown``).
SHOWN = "_displayed"


def run_notebooks(dataset, run_dir, monkeypatch, *, interactive: bool = False) -> dict[str, dict]:
    """Run every routine notebook's code on *dataset* (*interactive*: the explorers' cells too); notebook -> its
    namespace (:data:`SHOWN`: what cells displayed)."""
    monkeypatch.setattr(RoutineParameters, "load", lambda self: dataset)
    # as in a routine run: the personas are fitted once and read back by the later notebooks
    snapshot = save_snapshot(dataset, run_dir / "snapshot", source=RoutineParameters(data_dir="unused").source)
    monkeypatch.setenv(routine.SNAPSHOT_VARIABLE, str(snapshot))
    formatter = DisplayFormatter()
    namespaces = {}
    for name in NOTEBOOKS:
        namespace = namespaces[name] = {  # the parameters cell's names, as papermill sets them
            **asdict(RoutineParameters()), "data_dir": "unused", "personas": "3", "random_state": 0,
            "reports_dir": str(run_dir / "reports"), "run_dir": str(run_dir), SHOWN: [],
            "display": lambda *values: namespace[SHOWN].extend(values)}  # IPython's builtin in a kernel
        for number, source in enumerate(_cells(name, interactive=interactive), start=2):
            tree = ast.parse(source)
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            try:
                exec(compile(tree, f"{name} cell {number}", "exec"), namespace)
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), f"{name} cell {number}", "eval"), namespace)
                    if hasattr(value, "to_plotly_json"):
                        value.to_plotly_json()  # a figure: checked, without embedding plotly.js each time
                    elif not isinstance(value, Unavailable):
                        formatter.format(value)
                    namespace[SHOWN].append(value)
            except Exception as exc:
                raise AssertionError(f"{name}, code cell {number} raised {type(exc).__name__}: {exc}\n{source}") from exc
    return namespaces


def _only(full, tables) -> object:
    return replace(full, **{t: None for t in TABLES if t not in tables})


@pytest.mark.parametrize("tables", SHAPES, ids=lambda tables: "+".join(tables))
def test_every_notebook_runs_on_every_subset_of_tables(full, tables, tmp_path, monkeypatch):
    dataset = _only(full, tables)
    pages = run_notebooks(dataset, tmp_path, monkeypatch)
    gaps = {value.sentence for page in pages.values() for value in page[SHOWN]
            if isinstance(value, Unavailable) and not isinstance(value, NoChart)}   # a chart's "nothing to draw"
    declared = set(capabilities.supported(dataset).query("not available")["missing"])
    assert all(gap in declared or "could not be computed: " in gap for gap in gaps), gaps - declared
    if "surveys" not in tables:   # the voice page says what each of its sections needs, the themes' NPS impact too
        assert {capabilities.missing(dataset, key) for key in ("kpis", "topic_impact")} <= gaps
    if "events" not in tables:
        assert capabilities.missing(dataset, "journeys") in gaps


@pytest.mark.parametrize("tables, explorers", [(("surveys",), set()), (("customers", "surveys"), {"PersonaExplorer"})],
                         ids=["surveys", "customers+surveys"])
def test_the_explorers_a_researcher_runs_by_hand_show_nothing_where_the_page_said_why(full, tables, explorers,
                                                                                     tmp_path, monkeypatch):
    """Surveys without customer ids have no journeys, and no personas unless customers come along: the explorers'
    cells run and show what the data supports (they once raised TypeError on the unavailable personas and
    DataError without events)."""
    dataset = replace(_only(full, tables), surveys=full.surveys.drop(columns="customer_id"))
    pages = run_notebooks(dataset, tmp_path, monkeypatch, interactive=True)
    shown = {type(value).__name__ for page in ("01_personas", "02_journey_map") for value in pages[page][SHOWN]}
    assert {name for name in shown if name.endswith("Explorer")} == explorers


@pytest.mark.parametrize("table, column", OPTIONAL_COLUMNS, ids=lambda value: value)
def test_every_notebook_runs_without_each_optional_column(full, table, column, tmp_path, monkeypatch):
    frame = getattr(full, table)
    dropped = frame.drop(columns=frame.filter(regex=f"^{column.replace('*', '.*')}$").columns)
    dataset = replace(full, **{table: dropped}, **({"stages": {}} if column == "stage" else {}))
    run_notebooks(dataset, tmp_path, monkeypatch)


def test_the_shape_without_ces_says_so_instead_of_failing(full, tmp_path, monkeypatch):
    dataset = replace(full, surveys=full.surveys.drop(columns="ces"))
    summary = run_notebooks(dataset, tmp_path, monkeypatch)["04_summary"]["summary"]
    assert "ces" not in summary.kpis and "nps" in summary.kpis
    assert summary.not_computed.set_index("analysis").loc["CES", "why"].startswith("No CES answers in this dataset")


def test_the_journey_page_says_once_that_an_export_without_events_has_no_journeys(full, tmp_path, monkeypatch):
    """Every section of the page hangs on the journey map: one sentence, not one per section."""
    shown = run_notebooks(_only(full, ("customers", "surveys")), tmp_path, monkeypatch)["02_journey_map"]["_displayed"]
    said = {id(value._shown): value.sentence for value in shown if isinstance(value, Unavailable)}
    assert len(said) == 1, said   # derived ones share the flag that shows the sentence once
