"""environment.yml stays in step with pyproject.toml, the one source of dependencies."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
#: Conda packages that are runtimes, not Python packages, so pyproject.toml cannot list them.
RUNTIMES = {"openjdk"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r): r for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in ("python", "pip", *RUNTIMES)]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(line.startswith("-e .") for line in pip_section), "environment.yml must hand off to pip -e ."
    for requirement in conda:
        assert _name(requirement) in declared, f"{requirement} is in environment.yml but not pyproject.toml"
        assert requirement.replace(" ", "") == declared[_name(requirement)].replace(" ", ""), (
            f"version of {_name(requirement)} differs: {requirement} vs {declared[_name(requirement)]}")
    python = next(d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python")
    assert python.removeprefix("python") == project["requires-python"]


def test_the_routine_notebooks_are_package_data():
    from importlib import resources

    from cxresearch.routine import NOTEBOOKS, NOTEBOOKS_DIR

    packaged = resources.files("cxresearch") / "notebooks"
    assert NOTEBOOKS_DIR == Path(str(packaged)).resolve()
    assert all((packaged / f"{name}.ipynb").is_file() for name in NOTEBOOKS)
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "notebooks/0*.ipynb" in package_data["cxresearch"]


def test_a_run_missing_its_notebooks_fails_instead_of_passing_with_no_pages(tmp_path, monkeypatch):
    from cxresearch import routine

    data = tmp_path / "data"
    data.mkdir()
    (data / "events.csv").write_text("customer_id,timestamp,channel,touchpoint\n1,2025-01-01,web,home\n")
    empty = tmp_path / "no-notebooks"
    empty.mkdir()
    done = routine.run(routine.RoutineParameters(data_dir=str(data)), reports_dir=tmp_path / "r1", notebooks_dir=empty)
    assert not done.ok and done.manifest["error"]["exception"] == "ParameterError"
    assert "00_data_quality" in done.manifest["error"]["message"] and not list(done.folder.glob("*.html"))

    monkeypatch.setattr(routine.runner, "NOTEBOOKS_DIR", empty)  # the packaged folder, with every notebook gone
    done = routine.run(routine.RoutineParameters(data_dir=str(data)), reports_dir=tmp_path / "r2", notebooks_dir=empty)
    assert not done.ok and "reinstall cxresearch" in done.manifest["error"]["message"]


def _imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_every_imported_package_is_declared():
    import nbformat

    sources = [file.read_text(encoding="utf-8") for file in (ROOT / "cxresearch").rglob("*.py")]
    for notebook in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        cells = nbformat.read(notebook, as_version=4).cells
        sources += ["\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
                    for cell in cells if cell.cell_type == "code"]
    modules = set().union(*map(_imported_modules, sources)) - set(sys.stdlib_module_names) - {"cxresearch"}
    distributions = metadata.packages_distributions()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # the spark extra holds what engine="spark" imports when it is asked for
    declared = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["spark"]}
    undeclared = {module: distributions.get(module) for module in modules
                  if not {_name(d) for d in distributions.get(module, [module])} & declared}
    assert not undeclared, f"imported but not in pyproject.toml dependencies: {undeclared}"
