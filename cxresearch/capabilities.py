"""What each analysis needs from a dataset, declared in one place.

Real exports hold some tables and some columns, rarely all. :data:`ANALYSES`
says, for every analysis the routine shows, which tables and columns it needs;
:func:`supported` checks a dataset against it and, for every analysis the data
cannot support, writes one plain sentence saying what to add. The notebooks,
the routine, ``cxresearch validate`` and the summary all read this declaration.

In a notebook, :func:`when` computes a section only when the dataset supports
it and otherwise returns an :class:`Unavailable` that shows its sentence once,
in place of the section; :func:`then` carries an unavailable result on silently
through the cells that would draw or tabulate it.

Examples
--------
>>> from cxresearch.dataset import CXDataset
>>> import pandas as pd
>>> ds = CXDataset("nps export", surveys=pd.DataFrame({"response_id": ["1"], "nps": [9]}))
>>> missing(ds, "ces")
'No CES answers in this dataset: add a `ces` column (1-7) to surveys to see customer effort.'
"""
from __future__ import annotations

import fnmatch
import warnings
from dataclasses import dataclass, field

import pandas as pd

from .display import column_label
from .errors import CXResearchWarning, DataError
from .i18n import N_, _, format_date, format_list, format_number
from .schemas import export_columns

__all__ = ["Requirement", "Analysis", "ANALYSES", "supported", "missing", "available", "present_scores",
           "absent_scores", "when", "then", "Unavailable", "periods"]

#: How each table is added, for the sentences: its file and required columns.
_TABLE_FILES = {
    "customers": N_("a customers file (customer_id and attributes such as age or region)"),
    "events": N_("an events file (customer_id, timestamp, channel, touchpoint)"),
    "surveys": N_("a surveys file (response_id, timestamp and scores)"),
    "reviews": N_("a reviews file (review_id, timestamp, rating, text)"),
    "interventions": N_("an interventions file (intervention_id, start, scope)"),
}


@dataclass(frozen=True)
class Requirement:
    """One thing an analysis needs: a table with rows, and optionally a column with values in it.

    Parameters
    ----------
    table : str
        Canonical table name; empty for a requirement about no single table.
    column : str, optional
        Column that must hold at least one value; a glob such as ``"rating_*"``
        matches any column of that form. Empty: the table with any row.
    absent : str
        What the dataset lacks, for the sentence ("no CES answers").
    fix : str
        What to add, for the sentence ("add a `ces` column (1-7) to surveys").
    """

    table: str
    column: str = ""
    absent: str = ""
    fix: str = ""

    def met(self, ds) -> bool:
        """True when *ds* has the table with rows (and the column with a value)."""
        frame = getattr(ds, self.table, None) if self.table else None
        if frame is None or frame.empty:
            return False
        if not self.column:
            return True
        columns = fnmatch.filter(map(str, frame.columns), self.column)
        return any(frame[c].notna().any() for c in columns)

    def wording(self, ds) -> tuple[str, str]:
        """``(absent, fix)``: about the whole table when the table itself is missing or empty."""
        frame = getattr(ds, self.table, None) if self.table else None
        if self.absent and (not self.table or (frame is not None and not frame.empty)):
            return _(self.absent), _(self.fix)
        table = {"table": column_label(self.table)}
        if frame is not None and frame.empty:
            return _("no %(table)s in the period analysed") % table, _("widen the period or add %(table)s") % table
        return _("no %(table)s") % table, _("add %(file)s") % {"file": _(_TABLE_FILES[self.table])}


@dataclass(frozen=True)
class _Mappable(Requirement):
    """A column exports often name otherwise: when it is absent, a column with one of its usual export names
    (:func:`~cxresearch.schemas.export_columns`) that holds values is named in the fix, with its mapping."""

    def source(self, ds) -> str | None:
        """The table's column that looks like this one ("review" for reviews' ``text``), or None."""
        frame = getattr(ds, self.table, None)
        if frame is None or frame.empty or self.column in frame.columns:
            return None
        return next((column for column in export_columns(self.column, frame.columns)
                     if self._fits(frame[column], column)), None)

    def _fits(self, values: pd.Series, column: str) -> bool:
        return bool(values.notna().any())

    def wording(self, ds) -> tuple[str, str]:
        absent, fix = super().wording(ds)
        source = self.source(ds)
        if source is None:
            return absent, fix
        return absent, _("map its column `%(source)s` to `%(column)s` under columns.%(table)s in dataset.yml "
                         "(%(source)s: %(column)s)") % {"source": source, "column": self.column, "table": self.table}


