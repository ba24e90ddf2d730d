"""The one Jinja environment of the library's HTML: templates in ``templates/``, autoescape on.

Every piece of HTML the library writes (report pages' parts, the run index,
persona cards, the journey-map canvas, the summary's first screen) comes from
a template rendered here, so text from the data is always escaped; ``_``,
``{% trans %}`` and the locale formats of :mod:`cxresearch.i18n` are installed.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import i18n

__all__ = ["TEMPLATES", "HTMLFragment", "render_template", "disclosure", "card_grid"]

#: Folder of the templates.
TEMPLATES = Path(__file__).parent / "templates"


class HTMLFragment(str):
    """Rendered HTML that shows itself in Jupyter and is not escaped again inside another template."""

    def _repr_html_(self) -> str:
        return str(self)

    def __html__(self) -> str:
        return str(self)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                     trim_blocks=True, lstrip_blocks=True)
    i18n.install(environment)
    from .display import metric_value

    environment.globals["metric_value"] = metric_value   # a KPI in its unit (CSAT a percentage, NPS points)
    return environment


def render_template(name: str, **context) -> HTMLFragment:
    """Render the template *name* of :data:`TEMPLATES` with *context* (text escaped)."""
    return HTMLFragment(_environment().get_template(name).render(**context))


def disclosure(content, *, title: str | None = None) -> HTMLFragment:
    """*content* (a table, a Styler or anything with an HTML view) folded behind a ``<details>`` element.

    Long tables go below the first screen this way: the reader opens them when
    needed. *title* is the line that opens it (default: "Show the table").
    """
    html = content._repr_html_() if hasattr(content, "_repr_html_") else content.to_html()
    return render_template("details.html.j2", content=Markup(html), title=title or i18n._("Show the table"))


def card_grid(cards) -> HTMLFragment:
    """Cards (HTML, e.g. persona cards) side by side in a responsive grid.

    As many columns of at least 340 px as the page is wide: one on a phone,
    two or three in JupyterLab and in the reports. Each card is HTML already
    (escaped where it was built); everything else in the grid comes from the
    ``card_grid.html.j2`` template.
    """
    return render_template("card_grid.html.j2", cards=[Markup(card) for card in cards])
