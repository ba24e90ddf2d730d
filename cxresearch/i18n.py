"""The language of the pages: translated messages and locale formats of numbers and dates.

Every sentence a reader sees is written in English in the code, the templates
and the notebooks' Markdown, wrapped in :func:`_` (or :func:`ngettext` when it
depends on a count). The translations live in gettext catalogs,
``cxresearch/locale/<lang>/LC_MESSAGES/cxresearch.po``, read with Babel when a
language is first used (no compiled files to keep in step). ``make messages``
extracts the messages (``babel.cfg``: Python, Jinja templates and the Markdown
cells of the notebooks, through :func:`extract_notebook`) and updates the
catalogs.

The language in force is the one set with :func:`set_language` (or
:func:`using`), else the ``CXRESEARCH_LANG`` environment variable (the routine
sets it for the notebooks' kernels), else English. Numbers, percentages and
dates are written with the language's conventions by Babel (``1,234.5`` and
``December 1, 2026`` in English, ``1.234,5`` and ``1 dicembre 2026`` in
Italian).

Examples
--------
>>> with using("it"):
...     format_number(1234.5), format_percent(0.756), format_date("2026-12-01")
('1.234,5', '75,6%', '1 dicembre 2026')
>>> format_number(1234.5), format_percent(0.756), format_date("2026-12-01")
('1,234.5', '75.6%', 'December 1, 2026')
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gettext
import io
import json
import math
import os
import re
from pathlib import Path

from .errors import ParameterError

__all__ = ["_", "ngettext", "pgettext", "N_", "LANGUAGES", "LANGUAGE_VARIABLE", "get_language", "set_language", "using",
           "check_language", "elide", "number_locale", "number_symbols", "format_number", "format_count", "format_significant", "format_percent",
           "format_date", "format_datetime", "format_period", "format_list", "language_name", "stage_label",
           "attribute_label", "plotly_locales", "install", "translate_markdown", "translate_notebook", "extract_notebook",
           "extract_labels"]

#: Languages the pages can be written in (English is the source language).
LANGUAGES = ("en", "it")
#: Environment variable naming the language (inherited by the routine's kernels).
LANGUAGE_VARIABLE = "CXRESEARCH_LANG"
#: Gettext domain of the catalogs.
DOMAIN = "cxresearch"
#: Folder of the message catalogs.
LOCALE_DIR = Path(__file__).parent / "locale"
#: What a missing value reads as.
MISSING = "–"

_language: str | None = None


def check_language(language) -> str:
    """*language* as a code of :data:`LANGUAGES` (``"IT"`` and ``"it_IT"`` read as ``"it"``).

    Raises
    ------
    ParameterError
        For a language without a catalog, listing the valid ones.
    """
    code = str(language).strip().lower().replace("-", "_").split("_")[0]
    if code not in LANGUAGES:
        raise ParameterError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}.")
    return code


def get_language() -> str:
    """The language in force: set with :func:`set_language`, else ``CXRESEARCH_LANG``, else English."""
    if _language is not None:
        return _language
    from_environment = os.environ.get(LANGUAGE_VARIABLE, "").strip()
    return check_language(from_environment) if from_environment else LANGUAGES[0]


def set_language(language: str | None) -> None:
    """Write every page in *language* from now on (None: back to ``CXRESEARCH_LANG``, else English)."""
    global _language
    _language = None if language is None else check_language(language)


@contextlib.contextmanager
def using(language: str | None):
    """Within the block, write in *language* (None: keep the language in force).

    The environment variable is set too, so kernels started inside (the
    routine's notebooks) write in the same language; both are restored after.
    """
    global _language
    if language is None:
        yield get_language()
        return
    code = check_language(language)
    saved, saved_environment = _language, os.environ.get(LANGUAGE_VARIABLE)
    _language, os.environ[LANGUAGE_VARIABLE] = code, code
    try:
        yield code
    finally:
        _language = saved
        if saved_environment is None:
            os.environ.pop(LANGUAGE_VARIABLE, None)
        else:
            os.environ[LANGUAGE_VARIABLE] = saved_environment


# ----------------------------------------------------------------------------- messages
@functools.lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    """The catalog of *language*, read from its ``.po`` file with Babel (English: messages as written)."""
    catalog_file = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == LANGUAGES[0] or not catalog_file.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalog_file.open("rb") as stream:
        catalog = read_po(stream, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class Message(str):
    """A translated message whose ``%`` filling also elides the articles before numbers (see :func:`elide`).

    ``_("... with %(share)s of customers") % {...}`` in Italian reads "con l'89%"
    this way, not "con il 89%": the translator writes the article as for any
    number, the filled sentence gets the form the number asks for.
    """

    __slots__ = ()

    def __mod__(self, values) -> str:
        return elide(str.__mod__(self, values))


def _(message: str) -> str:
    """*message* in the language in force (as written when the catalog lacks it)."""
    return Message(_translations(get_language()).gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for the count *n*, in the language in force.

    Examples
    --------
    >>> ngettext("%(n)d customer", "%(n)d customers", 3) % {"n": 3}
    '3 customers'
    """
    return Message(_translations(get_language()).ngettext(singular, plural, n))


def pgettext(context: str, message: str) -> str:
    """*message* in the language in force, as translated in *context* (one English word, two Italian ones).

    Examples
    --------
    >>> pgettext("persona name", "new")
    'new'
    """
    return Message(_translations(get_language()).pgettext(context, message))


def N_(message: str) -> str:
    """Mark *message* for the catalogs without translating it now (translate with :func:`_` where shown)."""
    return message


# ----------------------------------------------------------------------------- articles
#: Italian articles (alone and joined to a preposition) that elide before a vowel: "il" -> "l'", "dal" -> "dall'".
_ARTICLE = r"(?<![\w'’])(il|Il|del|Del|al|Al|dal|Dal|nel|Nel|sul|Sul)[ \u00a0]+"
_ELIDING = re.compile(_ARTICLE + r"(?=(?P<number>\d{1,3}(?:\.\d{3})+(?!\d)|\d+)(?!°))")


def _reads_with_a_vowel(integer: int) -> bool:
    """Whether the Italian words of *integer* begin with a vowel (uno, otto, undici, ottanta..., un milione).

    The first word is that of the leading group of three digits, except that a
    leading 1 reads "mille" before thousands (a consonant) and "un" before
    millions and beyond (a vowel).
    """
    groups = f"{integer:,}".split(",")
    lead, following = int(groups[0]), len(groups) - 1
    if lead == 1 and following:
        return following >= 2
    return lead in (1, 8, 11) or 80 <= lead <= 89 or 800 <= lead <= 899


def _elided(match: re.Match) -> str:
    article, number = match[1], int(match["number"].replace(".", ""))
    if not _reads_with_a_vowel(number):
        return match[0]
    if article.lower() == "il":
        return "L'" if article[0] == "I" else "l'"
    return article + "l'"


@functools.lru_cache(maxsize=1)
def _first_of_the_month() -> re.Pattern:
    """An article before the first day of a month in Italian words ("dal 1 luglio"), read "primo"."""
    from babel.dates import get_month_names

    months = "|".join(get_month_names("wide", locale="it_IT").values())
    return re.compile(_ARTICLE + r"1(?= (?:" + months + r")\b)")


def elide(text: str) -> str:
    """*text* with the articles before numbers in the form the language in force asks for.

    Italian elides "il" and the prepositions joined to it ("del", "al", "dal",
    "nel", "sul") before a number read with a vowel: 1 (uno), 8, 11, 80 to 89,
    800 to 899, 8.000... and 1.000.000 (un milione), but not 1.000 (mille). Only
    the whole part counts: "l'8,5%", "il 18%". The first day of a month reads
    "primo" and is written so: "dal 1° luglio". Other languages: *text* unchanged.

    Examples
    --------
    >>> with using("it"):
    ...     elide("lì termina il 89% delle visite, il 8,5% dal 11 maggio"), elide("il 18% dal 1 luglio")
    ("lì termina l'89% delle visite, l'8,5% dall'11 maggio", 'il 18% dal 1° luglio')
    """
    if get_language() != "it":
        return text
    text = _first_of_the_month().sub(lambda match: match[0] + "°", text)
    return _ELIDING.sub(_elided, text)


# ----------------------------------------------------------------------------- formats
def number_locale() -> str:
    """Babel's locale of the language in force, for formats this module does not offer."""
    return {"en": "en_US", "it": "it_IT"}[get_language()]


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value) or (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


def number_symbols() -> tuple[str, str]:
    """The decimal and the thousands separator of the language in force (``(",", ".")`` in Italian)."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    return get_decimal_symbol(number_locale()), get_group_symbol(number_locale())


def format_number(value, *, decimals: int = 1) -> str:
    """*value* with *decimals* decimals and the locale's separators (``1.234,5`` in Italian)."""
    if _missing(value):
        return MISSING
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(value, format=pattern, locale=number_locale())


def format_count(value) -> str:
    """A whole number with the locale's thousands separators (``12.345`` in Italian)."""
    return format_number(value, decimals=0)


def format_significant(value, *, digits: int = 3) -> str:
    """*value* with *digits* significant digits, no trailing zeros, and the locale's separators; a number with more
    whole digits than that is whole (``31,3``, ``0,944``, ``2,5``, ``1.235`` in Italian)."""
    if _missing(value):
        return MISSING
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    decimals = max(0, digits - 1 - magnitude)
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round(float(value), decimals), format=pattern, locale=number_locale())


