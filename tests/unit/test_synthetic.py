"""Demo data generator: deterministic, canonical files, and the planted truth is really there."""
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from cxresearch import synthetic, synthetic_text
from cxresearch.errors import ParameterError
from cxresearch.privacy import redact_pii

CUSTOMERS = 2000


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return synthetic.generate(tmp_path_factory.mktemp("demo"), customers=CUSTOMERS, random_state=7)


@pytest.fixture(scope="module")
def tables(demo):
    read = {name: pd.read_csv(demo / f"{name}.csv") for name in ("customers", "events", "surveys", "reviews")}
    read["personas"] = pd.read_csv(demo / "truth" / "personas.csv")
    for name in ("events", "surveys", "reviews"):
        read[name]["timestamp"] = pd.to_datetime(read[name]["timestamp"], utc=True, format="ISO8601")
    by_email = read["customers"].set_index("email")["customer_id"]
    surveys = read["surveys"]
    surveys["linked_id"] = surveys["customer_id"].fillna(surveys["email"].map(by_email))
    surveys["persona"] = surveys["linked_id"].map(read["personas"].set_index("customer_id")["persona"])
    return read


def _truth(demo, name):
    return json.loads((demo / "truth" / name).read_text(encoding="utf-8"))


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(demo, tmp_path):
    again = synthetic.generate(tmp_path / "again", customers=CUSTOMERS, random_state=7)
    other = synthetic.generate(tmp_path / "other", customers=CUSTOMERS, random_state=8)
    assert _files(again) == _files(demo)
    assert _files(other)["events.csv"] != _files(demo)["events.csv"]
    assert _files(other)["surveys.csv"] != _files(demo)["surveys.csv"]


def test_the_old_seed_keyword_still_works_and_says_it_is_deprecated(tmp_path):
    with pytest.warns(FutureWarning, match="random_state"):
        old = synthetic.generate(tmp_path / "old", customers=60, seed=4)
    assert _files(old) == _files(synthetic.generate(tmp_path / "new", customers=60, random_state=4))


def test_files_follow_the_canonical_model_and_keep_raw_pii(demo, tables):
    assert list(tables["customers"].columns) == ["customer_id", "age", "region", "signup_date", "plan",
                                                 "preferred_language", "email", "phone", "name"]
    assert list(tables["events"].columns) == ["customer_id", "timestamp", "channel", "touchpoint", "event",
                                              "session_id", "value"]
    assert list(tables["reviews"].columns) == ["review_id", "timestamp", "customer_id", "source", "rating",
                                               "text", "language"]
    ratings = [f"rating_{r}" for r in synthetic.RATINGS]
    assert list(tables["surveys"].columns[:10]) == ["response_id", "timestamp", "customer_id", "email", "channel",
                                                    "touchpoint", "nps", "csat", "ces", "comment"]
    assert list(tables["surveys"].columns[10:12 + len(ratings) - 2]) == ratings
    customers = tables["customers"]
    assert customers["customer_id"].is_unique and customers["customer_id"].str.fullmatch(r"C\d{6}").all()
    assert customers["email"].str.fullmatch(r"[a-z.0-9]+@example\.(it|com)").all()
    assert customers["phone"].str.fullmatch(r"\+(39|44) [\d ]+").all()
    assert customers["name"].str.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+").all()
    assert set(customers["preferred_language"]) == {"en", "it"}
    raw = (demo / "events.csv").read_text(encoding="utf-8").splitlines()[1]
    assert raw.split(",")[1].strip('"').endswith("Z")
    stages = yaml.safe_load((demo / "dataset.yml").read_text(encoding="utf-8"))["stages"]
    assert list(stages) == ["awareness", "consideration", "purchase", "service", "loyalty"]
    assert set(tables["events"]["touchpoint"]) <= {tp for tps in stages.values() for tp in tps}
    assert set(tables["events"]["channel"]) == set(synthetic.CHANNELS)