#: The survey scores' scales, narrowest first.
_SCALES = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}


@dataclass(frozen=True)
class _Score(_Mappable):
    """A survey score of :data:`_SCALES`, mappable from a column whose answers fit its scale and no narrower
    one of a score with that name ("Score" 0-10 is NPS, "Score" 1-5 is CSAT)."""

    def _fits(self, values: pd.Series, column: str) -> bool:
        values = pd.to_numeric(values, errors="coerce").dropna()
        fits = [score for score, scale in _SCALES.items()
                if len(values) and values.between(*scale).all() and column in export_columns(score, [column])]
        return bool(fits) and fits[0] == self.column

    def wording(self, ds) -> tuple[str, str]:
        absent, fix = Requirement.wording(self, ds)
        source = self.source(ds)
        if source is None:
            return absent, fix
        values = pd.to_numeric(ds.surveys[source], errors="coerce")
        decimals = 0 if (values.dropna() % 1 == 0).all() else 1
        return absent, _("map the surveys' column `%(source)s` (answers %(low)s to %(high)s) to `%(column)s` under "
                         "columns.surveys in dataset.yml (%(source)s: %(column)s)") % {
            "source": source, "column": self.column, "low": format_number(values.min(), decimals=decimals),
            "high": format_number(values.max(), decimals=decimals)}


@dataclass(frozen=True)
class _DriverOutcome(Requirement):
    """A two-valued outcome of the surveys that key drivers can explain (:func:`~cxresearch.drivers.driver_outcome`)."""

    def met(self, ds) -> bool:
        from .drivers import driver_outcome   # here: the drivers' statistics load only when asked

        return super().met(ds) and driver_outcome(ds.surveys) is not None


@dataclass(frozen=True)
class _CustomerOutcome(Requirement):
    """A yes/no outcome column of the customers (:func:`~cxresearch.outcomes.outcome_column`)."""

    def met(self, ds) -> bool:
        from .outcomes import outcome_column   # here: the intervals' statistics load only when asked

        return super().met(ds) and outcome_column(ds.customers) is not None


@dataclass(frozen=True)
class _StagesRequirement(Requirement):
    """Journey stages: a ``stage`` column in events or the ``stages`` of ``dataset.yml``."""

    def met(self, ds) -> bool:
        return super().met(ds) and (bool(ds.stages) or Requirement("events", "stage").met(ds))


@dataclass(frozen=True)
class _CustomerAttributes(Requirement):
    """Customers with at least one attribute besides their id."""

    def met(self, ds) -> bool:
        return super().met(ds) and any(ds.customers[c].notna().any() for c in ds.customers.columns
                                       if c != "customer_id")


@dataclass(frozen=True)
class _AnyOf(Requirement):
    """Met when any of ``options`` is met."""

    options: tuple[Requirement, ...] = ()

    def met(self, ds) -> bool:
        return any(option.met(ds) for option in self.options)

    def wording(self, ds) -> tuple[str, str]:
        """The option's own fix when one names a column of the data to map (:class:`_Score`), else the whole's."""
        mapped = next((option for option in self.options if isinstance(option, _Mappable) and option.source(ds)),
                      None)
        return (_(self.absent), mapped.wording(ds)[1]) if mapped else super().wording(ds)


