"""The shared routine runs: one small demo dataset with personal data planted in its free text, run three times.

The fixture ``routine_runs`` (``tests/conftest.py``) makes them once per test
session; this module says what they are.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: The shared runs' dataset and parameters (a minimum group size above the default, so suppression shows).
RUNS_CUSTOMERS, RUNS_DEMO_SEED, RUNS_SEED, RUNS_MIN_GROUP_SIZE = 300, 21, 3, 8
#: Values planted in free text, of every kind the redactor claims to handle (besides the customers' own
#: names, emails and phone numbers): an IBAN in both its printed and electronic forms, Luhn-valid card numbers.
PLANTED_IBANS = ("IT60 X054 2811 1010 0000 0123 456", "DE89370400440532013000")
PLANTED_CARDS = ("4111 1111 1111 1111", "5500-0000-0000-0004")
#: Free-text column of each table.
FREE_TEXT = {"surveys": "comment", "reviews": "text"}


def plant_pii(folder: Path) -> dict[str, list[str]]:
    """Put personal data into every comment and review text of the demo dataset at *folder*.

    Each text starts with its writer's full name, email and phone number (from
    ``customers.csv``), an IBAN and a card number, so whichever text a report
    quotes carries all five. Returns the planted values by kind (every
    customer's name, email and phone, which the PII columns hold) and the ids
    of the texts holding them (``"rows"``: ``table:id``).
    """
    customers = pd.read_csv(folder / "customers.csv", dtype=str).set_index("customer_id")
    planted = {"names": [], "emails": [], "phones": [], "ibans": list(PLANTED_IBANS), "cards": list(PLANTED_CARDS),
               "rows": []}
    for table, column in FREE_TEXT.items():
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        key = frame.columns[0]
        rows = frame.index[(frame[column] != "") & frame["customer_id"].isin(customers.index)]
        writers = customers.loc[frame.loc[rows, "customer_id"]]
        prefixes = [f"{who['name']} · {who['email']} · {who['phone']} · {PLANTED_IBANS[i % 2]} · "
                    f"{PLANTED_CARDS[i % 2]} · " for i, (_, who) in enumerate(writers.iterrows())]
        frame.loc[rows, column] = [p + text for p, text in zip(prefixes, frame.loc[rows, column])]
        frame.to_csv(folder / f"{table}.csv", index=False)
        planted["rows"] += [f"{table}:{row_id}" for row_id in frame.loc[rows, key]]
    for kind, field in (("names", "name"), ("emails", "email"), ("phones", "phone")):
        planted[kind] = customers[field].tolist()       # the PII columns hold every customer's
    return planted


@dataclass(frozen=True)
class RoutineRuns:
    """Three finished runs of one demo dataset with personal data planted in its free text.

    ``first`` and ``second`` share the reports folder ``reports`` (the second
    compares itself with the first); ``twin`` repeats ``first`` (same data,
    same parameters) in a reports folder of its own, so it compares with nothing.
    """

    data: Path
    planted: dict
    reports: Path
    first: object
    second: object
    twin: object

    @property
    def folders(self) -> list[Path]:
        return [self.first.folder, self.second.folder, self.twin.folder]


def make_routine_runs(root: Path) -> dict:
    """Write the dataset and the three runs under *root*; return what :class:`RoutineRuns` needs, as JSON."""
    from cxresearch.routine import RoutineParameters, run
    from cxresearch.synthetic import generate

    root.mkdir(exist_ok=True)
    data = generate(root / "data", customers=RUNS_CUSTOMERS, random_state=RUNS_DEMO_SEED)
    shutil.rmtree(data / "truth")                 # the planted answers are not part of the input
    planted = plant_pii(data)
    parameters = RoutineParameters(data_dir=str(data), random_state=RUNS_SEED, min_group_size=RUNS_MIN_GROUP_SIZE)
    done = {"first": run(parameters, reports_dir=root / "reports"),
            "twin": run(parameters, reports_dir=root / "twin-reports")}
    done["second"] = run(parameters, reports_dir=root / "reports")
    for name, finished in done.items():
        if not finished.ok:
            raise RuntimeError(f"the shared {name} run failed: {finished.manifest['error']}")
    return {"data": str(data), "planted": planted, "reports": str(root / "reports"),
            **{name: str(finished.folder) for name, finished in done.items()}}


def read_routine_runs(described: dict) -> RoutineRuns:
    from cxresearch.routine import Run, read_manifest

    runs = {name: Run(Path(described[name]), read_manifest(described[name])) for name in ("first", "second", "twin")}
    return RoutineRuns(data=Path(described["data"]), planted=described["planted"],
                       reports=Path(described["reports"]), **runs)