def test_every_table_has_about_the_planned_volume(tables):
    assert 17 <= len(tables["events"]) / CUSTOMERS <= 23
    assert 1 / 3 <= len(tables["surveys"]) / CUSTOMERS <= 1 / 2
    assert 1 / 5 <= len(tables["reviews"]) / CUSTOMERS <= 1 / 3
    for name, key in (("surveys", "response_id"), ("reviews", "review_id")):
        assert tables[name][key].is_unique


def test_persona_shares_are_exact_and_channel_mixes_differ_as_planted(tables):
    personas = tables["personas"].set_index("customer_id")["persona"]
    counts = personas.value_counts()
    assert {p.key: round(p.share * CUSTOMERS) for p in synthetic.PERSONAS} == counts.to_dict()
    events = tables["events"].assign(persona=lambda e: e["customer_id"].map(personas))
    share = pd.crosstab(events["persona"], events["channel"], normalize="index")
    assert share["app"].idxmax() == "app_natives"
    assert share["store"].idxmax() == "store_seniors"
    assert share["email"].idxmax() == "deal_hunters"
    assert (share["chat"] + share["call_center"]).idxmax() == "service_strugglers"
    assert share["social"].idxmax() == "social_browsers"
    planted = pd.DataFrame([{"persona": p.key, "sessions": p.sessions_per_month, "spend": p.order_value,
                             "age": p.age[0]} for p in synthetic.PERSONAS]).set_index("persona")
    customers = tables["customers"].assign(persona=lambda c: c["customer_id"].map(personas))
    found = pd.DataFrame({"sessions": events.groupby("persona")["session_id"].nunique() / counts,
                          "spend": events.groupby("persona")["value"].median(),
                          "age": customers.groupby("persona")["age"].mean()})
    for column in planted:
        assert found[column].idxmax() == planted[column].idxmax(), column
        assert found[column].idxmin() == planted[column].idxmin(), column
    assert planted["sessions"].idxmin() == planted["spend"].idxmin() == planted["age"].idxmin() == "social_browsers"


def test_kpi_truth_equals_a_recomputation_from_surveys(demo, tables):
    truth = _truth(demo, "kpis.json")
    surveys = tables["surveys"]
    assert surveys["persona"].notna().all()  # every email-only row links to a customer

    def kpis(s):
        return {"responses": len(s),
                "nps": 100 * ((s["nps"] >= 9).mean() - (s["nps"] <= 6).mean()),
                "csat_top2box": (s["csat"].dropna() >= 4).mean(),
                "ces_mean": s["ces"].mean()}

    assert truth["overall"] == pytest.approx(kpis(surveys))
    for persona, group in surveys.groupby("persona"):
        assert truth["personas"][persona] == pytest.approx(kpis(group))
    nps = pd.Series({p: v["nps"] for p, v in truth["personas"].items()})
    assert nps.idxmin() == "service_strugglers" and nps.min() < 0 < nps.max()


def test_transitions_truth_equals_a_recomputation_from_events(demo, tables):
    events = tables["events"]
    following = events.groupby("session_id")["touchpoint"].shift(-1)
    counted = (events.assign(to_touchpoint=following).dropna(subset=["to_touchpoint"])
               .groupby(["touchpoint", "to_touchpoint"]).size())
    truth = pd.read_csv(demo / "truth" / "transitions.csv").set_index(["from_touchpoint", "to_touchpoint"])["count"]
    assert counted.sort_index().to_dict() == truth.sort_index().to_dict()
    assert truth.sum() == len(events) - events["session_id"].nunique()


