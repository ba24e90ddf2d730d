"""No personal data leaves a run, and no table describes a group under ``min_group_size``.

The shared runs' dataset (``routine_runs`` in ``tests/conftest.py``) holds
personal data where the library promises to deal with it:

- the PII columns ``email``, ``phone`` and ``name`` of customers (and ``email``
  of surveys): dropped by the loader;
- at the start of every comment and review text, its writer's full name, email
  and phone number, an IBAN and a card number: the loader replaces customers'
  full names (:func:`~cxresearch.privacy.redact_names`), and every text the
  library shows goes through :func:`~cxresearch.privacy.redact_pii`, which
  replaces emails, phone numbers, IBANs and card numbers.

Nothing else is planted: the library does not claim to find other people's
names in free text. The tests check that the redactors replace every planted
value of every planted text (not merely that no text with one was quoted),
that the pages do quote planted texts (so the scan below is not vacuous), and
that no file of the three runs (pages, executed notebooks, artifacts, kernel
logs) nor either index holds any planted value.
"""
from __future__ import annotations

import json
import re

import pandas as pd
from plotly.offline import get_plotlyjs

from cxresearch import load_dataset, redact_pii
from tests.routine_runs import FREE_TEXT, RUNS_MIN_GROUP_SIZE

_PHONE_LIKE = re.compile(r"\+?\d[\d \-().]{6,}\d")
PLOTLY_JS = get_plotlyjs()
#: The placeholder each kind of planted value becomes.
PLACEHOLDERS = {"names": "[name]", "emails": "[email]", "phones": "[phone]", "ibans": "[iban]", "cards": "[card]"}


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _text(file) -> str:
    """What a reader of *file* could see: its values for a Parquet table, else its bytes as text.

    The plotly.js library that every page embeds is left out (it is the same
    code on every page, several megabytes that hold no data).
    """
    if file.suffix == ".parquet":
        return pd.read_parquet(file).to_csv()
    return file.read_bytes().decode("utf-8", errors="replace").replace(PLOTLY_JS, "")


def outputs(runs) -> dict[str, str]:
    """Text of every file of the three runs and of both indexes, by ``folder/name``."""
    files = [p for folder in runs.folders for p in sorted(folder.iterdir()) if p.is_file()]
    files += [runs.reports / "index.html", runs.twin.folder.parent / "index.html"]
    return {f"{f.parent.name}/{f.name}": _text(f) for f in files}


def leaks(texts: dict[str, str], values: dict[str, list[str]]) -> dict[str, list[str]]:
    """Planted *values* found in *texts* (by file name): emails, names, IBANs and cards as written, IBANs and
    cards without their spaces and dashes too, phone numbers as digits too (so "+39 333 000 0001" is found
    written as "393330000001"). A card's digits inside a longer number (the decimal 0.41111111111111111)
    do not count."""
    phones = {digits(v) for v in values["phones"]}
    spelled = [v.lower() for kind in ("emails", "names", "ibans", "cards") for v in values[kind]]
    spelled += [v.replace(" ", "").lower() for v in values["ibans"]]
    cards = re.compile("|".join(rf"(?<![\d.]){digits(v)}(?!\d)" for v in values["cards"]))
    found = {}
    for name, text in texts.items():
        lowered = text.lower()
        runs = " ".join(digits(m) for m in _PHONE_LIKE.findall(text))
        hits = [v for v in spelled if v in lowered] + cards.findall(text) + [d for d in phones if d in runs]
        if hits:
            found[name] = hits[:5]
    return found


def test_every_planted_text_has_every_kind_and_the_demo_has_pii_columns(routine_runs):
    planted = routine_runs.planted
    assert len(planted["rows"]) >= 100 and {r.split(":")[0] for r in planted["rows"]} == set(FREE_TEXT)
    assert all(len(planted[kind]) >= 2 for kind in PLACEHOLDERS)
    customers = pd.read_csv(routine_runs.data / "customers.csv", dtype=str)
    assert {"email", "phone", "name"} <= set(customers.columns)


