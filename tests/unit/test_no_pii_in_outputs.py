"""No personal data leaves a run, and no table describes a group under ``min_group_size``.

The demo generator plants PII: customers' ``email``, ``phone`` and ``name``
columns, and emails or phone numbers inside survey comments (``truth/pii.json``).
A copy adds more: a customer's name, an IBAN, an email and a phone number
inside review texts and survey comments. After one routine run, every file of
the run folder (pages, executed notebooks, artifacts, logs) and the index must
hold none of them.
"""
from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest

from cxresearch.routine import RoutineParameters, run
from cxresearch.synthetic import generate

MIN_GROUP_SIZE = 8
IBAN = "IT60X0542811101000000123456"
EXTRA_EMAIL, EXTRA_PHONE = "marco.bellini.private@example.org", "+39 347 123 4567"
_PHONE_LIKE = re.compile(r"\+?\d[\d \-().]{6,}\d")


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A demo dataset with extra PII in free text, and every planted value."""
    folder = tmp_path_factory.mktemp("pii") / "data"
    shutil.copytree(generate(tmp_path_factory.mktemp("demo"), customers=300, random_state=21), folder)
    customers = pd.read_csv(folder / "customers.csv", dtype=str)
    name = customers["name"].iloc[0]
    reviews = pd.read_csv(folder / "reviews.csv", dtype=str, keep_default_na=False)
    extra = [f"Sono {name}, rimborsate su {IBAN} grazie. " , f"Scrivetemi a {EXTRA_EMAIL} o al {EXTRA_PHONE}. ",
             f"I am {name}; call me on {EXTRA_PHONE}. "]
    reviews.loc[:len(extra) - 1, "text"] = [e + t for e, t in zip(extra, reviews["text"])]
    reviews.to_csv(folder / "reviews.csv", index=False)
    surveys = pd.read_csv(folder / "surveys.csv", dtype=str, keep_default_na=False)
    commented = surveys.index[surveys["comment"] != ""][:3]
    surveys.loc[commented, "comment"] = [f"{e}{c}" for e, c in zip(extra, surveys.loc[commented, "comment"])]
    surveys.to_csv(folder / "surveys.csv", index=False)
    planted_ids = json.loads((folder / "truth" / "pii.json").read_text())["response_ids"]
    assert surveys["response_id"].isin(planted_ids).any()
    shutil.rmtree(folder / "truth")          # the answers are not part of the input
    return folder, {"emails": [*customers["email"], EXTRA_EMAIL], "phones": [*customers["phone"], EXTRA_PHONE],
                    "names": [*customers["name"]], "ibans": [IBAN]}


@pytest.fixture(scope="module")
def outputs(planted, tmp_path_factory):
    """Text of every file of the run folder and of the index, by name."""
    folder, _ = planted
    reports = tmp_path_factory.mktemp("reports")
    done = run(RoutineParameters(data_dir=str(folder), min_group_size=MIN_GROUP_SIZE), reports_dir=reports)
    assert done.ok, done.manifest["error"]
    files = [*sorted(p for p in done.folder.iterdir() if p.is_file()), reports / "index.html"]
    return done.folder, {f.name: _text(f) for f in files}


def _text(file) -> str:
    """What a reader of *file* could see: its values for a Parquet table, else its bytes as text."""
    if file.suffix == ".parquet":
        return pd.read_parquet(file).to_csv()
    return file.read_bytes().decode("utf-8", errors="replace")


def test_every_page_notebook_and_artifact_is_scanned(outputs):
    _, texts = outputs
    kinds = {name.rsplit(".", 1)[-1] for name in texts}
    assert {"html", "ipynb", "csv", "json", "parquet", "log"} <= kinds
    assert "pkl" not in kinds                 # persona state is JSON and Parquet, never a pickle
    assert sum(name.endswith(".html") for name in texts) == 7


def leaks(texts: dict[str, str], values: dict[str, list[str]]) -> dict[str, list[str]]:
    """Planted *values* found in *texts* (by file name): emails, names, IBANs as text, phones as digits too."""
    phones = {digits(phone) for phone in values["phones"]}
    found = {}
    for name, text in texts.items():
        lowered = text.lower()
        numbers = " ".join(digits(m) for m in _PHONE_LIKE.findall(text))
        hits = [v for kind in ("emails", "names", "ibans") for v in values[kind] if v.lower() in lowered]
        hits += [d for d in phones if d in numbers]
        if hits:
            found[name] = hits[:5]
    return found


def test_no_planted_email_phone_name_or_iban_appears_anywhere(planted, outputs):
    _, values = planted
    _, texts = outputs
    assert leaks(texts, values) == {}


def test_the_scan_finds_what_was_planted_in_the_input(planted):
    folder, values = planted
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.csv")}
    found = leaks(texts, values)
    assert {"customers.csv", "reviews.csv", "surveys.csv"} <= set(found)
    assert leaks({"x": "call +39 347 123 4567"}, {**values, "phones": ["+393471234567"]}) == {"x": ["393471234567"]}


def test_persona_and_kpi_tables_never_describe_a_small_group(outputs):
    folder, _ = outputs
    shares = pd.read_csv(folder / "persona_shares.csv")
    assert len(shares) >= 2 and (shares["size"] >= MIN_GROUP_SIZE).all()
    personas = pd.read_csv(folder / "personas.csv")
    shown = personas.dropna(subset=["persona_name"]).groupby("persona_name").size()
    assert (shown >= MIN_GROUP_SIZE).all()
    kpis = json.loads((folder / "kpis.json").read_text())["kpis"]
    assert kpis and all(kpi["n"] >= MIN_GROUP_SIZE for kpi in kpis.values())
    effects = pd.read_csv(folder / "interventions.csv")
    small = effects[["before_n", "after_n", "comparison_before_n", "comparison_after_n"]].min(axis=1) < MIN_GROUP_SIZE
    assert effects.loc[small, ["before", "after", "did", "did_low", "did_high"]].isna().all().all()
    assert (effects.loc[small, "verdict"] == "not enough data").all()


def test_journey_tables_never_describe_a_small_group(outputs):
    folder, _ = outputs
    for name in ("journey_stages.csv", "pain_points.csv"):
        table = pd.read_csv(folder / name)
        assert (table["customers"] >= MIN_GROUP_SIZE).all(), name
        assert table.loc[table["surveys"] < MIN_GROUP_SIZE, "csat"].isna().all(), name