def test_sessions_are_short_bursts_far_apart(tables):
    events = tables["events"]
    gap = events.groupby("customer_id")["timestamp"].diff().dt.total_seconds()
    same_session = events["session_id"].eq(events["session_id"].shift())
    assert gap[same_session].between(10, 30 * 60 - 1).all()
    assert (gap[~same_session].dropna() > 2 * 3600).all()
    assert (events.groupby("session_id")["customer_id"].nunique() == 1).all()
    assert events.groupby("session_id")["channel"].nunique().max() <= 2
    reached_purchase = events["touchpoint"].isin(["cart", "checkout", "store_checkout"]).groupby(
        events["session_id"]).any()
    assert 0.1 < reached_purchase.mean() < 0.6


def test_values_only_on_purchases_and_scores_in_range(tables):
    events, surveys, reviews = tables["events"], tables["surveys"], tables["reviews"]
    purchase = events["event"].eq("purchase")
    assert events["value"].notna().eq(purchase).all() and (events.loc[purchase, "value"] > 0).all()
    assert surveys["nps"].between(0, 10).all() and surveys["csat"].dropna().between(1, 5).all()
    assert surveys["ces"].dropna().between(1, 7).all() and reviews["rating"].between(1, 5).all()
    ratings = surveys.filter(like="rating_")
    assert ratings.stack().dropna().between(1, 5).all() and ratings.isna().any().all()


def test_some_surveys_carry_an_email_instead_of_the_customer_id(tables):
    surveys = tables["surveys"]
    by_email = surveys["customer_id"].isna()
    assert by_email.eq(surveys["email"].notna()).all()
    assert 0.05 < by_email.mean() < 0.15


def test_chat_is_the_pain_point(demo, tables):
    surveys = tables["surveys"]
    assert surveys.groupby("channel")["csat"].mean().idxmin() == "chat"
    assert surveys.groupby("touchpoint")["csat"].mean().idxmin() == "chat_support"
    assert surveys.filter(like="rating_").mean().idxmin() == "rating_chat"
    events = tables["events"]
    last = events.groupby("session_id")["touchpoint"].last().value_counts()
    exit_rate = (last / events["touchpoint"].value_counts()).dropna()
    not_ending = exit_rate.drop(["checkout", "store_checkout", "returns", "loyalty_program", "referral"])
    assert not_ending.idxmax() == "chat_support"
    truth = _truth(demo, "pain_point.json")
    assert (truth["touchpoint"], truth["channel"]) == ("chat_support", "chat")
    assert truth["chat_exit_rate"] == pytest.approx(exit_rate["chat_support"])
    reviews = tables["reviews"]
    waiting = reviews["text"].str.contains("chat", case=False)
    assert reviews.loc[waiting, "rating"].mean() < reviews.loc[~waiting, "rating"].mean() - 1


def test_nps_is_driven_by_delivery_as_planted(demo, tables):
    surveys = tables["surveys"]
    ratings = ["rating_delivery", "rating_price", "rating_web"]  # the ratings most respondents answer
    complete = surveys.dropna(subset=ratings)
    x = np.column_stack([np.ones(len(complete)), complete[ratings].to_numpy(float)])
    coef = dict(zip(ratings, np.linalg.lstsq(x, complete["nps"].to_numpy(float), rcond=None)[0][1:]))
    drivers = _truth(demo, "drivers.json")
    assert drivers["nps"]["top_driver"] == "rating_delivery" == max(coef, key=coef.get)
    assert coef["rating_delivery"] > 2 * sorted(coef.values())[-2]
    assert coef["rating_delivery"] == pytest.approx(drivers["nps"]["weights"]["rating_delivery"], abs=0.4)


