"""Redaction of personal data in free text (:func:`cxresearch.privacy.redact_pii`)."""
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from cxresearch import load_dataset
from cxresearch.privacy import redact_names, redact_pii, suppress_small

EMAILS = ["mario.rossi@example.it", "a.b+promo@mail.co.uk", "JOHN_DOE-99@sub.example.com"]
PHONES = ["+39 333 123 4567", "333-1234567", "06 12345678", "+44 20 7946 0958", "(555) 123-4567",
          "+1 (555) 123-4567", "0039 02 1234 5678", "3331234567", "+393331234567", "555.123.4567",
          "02/1234567"]
IBANS = ["IT60 X054 2811 1010 0000 0123 456", "IT60X0542811101000000123456", "DE89 3704 0044 0532 0130 00",
         "GB82 WEST 1234 5698 7654 32"]
CARDS = ["4111 1111 1111 1111", "5500-0000-0000-0004", "4111111111111111", "378282246310005",
         "6011 0009 9013 9424"]
KEPT = ["2024-03-05", "12/03/2024", "01.02.2024", "20240312", "10/10", "1.299,00 EUR", "$1,299.99",
        "#654321", "123456", "12:30", "10:00-12:00", "3 items", "4.5 stars", "2023"]


def luhn_digit(body: str) -> str:
    """Check digit that makes *body* + digit Luhn-valid (hand-written reference)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * 2 if i % 2 == 0 else int(ch)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


@pytest.mark.parametrize("pii, placeholder", [(e, "[email]") for e in EMAILS] + [(p, "[phone]") for p in PHONES]
                         + [(i, "[iban]") for i in IBANS] + [(c, "[card]") for c in CARDS])
def test_each_kind_of_pii_becomes_its_placeholder(pii, placeholder):
    assert redact_pii(f"Contact: {pii}, thanks.") == f"Contact: {placeholder}, thanks."


@pytest.mark.parametrize("kept", KEPT)
def test_dates_prices_order_numbers_and_ratings_survive(kept):
    text = f"Ordine del {kept}: tutto ok"
    assert redact_pii(text) == text


def test_planted_pii_in_a_corpus_all_vanishes_and_the_rest_survives():
    rng = np.random.default_rng(7)
    pii = EMAILS + PHONES + IBANS + CARDS
    texts = [f"Order {rng.integers(1, 999_999)} on 12/03/2024 rated 9/10: reach me at {item} or later."
             for item in rng.choice(pii, size=300)]
    redacted = redact_pii(pd.Series(texts))
    digits_left = redacted.str.replace(r"\D", "", regex=True)
    for item in pii:
        assert not redacted.str.contains(item, regex=False).any()
    for item in PHONES + IBANS + CARDS:
        assert not digits_left.str.contains(re.sub(r"\D", "", item)[-8:]).any()
    assert redacted.str.contains("12/03/2024 rated 9/10", regex=False).all()
    assert redacted.str.extract(r"Order (\d+) ")[0].notna().all()


def test_a_card_number_failing_luhn_is_not_a_card():
    assert "[card]" not in redact_pii("ref 4111 1111 1111 1112")
    assert redact_pii("ref 4111 1111 1111 1112") == "ref 4111 1111 1111 1112"


@given(st.text(alphabet="0123456789", min_size=15, max_size=15), st.sampled_from([" ", "-", ""]))
def test_every_luhn_valid_16_digit_card_is_redacted(body, sep):
    number = body + luhn_digit(body)
    written = sep.join(number[i:i + 4] for i in range(0, 16, 4))
    assert redact_pii(f"carta {written} grazie") == "carta [card] grazie"


def test_series_keeps_index_and_missing_values():
    texts = pd.Series(["mail me: x@y.com", None, "nothing here"], index=[10, 20, 30])
    out = redact_pii(texts)
    assert out.index.tolist() == [10, 20, 30]
    assert out.iloc[0] == "mail me: [email]" and pd.isna(out.iloc[1]) and out.iloc[2] == "nothing here"
    assert texts.iloc[0] == "mail me: x@y.com"


def test_scalar_missing_values_pass_through():
    assert redact_pii(None) is None
    assert np.isnan(redact_pii(float("nan")))


def test_names_are_redacted_whole_in_any_case_and_the_rest_kept():
    texts = pd.Series(["I am Oliver White; call me", "sono OLIVER   white, grazie", "White wine, Oliver!", None,
                       "Mary Ann Lee wrote", "Olivers Whitehouse"], index=[5, 3, 9, 1, 2, 0])
    redacted = redact_names(texts, ["Oliver White", "Mary Ann Lee", "Cher"])
    assert redacted.tolist() == ["I am [name]; call me", "sono [name], grazie", "White wine, Oliver!", pd.NA,
                                 "[name] wrote", "Olivers Whitehouse"]
    assert redacted.index.tolist() == texts.index.tolist()


def test_names_are_found_in_texts_of_any_script_case_and_punctuation():
    names = ["José Núñez", "Meyer Strauß", "Karl Strauss", "Anne-Marie O'Brien", "Lee Wu", "Ödön Kiss"]
    texts = pd.Series(["hola JOSÉ  núñez!", "by meyer STRAUSS, karl STRAUß.", "—anne-marie o'brien: ok", "(Lee Wu)", "lee wuhan",
                       "ödön kiss", "Kiss me", "", None, "nothing"], index=[3, 3, 1, 0, 7, 8, 9, 2, 4, 5])
    redacted = redact_names(texts, names)
    assert redacted.tolist() == ["hola [name]!", "by [name], [name].", "—[name]: ok", "([name])", "lee wuhan",
                                 "[name]", "Kiss me", "", pd.NA, "nothing"]
    assert redacted.index.tolist() == texts.index.tolist()


def test_loader_redacts_customers_names_in_comments_and_reviews_unless_pii_is_kept(make_dataset):
    folder = make_dataset({
        "customers.csv": """
            customer_id,name,first_name,last_name
            c1,Oliver White,,
            c2,,Giulia,Bianchi
        """,
        "surveys.csv": """
            response_id,timestamp,customer_id,nps,comment
            r1,2025-01-02,c1,9,"I am Oliver White, great service"
            r2,2025-01-03,c2,3,Giulia Bianchi here: late parcel
            r3,2025-01-04,c2,7,White goods arrived
        """,
        "reviews.csv": """
            review_id,timestamp,rating,text
            v1,2025-01-05,5,Thanks from giulia bianchi
        """,
    })
    ds = load_dataset(folder)
    assert ds.surveys["comment"].tolist() == ["I am [name], great service", "[name] here: late parcel",
                                              "White goods arrived"]
    assert ds.reviews["text"].tolist() == ["Thanks from [name]"]
    assert "name" not in ds.customers
    kept = load_dataset(folder, keep_pii=True)
    assert kept.surveys["comment"].iloc[0] == "I am Oliver White, great service"


def test_a_small_group_note_names_the_hidden_groups_but_not_their_sizes():
    import warnings

    from cxresearch import i18n

    table = pd.DataFrame({"persona": ["A", "A", "B", "B", "C", "C"], "stage": ["buy", "service", "buy", "service",
                          "buy", None], "customers": [40, 2, 3, 4, 1, 30]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kept = suppress_small(table, size_col="customers", label_col=["persona", "stage", "missing"])
        suppress_small(table.iloc[[0, 1]], size_col="customers", label_col="stage")
        suppress_small(table, size_col="customers", min_group_size=31, label_col="stage")   # buy once, and a blank
        with i18n.using("it"):
            suppress_small(table, size_col="customers", label_col=["persona", "stage"])
    assert kept["customers"].tolist() == [40, 30]
    assert [str(w.message) for w in caught] == [
        "4 groups with fewer than 5 members hidden: “A · service”, “B · buy”, “B · service”, and 1 other.",
        "1 group with fewer than 5 members hidden: “service”.",
        "3 groups with fewer than 31 members hidden: “service”, “buy”, and “–”.",
        "4 gruppi nascosti (meno di 5 elementi ciascuno): “A · assistenza”, “B · buy”, “B · assistenza” e 1 altro."]


def test_a_small_group_note_names_touchpoint_and_channel_codes_in_words():
    import warnings

    table = pd.DataFrame({"channel": ["call_center", "web"], "touchpoint": ["chat_support", "home"],
                          "name": ["a_b", "c"], "customers": [2, 40]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        suppress_small(table, size_col="customers", label_col=["channel", "touchpoint", "name"])
    assert [str(w.message) for w in caught] == [
        "1 group with fewer than 5 members hidden: “call center · chat support · a_b”."]   # a name stays as it is


NAME_WORDS = ["Oliver", "White", "José", "Núñez", "Strauß", "Strauss", "Anne-Marie", "O'Brien", "Ödön", "İlker",
              "Lee", "Wu", "João", "Conceição", "Niccolò", "Dell'Acqua", "Rosa", "Will", "Price", "Σωκράτης", "Παππάς"]
TEXT_WORDS = NAME_WORDS + ["the", "wine", "grazie", "obrigado", "x@y.com", "2024", "ok", "whites", "rosas", "L’app",
                           "\u0345", "🙂", "—"]


def exhaustive_redaction(text, names):
    """Hand-written reference: every run of words of *text* checked against every full name, longest first."""
    if text is None:
        return None
    known = {" ".join(n.split()).casefold() for n in names if n is not None and len(n.split()) >= 2}

    def replace(run):
        words = list(re.finditer(r"\S+", run.group()))
        out, i, kept_to = "", 0, 0
        while i < len(words):
            size = next((s for s in range(len(words) - i, 1, -1)
                         if " ".join(w.group() for w in words[i:i + s]).casefold() in known), 0)
            if size:
                out += run.group()[kept_to:words[i].start()] + "[name]"
                kept_to = words[i + size - 1].end()
            i += size or 1
        return out + run.group()[kept_to:]

    return re.sub(r"\b[^\W\d_][\w'-]*(?:\s+[^\W\d_][\w'-]*)+", replace, text)


cased_word = st.tuples(st.sampled_from(TEXT_WORDS), st.sampled_from([str, str.upper, str.lower, str.title])).map(
    lambda pair: pair[1](pair[0]))
text = st.lists(st.tuples(cased_word, st.sampled_from([" ", "  ", ", ", "; ", "\t", "-", "! ", "\n", "."])),
                max_size=8).map(lambda parts: "".join(w + sep for w, sep in parts))
name = st.lists(st.sampled_from(NAME_WORDS), min_size=1, max_size=3).map(" ".join)


@given(st.lists(st.one_of(text, st.none()), max_size=12), st.lists(st.one_of(name, st.none()), min_size=1, max_size=6),
       st.integers(1, 3))
def test_the_name_search_redacts_what_an_exhaustive_search_redacts(texts, names, repeats):
    """Only the distinct texts holding a name's words are searched, once each: the result is the exhaustive search's."""
    series = pd.Series(texts * repeats, index=np.arange(len(texts) * repeats)[::-1], dtype=object)
    redacted = redact_names(series.astype("str"), pd.Series(names, dtype="string"))
    assert redacted.index.equals(series.index) and redacted.dtype == "string"
    assert redacted.astype(object).where(redacted.notna(), None).tolist() == [exhaustive_redaction(t, names)
                                                                              for t in series]


def test_names_in_italian_english_and_portuguese_texts_are_redacted_where_they_stand():
    names = pd.Series(["Niccolò Dell'Acqua", "João da Conceição", "Rosa Price", "Will Price", None, "Giulia"],
                      dtype="string")
    texts = pd.Series(["Sono NICCOLÒ DELL'ACQUA, grazie", "Obrigado, joão DA conceição.", "Rosa Price-Smith wrote",
                       "rosa price!", "A fair price, rosa", "Dear Will Price\nthanks", "Giulia here",
                       "niccolò dell'acqua niccolò dell'acqua", "Niccolò Dell'Acqua2"] * 2)
    assert redact_names(texts, names).tolist() == ["Sono [name], grazie", "Obrigado, [name].",
                                                   "Rosa Price-Smith wrote", "[name]!", "A fair price, rosa",
                                                   "Dear [name]\nthanks", "Giulia here", "[name] [name]",
                                                   "Niccolò Dell'Acqua2"] * 2


def test_texts_without_any_name_come_back_unchanged():
    texts = pd.Series(["White wine", None, "Oliver"], index=[7, 8, 9], name="comment", dtype="str")
    for names in (["Oliver White"], [], [None], ["!! ??"]):
        redacted = redact_names(texts, names)
        assert redacted.name == "comment" and redacted.index.tolist() == [7, 8, 9]
        assert redacted.tolist() == ["White wine", pd.NA, "Oliver"]


def test_a_loader_whose_customers_have_one_word_names_keeps_the_texts(make_dataset):
    folder = make_dataset({
        "customers.csv": """
            customer_id,name
            c1,Oliver
        """,
        "reviews.csv": """
            review_id,timestamp,rating,text
            v1,2025-01-05,5,Thanks Oliver White
        """,
    })
    assert load_dataset(folder).reviews["text"].tolist() == ["Thanks Oliver White"]


def test_names_are_found_beside_letters_that_fold_into_words():
    """Only a Latin text is searched when it holds a name's last two words side by side; any other holding a last
    word is searched whole (U+0345 folds into a Greek letter, which joins the word beside it)."""
    texts = pd.Series(["\u0345Oliver White and oliver", "Oliver White\u0345 white", "ΣΩΚΡΆΤΗΣ ΠΑΠΠΆΣ είπε",
                       "by Σωκράτης Παππάς’s friend", "L’app di Oliver White 🙂", "Oliver, White", "Oliver whites"])
    assert redact_names(texts, ["Oliver White", "Σωκράτης Παππάς"]).tolist() == [
        "\u0345[name] and oliver", "[name]\u0345 white", "[name] είπε", "by [name]’s friend", "L’app di [name] 🙂",
        "Oliver, White", "Oliver whites"]
