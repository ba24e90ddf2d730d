"""The journey-map canvas: stages across, lanes down, every cell filled from data with its evidence.

Journey-map templates (UXPressia, Smaply, the NN/g template) are filled by hand;
:func:`journey_canvas` fills one from a dataset. Columns are the journey's
stages in order; rows (:data:`LANES`) are the stage's goal and owner (from
``dataset.yml``, when given), touchpoints and channels with their reach, what
customers do (top events), the emotion curve (the CSAT answers' mean score, 1-5, with its interval),
volume and time, pain points with their evidence, redacted quotes,
opportunities (key drivers and topic impact) and the KPIs of the stage.

Every cell carries ``n``, the observations behind it (customers, answers or
comments), and an evidence level from it (:func:`evidence_level`): ``"none"``
below ``min_group_size`` (the cell shows nothing, as every table of the
library), ``"thin"`` below :data:`~cxresearch.stats.LOW_BASE` (shown, marked
so nobody reads it as fact) and ``"solid"`` from there.

:func:`persona_canvases` gives one canvas overall and one per persona;
:func:`render_canvases` draws them on one self-contained page fragment with a
switch between them that works offline (no script, no network) and prints on
A3 landscape, one canvas per page.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .capabilities import available
from .columns import code_label
from .errors import DataError, ParameterError, SmallGroupWarning
from .display import metric_value
from .i18n import N_, _, format_count, format_number, format_percent, ngettext
from .journeys import JourneyMap, journey_map
from .privacy import MIN_GROUP_SIZE, redact_pii
from .stats import LOW_BASE, kpi_summary
from .templating import HTMLFragment, render_template
from .topics import topics as topics_of
from .voice import KeyDrivers, TopicImpact, key_drivers, topic_impact

__all__ = ["LANES", "EVIDENCE", "CanvasCell", "Canvas", "evidence_level", "journey_canvas", "persona_canvases",
           "journey_canvases", "render_canvases"]

#: Lane key -> label, top to bottom. The goal lane is left out when no stage has a goal or owner.
LANES = {
    "goal": N_("Goal and owner"),
    "touchpoints": N_("Touchpoints and channels"),
    "actions": N_("What customers do"),
    "emotion": N_("Emotion"),
    "volume": N_("Volume and time"),
    "pain_points": N_("Pain points"),
    "quotes": N_("In their words"),
    "opportunities": N_("Opportunities"),
    "kpis": N_("KPIs"),
}
#: What the ``n`` of a cell counts.
UNITS = (N_("customers"), N_("answers"), N_("comments"))
#: Evidence levels, weakest first.
EVIDENCE = ("none", "thin", "solid")
#: Items a cell lists at most.
TOP_ITEMS = 3
#: Characters a quote keeps.
QUOTE_CHARS = 160
#: Share of a stage's comments (with a theme) from which a negative theme is one of its complaints or opportunities.
THEME_SHARE = 0.10


def evidence_level(n, *, min_group_size: int = MIN_GROUP_SIZE, low_base: int = LOW_BASE) -> str:
    """``"none"`` when *n* < *min_group_size* (or missing), ``"thin"`` when *n* < *low_base*, else ``"solid"``."""
    if n is None or pd.isna(n) or n < min_group_size:
        return "none"
    return "thin" if n < low_base else "solid"


@dataclass(frozen=True)
class CanvasCell:
    """One cell of the canvas: its lines of text, the observations behind them and their evidence level.

    ``items`` is empty when the evidence is ``"none"`` (too few observations,
    or nothing in the data for this lane); ``why`` then says which.
    """

    items: tuple[str, ...] = ()
    n: int = 0
    unit: str = "customers"
    evidence: str = "none"
    why: str = ""


@dataclass(frozen=True)
class Canvas:
    """A journey-map canvas (see the module docstring).

    Attributes
    ----------
    title : str
        ``"All customers"`` or the persona's name.
    customers : int
        Customers the canvas describes.
    stages : tuple of str
        Columns, in the journey's order.
    lanes : tuple of str
        Rows, keys of :data:`LANES`.
    cells : dict of (lane, stage) to CanvasCell
    emotion : DataFrame
        Per stage: ``stage``, ``mean``, ``low``, ``high`` (the CSAT answers'
        mean score, 1-5, and its 95% interval), ``n`` and ``evidence``; the curve of the emotion lane.
    notes : tuple of str
        Findings that belong to no single stage (drivers that are no touchpoint).
    """

    title: str
    customers: int
    stages: tuple[str, ...]
    lanes: tuple[str, ...]
    cells: dict
    emotion: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def cell(self, lane: str, stage: str) -> CanvasCell:
        """The cell of *lane* and *stage*."""
        return self.cells[(lane, stage)]


def journey_canvas(ds, *, journey: JourneyMap | None = None, title: str | None = None, topics=None,
                   drivers: KeyDrivers | None = None, topic_effects: TopicImpact | None = None,
                   stage_plan: dict | None = None, min_group_size: int = MIN_GROUP_SIZE,
                   low_base: int = LOW_BASE) -> Canvas:
    """The journey-map canvas of dataset *ds* (or of the customers of *journey*).

    Parameters
    ----------
    ds : CXDataset
        The dataset; its events and surveys are restricted to the customers of
        *journey* when it is given.
    journey : JourneyMap, optional
        The journey map to draw (e.g. one persona's ``journey.subset(persona=...)``);
        built from *ds* when not given.
    title : str, optional
        What the canvas describes (default "All customers").
    topics : Topics, optional
        :func:`cxresearch.topics` of ``ds.surveys["comment"]`` (same index):
        names the negative themes of each stage and links topic impact to stages.
    drivers : KeyDrivers, optional
        :func:`cxresearch.key_drivers`: the drivers whose placement informs action (:data:`ACTIONS`: fix first,
        possibly fix first, keep up, possible overkill) are opportunities. A driver ``rating_<x>`` belongs to the
        stage of touchpoint ``x``, else to the stage where channel ``x`` reaches most customers.
    topic_effects : TopicImpact, optional
        :func:`cxresearch.topic_impact` of the same topics: themes that significantly lower its outcome (NPS, CSAT,
        satisfaction) are opportunities of the stages that hear them more than others.
    stage_plan : dict, optional
        Stage -> ``{"goal": str, "owner": str}``; ``ds.stage_plan`` (``dataset.yml``) when not given.
    min_group_size, low_base : int
        Evidence thresholds (:func:`evidence_level`).
    """
    journey = journey_map(ds, min_group_size=min_group_size) if journey is None else journey
    stage_plan = dict(ds.stage_plan if stage_plan is None else stage_plan)
    unknown = sorted(set(stage_plan) - set(journey.stage_labels))
    if unknown:
        raise ParameterError(f"stage_plan names stages {unknown} that the journey does not have; "
                             f"its stages are {list(journey.stage_labels)}.")
    customers = journey.customers
    surveys = _restricted(ds.surveys, customers)
    stages_table = journey.stages.set_index("stage")
    tp_stage = journey.touchpoints.dropna(subset=["stage"]).set_index("touchpoint")["stage"]
    answers = _stage_answers(surveys, tp_stage)
    level = _Leveller(min_group_size, low_base)
    lanes = [lane for lane in LANES if lane != "goal" or stage_plan]
    stages = tuple(str(stage) for stage in journey.stage_labels)
    builders = {
        "goal": lambda: _goal_cells(stages, stage_plan),
        "touchpoints": lambda: _touchpoint_cells(journey, stages_table, level),
        "actions": lambda: _action_cells(journey, stages_table, level, min_group_size),
        "emotion": lambda: _emotion_cells(stages_table, level),
        "volume": lambda: _volume_cells(stages_table, level),
        "pain_points": lambda: _pain_cells(journey, answers, topics, level),
        "quotes": lambda: _quote_cells(answers, level),
        "opportunities": lambda: _opportunity_cells(journey, answers, topics, drivers, topic_effects, level),
        "kpis": lambda: _kpi_cells(answers, level, min_group_size),
    }
    absent = {**_ABSENT, **(_UNANSWERED if answers.empty else {})}   # none at all is not "too few"
    cells = {}
    for lane in lanes:
        found = builders[lane]()
        if lane == "opportunities" and found:   # a driver placed without answers: "none to fix first" holds
            absent[lane] = _ABSENT[lane]
        cells.update({(lane, stage): found.get(stage, CanvasCell(why=absent[lane])) for stage in stages})
    return Canvas(title=title or _("All customers"), customers=len(customers), stages=stages, lanes=tuple(lanes), cells=cells,
                  emotion=_emotion_curve(stages_table, stages, level),
                  notes=_unplaced_drivers(drivers, journey))


def persona_canvases(ds, personas: pd.Series, *, journey: JourneyMap | None = None,
                     by_persona: JourneyMap | None = None, **options) -> list[Canvas]:
    """One canvas of every customer, then one per persona (largest first), as :func:`journey_canvas`.

    *personas* maps customer_id to persona name. Personas with fewer than
    ``min_group_size`` customers get no canvas. The groups a persona's canvas hides raise no
    :class:`~cxresearch.errors.SmallGroupWarning` (one per persona crowded the page's notes): its cells say so. *journey* and *by_persona* are
    :func:`~cxresearch.journeys.journey_map` of *ds* without and with *personas*,
    when the caller has them already (the journey page does).
    """
    minimum = options.get("min_group_size", MIN_GROUP_SIZE)
    overall = journey_map(ds, min_group_size=minimum) if journey is None else journey
    split = journey_map(ds, personas=personas, min_group_size=minimum) if by_persona is None else by_persona
    sizes = personas.value_counts()
    canvases = [journey_canvas(ds, journey=overall, **options)]
    with warnings.catch_warnings():   # a persona's hidden groups: its cells say what they do not show
        warnings.simplefilter("ignore", SmallGroupWarning)
        for name in sizes.index[sizes >= minimum]:
            canvases.append(journey_canvas(ds, journey=split.subset(persona=name), title=str(name), **options))
    return canvases


def journey_canvases(ds, *, persona_model=None, voice: dict | None = None, journey: JourneyMap | None = None,
                     by_persona: JourneyMap | None = None, random_state=0, min_group_size: int = MIN_GROUP_SIZE,
                     key: str = "canvas") -> HTMLFragment:
    """The journey page's canvases: overall and per persona, with the voice analyses the data supports.

    Topics of the survey comments, key drivers of the outcome the surveys have (NPS, CSAT or a satisfaction
    column) and the topics' impact on it are computed when *ds* has what they need (:mod:`cxresearch.capabilities`)
    and left out otherwise, as are the personas without a fitted *persona_model*.
    *voice* is :func:`voice_inputs` already computed (the research routine's, shared with the voice page);
    *journey* and *by_persona* are the page's journey maps of every customer and per persona
    (:func:`persona_canvases`), computed here when not given.
    """
    if voice is None:
        voice = voice_inputs(ds, random_state=random_state, min_group_size=min_group_size)
    if persona_model:
        canvases = persona_canvases(ds, persona_model.labels_.map(persona_model.personas_["name"]), journey=journey,
                                    by_persona=by_persona, min_group_size=min_group_size, **voice)
    else:
        canvases = [journey_canvas(ds, journey=journey, min_group_size=min_group_size, **voice)]
    return render_canvases(canvases, key=key)


def voice_inputs(ds, *, random_state=0, min_group_size: int = MIN_GROUP_SIZE, compute: dict | None = None) -> dict:
    """``topics``, ``drivers`` and ``topic_effects`` of *ds* for :func:`journey_canvas`, each None where the data cannot give it.

    *compute* maps ``"topics"``, ``"key_drivers"`` or ``"topic_impact"`` to a
    function of no argument returning that result, used instead of computing
    it here (the research routine passes its once-per-run results). Their warnings are left to the voice page,
    whose notes say what they hid; the canvas's lanes say what they could not show.
    """
    surveys = ds.surveys
    cluster_col = "customer_id" if surveys is not None and "customer_id" in surveys.columns else None
    steps = {
        "topics": lambda: topics_of(surveys["comment"], taxonomy=ds.topic_taxonomy, n_boot=0,
                                    random_state=random_state, min_group_size=min_group_size),
        "key_drivers": lambda: key_drivers(surveys, score_col=None, random_state=random_state, cluster_col=cluster_col,
                                           min_group_size=min_group_size),
        "topic_impact": lambda: topic_impact(surveys, found["topics"].membership, random_state=random_state,
                                             cluster_col=cluster_col, min_group_size=min_group_size),
        **(compute or {}),
    }
    found = {}
    for analysis in ("topics", "key_drivers", "topic_impact"):
        found[analysis] = None
        if available(ds, analysis) and (analysis != "topic_impact" or found["topics"] is not None):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    found[analysis] = steps[analysis]()
            except DataError:   # the columns are there with too little in them: the lane says so
                pass
    return {"topics": found["topics"], "drivers": found["key_drivers"], "topic_effects": found["topic_impact"]}


def render_canvases(canvases: list[Canvas], *, key: str = "canvas") -> HTMLFragment:
    """HTML of the canvases with a switch between them.

    *key* makes the switch's element ids unique when a page holds several sets. Without journey stages
    only the first canvas is drawn: it says once what is missing, where each persona's would repeat it.
    """
    if not any(canvas.stages for canvas in canvases):
        canvases = canvases[:1]
    return render_template("canvas.html.j2", canvases=[_layout(canvas) for canvas in canvases], key=key,
                           lanes=LANES)


# ------------------------------------------------------------------- inputs
_ABSENT = {
    "goal": N_("No goal or owner set for this stage in dataset.yml (stage_plan)."),
    "touchpoints": N_("No customers here, or fewer than the smallest group shown."),
    "actions": N_("No event names here (the 'event' column of events), or fewer customers than the smallest group "
                  "shown."),
    "emotion": N_("Too few CSAT answers tied to this stage's touchpoints."),
    "volume": N_("No customers here, or fewer than the smallest group shown."),
    "pain_points": N_("No touchpoint of this stage is below the journey's satisfaction or above its exits."),
    "quotes": N_("Too few survey comments tied to this stage's touchpoints."),
    "opportunities": N_("No key driver to act on among this stage's ratings and no costly topic heard more here than "
                        "elsewhere."),
    "kpis": N_("Too few survey answers tied to this stage's touchpoints."),
}
#: The survey lanes' sentences when no survey answer names a touchpoint of the journey (a ticket log).
_UNANSWERED = {
    "emotion": N_("No survey answer names a touchpoint of this journey: the emotion needs CSAT answers naming this "
                  "stage's touchpoints."),
    "quotes": N_("No survey answer names a touchpoint of this journey: quotes need survey comments naming this "
                 "stage's touchpoints."),
    "kpis": N_("No survey answer names a touchpoint of this journey: KPIs need survey answers naming this stage's "
               "touchpoints."),
    "opportunities": N_("No survey answer names a touchpoint of this journey: opportunities need key drivers (a "
                        "rating of a touchpoint) or survey comments naming this stage's touchpoints."),
}


def _restricted(table: pd.DataFrame | None, customers: pd.Index) -> pd.DataFrame | None:
    """Rows of *table* of the given (distinct) customers (the whole table when it has no customer_id)."""
    if table is None or "customer_id" not in table.columns:
        return table
    return table.loc[customers.get_indexer(table["customer_id"]) >= 0]  # a hash lookup: isin loops over text


def _stage_answers(surveys: pd.DataFrame | None, tp_stage: pd.Series) -> pd.DataFrame:
    """Survey answers tied to a stage through their touchpoint, with a ``stage`` column."""
    if surveys is None or "touchpoint" not in surveys.columns:
        return pd.DataFrame(columns=["stage"])
    stage = surveys["touchpoint"].map(tp_stage)
    return surveys.assign(stage=stage).loc[stage.notna()]


@dataclass(frozen=True)
class _Leveller:
    """:func:`evidence_level` with the canvas's thresholds, which a hidden cell names."""

    min_group_size: int
    low_base: int

    def __call__(self, n) -> str:
        return evidence_level(n, min_group_size=self.min_group_size, low_base=self.low_base)


#: Why a cell is hidden, per unit: what it counts and what it would need.
_TOO_FEW = {
    "customers": lambda n: ngettext("Not shown: %(n)s customer here; a cell needs at least %(minimum)s.",
                                    "Not shown: %(n)s customers here; a cell needs at least %(minimum)s.", n),
    "answers": lambda n: ngettext("Not shown: %(n)s answer here; a cell needs at least %(minimum)s.",
                                  "Not shown: %(n)s answers here; a cell needs at least %(minimum)s.", n),
    "comments": lambda n: ngettext("Not shown: %(n)s comment here; a cell needs at least %(minimum)s.",
                                   "Not shown: %(n)s comments here; a cell needs at least %(minimum)s.", n),
}


def _cell(items, n, unit: str, level, why: str = "") -> CanvasCell:
    """A cell whose items are hidden when its evidence is none."""
    n = 0 if n is None or pd.isna(n) else int(n)
    evidence = level(n)
    shown = tuple(str(item) for item in items) if evidence != "none" else ()
    if shown or why:
        return CanvasCell(items=shown, n=n, unit=unit, evidence=evidence if shown else "none", why=why)
    return CanvasCell(n=n, unit=unit, why=_TOO_FEW[unit](n) % {"n": format_count(n),
                                                               "minimum": format_count(level.min_group_size)})


def _percent(share) -> str:
    return format_percent(share, decimals=0)


def _signed(value, decimals: int = 1) -> str:
    return ("+" if value > 0 else "") + format_number(value, decimals=decimals)


# -------------------------------------------------------------------- lanes
def _goal_cells(stages, plan: dict) -> dict:
    cells = {}
    for stage in stages:
        entry = plan.get(stage) or {}
        items = [_("Goal: %(goal)s") % {"goal": entry["goal"]}] if entry.get("goal") else []
        items += [_("Owner: %(owner)s") % {"owner": entry["owner"]}] if entry.get("owner") else []
        if items:
            cells[stage] = CanvasCell(items=tuple(items), n=0, unit="", evidence="solid")
    return cells


def _touchpoint_cells(journey: JourneyMap, stages_table: pd.DataFrame, level) -> dict:
    touchpoints = journey.touchpoints.sort_values(["reach", "touchpoint"], ascending=[False, True])
    channels = journey.matrix.sort_values(["share", "channel"], ascending=[False, True])
    cells = {}
    for stage, row in stages_table.iterrows():
        tps = touchpoints.loc[touchpoints["stage"] == stage].head(TOP_ITEMS + 1)
        chs = channels.loc[channels["stage"] == stage].head(TOP_ITEMS)
        items = [_("%(touchpoint)s · %(share)s reach") % {"touchpoint": code_label(tp), "share": _percent(reach)}
                 for tp, reach in zip(tps["touchpoint"], tps["reach"])]
        if len(chs):
            items.append(_("Channels: %(channels)s") % {"channels": ", ".join(
                f"{code_label(ch)} {_percent(share)}" for ch, share in zip(chs["channel"], chs["share"]))})
        cells[stage] = _cell(items, row["customers"], "customers", level)
    return cells


def _action_cells(journey: JourneyMap, stages_table: pd.DataFrame, level, min_group_size: int) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)  # the cell hides its small actions; nothing to note
        counts = journey.actions
    counts = counts.assign(share=counts["customers"] / counts["stage"].map(stages_table["customers"]))
    counts = counts.sort_values(["stage", "customers", "event"], ascending=[True, False, True])
    cells = {}
    for stage, rows in counts.groupby("stage", sort=False):
        rows = rows.loc[rows["customers"] >= min_group_size]
        items = [_("%(event)s · %(share)s of customers") % {"event": code_label(event), "share": _percent(share)}
                 for event, share in zip(rows["event"].head(TOP_ITEMS), rows["share"].head(TOP_ITEMS))]
        cells[stage] = _cell(items, stages_table.loc[stage, "customers"], "customers", level)
    return cells


def _emotion_cells(stages_table: pd.DataFrame, level) -> dict:
    if "csat_mean" not in stages_table.columns:
        return {}
    cells = {}
    for stage, row in stages_table.iterrows():
        if pd.isna(row["csat_mean"]):
            continue
        items = [_("Mean score %(mean)s of 5") % {"mean": format_number(row["csat_mean"], decimals=2)},
                 _("95%% interval %(low)s to %(high)s") % {"low": format_number(row["csat_mean_low"], decimals=2),
                                                           "high": format_number(row["csat_mean_high"], decimals=2)}]
        cells[stage] = _cell(items, row["surveys"], "answers", level)
    return cells


def _emotion_curve(stages_table: pd.DataFrame, stages, level) -> pd.DataFrame:
    columns = {"csat_mean": "mean", "csat_mean_low": "low", "csat_mean_high": "high", "surveys": "n"}
    if not set(columns) <= set(stages_table.columns):
        return pd.DataFrame(columns=["stage", "mean", "low", "high", "n", "evidence"])
    curve = stages_table.reindex(list(stages))[list(columns)].rename(columns=columns)
    curve = curve.rename_axis("stage").reset_index()
    curve["n"] = curve["n"].fillna(0).astype(int)
    return curve.assign(evidence=[level(n) if pd.notna(m) else "none" for n, m in zip(curve["n"], curve["mean"])])


def _volume_cells(stages_table: pd.DataFrame, level) -> dict:
    from .display import humanize_duration
    cells = {}
    for stage, row in stages_table.iterrows():
        items = [_("%(n)s customers (%(share)s)") % {"n": format_count(row["customers"]), "share": _percent(row["share"])},
                 _("%(n)s events") % {"n": format_count(row["events"])}]
        if pd.notna(row["conversion"]):
            items.append(_("%(share)s of the previous stage's customers went on to it")
                         % {"share": _percent(row["conversion"])})
        if pd.notna(row["median_time_from_previous"]):
            items.append(_("median %(time)s after it") % {"time": humanize_duration(row["median_time_from_previous"])})
        cells[stage] = _cell(items, row["customers"], "customers", level)
    return cells


def _negative_topics(answers: pd.DataFrame, topics) -> pd.DataFrame:
    """Per stage, the negative themes its comments mention more often than the other stages' comments do, in at
    least :data:`THEME_SHARE` of them (a theme in 3 of 100 comments is no complaint of the stage).

    Columns ``stage``, ``topic``, ``n`` (comments), ``share`` (of the stage's comments with a theme) and
    ``base`` (the stage's comments with a theme: what the share is of).
    """
    if topics is None or answers.empty:
        return pd.DataFrame(columns=["stage", "topic", "n", "share", "base"])
    membership = topics.membership.reindex(answers.index, fill_value=False).astype(bool)
    negative = topics.summary.set_index("topic")["negative"] > topics.summary.set_index("topic")["positive"]
    membership = membership.loc[:, membership.columns.isin(negative.index[negative])]
    if membership.columns.empty:
        return pd.DataFrame(columns=["stage", "topic", "n", "share", "base"])
    commented = topics.membership.reindex(answers.index, fill_value=False).any(axis=1)
    per_stage = membership.groupby(answers["stage"]).sum()
    totals = commented.groupby(answers["stage"]).sum()
    table = per_stage.stack().rename("n").reset_index().set_axis(["stage", "topic", "n"], axis=1)
    table = table.loc[table["n"] > 0]
    if table.empty:   # the negative themes are in answers of no stage (a small persona)
        return pd.DataFrame(columns=["stage", "topic", "n", "share", "base"])
    table = table.assign(base=table["stage"].map(totals))
    table = table.assign(share=table["n"] / table["base"])
    overall = table.groupby("topic")["n"].sum() / totals.sum()
    table = table.loc[(table["share"] > table["topic"].map(overall))   # themes this stage hears more than others
                      & (table["share"] >= THEME_SHARE)]
    return table.sort_values(["stage", "n", "topic"], ascending=[True, False, True])


def _pain_cells(journey: JourneyMap, answers: pd.DataFrame, topics, level) -> dict:
    pains = journey.pain_points(top=len(journey.touchpoint_labels))
    pains = pains.loc[pains["impact"] > 0]
    themes = _negative_topics(answers, topics)
    cells = {}
    for stage in journey.stage_labels:
        rows = pains.loc[pains["stage"] == stage].head(2)
        items = []
        for row in rows.itertuples():
            evidence = [_("end of journey") if pd.isna(row.abandon_rate) else   # its exits are no drop-off
                        _("abandons %(share)s") % {"share": _percent(row.abandon_rate)}]
            if pd.notna(row.csat):
                evidence.append(_("CSAT %(csat)s (%(low)s to %(high)s, n=%(n)s)") % {
                    "csat": _percent(row.csat), "low": _percent(row.csat_low), "high": _percent(row.csat_high),
                    "n": format_count(row.surveys)})
            items.append(f"{code_label(row.name, stage=row.name == row.stage)}: " + ", ".join(evidence))
        stage_themes = themes.loc[themes["stage"] == stage].head(2)
        if len(stage_themes):
            items.append(_("Complaints: %(topics)s") % {"topics": ", ".join(
                _("%(topic)s (%(share)s of comments)") % {"topic": topic, "share": _percent(share)}
                for topic, share in zip(stage_themes["topic"], stage_themes["share"]))})
        if not items:
            continue
        if rows["csat"].notna().any():
            cells[stage] = _cell(items, rows["surveys"].fillna(0).sum(), "answers", level)
        elif len(rows):
            cells[stage] = _cell(items, rows["customers"].sum(), "customers", level)
        else:
            cells[stage] = _cell(items, stage_themes["base"].iloc[0], "comments", level)   # what the shares are of
    return cells


def _quote_cells(answers: pd.DataFrame, level) -> dict:
    """Per stage, the comment of median length among the answers of the lowest score given there."""
    if "comment" not in answers.columns:
        return {}
    texts = answers.assign(text=answers["comment"].astype("string").str.strip()).dropna(subset=["text"])
    texts = texts.loc[texts["text"] != ""]
    if texts.empty:
        return {}
    score = texts["csat"] if "csat" in texts.columns else pd.Series(0, index=texts.index)
    texts = texts.assign(score=score.fillna(score.max() if score.notna().any() else 0),
                         length=texts["text"].str.len())
    cells = {}
    for stage, rows in texts.groupby("stage", sort=False):
        lowest = rows.loc[rows["score"] == rows["score"].min()].sort_values(["length", "response_id"]
                                                                            if "response_id" in rows else "length")
        picked = lowest.iloc[len(lowest) // 2]
        quote = redact_pii(str(picked["text"]))
        quote = quote if len(quote) <= QUOTE_CHARS else quote[:QUOTE_CHARS - 1].rstrip() + "…"
        cells[stage] = _cell([quote], len(rows), "comments", level)
    return cells


def _driver_stages(drivers: pd.DataFrame, journey: JourneyMap) -> pd.DataFrame:
    """Each driver with its stage: of the touchpoint it names, else where the channel it names reaches most customers."""
    names = drivers["driver"].str.removeprefix("rating_")
    tp_stage = journey.touchpoints.dropna(subset=["stage"]).drop_duplicates("touchpoint").set_index("touchpoint")["stage"]
    by_touchpoint = drivers.assign(stage=names.map(tp_stage)).dropna(subset=["stage"])
    busiest = journey.matrix.sort_values(["share", "stage"], ascending=[False, True]).drop_duplicates("channel")
    by_channel = (drivers.assign(channel=names).loc[~names.isin(tp_stage.index)]
                  .merge(busiest[["stage", "channel"]], on="channel"))
    return pd.concat([by_touchpoint, by_channel.drop(columns="channel")], ignore_index=True)


#: Key-driver placements that inform action, in the order to act on them, with the canvas's words for each.
ACTIONS = {
    "fix first": N_("Improve %(driver)s: %(share)s of the explained %(outcome)s, rated below the other drivers "
                    "(fix first)"),
    "fix first or keep up": N_("Watch %(driver)s: %(share)s of the explained %(outcome)s, rated about as well as the "
                               "other drivers (fix first or keep up)"),
    "fix first or low priority": N_("Perhaps improve %(driver)s: rated below the other drivers, %(share)s of the "
                                    "explained %(outcome)s, too uncertain to call important (fix first or low "
                                    "priority)"),
    "keep up": N_("Keep up %(driver)s: %(share)s of the explained %(outcome)s, rated above the other drivers "
                  "(keep up)"),
    "possible overkill": N_("%(driver)s: rated above the other drivers for %(share)s of the explained %(outcome)s; "
                            "effort there could move to a driver to fix (possible overkill)"),
}


def _actionable(drivers: KeyDrivers | None) -> pd.DataFrame:
    """The drivers whose placement informs action (:data:`ACTIONS`), in the order to act on them."""
    if drivers is None or drivers.table.empty:
        return pd.DataFrame(columns=["driver", "placement", "share", "importance"])
    table = drivers.table.loc[drivers.table["placement"].isin(list(ACTIONS))]
    order = table["placement"].map(list(ACTIONS).index)
    return table.assign(order=order).sort_values(["order", "importance"], ascending=[True, False])


def _opportunity_cells(journey: JourneyMap, answers: pd.DataFrame, topics, drivers: KeyDrivers | None,
                       topic_effects: TopicImpact | None, level) -> dict:
    actionable = _actionable(drivers)
    placed = _driver_stages(actionable, journey) if len(actionable) else pd.DataFrame()
    themes = _negative_topics(answers, topics)
    table = topic_effects.table if topic_effects is not None else pd.DataFrame()
    effects = (table.loc[(table["outcome_impact"] < 0) & table["significant"]].set_index("topic")
               if len(table) else pd.DataFrame())
    cells = {}
    for stage in journey.stage_labels:
        items = []
        if len(placed):
            items += [_driver_words(row, drivers.target) for row in placed.loc[placed["stage"] == stage].head(2).itertuples()]
        if len(effects):
            for row in themes.loc[(themes["stage"] == stage) & themes["topic"].isin(effects.index)].head(2).itertuples():
                effect = effects.loc[row.topic]
                items.append(_("Fix %(topic)s: %(impact)s %(outcome)s points overall (95%% interval %(low)s to "
                               "%(high)s), %(share)s of comments here") % {
                    "topic": row.topic, "impact": _signed(effect["outcome_impact"]), "outcome": topic_effects.outcome,
                    "low": _signed(effect["outcome_impact_low"]), "high": _signed(effect["outcome_impact_high"]),
                    "share": _percent(row.share)})
        if items:
            n = int((answers["stage"] == stage).sum()) if len(answers) else 0
            cells[stage] = _cell(items, n, "answers", level)
    return cells


def _unplaced_drivers(drivers: KeyDrivers | None, journey: JourneyMap) -> tuple[str, ...]:
    actionable = _actionable(drivers)
    if actionable.empty:
        return ()
    placed = set(_driver_stages(actionable, journey)["driver"])
    rest = actionable.loc[~actionable["driver"].isin(placed)]
    return tuple(_("Across the journey: %(driver)s") % {"driver": _driver_words(row, drivers.target)}
                 for row in rest.itertuples())


def _driver_words(row, outcome: str) -> str:
    """"Improve delivery: 23% of the explained NPS, rated below the other drivers (fix first)"."""
    return _(ACTIONS[row.placement]) % {"driver": code_label(row.driver, prefix="rating_"),
                                        "share": _percent(row.share), "outcome": outcome}


def _kpi_cells(answers: pd.DataFrame, level, min_group_size: int) -> dict:
    metrics = [m for m in ("nps", "csat", "ces") if m in answers.columns]
    if answers.empty or not metrics:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        table = kpi_summary(answers.astype({"stage": str}), by=["stage"], metrics=metrics,
                            min_group_size=min_group_size)
    labels = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
    cells = {}
    for stage, rows in table.groupby("stage", sort=False):
        rows = rows.dropna(subset=["value"])
        items = []
        for r in rows.itertuples():
            decimals = 1 if r.metric == "ces" else 0
            items.append(_("%(kpi)s %(value)s (%(low)s to %(high)s), n=%(n)s") % {
                "kpi": labels[r.metric], "value": metric_value(r.metric, r.value, decimals=decimals),
                "low": metric_value(r.metric, r.low, decimals=decimals),
                "high": metric_value(r.metric, r.high, decimals=decimals), "n": format_count(r.n)})
        cells[stage] = _cell(items, rows["n"].min() if len(rows) else 0, "answers", level)
    return cells


# ------------------------------------------------------------------- layout
#: Height of the emotion curve's drawing, in its own units (the width is 100 per stage).
_CURVE_HEIGHT = 60


def _said_once(rows: list[tuple[str, list[CanvasCell]]]) -> set[str]:
    """Lanes whose every cell is empty for one reason about the whole journey (a ticket log without survey
    answers): the template draws one cell across the stages that says it once."""
    return {lane for lane, cells in rows if {cell.why for cell in cells} == {_UNANSWERED.get(lane)}
            and not any(cell.items for cell in cells)}


def _layout(canvas: Canvas) -> dict:
    """What the template draws: the canvas, its rows of cells and the emotion curve as SVG coordinates."""
    curve = canvas.emotion.dropna(subset=["mean"])
    curve = curve.loc[curve["evidence"] != "none"]
    position = {stage: 100 * i + 50 for i, stage in enumerate(canvas.stages)}

    def y(value):
        return round(_CURVE_HEIGHT - (float(value) - 1) / 4 * _CURVE_HEIGHT, 2)  # CSAT 1-5 from bottom to top

    xs = [position[s] for s in curve["stage"]]
    line = " ".join(f"{x},{y(v)}" for x, v in zip(xs, curve["mean"]))
    band = " ".join([f"{x},{y(v)}" for x, v in zip(xs, curve["high"])]
                    + [f"{x},{y(v)}" for x, v in zip(xs[::-1], curve["low"][::-1])])
    rows = [(lane, [canvas.cell(lane, stage) for stage in canvas.stages]) for lane in canvas.lanes]
    return {"canvas": canvas, "rows": rows, "whole": _said_once(rows),
            "curve": {"width": 100 * len(canvas.stages), "height": _CURVE_HEIGHT, "line": line, "band": band,
                      "points": [{"x": x, "y": y(v), "evidence": e} for x, v, e in
                                 zip(xs, curve["mean"], curve["evidence"])]}}
