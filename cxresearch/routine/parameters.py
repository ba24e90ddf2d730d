"""What every routine notebook receives: :class:`RoutineParameters`, and where a run keeps its private files.

Every notebook's kernel imports this module, so it imports only the standard
library at the top: the dataset is loaded inside the methods that need it.
"""
from __future__ import annotations

import datetime as dt
import os
import pickle  # only for the run's own caches in its private snapshot folder
from dataclasses import dataclass, fields
from pathlib import Path

from .._checks import integer_problem, window_problem
from ..errors import ParameterError, did_you_mean

__all__ = ["RoutineParameters", "SNAPSHOT_VARIABLE", "VALIDATION_FILE", "PAGES_PENDING", "run_cache"]

#: Environment variable naming the run's dataset snapshot (loaded and checked once per run).
SNAPSHOT_VARIABLE = "CXRESEARCH_SNAPSHOT"
#: File beside the snapshot holding the validation report of the run's load (:meth:`RoutineParameters.validation`).
VALIDATION_FILE = "validation.pkl"
#: File beside the snapshot that exists while a run's pages other than the summary are running (the summary's
#: last cell lists their notes, so it waits until the file is gone).
PAGES_PENDING = "pages-pending"


#: Parameter names of earlier versions -> their names now (``seed`` passed with ``--parameter``).
_RENAMED = {"seed": "random_state"}