@dataclass(frozen=True)
class Analysis:
    """An analysis the routine shows and what it needs.

    Attributes
    ----------
    key : str
        Identifier used by :func:`when` and :func:`missing` (``"key_drivers"``).
    label : str
        Name shown to readers ("Key drivers").
    purpose : str
        What the reader would see, ending the sentence ("to see ...").
    needs : tuple of Requirement
        Everything it needs; all must be met.
    """

    key: str
    label: str
    purpose: str
    needs: tuple[Requirement, ...] = field(default=())

    def missing(self, ds) -> str | None:
        """The sentence saying what *ds* lacks for this analysis, or None when it has everything."""
        unmet = [need for need in self.needs if not need.met(ds)]
        if not unmet:
            return None
        wordings = list(dict.fromkeys(need.wording(ds) for need in unmet))
        absent = format_list(list(dict.fromkeys(a for a, f in wordings)))
        fix = format_list(list(dict.fromkeys(f for a, f in wordings)))
        sentence = _("%(absent)s in this dataset: %(fix)s %(purpose)s.") % {
            "absent": absent, "fix": fix, "purpose": _(self.purpose)}
        return sentence[0].upper() + sentence[1:]


_EVENTS = Requirement("events")
_SURVEYS = Requirement("surveys")
_NPS = _Score("surveys", "nps", N_("no NPS answers"), N_("add an `nps` column (0-10) to surveys"))
_CSAT = _Score("surveys", "csat", N_("no CSAT answers"), N_("add a `csat` column (1-5) to surveys"))
_CES = _Score("surveys", "ces", N_("no CES answers"), N_("add a `ces` column (1-7) to surveys"))
_SCORES = _AnyOf("surveys", absent=N_("no NPS, CSAT or CES answers"),
                 fix=N_("add an `nps` (0-10), `csat` (1-5) or `ces` (1-7) column to surveys"),
                 options=(_NPS, _CSAT, _CES))
_OUTCOME = _AnyOf("surveys", absent=N_("no NPS, CSAT or satisfaction outcome"),
                  fix=N_("add an `nps` (0-10) or `csat` (1-5) column, or a two-valued satisfaction column "
                         "(satisfied / dissatisfied), to surveys"),
                  options=(_NPS, _CSAT, _DriverOutcome("surveys")))
_RATINGS = Requirement("surveys", "rating_*", N_("no touchpoint ratings"),
                       N_("add `rating_<touchpoint>` columns (1-5) to surveys"))
_REVIEW_TEXTS = _Mappable("reviews", "text", N_("no review texts"), N_("add a `text` column to reviews"))
_COMMENTS = _Mappable("surveys", "comment", N_("no survey comments"), N_("add a `comment` column to surveys"))
_STAGES = _StagesRequirement("events", absent=N_("no journey stages"),
                             fix=N_("add a `stage` column to events or a `stages:` section to dataset.yml"))
_PER_CUSTOMER = _AnyOf(
    "", absent=N_("no per-customer data"),
    fix=N_("add events, customers with attributes (age, region, plan...), or a `customer_id` column to surveys "
           "or reviews"),
    options=(_EVENTS, _CustomerAttributes("customers"), Requirement("surveys", "customer_id"),
             Requirement("reviews", "customer_id")))