def format_percent(share, *, decimals: int = 1) -> str:
    """A fraction of 1 as a percentage in the locale's style (0.756 -> ``75,6%`` in Italian)."""
    if _missing(share):
        return MISSING
    from babel.numbers import format_percent as babel_percent

    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "") + "%"
    return babel_percent(share, format=pattern, locale=number_locale())


def language_name(code) -> str:
    """The name of the language of ISO 639-1 *code* in the language in force ("es" -> "Spanish", "spagnolo");
    an unknown code stays as written.

    Examples
    --------
    >>> language_name("pt"), language_name("xx")
    ('Portuguese', 'xx')
    """
    from babel import Locale

    return Locale.parse(get_language()).languages.get(str(code), str(code))


def _as_datetime(value) -> dt.datetime | dt.date:
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    return value


def format_date(value, *, format: str = "long") -> str:
    """A date in words in the locale (``1 dicembre 2026``; *format* is Babel's: short, medium, long)."""
    if _missing(value):
        return MISSING
    from babel.dates import format_date as babel_date

    when = _as_datetime(value)
    return babel_date(when.date() if isinstance(when, dt.datetime) else when, format=format, locale=number_locale())


def format_datetime(value, *, format: str = "medium") -> str:
    """A moment in the locale's words (``1 dic 2026, 14:05:00``), in its own time zone."""
    if _missing(value):
        return MISSING
    from babel.dates import format_datetime as babel_datetime

    return babel_datetime(_as_datetime(value), format=format, locale=number_locale())