@dataclass(frozen=True)
class RoutineParameters:
    """The parameters every routine notebook declares in its ``parameters`` cell.

    The notebooks' ``parameters`` cells hold the same names and defaults (a
    test checks it with papermill's ``inspect_notebook``); their next cell
    builds this object, which validates the values.

    Parameters
    ----------
    data_dir : str
        Dataset folder.
    period_start, period_end : str
        ISO dates bounding the period analysed (start included, end excluded);
        empty for no bound.
    personas : str
        ``"auto"`` to choose the number of personas from the data, or a number.
    random_state : int
        Seed of every random step (``--seed`` on the command line; ``seed`` is read as this name).
    min_group_size : int
        Smallest group a table, card or chart may describe.
    intervention_window : str
        Weeks (``"8W"``) or days (``"60D"``) measured before and after each intervention's start; fixed
        before looking at the verdicts (a wider window asks another question, see docs/METHODS.md).
    funnel_window : str
        Weeks (``"4W"``) or days (``"30D"``) within which a customer goes through the journey page's funnel, from
        the first step to the last; empty for no limit (the page counts what the window leaves out).
    reports_dir : str
        Folder of the routine's runs, where the previous run is looked up.
    run_dir : str
        Folder of the run the notebook belongs to, where it saves results;
        empty when the notebook is run by hand.
    """

    data_dir: str = "../data/demo"
    period_start: str = ""
    period_end: str = ""
    personas: str = "auto"
    random_state: int = 42
    min_group_size: int = 5
    intervention_window: str = "8W"
    funnel_window: str = "30D"
    reports_dir: str = "../reports"
    run_dir: str = ""

    def __post_init__(self):
        problems = [f"{f.name} must be {_TYPE_WORDS[f.type]}; got {getattr(self, f.name)!r}."
                    for f in fields(self) if not _is_type(getattr(self, f.name), f.type)]
        if not problems:
            problems += self._value_problems()
        if problems:
            raise ParameterError("invalid routine parameters:\n" + "\n".join(f"  - {p}" for p in problems))

    def _value_problems(self) -> list[str]:
        problems = []
        if not self.data_dir.strip():
            problems.append("data_dir must name a dataset folder; got an empty string.")
        bounds = {}
        for name in ("period_start", "period_end"):
            value = getattr(self, name)
            try:
                bounds[name] = dt.date.fromisoformat(value) if value else None
            except ValueError:
                problems.append(f"{name} must be an ISO date like '2025-01-31' or empty; got {value!r}.")
        if bounds.get("period_start") and bounds.get("period_end") and bounds["period_start"] >= bounds["period_end"]:
            problems.append(f"period_start ({self.period_start}) must come before period_end ({self.period_end}).")
        if self.personas != "auto" and not (self.personas.isdigit() and 2 <= int(self.personas) <= 20):
            problems.append(f"personas must be 'auto' or a whole number from 2 to 20; got {self.personas!r}.")
        problems += filter(None, [integer_problem("random_state", self.random_state, minimum=0),
                                  integer_problem("min_group_size", self.min_group_size, minimum=1),
                                  window_problem("intervention_window", self.intervention_window),
                                  self.funnel_window and window_problem("funnel_window", self.funnel_window)])
        return problems

    @classmethod
    def from_strings(cls, values: dict[str, str]) -> "RoutineParameters":
        """Parameters from ``name -> text`` pairs (the command line's ``-p name=value``).

        Raises
        ------
        ParameterError
            For a name that is not a parameter (listing the valid ones) or a
            value that does not read as the parameter's type.
        """
        types = {f.name: f.type for f in fields(cls)}
        parsed, problems = {}, []
        values = {_RENAMED.get(name, name): text for name, text in values.items()}
        for name, text in values.items():
            if name not in types:
                problems.append(f"unknown parameter {name!r}; expected one of {', '.join(types)}."
                                f"{did_you_mean(name, types)}")
            elif types[name] == "int":
                try:
                    parsed[name] = int(text)
                except ValueError:
                    problems.append(f"{name} must be a whole number; got {text!r}.")
            else:
                parsed[name] = text
        if problems:
            raise ParameterError("invalid routine parameters:\n" + "\n".join(f"  - {p}" for p in problems))
        return cls(**parsed)

    @property
    def n_personas(self) -> str | int:
        """``"auto"`` or the number of personas, as :class:`~cxresearch.personas.PersonaModel` takes it."""
        return "auto" if self.personas == "auto" else int(self.personas)

    @property
    def period(self) -> str:
        """The period in words, e.g. ``"2025-01-01 to 2025-02-01"`` or ``"all data"``."""
        if not (self.period_start or self.period_end):
            return "all data"
        return f"{self.period_start or 'start'} to {self.period_end or 'end'}"

    def load(self):
        """The dataset of :attr:`data_dir` restricted to the period (a :class:`~cxresearch.CXDataset`).

        Inside a routine run, the notebooks read the snapshot the run loaded and
        checked once (``CXRESEARCH_SNAPSHOT``), instead of loading the export again.
        """
        history = self.load_history()
        return history.between(self.period_start, None) if self.period_start else history

    def load_history(self):
        """The period's dataset and the weeks before it that the interventions page measures on.

        An intervention whose after window reaches into the period is measured on its before window too,
        which may lie before the period: the history starts twice the ``intervention_window`` before
        ``period_start`` (:attr:`history_start`). Without a ``period_start`` it is :meth:`load`'s dataset.
        """
        from ..dataset import load_snapshot, snapshot_source

        snapshot = os.environ.get(SNAPSHOT_VARIABLE)
        if snapshot and snapshot_source(snapshot) == self.source:
            return load_snapshot(snapshot)
        return self.load_export()[0]

    def load_export(self):
        """Load and check the export itself: the dataset from :attr:`history_start` to the period's end with the
        interventions the period measures (:meth:`load_history`), and the validation report."""
        from ..dataset import load_validated

        from ..interventions import period_interventions

        dataset, report = load_validated(self.data_dir)
        if self.period_start or self.period_end:
            dataset = period_interventions(dataset.between(self.history_start, self.period_end or None),
                                           self.period_start or None, self.period_end or None,
                                           window=self.intervention_window)
        return dataset, report

    @property
    def history_start(self) -> str | None:
        """The first day :meth:`load_history` holds: twice the intervention window before ``period_start``
        (ISO date), None without a ``period_start``."""
        if not self.period_start:
            return None
        days = int(self.intervention_window[:-1]) * (7 if self.intervention_window.endswith("W") else 1)
        return (dt.date.fromisoformat(self.period_start) - dt.timedelta(days=2 * days)).isoformat()

    def validation(self):
        """What checking the export found (:func:`~cxresearch.validate`: problems, warnings, notes).

        Inside a routine run, the report of the run's one load of the export, kept beside its snapshot.
        """
        cache = run_cache(self, VALIDATION_FILE)
        if cache is not None and cache.is_file():
            return pickle.loads(cache.read_bytes())
        from ..dataset import validate

        return validate(self.data_dir)

    @property
    def source(self) -> dict:
        """Where the dataset comes from: the folder and the period (identifies a run's snapshot)."""
        return {"data_dir": str(Path(self.data_dir).resolve()), "period_start": self.period_start,
                "period_end": self.period_end}


_TYPE_WORDS = {"str": "text", "int": "a whole number"}


def _is_type(value, type_name: str) -> bool:
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def run_cache(parameters: RoutineParameters, name: str) -> Path | None:
    """*name* beside the run's dataset snapshot, or None outside a routine run."""
    from ..dataset import snapshot_source

    snapshot = os.environ.get(SNAPSHOT_VARIABLE)
    return Path(snapshot, name) if snapshot and snapshot_source(snapshot) == parameters.source else None
