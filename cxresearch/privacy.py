"""Personal data: PII columns, salted identity hashes, text redaction, small-cell suppression.

- Raw PII columns (:data:`PII_COLUMNS`) never leave the loader unless asked for.
- Identities are joined through salted, vectorised hashes (:func:`identity_hash`);
  the salt comes from ``CXRESEARCH_SALT`` or, when unset, is random per process,
  so hashes are never stable across machines unless you choose so.
- :func:`redact_pii` replaces emails, phone numbers, IBANs and card numbers in
  free text with placeholders; every text the library shows goes through it.
- :func:`redact_names` replaces the customers' own names (from the PII columns,
  before the loader drops them) where free text writes them.
- :func:`suppress_small` hides groups with fewer than ``min_group_size`` members.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import COLUMN_KINDS, code_label
from .errors import SmallGroupWarning
from .i18n import MISSING, _, format_count, format_list, ngettext

__all__ = ["PII_COLUMNS", "MIN_GROUP_SIZE", "identity_hash", "normalise_email", "normalise_phone",
           "redact_names", "redact_pii", "suppress_small"]

#: Canonical column names treated as personal data.
PII_COLUMNS = ("email", "phone", "name", "first_name", "last_name", "address")

#: Smallest group any table, card or chart may describe.
MIN_GROUP_SIZE = 5
#: Hidden groups a small-group note names before it counts the others.
NAMED_GROUPS = 3

_PROCESS_SALT = secrets.token_hex(8)


def _salt() -> str:
    """16-character hash key: from ``CXRESEARCH_SALT`` when set, else random per process."""
    configured = os.environ.get("CXRESEARCH_SALT")
    if configured:
        return hashlib.sha256(configured.encode("utf-8")).hexdigest()[:16]
    return _PROCESS_SALT


def normalise_email(values: pd.Series) -> pd.Series:
    """Trim and lower-case email addresses (empty -> missing)."""
    out = values.astype("string").str.strip().str.lower()
    return out.mask(out == "")


def normalise_phone(values: pd.Series) -> pd.Series:
    """Keep the last 9 digits of a phone number, so '+39 333 123 4567' == '3331234567'.

    Numbers with fewer than 6 digits become missing.
    """
    digits = values.astype("string").str.replace(r"\D", "", regex=True)
    return digits.str[-9:].mask(digits.str.len() < 6)


def identity_hash(values: pd.Series) -> pd.Series:
    """Salted 64-bit hash of normalised identity values (missing stays missing)."""
    present = values.notna()
    out = pd.Series(pd.NA, index=values.index, dtype="UInt64")
    if present.any():
        hashed = pd.util.hash_array(values[present].astype(str).to_numpy(dtype=object), hash_key=_salt())
        out[present] = hashed
    return out


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
# Dates come first in the alternation so a date (and the time after it) is consumed
# whole and never read as a phone number; digit runs are matched whole, never in part.
_NUMBERS = re.compile(
    r"(?P<date>\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    r"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))\b)"
    r"|(?P<card>(?<![\w+(])(?<!\d[\s./-])\d(?:[ -]?\d){12,18}(?![\s./-]?\d)(?!\w))"
    r"|(?P<phone>(?<![\w+(])(?<!\d[\s./-])(?:(?:\+|00)\s?)?\(?\d(?:[\s./-]{0,2}\(?\d\)?){7,14}"
    r"(?![\s./-]?\d)(?!\w))"
)


def _luhn_ok(number: str) -> bool:
    """True when the digits of *number* pass the Luhn checksum of payment cards."""
    digits = np.array([int(c) for c in number if c.isdigit()])
    doubled = digits[::-1][1::2] * 2
    return int(digits[::-1][::2].sum() + (doubled - 9 * (doubled > 9)).sum()) % 10 == 0


def _replace_number(match: re.Match) -> str:
    """Placeholder for a card or phone match; dates and non-card 16-19 digit runs stay."""
    if match.lastgroup == "date":
        return match.group()
    if match.lastgroup == "card" and _luhn_ok(match.group()):
        return "[card]"
    too_long_for_phone = sum(c.isdigit() for c in match.group()) > 15
    return match.group() if too_long_for_phone else "[phone]"


def _redact(texts: pd.Series) -> pd.Series:
    return (texts.str.replace(_EMAIL, "[email]", regex=True)
            .str.replace(_IBAN, "[iban]", regex=True)
            .str.replace(_NUMBERS, _replace_number, regex=True))


def redact_pii(text):
    """Replace emails, phone numbers, IBANs and card numbers with placeholders.

    Accepts one string or a Series of strings (missing values stay missing).

    - emails become ``[email]``; IBANs (country code, check digits, 11-30
      letters or digits, grouped or not) become ``[iban]``;
    - card numbers (13-19 digits, spaces or dashes allowed) become ``[card]``
      only when their Luhn checksum holds;
    - phone numbers, 8 to 15 digits with spaces, dots, dashes, slashes or
      parentheses and an optional ``+``/``00`` prefix (Italian and international
      formats), become ``[phone]``.

    Dates (``2024-03-05``, ``12/03/2024``, ``20240312``), times, prices, ratings
    like ``10/10`` and numbers of up to 7 digits (order numbers) are kept. A
    digit run is redacted whole or not at all, never in part.

    Examples
    --------
    >>> redact_pii("Write to mario.rossi@example.it or call +39 333 123 4567")
    'Write to [email] or call [phone]'
    >>> redact_pii("IBAN IT60 X054 2811 1010 0000 0123 456, card 4111 1111 1111 1111")
    'IBAN [iban], card [card]'
    >>> redact_pii("Order 123456 of 12/03/2024: 10/10, paid 1.299,00 EUR")
    'Order 123456 of 12/03/2024: 10/10, paid 1.299,00 EUR'
    """
    if isinstance(text, pd.Series):
        return _redact(text.astype("string"))
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return text
    return _redact(pd.Series([str(text)], dtype="string")).iloc[0]


#: Runs of two or more words (letters first), where a written full name can stand.
_WORD_RUN = re.compile(r"\b[^\W\d_][\w'-]*(?:\s+[^\W\d_][\w'-]*)+")
_SPACE = pa.scalar(" ", pa.large_string())
#: Letters, digits and marks beyond Latin (U+024F): there Arrow's words and Python's may part after
#: casefolding (U+0345 folds to a letter; Unicode versions differ), so adjacent words are not trusted.
_BEYOND_LATIN = r"[^\x00-\x{24F}\PL]|[^\x00-\x{24F}\PN]|[^\x00-\x{24F}\PM]"


def redact_names(texts: pd.Series, names) -> pd.Series:
    """Replace the full *names* where *texts* write them (any case) with ``[name]``.

    Only full names of two or more words are looked for (a first name alone
    is too often an ordinary word); every contiguous part of each run of
    words is checked against the names, so "I am Oliver White;" loses the
    name and keeps the rest untouched. Missing values stay missing.

    Each distinct text and name is read once, in Arrow: only the texts holding
    the last two words of a name side by side (or, beyond Latin letters, its
    last word) are searched word by word.

    Examples
    --------
    >>> redact_names(pd.Series(["Sono oliver white, grazie", "White wine"]), ["Oliver White"]).tolist()
    ['Sono [name], grazie', 'White wine']
    """
    texts = texts.astype("string")
    values = _strings(texts)
    distinct, names = pc.drop_null(pc.unique(values)), pc.unique(pc.drop_null(_strings(pd.Series(names))))
    names = names.filter(pc.greater_equal(pc.list_value_length(pc.utf8_split_whitespace(names)), 2))
    text_words, (name_first, name_pair, name_last) = _words(distinct), _name_words(names)
    holding_last, holding_pair, pairs_held = _rows_holding(text_words, name_last.drop_null().unique(),
                                                           name_pair.drop_null())
    # a name without letters or digits has no word to look for, so every text is searched for it
    candidates = np.ones(len(distinct), dtype=bool) if name_last.null_count else holding_last
    # a name written in a Latin text stands as its last two words, side by side
    beyond_latin = np.asarray(pc.match_substring_regex(distinct.filter(candidates), _BEYOND_LATIN))
    # only names whose first and last words a candidate text holds can be found: compare those exactly, in Python
    held = pc.list_flatten(text_words.filter(candidates)).unique()
    possible = pc.and_kleene(pc.is_in(name_first, value_set=held), pc.is_in(name_last, value_set=held))
    if not beyond_latin.any():
        possible = pc.and_kleene(possible, pc.is_in(name_pair, value_set=pairs_held))
    words = pc.utf8_split_whitespace(names.filter(pc.fill_null(possible, True)))
    joined = pc.binary_join(words, _SPACE)
    known = set(_casefold(joined).to_pylist())
    if not known:
        return texts
    # the most words a name holds, as Python splits them (it splits on a few more spaces than Arrow)
    longest = max([pc.max(pc.list_value_length(words)).as_py()]
                  + [len(n.split()) for n in joined.filter(pc.match_substring_regex(joined, r"[^\PZ ]|\pC"))
                     .to_pylist()])
    starts = set(_casefold(pc.list_element(words, 0).unique()).to_pylist())

    def replace(match: re.Match) -> str:
        text = match.group()
        spans = [(w.start(), w.end()) for w in re.finditer(r"\S+", text)]
        words = [text[a:b].casefold() for a, b in spans]  # casefold maps character by character
        pieces, kept_to, i = [], 0, 0
        while i < len(words):
            size = next((size for size in range(min(longest, len(words) - i), 1, -1)
                         if " ".join(words[i:i + size]) in known), 0) if words[i] in starts else 0
            if size:
                pieces += [text[kept_to:spans[i][0]], "[name]"]
                kept_to = spans[i + size - 1][1]
            i += size or 1
        return "".join(pieces) + text[kept_to:]

    candidates[candidates] &= holding_pair[candidates] | beyond_latin
    searched = distinct.filter(candidates)
    redacted = pa.array(pd.Series(searched.to_pylist(), dtype=object).str.replace(_WORD_RUN, replace, regex=True),
                        type=pa.large_string())
    changed = pc.not_equal(redacted, searched)
    if not pc.any(changed).as_py():
        return texts
    # each row whose text changed takes its redaction
    rows = pc.coalesce(pc.take(redacted.filter(changed), pc.index_in(values, value_set=searched.filter(changed))),
                       values)
    return pd.Series(pd.array(rows, dtype="string"), index=texts.index, name=texts.name)


def _strings(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """Text values as Arrow large strings (no copy for the Arrow-backed columns pandas reads)."""
    return pa.array(values.astype("string"), type=pa.large_string())


def _casefold(strings: pa.Array) -> pa.Array:
    """Python's casefold of Arrow strings: Arrow's lower case where a string is ASCII (the same there)."""
    ascii_ = pc.fill_null(pc.string_is_ascii(strings), True)
    folded = pc.utf8_lower(strings)
    if pc.all(ascii_).as_py() is not False:
        return folded
    others = pd.Series(strings.filter(pc.invert(ascii_)).to_pylist(), dtype=object).str.casefold()
    return pc.replace_with_mask(folded, pc.invert(ascii_), pa.array(others, type=pa.large_string()))


def _words(strings: pa.Array) -> pa.Array:
    """The casefolded words (runs of letters, digits and underscores) of each string, as Arrow lists."""
    return pc.split_pattern_regex(_casefold(strings), r"[^\pL\pN_]+")


def _name_words(names: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
    """The first, the last two (as "penultimate last") and the last casefolded word of each name (null if none)."""
    words = _words(names)
    flat, parents = pc.list_flatten(words), pc.list_parent_indices(words)
    nonempty = pc.not_equal(flat, "")
    flat, parents = flat.filter(nonempty), np.asarray(parents.filter(nonempty))
    new_parent = parents[1:] != parents[:-1]
    first, last = (np.flatnonzero(np.insert(new_parent, 0, True)), np.flatnonzero(np.append(new_parent, True))) \
        if len(parents) else (parents, parents)
    has_two = last[(last > 0)]
    has_two = has_two[parents[has_two - 1] == parents[has_two]]
    pairs = pc.binary_join_element_wise(flat.take(has_two - 1), flat.take(has_two), _SPACE)

    def per_name(values: pa.Array, ends: np.ndarray) -> pa.Array:
        position = np.full(len(names), -1)
        position[parents[ends]] = np.arange(len(ends))
        return values.take(pa.array(position, mask=position < 0))

    return per_name(flat.take(first), first), per_name(pairs, has_two), per_name(flat.take(last), last)


def _rows_holding(words: pa.Array, wanted: pa.Array, pairs: pa.Array) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Which rows of a list array of *words* hold one of the *wanted* words, which hold it after the word that
    makes one of the *pairs* ("word wanted"), and the pairs found."""
    flat, parents = pc.list_flatten(words), np.asarray(pc.list_parent_indices(words))
    hits = np.flatnonzero(np.asarray(pc.is_in(flat, value_set=wanted)))
    holding = np.zeros(len(words), dtype=bool)
    holding[parents[hits]] = True
    hits = hits[hits > 0]
    hits = hits[parents[hits - 1] == parents[hits]]
    found = pc.binary_join_element_wise(flat.take(hits - 1), flat.take(hits), _SPACE)
    paired = pc.is_in(found, value_set=pairs)
    holding_pair = np.zeros(len(words), dtype=bool)
    holding_pair[parents[hits[np.asarray(paired)]]] = True
    return holding, holding_pair, found.filter(paired).unique()