#: Every analysis the routine shows, in the order of the report.
ANALYSES: dict[str, Analysis] = {a.key: a for a in (
    Analysis("personas", N_("Buyer personas"), N_("to see buyer personas"), (_PER_CUSTOMER,)),
    Analysis("journeys", N_("Journey map"), N_("to see the customer journey"), (_EVENTS,)),
    Analysis("funnel", N_("Journey stages"),
             N_("to see how many customers each journey stage reaches and loses"), (_EVENTS, _STAGES)),
    Analysis("pain_points", N_("Pain points"), N_("to see where journeys break"), (_EVENTS,)),
    Analysis("kpis", N_("KPIs"), N_("to see how customers rate you"), (_SURVEYS, _SCORES)),
    Analysis("nps", N_("NPS"), N_("to see the Net Promoter Score"), (_SURVEYS, _NPS)),
    Analysis("csat", N_("CSAT"), N_("to see customer satisfaction"), (_SURVEYS, _CSAT)),
    Analysis("ces", N_("CES"), N_("to see customer effort"), (_SURVEYS, _CES)),
    Analysis("kpis_by_channel", N_("NPS by channel"), N_("to compare NPS across channels"),
             (_SURVEYS, _NPS, Requirement("surveys", "channel", N_("no survey channels"),
                                          N_("add a `channel` column to surveys")))),
    Analysis("trend", N_("NPS trend"), N_("to see NPS month by month"), (_SURVEYS, _NPS)),
    Analysis("key_drivers", N_("Key drivers"), N_("to see which touchpoints drive NPS or satisfaction"),
             (_SURVEYS, _OUTCOME, _RATINGS)),
    Analysis("ratings", N_("Review ratings"), N_("to see how reviewers rate you"),
             (Requirement("reviews"), Requirement("reviews", "rating", N_("no review stars"),
                                                  N_("add a `rating` column (1-5) to reviews")))),
    Analysis("sentiment", N_("Review sentiment"), N_("to see how reviewers feel"),
             (Requirement("reviews"), _REVIEW_TEXTS)),
    Analysis("review_topics", N_("Review themes"), N_("to see what reviewers write about"),
             (Requirement("reviews"), _REVIEW_TEXTS)),
    Analysis("topics", N_("Comment topics"), N_("to see what customers write about"), (_SURVEYS, _COMMENTS)),
    Analysis("topic_impact", N_("Impact of topics"), N_("to see which themes lower NPS or satisfaction"),
             (_SURVEYS, _COMMENTS, _OUTCOME)),
    Analysis("interventions", N_("Interventions"), N_("to measure what each change did"),
             (Requirement("interventions"),
              _AnyOf("", absent=N_("no events or surveys to measure them on"), fix=N_("add events or surveys"),
                     options=(_EVENTS, _SURVEYS)))),
    Analysis("outcome", N_("Customer outcome"),
             N_("to see the share of customers who buy, subscribe or leave, overall and per persona"),
             (_CustomerOutcome("customers", absent=N_("no yes/no outcome column in the customers table"),
                               fix=N_("add one (1/0, `yes`/`no` or `true`/`false`) named `subscribed`, `purchased`, "
                                      "`converted`, `won` or `churn`")),)),
)}


def missing(ds, analysis: str) -> str | None:
    """The sentence saying what *ds* lacks for *analysis*, or None when it supports it.

    Raises
    ------
    KeyError
        For an unknown analysis key (the message lists the valid ones).
    """
    return _analysis(analysis).missing(ds)


def available(ds, analysis: str) -> bool:
    """True when *ds* has everything *analysis* needs."""
    return missing(ds, analysis) is None


def supported(ds) -> pd.DataFrame:
    """Which analyses *ds* supports: one row per analysis of :data:`ANALYSES`, in report order.

    Returns
    -------
    DataFrame
        ``key``, ``analysis`` (its label), ``available`` (bool) and ``missing``
        (the sentence saying what to add; empty when available).
    """
    rows = [{"key": a.key, "analysis": _(a.label), "missing": a.missing(ds) or ""} for a in ANALYSES.values()]
    table = pd.DataFrame(rows, columns=["key", "analysis", "missing"])
    return table.assign(available=table["missing"] == "")[["key", "analysis", "available", "missing"]]


def periods(ds) -> pd.DataFrame:
    """Rows, columns and time span of each table of *ds*, as people read them.

    :meth:`~cxresearch.dataset.CXDataset.overview` with ``first`` and ``last``
    as dates in words, or "no dates" for a table without timestamps or with
    only the recipes' :data:`~cxresearch.recipes.UNDATED` (an undated export):
    its period is not in the data, and the page must not show the Unix epoch.

    Examples
    --------
    >>> from cxresearch.dataset import CXDataset
    >>> from cxresearch.recipes import UNDATED
    >>> ds = CXDataset("x", surveys=pd.DataFrame({"response_id": ["1"], "timestamp": [UNDATED], "nps": [9]}))
    >>> periods(ds)[["table", "first", "last"]].to_dict("records")
    [{'table': 'surveys', 'first': 'no dates', 'last': 'no dates'}]
    """
    from .recipes import UNDATED

    table = ds.overview()
    undated = table["first"].isna() | (table["first"].eq(UNDATED) & table["last"].eq(UNDATED))
    for end in ("first", "last"):
        table[end] = table[end].map(lambda when: format_date(when, format="medium")).mask(undated, _("no dates"))
    return table