def format_period(start, end) -> str:
    """A period in words: ``"all data"``, ``"1 gennaio 2025 – 1 febbraio 2025"``, ``"from ..."``, ``"until ..."``."""
    if not (start or end):
        return _("all data")
    if not end:
        return _("from %(start)s") % {"start": format_date(start)}
    if not start:
        return _("until %(end)s") % {"end": format_date(end)}
    return _("%(start)s to %(end)s") % {"start": format_date(start), "end": format_date(end)}


def format_list(items) -> str:
    """Items joined in the language in force ("a, b and c"; "a, b e c" in Italian)."""
    from babel.lists import format_list as babel_list

    items = [str(item) for item in items]
    return babel_list(items, locale=number_locale()) if items else ""


def _standard_stages() -> dict[str, str]:
    """The journey stages most exports and the recipes name, in the language in force."""
    return {"awareness": pgettext("journey stage", "awareness"), "discovery": pgettext("journey stage", "discovery"),
            "research": pgettext("journey stage", "research"),
            "consideration": pgettext("journey stage", "consideration"),
            "evaluation": pgettext("journey stage", "evaluation"), "purchase": pgettext("journey stage", "purchase"),
            "fulfilment": pgettext("journey stage", "fulfilment"),
            "fulfillment": pgettext("journey stage", "fulfillment"),
            "delivery": pgettext("journey stage", "delivery"), "onboarding": pgettext("journey stage", "onboarding"),
            "usage": pgettext("journey stage", "usage"), "service": pgettext("journey stage", "service"),
            "support": pgettext("journey stage", "support"), "retention": pgettext("journey stage", "retention"),
            "loyalty": pgettext("journey stage", "loyalty"), "advocacy": pgettext("journey stage", "advocacy"),
            "renewal": pgettext("journey stage", "renewal"), "churn": pgettext("journey stage", "churn"),
            "campaign": pgettext("journey stage", "campaign"), "redemption": pgettext("journey stage", "redemption"),
            "application": pgettext("journey stage", "application"),
            "back office": pgettext("journey stage", "back office"), "offer": pgettext("journey stage", "offer"),
            "outcome": pgettext("journey stage", "outcome")}


