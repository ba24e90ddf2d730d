"""Exceptions and warnings of cxresearch.

Every error the library raises on purpose derives from :class:`CXResearchError`.
Bad input raises :class:`DataError`, which carries every :class:`Problem` found
in the input at once, each naming the file, the column, what was expected and
(1-based) line numbers with the offending values.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

MAX_EXAMPLES = 10


class CXResearchError(Exception):
    """Root of every error raised by cxresearch."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Parameters
    ----------
    file : str
        File name (not the full path) the problem was found in.
    message : str
        What was found and what was expected.
    column : str, optional
        Column the problem is in, as named in the file.
    lines : tuple of int
        Up to ``MAX_EXAMPLES`` 1-based line numbers of a CSV file (header = line 1);
        for Parquet files and in-memory tables, 1-based row numbers.
    values : tuple
        The offending values at those lines.
    count : int
        How many rows have the problem in all (may exceed ``len(lines)``).
    """

    file: str
    message: str
    column: str | None = None
    lines: tuple[int, ...] = field(default_factory=tuple)
    values: tuple = field(default_factory=tuple)
    count: int = 0

    def __str__(self) -> str:
        """The problem in the reader's language: file, column, message, then the rows and values."""
        from .i18n import _, ngettext

        where = f"{self.file}"
        if self.column is not None:
            where += _(", column '%(column)s'") % {"column": self.column}
        text = f"{where}: {self.message}"
        if self.lines:
            examples = ", ".join(f"{line_label(self.file, line)}: {_show(value)}"
                                 for line, value in zip(self.lines, self.values))
            if self.count > len(self.lines):
                examples += " " + _("(and %(n)s more)") % {"n": self.count - len(self.lines)}
            text += " [" + ngettext("%(count)s row; %(examples)s", "%(count)s rows; %(examples)s",
                                    self.count) % {"count": self.count, "examples": examples} + "]"
        return text


def line_label(file: str, line: int) -> str:
    """Where a row of *file* is, as its reader finds it: "line 12" of a text file (the header is line 1), "row 12"
    of a Parquet file, a workbook or a table in memory."""
    from .i18n import _

    text = str(file).lower().endswith((".csv", ".csv.gz", ".txt", ".tsv", ".tab"))
    return (_("line %(line)s") if text else _("row %(line)s")) % {"line": line}


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "...'"


class DataError(CXResearchError):
    """Input data that cannot be used as it is.

    ``problems`` lists every :class:`Problem` found, so one error tells the user
    everything to fix in a file (or a dataset folder).
    """

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="<input>", message=problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        files = sorted({p.file for p in self.problems})
        from .i18n import ngettext

        head = ngettext("%(n)s problem in %(files)s", "%(n)s problems in %(files)s", len(self.problems)) % {
            "n": len(self.problems), "files": ", ".join(files)}
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class ParameterError(CXResearchError, ValueError):
    """A function or routine parameter outside its valid choices."""


class CXResearchWarning(UserWarning):
    """Root of the warnings cxresearch emits."""


class DataWarning(CXResearchWarning):
    """Input that loads but deserves attention (orphan ids, dropped rows...)."""


class SmallGroupWarning(CXResearchWarning):
    """Groups were suppressed because they had fewer than ``min_group_size`` members."""


class WeightingWarning(CXResearchWarning):
    """Survey weights so uneven that weighted estimates rest on few effective answers."""


def did_you_mean(name: str, choices) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest of *choices*, or ``""``.

    Examples
    --------
    >>> did_you_mean("timestmap", ["timestamp", "channel"])
    " Did you mean 'timestamp'?"
    """
    from .i18n import _

    close = closest(name, choices)
    return " " + _("Did you mean '%(name)s'?") % {"name": close} if close is not None else ""


def closest(name: str, choices):
    """The choice most like *name* (case-insensitive, difflib ratio >= 0.6), or None.

    Examples
    --------
    >>> closest("timestmap", ["timestamp", "channel"])
    'timestamp'
    """
    close = difflib.get_close_matches(str(name).lower(), [str(c).lower() for c in choices], n=1, cutoff=0.6)
    return {str(c).lower(): c for c in choices}[close[0]] if close else None


@dataclass
class ValidationReport:
    """Everything :func:`validate` found in a dataset folder.

    Attributes
    ----------
    problems : list of Problem
        What makes the dataset unusable; :func:`load_dataset` raises them as one DataError.
    warnings : list of str
        What loads but deserves attention (orphan ids, future timestamps...).
    notes : list of str
        What the loader did (PII dropped, identities linked, stages filled...).
    """

    path: Path
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def markdown(self) -> str:
        """The report as a Markdown list for a page, in the reader's language (:mod:`cxresearch.i18n`)."""
        from .i18n import _, format_count, ngettext

        counts = {"problems": format_count(len(self.problems)), "warnings": format_count(len(self.warnings))}
        head = (ngettext("%(problems)s problem", "%(problems)s problems", len(self.problems)) % counts + ", "
                + ngettext("%(warnings)s warning", "%(warnings)s warnings", len(self.warnings)) % counts)
        labelled = [(_("error"), self.problems), (_("warning"), self.warnings), (_("note"), self.notes)]
        return "\n".join([f"- **{head}**"] + [f"- {label}: {item}" for label, items in labelled for item in items])

    def __str__(self) -> str:
        """The report as plain lines for a terminal, in the reader's language."""
        from .i18n import _, format_count, ngettext

        status = _("OK") if self.ok else ngettext("%(problems)s problem", "%(problems)s problems", len(
            self.problems)) % {"problems": format_count(len(self.problems))}
        labelled = [(_("error"), self.problems), (_("warning"), self.warnings), (_("note"), self.notes)]
        return "\n".join([f"{self.path.name}: {status}"]
                         + [f"  {label}: {item}" for label, items in labelled for item in items])