def suppress_small(table: pd.DataFrame, *, size_col: str, min_group_size: int = MIN_GROUP_SIZE,
                   label_col=None) -> pd.DataFrame:
    """Drop rows describing fewer than *min_group_size* members.

    Emits a :class:`~cxresearch.errors.SmallGroupWarning` naming how many rows
    were suppressed, so nobody mistakes a suppressed group for a missing one,
    and, with *label_col* (a column or list of columns; those the table has
    are used), which ones: their first :data:`NAMED_GROUPS` labels, quoted (never their sizes).
    """
    small = table[size_col] < min_group_size
    if small.any():
        values = {"n": format_count(int(small.sum())), "min": format_count(min_group_size)}
        labels = [c for c in ([label_col] if isinstance(label_col, str) else label_col or []) if c in table.columns]
        if labels:
            words = {c: partial(code_label, stage=c == "stage") if COLUMN_KINDS.get(c) == "code" or c == "stage"
                     else str for c in labels}                                 # a code, a stage in the reader's words
            names = (table.loc[small, labels].astype(object)
                     .apply(lambda column: column.map(lambda v: MISSING if pd.isna(v) else words[column.name](v)))
                     .agg(" · ".join, axis=1).drop_duplicates().map("“{}”".format).tolist())
            rest = len(names) - NAMED_GROUPS
            values["n"] = format_count(len(names))
            values["names"] = format_list(names[:NAMED_GROUPS] + [ngettext("%(n)s other", "%(n)s others", rest)
                                                                   % {"n": format_count(rest)}] * (rest > 0))
            message = ngettext("%(n)s group with fewer than %(min)s members hidden: %(names)s.",
                               "%(n)s groups with fewer than %(min)s members hidden: %(names)s.", len(names))
        else:
            message = ngettext("%(n)s group with fewer than %(min)s members suppressed.",
                               "%(n)s groups with fewer than %(min)s members suppressed.", int(small.sum()))
        warnings.warn(message % values, SmallGroupWarning, stacklevel=2)
    return table.loc[~small].copy()