def _standard_attributes() -> dict[str, str]:
    """Customer attributes most exports and the recipes name, in the language in force."""
    return {"age": pgettext("customer attribute", "age"), "gender": pgettext("customer attribute", "gender"),
            "region": pgettext("customer attribute", "region"), "city": pgettext("customer attribute", "city"),
            "country": pgettext("customer attribute", "country"), "state": pgettext("customer attribute", "state"),
            "plan": pgettext("customer attribute", "plan"), "segment": pgettext("customer attribute", "segment"),
            "spend": pgettext("customer attribute", "spend"), "income": pgettext("customer attribute", "income"),
            "tenure": pgettext("customer attribute", "tenure"),
            "contract": pgettext("customer attribute", "contract"),
            "preferred language": pgettext("customer attribute", "preferred language"),
            "language": pgettext("customer attribute", "language"),
            "payment method": pgettext("customer attribute", "payment method"),
            "monthly charges": pgettext("customer attribute", "monthly charges"),
            "total charges": pgettext("customer attribute", "total charges"),
            "signup date": pgettext("customer attribute", "signup date"),
            "loyalty tier": pgettext("customer attribute", "loyalty tier")}


def _vocabulary_label(value, vocabulary: dict[str, str]) -> str:
    """*value* translated when it is a word of *vocabulary* (ignoring case, spaces, ``_`` and ``-``), else as is."""
    text = str(value)
    translated = vocabulary.get(re.sub(r"[\s_-]+", " ", text.strip().lower()))
    if translated is None:
        return text
    return translated[:1].upper() + translated[1:] if text[:1].isupper() else translated


def stage_label(stage) -> str:
    """A journey stage's name for the reader: a standard stage in the language in force, any other as written.

    Standard stages are the customer-lifecycle words exports and the recipes use
    (awareness, consideration, purchase, service, loyalty, ...), matched
    ignoring case, spaces, ``_`` and ``-``; a capitalised name stays capitalised.

    Examples
    --------
    >>> with using("it"):
    ...     stage_label("purchase"), stage_label("Loyalty"), stage_label("back_office"), stage_label("checkout step")
    ('acquisto', 'Fedeltà', 'back office', 'checkout step')
    """
    return _vocabulary_label(stage, _standard_stages())


def attribute_label(name) -> str:
    """A customer attribute's name for the reader: a common one (age, region, plan...) translated, others as written.

    Examples
    --------
    >>> with using("it"):
    ...     attribute_label("age"), attribute_label("preferred_language"), attribute_label("favourite_colour")
    ('età', 'lingua preferita', 'favourite_colour')
    """
    return _vocabulary_label(name, _standard_attributes())


#: plotly.js's own words (mode bar and hover buttons), marked for the catalogs; plotly.js looks them up by these keys.
PLOTLY_WORDS = (N_("Autoscale"), N_("Box Select"), N_("Compare data on hover"), N_("Double-click to zoom back out"),
                N_("Download plot as a png"), N_("Download plot"), N_("Lasso Select"), N_("Pan"),
                N_("Produced with Plotly.js"), N_("Reset axes"), N_("Reset view"), N_("Show closest data on hover"),
                N_("Toggle Spike Lines"), N_("Toggle show closest data on hover"), N_("Zoom"), N_("Zoom in"),
                N_("Zoom out"), N_("Snapshot succeeded"), N_("Taking snapshot - this may take a few seconds"))