def test_chat_staffing_works_and_newsletter_template_does_not(demo, tables):
    truth = {i["intervention_id"]: i for i in _truth(demo, "interventions.json")}
    listed = pd.read_csv(demo / "interventions.csv")
    assert list(listed["scope"]) == ["chat_support", "newsletter"]
    chat, newsletter = truth["I001"], truth["I002"]
    assert chat["works"] and not newsletter["works"]
    surveys = tables["surveys"]
    after = surveys["timestamp"] >= pd.Timestamp(chat["start"])
    jump = surveys.loc[after, "rating_chat"].mean() - surveys.loc[~after, "rating_chat"].mean()
    assert jump > 0.6
    at_chat = surveys["touchpoint"] == "chat_support"
    assert chat["measured"]["after"]["csat_mean"] == pytest.approx(surveys.loc[at_chat & after, "csat"].mean())
    assert chat["measured"]["before"]["csat_mean"] + 0.5 < chat["measured"]["after"]["csat_mean"]
    assert chat["measured"]["before"]["exit_rate"] - 0.2 > chat["measured"]["after"]["exit_rate"]
    before, after = newsletter["measured"]["before"]["exit_rate"], newsletter["measured"]["after"]["exit_rate"]
    assert abs(before - after) < 0.1


def test_planted_personal_data_sits_in_the_listed_comments(demo, tables):
    listed = set(_truth(demo, "pii.json")["response_ids"])
    comments = tables["surveys"].set_index("response_id")["comment"].dropna()
    flagged = comments.index[redact_pii(comments) != comments]
    assert listed and set(flagged) == listed


def test_texts_follow_language_and_score(tables):
    reviews = tables["reviews"]
    language = tables["customers"].set_index("customer_id")["preferred_language"]
    assert reviews["language"].eq(reviews["customer_id"].map(language)).all()
    assert 0.35 < reviews["language"].eq("it").mean() < 0.65
    for language, texts in reviews.groupby("language")["text"]:
        bank = [*synthetic_text.OPENERS[language], *synthetic_text.CLOSERS[language],
                *(phrases for topic in synthetic_text.PHRASES[language].values() for phrases in topic)]
        vocabulary = {word for variants in bank for text in variants for word in text.split()}
        assert set(texts.str.split().explode()) <= vocabulary
    bad = reviews["text"].str.contains("Terrible experience|Esperienza pessima")
    assert reviews.loc[bad, "rating"].max() <= 2
    assert reviews["text"].nunique() > len(reviews) / 2


def test_chunks_continue_ids_and_truth(tmp_path, monkeypatch):
    monkeypatch.setattr(synthetic, "CHUNK", 150)
    path = synthetic.generate(tmp_path, customers=400, random_state=3)
    events = pd.read_csv(path / "events.csv")
    assert (events.groupby("session_id")["customer_id"].nunique() == 1).all()
    assert events["customer_id"].is_monotonic_increasing
    assert pd.read_csv(path / "surveys.csv")["response_id"].is_unique
    truth = pd.read_csv(path / "truth" / "transitions.csv")["count"].sum()
    assert truth == len(events) - events["session_id"].nunique()


def test_parquet_holds_the_same_data_with_utc_timestamps(tmp_path):
    csv = synthetic.generate(tmp_path / "csv", customers=300, random_state=5)
    parquet = synthetic.generate(tmp_path / "parquet", customers=300, random_state=5, fmt="parquet")
    from_csv = pd.read_csv(csv / "surveys.csv")
    from_parquet = pd.read_parquet(parquet / "surveys.parquet")
    assert str(from_parquet["timestamp"].dt.tz) == "UTC"
    assert (from_parquet["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%SZ") == from_csv["timestamp"]).all()
    pd.testing.assert_series_equal(from_parquet["nps"].astype(int), from_csv["nps"].astype(int))
    assert len(pd.read_parquet(parquet / "events.parquet")) == len(pd.read_csv(csv / "events.csv"))


@pytest.mark.parametrize("options, message", [
    ({"fmt": "xlsx"}, "fmt must be one of 'csv', 'parquet'; got 'xlsx'"),
    ({"customers": 0}, "customers must be a whole number of 1 or more; got 0"),
    ({"months": 1}, "months must be a whole number of 2 or more; got 1"),
    ({"start": "soon"}, "start must be a date"),
])
def test_bad_options_raise_parameter_errors(tmp_path, options, message):
    with pytest.raises(ParameterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        synthetic.generate(tmp_path, **options)
