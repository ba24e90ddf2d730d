"""``import cxresearch`` is light: heavy libraries load on first use of the analysis that needs them."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd

import cxresearch
from cxresearch import schemas
from cxresearch.dataset import from_frames, save_snapshot

HEAVY = ("scipy.stats", "sklearn", "plotly", "pandera", "duckdb")


def test_importing_the_package_imports_no_heavy_library():
    probe = f"import cxresearch, sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"imported eagerly: {done.stdout.strip()}"


def imported_after(code: str, modules=HEAVY) -> list[str]:
    """Which of *modules* a fresh interpreter has imported after running *code*."""
    probe = f"{code}\nimport sys; print(','.join(m for m in {tuple(modules)!r} if sys.modules.get(m)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_a_routine_kernels_first_cell_imports_no_heavy_library():
    """Every notebook starts with these imports; the data quality page needs nothing more."""
    assert imported_after("from cxresearch import notes\nfrom cxresearch.routine import RoutineParameters") == []


def test_drawing_imports_plotly_but_no_analysis_library():
    """Charts take an analysis' result: what computed it is imported already, or not needed at all."""
    assert imported_after("import cxresearch.charts") == ["plotly"]


def test_a_routine_kernel_binds_its_ports_before_importing_pandas():
    """jupyter_client picks free ports and the kernel binds them: a slow start lets another process take one."""
    assert imported_after("import cxresearch.kernel", ("numpy", "pandas", "cxresearch.routine")) == []


def test_a_routine_kernel_skips_the_iri_checker_nbformat_would_import():
    """Showing the first figure imports nbformat and jsonschema; the routine's kernel skips jsonschema's IRI checker."""
    code = ("from cxresearch.kernel import skip_unused_imports\nskip_unused_imports()\n"
            "import jsonschema, nbformat\nassert jsonschema.FormatChecker().conforms('a b', 'iri')")
    assert imported_after(code, ("jsonschema", "rfc3987_syntax")) == ["jsonschema"]


def test_a_notebook_reading_the_runs_snapshot_imports_no_pandera(tmp_path):
    """Every kernel of a run reads the snapshot the run checked once: pandera is for checking exports only."""
    dataset = from_frames({"surveys": pd.DataFrame({"response_id": ["r1", "r2"], "timestamp": ["2025-01-05"] * 2,
                                                    "nps": [9, 4]})})
    folder = save_snapshot(dataset, tmp_path / "snapshot")
    probe = (f"import sys; from cxresearch.routine import RoutineParameters; from cxresearch.dataset import "
             f"load_snapshot; ds = load_snapshot({str(folder)!r}); "
             f"print(len(ds.surveys), 'pandera' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["2", "False"]


def test_the_table_names_are_the_schemas_tables():
    assert schemas.TABLES == tuple(schemas.SCHEMAS)
    assert all(schemas.SCHEMAS[table] is getattr(schemas, table.capitalize()) for table in schemas.TABLES)


def test_every_public_name_resolves_to_what_its_module_defines():
    for name in cxresearch.__all__:
        assert getattr(cxresearch, name) is not None, name
    assert set(cxresearch.__all__) <= set(dir(cxresearch))


def test_topics_stays_the_function_after_its_module_is_imported():
    probe = ("import cxresearch, cxresearch.topics, cxresearch.voice; "
             "print(callable(cxresearch.topics), type(cxresearch.topics).__name__)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "function"]


def test_an_unknown_name_is_an_attribute_error():
    try:
        cxresearch.no_such_name
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
