"""Personal data: PII columns, salted identity hashes, text redaction, small-cell suppression.

- Raw PII columns (:data:`PII_COLUMNS`) never leave the loader unless asked for.
- Identities are joined through salted, vectorised hashes (:func:`identity_hash`);
  the salt comes from ``CXRESEARCH_SALT`` or, when unset, is random per process,
  so hashes are never stable across machines unless you choose so.
- :func:`redact_pii` replaces emails, phone numbers, IBANs and card numbers in
  free text with placeholders; every text the library shows goes through it.
- :func:`suppress_small` hides groups with fewer than ``min_group_size`` members.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import warnings

import numpy as np
import pandas as pd

from .errors import SmallGroupWarning

__all__ = ["PII_COLUMNS", "MIN_GROUP_SIZE", "identity_hash", "normalise_email", "normalise_phone",
           "redact_pii", "suppress_small"]

#: Canonical column names treated as personal data.
PII_COLUMNS = ("email", "phone", "name", "first_name", "last_name", "address")

#: Smallest group any table, card or chart may describe.
MIN_GROUP_SIZE = 5

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
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d(?:[\s./-]?\(?\d\)?){7,14}(?![\w])")
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


def _luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    checksum = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        checksum += d
    return 13 <= len(digits) <= 19 and checksum % 10 == 0


def _redact_one(text: str) -> str:
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub("[iban]", text)
    text = _CARD.sub(lambda m: "[card]" if _luhn_ok(m.group()) else m.group(), text)
    return _PHONE.sub(lambda m: m.group() if _DATE.fullmatch(m.group().strip()) else "[phone]", text)


def redact_pii(text):
    """Replace emails, phone numbers, IBANs and card numbers with placeholders.

    Accepts one string or a Series of strings (missing values stay missing).
    Card numbers are replaced only when their Luhn checksum holds; phone numbers
    are runs of 8 to 15 digits with the usual separators, with or without a
    ``+``/``00`` country prefix (Italian and international formats).

    Examples
    --------
    >>> redact_pii("Write to mario.rossi@example.it or call +39 333 123 4567")
    'Write to [email] or call [phone]'
    >>> redact_pii("IBAN IT60 X054 2811 1010 0000 0123 456, card 4111 1111 1111 1111")
    'IBAN [iban], card [card]'
    """
    if isinstance(text, pd.Series):
        out = text.astype("string")
        mask = out.notna()
        out[mask] = [_redact_one(t) for t in out[mask]]
        return out
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return text
    return _redact_one(str(text))


def suppress_small(table: pd.DataFrame, *, size_col: str, min_group_size: int = MIN_GROUP_SIZE) -> pd.DataFrame:
    """Drop rows describing fewer than *min_group_size* members.

    Emits a :class:`~cxresearch.errors.SmallGroupWarning` naming how many rows
    were suppressed, so nobody mistakes a suppressed group for a missing one.
    """
    small = table[size_col] < min_group_size
    if small.any():
        warnings.warn(f"{int(small.sum())} group(s) with fewer than {min_group_size} members suppressed.",
                      SmallGroupWarning, stacklevel=2)
    return table.loc[~small].copy()
