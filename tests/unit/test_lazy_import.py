"""``import cxresearch`` is light: heavy libraries load on first use of the analysis that needs them."""
from __future__ import annotations

import subprocess
import sys

import cxresearch

HEAVY = ("scipy.stats", "sklearn", "plotly", "pandera", "duckdb")


def test_importing_the_package_imports_no_heavy_library():
    probe = f"import cxresearch, sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"imported eagerly: {done.stdout.strip()}"


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
