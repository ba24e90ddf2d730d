"""The first screen of the summary: the top three actions, five headline findings, what changed.

A stakeholder opening the summary reads, before any table: the top three
actions (:func:`top_actions`), taken in turn from the costliest pain points of
the journey (named by touchpoint and stage, with the stage's owner), the key
drivers to fix first and the themes that lower the score most, each with the
evidence its rank rests on; five findings, each with its direction and
interval (:func:`headline_findings`); and what changed since the previous run
(:func:`changes_since`). :func:`first_screen` renders the three from the
``first_screen.html.j2`` template.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest

import pandas as pd

from .canvas import evidence_level
from .columns import value_label
from .display import code_label, interval_decimals, metric_change, metric_value
from .i18n import N_, _, format_count, format_list, format_number, format_percent, stage_label
from .intervention_evidence import METRICS
from .journeys import place_name
from .outcomes import outcome_label
from .privacy import MIN_GROUP_SIZE
from .kpis import KPI_METRICS
from .summary import KPI_LABELS, MEAN_KPIS, REVIEW_KPIS, SATISFIED_KPIS, SURVEY_KPIS, Summary, run_moment
from .templating import HTMLFragment, render_template

__all__ = ["Finding", "Action", "headline_findings", "changes_since", "top_actions", "first_screen"]

#: Findings on the first screen.
FINDINGS = 5
#: Actions on the first screen.
ACTIONS = 3
#: Direction -> the arrow shown.
ARROWS = {"up": "▲", "down": "▼", "steady": "●", "": "■"}


@dataclass(frozen=True)
class Finding:
    """A headline: *text*, its *direction* ("up", "down", "steady" or "" when there is nothing to compare)
    and whether that direction is *good* for customers (None when neutral), with the *interval* in words."""

    text: str
    direction: str
    good: bool | None
    interval: str
    n: int


@dataclass(frozen=True)
class Action:
    """Something to act on: *title* (what to fix, in words), the journey *stage* it is at and the stage's *owner*
    (both empty for a driver or a theme, which no stage holds), its *evidence* (what its rank rests on) and
    evidence level."""

    title: str
    stage: str
    owner: str
    evidence: str
    level: str


def _short(key: str) -> str:
    """"NPS", "CSAT", "CES", "Review stars 4-5": the KPI's label without its explanation, in the reader's language."""
    return _(KPI_LABELS[key]).split(" (")[0]


def _decimals(key: str) -> int:
    """Decimals a KPI reads with: means (CES 1-7, review stars 1-5) one, NPS (points) and shares (percentages)
    none."""
    return 1 if key in MEAN_KPIS else 0


def _kpi_value(key: str, value: float) -> str:
    return metric_value(key, value, decimals=_decimals(key))


def _kpi_findings(summary: Summary) -> list[Finding]:
    changes = summary.kpi_changes.set_index("kpi") if not summary.kpi_changes.empty else pd.DataFrame()
    findings = []
    for key, estimate in summary.kpis.items():
        if key == "rating" and summary.reviews_are_surveys and "csat" in summary.kpis:
            continue   # the share of 4-5 stars is CSAT itself: the reviews are the surveys' answers
        if key in SATISFIED_KPIS and summary.outcome is not None and summary.outcome.label == outcome_label(key):
            continue   # the customers' satisfied outcome says it per customer (airline: one answer each)
        counted = (_("95%% interval %(low)s to %(high)s, %(n)s reviews") if key in REVIEW_KPIS
                   else _("95%% interval %(low)s to %(high)s, %(n)s answers"))
        if key == "csat" and summary.reviews_are_surveys:
            counted = _("95%% interval %(low)s to %(high)s, %(n)s answers, the review stars (4-5) themselves")
        places = interval_decimals(key, estimate.low, estimate.high, decimals=_decimals(key))  # "4.18 to 4.21"
        interval = counted % {"low": metric_value(key, estimate.low, decimals=places),
                              "high": metric_value(key, estimate.high, decimals=places), "n": format_count(estimate.n)}
        values = {"kpi": _short(key), "value": metric_value(key, estimate.value, decimals=places)}
        if key in MEAN_KPIS:   # a mean reads against its answer scale: "CES is 5.2 on a scale of 1 to 7"
            low, high = KPI_METRICS[{**SURVEY_KPIS, **REVIEW_KPIS}[key][0]].scale
            text = (_("Reviews average %(value)s stars on a scale of %(low)s to %(high)s") if key in REVIEW_KPIS
                    else _("%(kpi)s is %(value)s on a scale of %(low)s to %(high)s")) % {**values, "low": low,
                                                                                       "high": high}
        else:   # "Review stars 4-5 is 70%" read as a label, not a sentence
            text = (_("%(value)s of reviews give 4 or 5 stars") if key in REVIEW_KPIS
                    else _("%(value)s of answers are satisfied") if key in SATISFIED_KPIS
                    else _("%(kpi)s is %(value)s")) % values
        direction, good = "", None
        if key in changes.index:
            change = changes.loc[key]
            if change["significant"]:
                direction = "up" if change["diff"] > 0 else "down"
                good = direction == "up"          # higher NPS, CSAT and CES (ease) are better
                text += _(", %(diff)s since the previous run") % {
                    "diff": metric_change(key, change["diff"], decimals=_decimals(key), words=True)}
            else:
                direction = "steady"   # the arrow says it; "Since the previous run" says once that nothing moved
        findings.append(Finding(text=text, direction=direction, good=good, interval=interval, n=estimate.n))
    return findings


def _stage_finding(summary: Summary) -> list[Finding]:
    """The least satisfied stage of the journey against the best one, when their intervals part (stages within
    noise of each other make no headline: the ranked pain points say where customers are unhappy)."""
    stages = summary.stages
    if stages.empty or "csat" not in stages.columns or stages["csat"].notna().sum() < 2:
        return []
    ranked = stages.dropna(subset=["csat"]).sort_values(["csat", "stage"])
    worst, best = ranked.iloc[0], ranked.iloc[-1]
    if worst["csat_high"] >= best["csat_low"]:
        return []
    text = _("%(stage)s is the least satisfying stage: CSAT %(csat)s, against %(best)s at %(best_stage)s") % {
        "stage": stage_label(worst["stage"]).capitalize(), "csat": format_percent(worst["csat"], decimals=0),
        "best": format_percent(best["csat"], decimals=0), "best_stage": stage_label(best["stage"])}
    interval = _("95%% interval %(low)s to %(high)s, %(n)s answers") % {
        "low": format_percent(worst["csat_low"], decimals=0),
        "high": format_percent(worst["csat_high"], decimals=0), "n": format_count(worst["surveys"])}
    return [Finding(text=text, direction="down", good=False, interval=interval, n=int(worst["surveys"]))]


def _persona_finding(summary: Summary) -> list[Finding]:
    """The persona that moved most since the previous run, else the largest persona."""
    shares = summary.persona_shares
    if shares.empty:
        return []
    shown = shares.loc[shares["status"] != "vanished"]
    if len(shown) == 1:   # one group: no stable segmentation, nothing to rank or compare
        return [Finding(text=_("No personas: all %(n)s customers form one group") % {
                            "n": format_count(shown["size"].iloc[0])}, direction="", good=None,
                        interval=_("no stable segmentation; the personas page says why and what personas would need"),
                        n=int(shown["size"].iloc[0]))]
    moved = shown.dropna(subset=["share_change"])
    if len(moved) and (moved["share_change"].abs() >= 0.01).any():   # a point or more
        row = moved.loc[moved["share_change"].abs().idxmax()]
        text = _("%(name)s: %(share)s of customers, %(change)s since the previous run") % {
            "name": row["name"], "share": format_percent(row["share"], decimals=0),
            "change": metric_change("share", row["share_change"], decimals=0, words=True)}
        direction = "up" if row["share_change"] > 0 else "down"
    elif len(shown):
        row = shown.sort_values(["share", "name"], ascending=[False, True]).iloc[0]
        text = _("The largest persona is %(name)s, %(share)s of customers (%(k)s personas)") % {
            "name": row["name"], "share": format_percent(row["share"], decimals=0), "k": len(shown)}
        direction = ""
    else:
        return []
    interval = _("95%% interval %(low)s to %(high)s, %(n)s customers") % {
        "low": format_percent(row["share_low"], decimals=0),
        "high": format_percent(row["share_high"], decimals=0), "n": format_count(row["size"])}
    return [Finding(text=text, direction=direction, good=None, interval=interval, n=int(row["size"]))]


def _outcome_finding(summary: Summary) -> list[Finding]:
    """How many customers bought, subscribed or left (the customers' yes/no outcome), with its interval."""
    outcome = summary.outcome
    if outcome is None:
        return []
    return [Finding(text=outcome.sentence(), direction="", good=None, interval=outcome.interval(), n=outcome.n)]


def _persona_outcome_finding(summary: Summary) -> list[Finding]:
    """The persona whose outcome rate differs most from the other customers', when one differs beyond noise
    (Holm-adjusted across the personas)."""
    shares = summary.persona_shares
    if summary.outcome is None or "outcome_differs" not in shares.columns:
        return []
    differing = shares.loc[shares["outcome_differs"].isin(["higher", "lower"])]
    if differing.empty:
        return []
    row = differing.loc[(differing["outcome_rate"] - summary.outcome.value).abs().idxmax()]
    rest = row["outcome_rate"] - row["outcome_vs_rest"]
    text = _("%(name)s: %(rate)s %(outcome)s, against %(rest)s of the other customers") % {
        "name": row["name"], "rate": format_percent(row["outcome_rate"], decimals=0),
        "outcome": summary.outcome.label, "rest": format_percent(rest, decimals=0)}
    interval = _("95%% interval %(low)s to %(high)s, %(n)s customers; the difference holds after Holm's "
                 "correction for %(k)s personas") % {
        "low": format_percent(row["outcome_rate_low"], decimals=0),
        "high": format_percent(row["outcome_rate_high"], decimals=0), "n": format_count(row["outcome_n"]),
        "k": int(shares["outcome_rate"].notna().sum())}
    return [Finding(text=text, direction="up" if row["outcome_differs"] == "higher" else "down", good=None,
                    interval=interval, n=int(row["outcome_n"]))]


def _pain_finding(summary: Summary) -> list[Finding]:
    """The top pain point, in the terms it was ranked by: its CSAT against the journey's, or (no CSAT anywhere) how
    much more often journeys are left unfinished there than elsewhere."""
    if summary.pain_points.empty:
        return []
    top = summary.pain_points.iloc[0]
    values = {"place": place_name(top["name"], top["stage"]), "reach": format_percent(top["reach"], decimals=0),
              **_pain_values(top)}
    if _ranked_by_exits(summary.pain_points):
        text = _("Without CSAT answers, pain points are ranked by exits alone: at %(place)s, %(abandon)s of visits "
                 "leave the journey unfinished, against %(usual)s elsewhere (%(reach)s of customers pass there)")
        interval = _("no CSAT answers there; %(n)s customers") % {"n": format_count(top["customers"])}
    else:
        text = _("The costliest pain point is %(place)s: CSAT %(csat)s against %(overall)s across the journey, "
                 "and %(reach)s of customers pass there")
        interval = _csat_interval(top)
    return [Finding(text=text % values, direction="down", good=False, interval=interval, n=int(top["customers"]))]


def _ranked_by_exits(pains: pd.DataFrame) -> bool:
    """True when the journey has no CSAT answers: its pain points are ranked by excess exits alone."""
    return bool(pains["csat"].isna().all())


def _pain_values(row) -> dict:
    """A pain point's CSAT and the journey's, and its abandon rate and the usual one, as the ranking used them."""
    return {"csat": format_percent(row["csat"], decimals=0),
            "overall": format_percent(row["csat"] + row["excess_dissatisfaction"], decimals=0),
            "abandon": format_percent(row["abandon_rate"], decimals=1),
            "usual": format_percent(row["abandon_rate"] - row["excess_exit_rate"], decimals=1)}


def _csat_interval(row) -> str:
    return _("95%% interval %(low)s to %(high)s, %(n)s answers") % {
        "low": format_percent(row["csat_low"], decimals=0), "high": format_percent(row["csat_high"], decimals=0),
        "n": format_count(row["surveys"])}


def headline_findings(summary: Summary, *, top: int = FINDINGS) -> list[Finding]:
    """The *top* headline findings of a run: the customers' outcome, the KPIs, the least satisfying stage,
    personas and the persona whose outcome differs most, the top pain point."""
    return (_outcome_finding(summary) + _kpi_findings(summary) + _stage_finding(summary)
            + _persona_finding(summary) + _persona_outcome_finding(summary) + _pain_finding(summary))[:top]


def changes_since(summary: Summary) -> list[str]:
    """What changed since the previous run, in sentences (empty without a previous run)."""
    if summary.previous_run is None:
        return []
    lines = []
    for row in summary.kpi_changes.itertuples():
        if row.significant:
            lines.append(_("%(kpi)s moved from %(before)s to %(after)s (95%% interval of the change %(low)s to "
                           "%(high)s)") % {"kpi": _short(row.kpi), "before": _kpi_value(row.kpi, row.before),
                                           "after": _kpi_value(row.kpi, row.after),
                                           "low": metric_change(row.kpi, row.low, decimals=_decimals(row.kpi),
                                                                unit=False),
                                           "high": metric_change(row.kpi, row.high, decimals=_decimals(row.kpi),
                                                                 words=True)})
    steady = [_short(row.kpi) for row in summary.kpi_changes.itertuples() if not row.significant]
    if steady:   # said once here, not after each KPI of the findings
        lines.append(_("Steady since the previous run, the change within noise: %(kpis)s.") % {
            "kpis": format_list(steady)})
    for status, sentence in (("new", N_("New persona: %(name)s.")), ("vanished", N_("Vanished persona: %(name)s."))):
        lines += [_(sentence) % {"name": name}
                  for name in summary.persona_shares.loc[summary.persona_shares["status"] == status, "name"]]
    pains = summary.pain_points
    if not pains.empty and "previous_rank" in pains.columns:
        for row in pains.head(ACTIONS).itertuples():
            if pd.isna(row.previous_rank):
                lines.append(_("%(name)s is a new top pain point (rank %(rank)s).") % {
                    "name": place_name(row.name, row.stage), "rank": row.rank})
            elif row.previous_rank != row.rank:
                lines.append(_("%(name)s moved from rank %(before)s to %(after)s among pain points.") % {
                    "name": place_name(row.name, row.stage), "before": int(row.previous_rank), "after": row.rank})
    lines += [_("Intervention %(id)s, %(metric)s: %(before)s → %(after)s.") % {
                  "id": row.intervention_id, "metric": _(METRICS[row.metric].label),
                  "before": value_label(row.previous_verdict) if pd.notna(row.previous_verdict) else _("not measured"),
                  "after": value_label(row.verdict) if pd.notna(row.verdict) else _("not measured")}
              for row in summary.verdict_changes.itertuples()]
    return lines or [_("No KPI, persona or top pain point changed beyond noise.")]


def top_actions(summary: Summary, *, stage_plan: dict | None = None, top: int = ACTIONS,
                min_group_size: int = MIN_GROUP_SIZE) -> list[Action]:
    """The *top* actions: the costliest pain points of the journey, the key drivers to fix first and the themes
    that lower the score most, taken in turn (the first of each, then the second...), each with its evidence."""
    kinds = (_pain_actions(summary, stage_plan or {}, min_group_size), _driver_actions(summary, min_group_size),
             _theme_actions(summary, min_group_size))
    return [action for turn in zip_longest(*kinds) for action in turn if action is not None][:top]


def _pain_actions(summary: Summary, plan: dict, min_group_size: int) -> list[Action]:
    """The pain points with an impact above zero, named by touchpoint and stage, with what their rank rests on."""
    pains = summary.pain_points
    if pains.empty:
        return []
    by_exits = _ranked_by_exits(pains)
    actions = []
    for row in pains.loc[pains["impact"] > 0].head(ACTIONS).to_dict("records"):
        values = {"reach": format_percent(row["reach"], decimals=0), **_pain_values(row)}
        if by_exits:
            evidence = _("%(abandon)s of visits there leave the journey unfinished, against %(usual)s elsewhere; "
                         "%(reach)s of customers pass there; no CSAT answers") % values
        else:
            evidence = _("CSAT %(csat)s against %(overall)s across the journey (%(interval)s); %(reach)s of "
                         "customers pass there") % {**values, "interval": _csat_interval(row)}
            if row["excess_exit_rate"] > 0:
                evidence += "; " + _("%(abandon)s of visits there leave the journey unfinished, against %(usual)s "
                                     "elsewhere") % values
            elif row.get("end_of_journey"):   # journeys end there by nature: its exits are no evidence
                evidence += "; " + _("an end of journey, whose exits do not count")
        stage = "" if pd.isna(row["stage"]) else str(row["stage"])
        actions.append(Action(title=_("Fix %(place)s") % {"place": place_name(row["name"], stage)}, stage=stage,
                              owner=(plan.get(stage) or {}).get("owner", ""), evidence=evidence,
                              level=evidence_level(row["customers"] if by_exits else row["surveys"],
                                                   min_group_size=min_group_size)))
    return actions


def _driver_actions(summary: Summary, min_group_size: int) -> list[Action]:
    """The key drivers in the fix-first quadrant (important, rated below the others), most important first; one
    whose intervals also reach another quadrant is thin evidence."""
    drivers = summary.drivers
    if drivers is None:
        return []
    table = drivers.table
    average = format_number(table["performance"].mean(), decimals=1)
    actions = []
    for row in table.loc[table["quadrant"] == "fix first"].sort_values("priority").head(ACTIONS).itertuples():
        evidence = _("%(share)s of what the ratings explain of %(target)s (R² %(r2)s); rated %(rating)s on average, "
                     "against %(average)s across the %(k)s ratings; %(n)s answers") % {
            "share": format_percent(row.share, decimals=0), "target": drivers.target,
            "r2": format_number(drivers.r2, decimals=2), "rating": format_number(row.performance, decimals=1),
            "average": average, "k": len(table), "n": format_count(drivers.n)}
        level = evidence_level(drivers.n, min_group_size=min_group_size)
        if row.placement != row.quadrant:   # its intervals reach another quadrant too
            evidence += "; " + _("its intervals also fit %(placement)s") % {"placement": value_label(row.placement)}
            level = "thin" if level == "solid" else level
        actions.append(Action(title=_("Fix first: %(driver)s") % {"driver": code_label(row.driver, prefix="rating_")},
                              stage="", owner="", evidence=evidence, level=level))
    return actions


def _theme_actions(summary: Summary, min_group_size: int) -> list[Action]:
    """The themes whose answers lower the score significantly (false discovery rate controlled), costliest first."""
    themes = summary.themes
    if themes is None:
        return []
    table = themes.table
    costly = table.loc[table["significant"] & (table["outcome_impact"] < 0)].sort_values("outcome_impact")
    unit = "nps" if themes.outcome == "NPS" else "share"
    scale = 1 if unit == "nps" else 100   # the impact is in NPS points or percentage points
    actions = []
    for row in costly.head(ACTIONS).itertuples():
        values = {"share": format_percent(row.share, decimals=0), "outcome": themes.outcome,
                  "impact": metric_change(unit, -row.outcome_impact / scale, words=True, signed=False),
                  "low": metric_change(unit, -row.outcome_impact_high / scale, signed=False, unit=False),
                  "high": metric_change(unit, -row.outcome_impact_low / scale, words=True, signed=False)}
        evidence = (_("%(share)s of the reviews mention it; the share of 4-5 stars is %(impact)s lower with them "
                      "than without (95%% interval %(low)s to %(high)s)") if summary.themes_of == "reviews" else
                    _("%(share)s of the answers mention it; %(outcome)s is %(impact)s lower with them than without "
                      "(95%% interval %(low)s to %(high)s)")) % values
        actions.append(Action(title=_("Act on what customers say about %(theme)s") % {"theme": row.topic},
                              stage="", owner="", evidence=evidence,
                              level=evidence_level(row.n, min_group_size=min_group_size)))
    return actions


def first_screen(summary: Summary, *, stage_plan: dict | None = None,
                 min_group_size: int = MIN_GROUP_SIZE) -> HTMLFragment:
    """The summary's first screen (see the module docstring) as HTML."""
    return render_template("first_screen.html.j2", findings=headline_findings(summary),
                           changes=changes_since(summary),
                           previous_run=summary.previous_run and run_moment(summary.previous_run),
                           actions=top_actions(summary, stage_plan=stage_plan, min_group_size=min_group_size),
                           # events (with or without stages), key drivers or themes' impact: nothing stood out
                           actions_measured=(len(summary.pain_points.columns) > 0 or summary.drivers is not None
                                             or summary.themes is not None),
                           arrows=ARROWS)
