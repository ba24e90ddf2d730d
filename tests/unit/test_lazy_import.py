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
