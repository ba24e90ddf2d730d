"""environment.yml stays in step with pyproject.toml, the one source of dependencies."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_agrees_with_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r): r for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str) and _name(d) not in ("python", "pip")]
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert any(line.startswith("-e .") for line in pip_section), "environment.yml must hand off to pip -e ."
    for requirement in conda:
        assert _name(requirement) in declared, f"{requirement} is in environment.yml but not pyproject.toml"
        assert requirement.replace(" ", "") == declared[_name(requirement)].replace(" ", ""), (
            f"version of {_name(requirement)} differs: {requirement} vs {declared[_name(requirement)]}")
    python = next(d for d in env["dependencies"] if isinstance(d, str) and _name(d) == "python")
    assert python.removeprefix("python") == project["requires-python"]