def plotly_locales() -> list[dict]:
    """plotly.js locale modules that make a page's charts speak the language in force ([] in English).

    Month and day names, number separators and date patterns of date axes come
    from Babel, the mode bar's words from the catalog. A page sets
    ``window.PlotlyLocales`` to this list before plotly.js loads; plotly.js
    registers them when it starts. The language's module is also registered as
    ``en-US``, plotly's default locale, so figures need no ``config.locale``.

    Examples
    --------
    >>> with using("it"):
    ...     locale = plotly_locales()[0]
    >>> locale["name"], locale["format"]["shortMonths"][:3], locale["format"]["month"]
    ('it', ['gen', 'feb', 'mar'], '%b %Y')
    """
    language = get_language()
    if language == LANGUAGES[0]:
        return []
    from babel.dates import get_day_names, get_month_names

    where = number_locale()
    decimal, group = number_symbols()
    sunday_first = (6, 0, 1, 2, 3, 4, 5)
    months, short_months = get_month_names("wide", locale=where), get_month_names("abbreviated", locale=where)
    days, short_days = get_day_names("wide", locale=where), get_day_names("abbreviated", locale=where)
    module = {"moduleType": "locale", "name": language,
              "dictionary": {word: _(word) for word in PLOTLY_WORDS},
              "format": {"days": [days[i] for i in sunday_first], "shortDays": [short_days[i] for i in sunday_first],
                         "months": [months[i] for i in range(1, 13)],
                         "shortMonths": [short_months[i].rstrip(".") for i in range(1, 13)],
                         "periods": ["AM", "PM"], "dateTime": "%a %e %b %Y, %X", "date": "%d/%m/%Y",
                         "time": "%H:%M:%S", "decimal": decimal, "thousands": group, "grouping": [3],
                         "year": "%Y", "month": "%b %Y", "dayMonth": "%-d %b",
                         "dayMonthYear": "%-d %b %Y"}}
    return [module, {**module, "name": "en-US"}]


def install(environment) -> None:
    """Give a Jinja *environment* ``_``, ``ngettext``, ``{% trans %}`` and the format helpers.

    ``{{ _("Period") }}`` and ``{% trans n=runs|length %}...{% endtrans %}``
    translate in the language in force at render time; ``format_number``,
    ``format_count``, ``format_percent``, ``format_date``, ``format_datetime``
    and ``stage_label`` are both globals and filters; ``plotly_locales()`` is
    a global too (see :func:`plotly_locales`).
    """
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(_, ngettext, newstyle=True)
    helpers = {"format_number": format_number, "format_count": format_count, "format_percent": format_percent,
               "format_date": format_date, "format_datetime": format_datetime, "stage_label": stage_label}
    environment.globals.update(helpers, language=get_language, plotly_locales=plotly_locales)
    environment.filters.update(helpers)


# ----------------------------------------------------------------------------- notebooks
_PARAGRAPH = re.compile(r"\n\s*\n")


def _paragraphs(source: str) -> list[str]:
    """The translatable blocks of a Markdown cell: its paragraphs, headings and lists."""
    return [block.strip() for block in _PARAGRAPH.split(source) if block.strip()]


def translate_markdown(source: str) -> str:
    """A Markdown cell's text in the language in force, paragraph by paragraph."""
    return "\n\n".join(_(block) for block in _paragraphs(source))


def translate_notebook(notebook):
    """A copy of *notebook* whose Markdown cells read in the language in force (code cells unchanged)."""
    import copy

    translated = copy.deepcopy(notebook)
    if get_language() != LANGUAGES[0]:
        for cell in translated.cells:
            if cell.cell_type == "markdown":
                cell.source = translate_markdown(cell.source)
    return translated


def extract_notebook(fileobj, keywords, comment_tags, options):
    """Babel extractor of a notebook (registered in ``babel.cfg``).

    Yields the paragraphs of its Markdown cells and the ``i18n._("...")``
    messages of its code cells (chart titles a cell writes).
    """
    from babel.messages.extract import extract_python

    notebook = json.load(io.TextIOWrapper(fileobj, encoding="utf-8"))
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        if cell.get("cell_type") == "markdown":
            for block in _paragraphs(source):
                yield number, None, block, [f"cell {number}"]
        elif cell.get("cell_type") == "code":
            for _line, funcname, message, _comments in extract_python(io.BytesIO(source.encode("utf-8")), keywords,
                                                                      comment_tags, options):
                yield number, funcname, message, [f"cell {number}"]


_LABEL = re.compile(r"^\s*label:\s*(?P<value>\S.*?)\s*$")


def extract_labels(fileobj, keywords, comment_tags, options):
    """Babel extractor of a YAML resource (registered in ``babel.cfg``): the value of every ``label:`` key.

    The theme names of ``resources/cx_themes.yml`` are messages this way; the
    code shows them through :func:`_`, so a label a dataset.yml adds stays as written.
    """
    import yaml

    for number, line in enumerate(io.TextIOWrapper(fileobj, encoding="utf-8"), start=1):
        match = _LABEL.match(line)
        if match:
            yield number, None, str(yaml.safe_load(match["value"])), []
