"""The wheel works on its own: installed outside the checkout, it writes demo data and runs the routine.

The routine run from the wheel is also the suite's run on the surveys-only NPS
export without customer ids (``WHEEL_SHAPE`` of ``test_routine_shapes.py``), so
that shape costs no run of its own.

The wheel is built from a copy of the sources, installed with pip into a fresh
virtual environment that borrows the test environment's dependencies (a .pth
line and JUPYTER_PATH, so nothing is downloaded), and run from a temporary folder.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from cxresearch.routine import NOTEBOOKS
from tests.unit.test_routine_shapes import SHAPES, WHEEL_SHAPE, assert_says_what_it_could_not_compute, cut

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "cxresearch", "notebooks")


def _run(*command, cwd: Path) -> subprocess.CompletedProcess:
    # the borrowed dependencies' data files (nbconvert's base templates, the kernel spec) stay where they are
    env = {**os.environ, "JUPYTER_PATH": str(Path(sys.prefix) / "share" / "jupyter")}
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment with the cxresearch wheel installed; returns its bin folder."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "examples"))
        else:
            shutil.copy2(ROOT / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", tmp / "dist", source, cwd=tmp)
    [wheel] = (tmp / "dist").glob("cxresearch-*.whl")
    env = tmp / "env"
    venv.EnvBuilder(with_pip=False).create(env)
    bin_dir = env / ("Scripts" if sys.platform == "win32" else "bin")
    site = Path(_run(bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                     cwd=tmp).stdout.strip())
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    _run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--no-deps", "--quiet", wheel,
         cwd=tmp)
    return bin_dir


def test_the_package_and_its_notebooks_come_from_the_wheel(installed, tmp_path):
    where = _run(installed / "python", "-c", "import cxresearch, cxresearch.routine as r; "
                 "print(cxresearch.__file__); print(r.NOTEBOOKS_DIR)", cwd=tmp_path).stdout.split()
    env = installed.parent.resolve()
    assert all(Path(path).resolve().is_relative_to(env) for path in where), where
    assert sorted(p.stem for p in Path(where[1]).glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.integration
def test_demo_and_routine_run_from_any_folder(installed, tmp_path):
    _run(installed / "cxresearch", "demo", "--out", "demo", "--customers", "200", "--seed", "8", cwd=tmp_path)
    assert (tmp_path / "demo" / "truth").is_dir()
    cut(tmp_path / "demo", tmp_path / WHEEL_SHAPE, *SHAPES[WHEEL_SHAPE])
    _run(installed / "cxresearch", "run", WHEEL_SHAPE, "--reports", "reports", cwd=tmp_path)
    latest = tmp_path / "reports" / "latest"
    manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok" and manifest["skipped_notebooks"] == []
    assert sorted(p.stem for p in latest.glob("*.html")) == sorted(NOTEBOOKS)
    assert_says_what_it_could_not_compute(WHEEL_SHAPE, latest.resolve())