def test_the_redactors_replace_every_planted_value_of_every_planted_text(routine_runs):
    """Each planted text, as loaded and then shown, has lost all five values to their five placeholders."""
    planted = routine_runs.planted
    dataset = load_dataset(routine_runs.data)
    for table, column in FREE_TEXT.items():
        frame = dataset.tables[table]
        key = frame.columns[0]
        rows = frame[frame[key].isin([r.split(":", 1)[1] for r in planted["rows"] if r.startswith(table)])]
        assert len(rows) == sum(r.startswith(f"{table}:") for r in planted["rows"])
        shown = redact_pii(rows[column])
        replaced = shown.str.startswith(" · ".join(PLACEHOLDERS.values()) + " · ")
        assert replaced.all(), (table, shown[~replaced].head(3).tolist())
        assert leaks(dict(zip(rows[key], shown)), planted) == {}
    assert set(dataset.customers.columns).isdisjoint({"email", "phone", "name"})


def test_the_pages_quote_planted_texts_with_their_values_replaced(routine_runs):
    """The reports do show comments and reviews, so the scan below has something to find."""
    pages = " ".join(_text(p) for folder in routine_runs.folders for p in folder.glob("*.html"))
    for placeholder in PLACEHOLDERS.values():
        assert placeholder in pages, placeholder


def test_every_page_notebook_and_artifact_is_scanned(routine_runs):
    texts = outputs(routine_runs)
    kinds = {name.rsplit(".", 1)[-1] for name in texts}
    assert {"html", "ipynb", "csv", "json", "parquet", "log"} <= kinds
    assert "pkl" not in kinds                 # persona state is JSON and Parquet, never a pickle
    assert sum(name.endswith(".html") for name in texts) == 3 * 6 + 2


def test_no_planted_value_appears_anywhere(routine_runs):
    assert leaks(outputs(routine_runs), routine_runs.planted) == {}


def test_the_scan_finds_what_was_planted_in_the_input(routine_runs):
    values = routine_runs.planted
    texts = {p.name: p.read_text(encoding="utf-8") for p in routine_runs.data.glob("*.csv")}
    found = leaks(texts, values)
    assert {"customers.csv", "reviews.csv", "surveys.csv"} <= set(found)
    assert leaks({"x": "call +39 347 123 4567"}, {**values, "phones": ["+393471234567"]}) == {"x": ["393471234567"]}
    assert leaks({"x": "IBAN IT60X0542811101000000123456"}, values) == {"x": ["it60x0542811101000000123456"]}
    assert leaks({"x": "card 4111111111111111"}, values) == {"x": ["4111111111111111"]}
    assert leaks({"x": "share 0.41111111111111111, mean 3.4111111111111111"}, values) == {}


def test_persona_and_kpi_tables_never_describe_a_small_group(routine_runs):
    folder, smallest = routine_runs.first.folder, RUNS_MIN_GROUP_SIZE
    shares = pd.read_csv(folder / "persona_shares.csv")
    assert len(shares) >= 2 and (shares["size"] >= smallest).all()
    personas = pd.read_csv(folder / "personas.csv")
    shown = personas.dropna(subset=["persona_name"]).groupby("persona_name").size()
    assert (shown >= smallest).all()
    kpis = json.loads((folder / "kpis.json").read_text())["kpis"]
    assert kpis and all(kpi["n"] >= smallest for kpi in kpis.values())
    effects = pd.read_csv(folder / "interventions.csv")
    small = effects[["before_n", "after_n", "comparison_before_n", "comparison_after_n"]].min(axis=1) < smallest
    assert effects.loc[small, ["before", "after", "did", "did_low", "did_high"]].isna().all().all()
    assert (effects.loc[small, "verdict"] == "not enough data").all()


def test_journey_tables_never_describe_a_small_group(routine_runs):
    folder = routine_runs.first.folder
    for name in ("journey_stages.csv", "pain_points.csv"):
        table = pd.read_csv(folder / name)
        assert (table["customers"] >= RUNS_MIN_GROUP_SIZE).all(), name
        assert table.loc[table["surveys"] < RUNS_MIN_GROUP_SIZE, "csat"].isna().all(), name