def present_scores(ds) -> list[str]:
    """The survey scores *ds* has answers for, of ``nps``, ``csat`` and ``ces`` (the metrics to ask KPIs of)."""
    return [key for key in ("nps", "csat", "ces") if available(ds, key)]


def absent_scores(ds) -> str:
    """The sentences naming the survey scores *ds* has no answers for, with what to add ("" when surveys have
    every score, or when there are no surveys at all: the page says that once already)."""
    if not available(ds, "kpis"):
        return ""
    return " ".join(missing(ds, key) for key in ("nps", "csat", "ces") if not available(ds, key))


def _analysis(key: str) -> Analysis:
    try:
        return ANALYSES[key]
    except KeyError:
        raise KeyError(f"unknown analysis {key!r}; expected one of {', '.join(ANALYSES)}.") from None


class Unavailable:
    """What a notebook section shows instead of a result its data cannot support.

    Displayed in a notebook it shows its sentence, once: everything derived from
    it (attributes, items, calls, :func:`then`) is unavailable too and shows
    nothing, so a section prints one sentence however many cells it has.
    """

    def __init__(self, sentence: str, *, _shown: list | None = None):
        self.sentence = sentence
        self._shown = [False] if _shown is None else _shown

    def _derived(self) -> "Unavailable":
        return Unavailable(self.sentence, _shown=self._shown)

    def __getattr__(self, name):
        if name.startswith("_"):  # private and IPython's probes (``_ipython_canary_method_should_not_exist_``)
            raise AttributeError(name)
        return self._derived()

    def __call__(self, *args, **kwargs):
        return self._derived()

    # indexing and arithmetic stay unavailable too
    __getitem__ = __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __call__
    __neg__ = __call__

    def __iter__(self):
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return self.sentence

    def __format__(self, spec: str) -> str:  # in an f-string of a cell (a caption): nothing
        return ""

    def _repr_markdown_(self) -> str:
        """The sentence as a page shows it (the routine writes it so on a page it runs no kernel for)."""
        return f"*{self.sentence}*"

    def _ipython_display_(self) -> None:
        if self._shown[0]:
            return
        self._shown[0] = True
        from IPython.display import Markdown, display

        display(Markdown(self._repr_markdown_()))


def when(ds, analysis: str, compute, /, *args, **kwargs):
    """``compute(*args, **kwargs)`` when *ds* supports *analysis*, else an :class:`Unavailable` saying why.

    A :class:`~cxresearch.errors.DataError` raised by *compute* (the data has
    what the analysis needs, but too little of it) is unavailable too, with the
    error's message as the sentence. An argument that is itself unavailable makes the result unavailable
    (silently: its own sentence was shown already). The warnings cxresearch
    raises while computing name the analysis ("NPS by channel: 2 groups ...
    suppressed."), so the page's notes say where they arose.
    """
    upstream = _unavailable((compute, *args), kwargs)
    if upstream is not None:
        return upstream._derived()
    sentence = missing(ds, analysis)
    if sentence:
        return Unavailable(sentence)
    label = _(ANALYSES[analysis].label)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = compute(*args, **kwargs)
        except DataError as exc:  # the data has the columns but not enough in them (too few customers...)
            result = Unavailable(_too_little(ANALYSES[analysis], exc))
    for w in caught:
        ours = issubclass(w.category, CXResearchWarning)
        message = w.category(f"{label}: {w.message}") if ours else w.message
        warnings.warn_explicit(message, w.category, w.filename, w.lineno)
    return result


def then(compute, /, *args, **kwargs):
    """``compute(*args, **kwargs)``, or the unavailable argument carried on (shown nothing) when there is one."""
    upstream = _unavailable((compute, *args), kwargs)
    return upstream._derived() if upstream is not None else compute(*args, **kwargs)


def _too_little(analysis: Analysis, error: DataError) -> str:
    """The sentence for an analysis whose data was there but too little (the error's own words)."""
    words = getattr(error, "sentence", None) or " ".join(problem.message for problem in error.problems)
    return _("%(analysis)s could not be computed: %(reason)s") % {"analysis": _(analysis.label), "reason": words}


def _unavailable(args, kwargs) -> Unavailable | None:
    return next((value for value in (*args, *kwargs.values()) if isinstance(value, Unavailable)), None)
