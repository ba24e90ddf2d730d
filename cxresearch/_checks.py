"""Parameter checks shared by every analysis, with one wording for each kind of mistake.

Every check raises :class:`~cxresearch.errors.ParameterError` with the message
``"<name> must be <what was expected>; got <what was given>."`` (see
:func:`must_be`), adding the closest valid choice for a near miss, as
scikit-learn's parameter validation does.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import ParameterError, did_you_mean


def must_be(name: str, expected: str, value) -> str:
    """The one wording of a parameter problem.

    Examples
    --------
    >>> must_be("top", "a whole number of 1 or more", 0)
    'top must be a whole number of 1 or more; got 0.'
    """
    return f"{name} must be {expected}; got {value!r}."


def check_choice(name: str, value, choices) -> None:
    """Raise unless *value* is one of *choices*, listing them.

    Examples
    --------
    >>> check_choice("metric", "nsp", ["nps", "csat"])
    Traceback (most recent call last):
    ...
    cxresearch.errors.ParameterError: metric must be one of 'nps', 'csat'; got 'nsp'. Did you mean 'nps'?
    """
    choices = list(choices)
    if value not in choices:
        raise ParameterError(must_be(name, f"one of {', '.join(map(repr, choices))}", value)
                             + did_you_mean(str(value), [str(c) for c in choices]))


def check_choices(name: str, values, choices) -> None:
    """:func:`check_choice` for each of *values*."""
    for value in values:
        check_choice(name, value, choices)


def check_columns(frame: pd.DataFrame, columns, what: str) -> None:
    """Raise unless *frame* has every one of *columns*; *what* names the call that needs them."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hints = "".join(did_you_mean(c, frame.columns) for c in missing)
        raise ParameterError(f"{what}: column(s) {missing} not in the table; available: "
                             f"{', '.join(map(str, frame.columns))}.{hints}")


def integer_problem(name: str, value, *, minimum: int = 1) -> str | None:
    """The problem with *value* as a whole number of *minimum* or more (None when there is none)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        return must_be(name, f"a whole number of {minimum} or more", value)
    return None


def check_integer(name: str, value, *, minimum: int = 1) -> None:
    """Raise unless *value* is a whole number of *minimum* or more."""
    problem = integer_problem(name, value, minimum=minimum)
    if problem:
        raise ParameterError(problem)


def check_positive(**values) -> None:
    """Raise unless every keyword's value is a whole number of 1 or more (``min_group_size=5``)."""
    for name, value in values.items():
        check_integer(name, value, minimum=1)


def check_fraction(name: str, value) -> None:
    """Raise unless *value* is a number strictly between 0 and 1 (a confidence level, a rate)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 < value < 1:
        raise ParameterError(must_be(name, "a number between 0 and 1 (exclusive)", value))


def check_duration(name: str, value, *, optional: bool = False) -> pd.Timedelta | None:
    """*value* as a positive :class:`pandas.Timedelta` ('30min', '8W', '7D'); None passes when *optional*.

    Examples
    --------
    >>> check_duration("gap", "30min")
    Timedelta('0 days 00:30:00')
    """
    if value is None and optional:
        return None
    try:
        duration = pd.Timedelta(value)
    except (TypeError, ValueError):
        duration = pd.NaT
    if pd.isna(duration) or duration <= pd.Timedelta(0):
        expected = "a positive duration such as '30min', '8W' or '7D'" + (", or None" if optional else "")
        raise ParameterError(must_be(name, expected, value))
    return duration


def window_problem(name: str, value) -> str | None:
    """The problem with *value* as a whole number of weeks or days (``"8W"``, ``"60D"``), None when there is none.

    Examples
    --------
    >>> window_problem("intervention_window", "2 months")
    "intervention_window must be a whole number of weeks or days such as '8W', '16W' or '60D'; got '2 months'."
    """
    if isinstance(value, str) and _WINDOW.fullmatch(value) and int(value[:-1]) > 0:
        return None
    return must_be(name, "a whole number of weeks or days such as '8W', '16W' or '60D'", value)


_WINDOW = re.compile(r"[0-9]+[WD]")


def check_instance(name: str, value, kind: type, expected: str) -> None:
    """Raise unless *value* is a *kind*; *expected* says what it should be ("a pandas Series customer_id -> persona")."""
    if not isinstance(value, kind):
        raise ParameterError(f"{name} must be {expected}; got a {type(value).__name__}.")
