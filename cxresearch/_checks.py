"""Parameter checks shared by every analysis, with one wording for each kind of mistake.

Each check raises :class:`~cxresearch.errors.ParameterError` saying what was
given, what was expected and, for a near miss, the closest valid choice.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ParameterError, did_you_mean


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
        raise ParameterError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}."
                             f"{did_you_mean(str(value), [str(c) for c in choices])}")


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


def check_positive(**values) -> None:
    """Raise unless every keyword's value is a whole number of 1 or more (``min_group_size=5``)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(f"{name} must be a whole number of 1 or more; got {value!r}.")
