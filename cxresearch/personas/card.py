"""Persona cards: a self-contained HTML card per persona."""
from __future__ import annotations

import html
import warnings

import pandas as pd
from sklearn.utils.validation import check_is_fitted

from ..errors import ParameterError, SmallGroupWarning
from ..features import feature_group
from ..privacy import redact_pii
from .model import PersonaModel
from .profiles import feature_label


class PersonaCard(str):
    """A persona card: an HTML string that renders itself in Jupyter."""

    def _repr_html_(self) -> str:
        return str(self)


_CARD = "font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:640px;border:1px solid #d0d7de;" \
        "border-radius:10px;padding:16px 20px;margin:8px 0;color:#1f2328;background:#fff;line-height:1.4"
_HEAD = "margin:14px 0 4px;font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:#57606a"
_QUOTE = "margin:6px 0;padding:6px 12px;border-left:4px solid #8250df;color:#3d444d;font-style:italic"


def persona_card(model: PersonaModel, persona_id, *, quotes: pd.DataFrame | pd.Series | None = None,
                 min_group_size: int | None = None) -> PersonaCard:
    """Self-contained HTML card of one persona (inline CSS, no external assets, all text escaped).

    Shows name, size and share, who they are, behaviour, preferred channels,
    what works for them and their frustrations (their highest and lowest
    touchpoint ratings), a representative quote (redacted) and NPS / CSAT with
    95% confidence intervals. A persona smaller than *min_group_size* (default:
    the model's) is suppressed: the card says so and shows nothing else.

    Parameters
    ----------
    model : PersonaModel
        A fitted model.
    persona_id : int
        One of ``model.personas_.index``.
    quotes : pandas.DataFrame or Series, optional
        Quotes from :func:`representative_quotes` (persona, quote, label), or
        one quote per persona id.
    """
    check_is_fitted(model, "personas_")
    if persona_id not in model.personas_.index:
        raise ParameterError(f"unknown persona id {persona_id!r}; valid ids are {model.personas_.index.tolist()}.")
    minimum = model.min_group_size if min_group_size is None else min_group_size
    info = model.personas_.loc[persona_id]
    esc = html.escape
    if info["size"] < minimum:
        warnings.warn(f"persona {persona_id} has fewer than {minimum} customers; its card is suppressed.",
                      SmallGroupWarning, stacklevel=2)
        return PersonaCard(f'<div style="{_CARD}"><p>Persona {esc(str(persona_id))} is not shown: it has fewer '
                           f'than {minimum} customers.</p></div>')
    profile, overall, traits = model.profiles_.loc[persona_id], model.overall_, model.traits_.loc[persona_id]
    sections = [
        ("Who they are", _who(profile, overall)),
        ("Behaviour", _behaviour(profile, overall, traits)),
        ("Preferred channels", [info["channels"]] if isinstance(info["channels"], str) and info["channels"] else []),
        *_ratings(profile),
        ("In their words", _quote_lines(quotes, persona_id)),
        ("KPIs", _kpi_lines(info)),
    ]
    body = "".join(
        f'<div style="{_HEAD}">{esc(title)}</div>'
        + ("".join(f'<blockquote style="{_QUOTE}">{esc(label)}&ldquo;{esc(redact_pii(text))}&rdquo;</blockquote>'
                   for label, text in lines)
           if title == "In their words" else
           '<ul style="margin:0;padding-left:18px">' + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>")
        for title, lines in sections if lines)
    header = (f'<div style="font-size:20px;font-weight:600">{esc(str(info["name"]))}</div>'
              f'<div style="color:#57606a">Persona {esc(str(persona_id))} &middot; {int(info["size"]):,} customers '
              f'&middot; {info["share"]:.1%} of all &middot; {esc(_stability_words(info))}</div>')
    return PersonaCard(f'<div style="{_CARD}">{header}{body}</div>')


def _quote_lines(quotes, persona_id) -> list[tuple[str, str]]:
    """(label, text) of each quote of the persona; the label ("Positive: ") only for a mixed persona's quotes."""
    if quotes is None:
        return []
    if isinstance(quotes, pd.Series):
        return [("", quotes.loc[persona_id])] if persona_id in quotes.index else []
    mine = quotes[quotes["persona"] == persona_id]
    return [(f"{label.capitalize()}: " if label else "", text) for label, text in zip(mine["label"], mine["quote"])]


def _stability_words(info: pd.Series) -> str:
    """"stability 0.92", or "UNSTABLE (stability 0.41): may not reappear in other data" under the threshold."""
    if pd.isna(info["stability"]):
        return "one group: no stable segmentation"
    if info["unstable"]:
        return f"UNSTABLE (stability {info['stability']:.2f}): this persona may not reappear in other data"
    return f"stability {info['stability']:.2f}"


def _num(value) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _who(profile: pd.Series, overall: pd.Series) -> list[str]:
    """Numeric attributes with the overall mean; for text attributes, the most common value."""
    columns = [c for c in profile.index if feature_group(c) == "profile"]
    numeric = [f"{feature_label(c)}: {_num(profile[c])} (all customers {_num(overall[c])})"
               for c in columns if "=" not in c and pd.notna(profile[c])]
    shares = profile[[c for c in columns if "=" in c]].dropna()
    attribute = shares.index.str.split("=").str[0]
    top = shares.groupby(attribute).idxmax()
    return numeric + [f"{a}: {c.split('=', 1)[1]} ({shares[c]:.0%})" for a, c in top.items()]


def _behaviour(profile: pd.Series, overall: pd.Series, traits: pd.Series, top: int = 6) -> list[str]:
    """The behaviour features where the persona differs most from the rest."""
    columns = [c for c in traits.index if feature_group(c) in ("behaviour", "journey") and pd.notna(traits[c])]
    strongest = traits[columns].abs().sort_values(ascending=False, kind="stable").index[:top]
    return [f"{feature_label(c)}: {_shown(c, profile[c])} (all customers {_shown(c, overall[c])})" for c in strongest]


def _shown(column: str, value) -> str:
    """A feature value for a card: journey reach as a percentage, other values as numbers."""
    return f"{value:.0%}" if feature_group(column) == "journey" and pd.notna(value) else _num(value)


def _ratings(profile: pd.Series) -> list[tuple[str, list[str]]]:
    """"What works for them" and "Frustrations": their two highest and lowest touchpoint ratings."""
    ratings = profile[[c for c in profile.index if feature_group(c) == "ratings"]].dropna().sort_values(kind="stable")
    if ratings.empty:
        return []
    lines = pd.Series([f"{c.removeprefix('rating_').replace('_', ' ')}: {v:.1f} / 5" for c, v in ratings.items()],
                      index=ratings.index)
    best = ratings.index[::-1][:2]
    worst = [c for c in ratings.index[:2] if c not in best]
    return [("What works for them", lines[best].tolist()), ("Frustrations", lines[worst].tolist())]


def _kpi_lines(info: pd.Series) -> list[str]:
    lines = []
    for metric, label, unit in (("nps", "NPS", ""), ("csat", "CSAT (% of answers 4-5)", "%")):
        if metric in info and pd.notna(info[metric]) and info[f"{metric}_n"] > 0:
            lines.append(f"{label}: {info[metric]:.0f}{unit} (95% CI {info[f'{metric}_low']:.0f} to "
                         f"{info[f'{metric}_high']:.0f}{unit}, n={int(info[f'{metric}_n'])})")
    return lines
