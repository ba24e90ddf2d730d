"""Notes for people instead of warnings: what a page hid or skipped, and why.

Library code raises typed warnings (:class:`~cxresearch.errors.CXResearchWarning`
and its subclasses, or any warning class cxresearch defines: small groups
suppressed, orphan rows, unstable personas, texts in unscored languages...).
A notebook turns them into notes with one line of its setup cell::

    notes.collect("Voice of the customer", run_dir=params.run_dir)

From then on every cell runs with its warnings captured; after the cell, the
library's warnings become one readable note (their messages, without source
paths), kept for the page's "Notes on this run" box (:func:`box`, the page's
last cell) and, inside a routine run, saved in the run folder so the summary
lists the notes of every page (:func:`run_box`). Other libraries' warnings are
for developers: inside a run they go to the run's ``kernel.log``; by hand they
are shown as usual.
"""
from __future__ import annotations

import contextlib
import json
import re
import warnings
from pathlib import Path

from .errors import CXResearchWarning
from .i18n import N_, _

__all__ = ["collect", "captured", "box", "record", "read", "save", "KERNEL_LOG", "NOTES_DIR", "PAGES"]

#: The pages of the routine that collect notes, by the names their notebooks give them (translated when shown).
PAGES = (N_("Data quality"), N_("Personas"), N_("Journey map"), N_("Voice of the customer"), N_("Executive summary"),
         N_("Interventions"), N_("Loading the data"))

#: File of a run folder receiving the kernels' own output and other libraries' warnings.
KERNEL_LOG = "kernel.log"
#: Folder of a run folder holding each page's notes (``<page>.json``).
NOTES_DIR = "notes"


class _Collector:
    """Captures the warnings of each cell and keeps the notes of one page."""

    def __init__(self, page: str, run_dir: str):
        self.page, self.run_dir = page, run_dir
        self.notes: list[str] = []
        self._catcher = self._caught = None

    def before_cell(self, info=None) -> None:
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")  # every warning recorded, each cell: notes or the kernel log

    def after_cell(self, result=None) -> None:
        if self._catcher is None:  # the cell that enabled the collector
            return
        self._catcher.__exit__(None, None, None)
        caught, self._catcher = self._caught, None
        note = record([w.message for w in caught if _ours(w.category)])
        if note and note not in self.notes:
            self.notes.append(note)
            if self.run_dir:
                save(self.run_dir, self.page, self.notes)
        for w in caught:
            if not _ours(w.category):
                self._technical(w)

    def _technical(self, w) -> None:
        """Another library's warning: to the run's kernel log, or shown as usual by hand."""
        if not self.run_dir:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            return
        with open(Path(self.run_dir) / KERNEL_LOG, "a", encoding="utf-8") as log:
            log.write(f"[{self.page}] " + warnings.formatwarning(w.message, w.category, w.filename, w.lineno))


def _ours(category: type) -> bool:
    """True for the warnings cxresearch raises (its own classes, wherever they derive from)."""
    return issubclass(category, CXResearchWarning) or category.__module__.split(".")[0] == "cxresearch"


#: The collector of the notebook running in this kernel (at most one).
_ACTIVE: list[_Collector] = []


def collect(page: str, *, run_dir: str = "") -> None:
    """Turn the warnings of every following cell of this notebook into notes for *page*.

    Parameters
    ----------
    page : str
        Title of the page, as the summary lists its notes.
    run_dir : str
        Folder of the routine run (the notes are saved there); empty by hand.
    """
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    for old in _ACTIVE:
        shell.events.unregister("pre_run_cell", old.before_cell)
        shell.events.unregister("post_run_cell", old.after_cell)
    collector = _Collector(page, run_dir)
    shell.events.register("pre_run_cell", collector.before_cell)
    shell.events.register("post_run_cell", collector.after_cell)
    _ACTIVE[:] = [collector]


@contextlib.contextmanager
def captured(page: str, *, run_dir: str = ""):
    """Run the ``with`` block as a cell of *page*: its library warnings become one note saved in *run_dir*."""
    collector = _Collector(page, run_dir)
    collector.before_cell()
    try:
        yield collector
    finally:
        collector.after_cell()


def record(messages) -> str:
    """One readable note from the warning *messages* of a cell: distinct messages, capitalised, joined."""
    sentences = []
    for message in map(str, messages):
        text = re.sub(r"\s+", " ", message).strip()
        if text:
            text = text[0].upper() + text[1:]
            sentences.append(text if text.endswith((".", "!", "?")) else text + ".")
    return " ".join(dict.fromkeys(sentences))


def save(run_dir, page: str, notes: list[str]) -> Path:
    """Write the *notes* of *page* into the run folder (read back by :func:`read`)."""
    folder = Path(run_dir) / NOTES_DIR
    folder.mkdir(exist_ok=True)
    path = folder / (re.sub(r"[^a-z0-9]+", "_", page.lower()).strip("_") + ".json")
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps({"page": page, "notes": notes}, ensure_ascii=False, indent=1), encoding="utf-8")
    temporary.replace(path)
    return path


def read(run_dir) -> dict[str, list[str]]:
    """Page -> notes saved in the run folder, in the order the pages were written."""
    folder = Path(run_dir) / NOTES_DIR if run_dir else None
    if folder is None or not folder.is_dir():
        return {}
    saved = [json.loads(path.read_text(encoding="utf-8")) for path in
             sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)]
    return {entry["page"]: entry["notes"] for entry in saved if entry["notes"]}


def _once(by_page: dict[str, list[str]]) -> dict[str, list[str]]:
    """The pages in the routine's order (:data:`PAGES`, others after), each note under the first page that has it:
    a result several pages use (the personas, the key drivers) notes what it hid on each of them. A note that
    another page's note repeats after naming its analysis ("Interventions: 2 groups ...") is left to that one."""
    order = sorted(by_page, key=lambda page: PAGES.index(page) if page in PAGES else len(PAGES))
    every = {note for notes in by_page.values() for note in notes}
    seen: set[str] = {note for note in every if any(other.endswith(": " + note) for other in every)}
    shown = {}
    for page in order:
        shown[page] = [note for note in by_page[page] if note not in seen]
        seen.update(by_page[page])
    return shown


def box(run_dir: str = ""):
    """The "Notes on this run" box (Markdown): this page's notes, or with *run_dir* every page's, by page
    (a note several pages share, under the first of them)."""
    from IPython.display import Markdown

    by_page = _once(read(run_dir)) if run_dir else {"": _ACTIVE[0].notes if _ACTIVE else []}
    blocks = [f"*{_(page)}*\n\n" * bool(page) + "\n".join(f"- {note}" for note in notes)
              for page, notes in by_page.items() if notes]
    text = "\n\n".join(["**" + _("Notes on this run") + "**"]
                        + (blocks or [_("Nothing to note: no group was hidden and no row was left out.")]))
    return Markdown("\n".join(f"> {line}".rstrip() for line in text.splitlines()))
