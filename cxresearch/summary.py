"""The executive summary of a research run, and what changed since the previous one.

:func:`summarise` computes the headline of a dataset: overall KPIs with
intervals, personas (aligned to the previous run's ids and names), the journey
stages and the top pain points; given the folder of a previous run it adds the
changes: KPI differences with their significance (:func:`cxresearch.stats.compare`),
persona shares that moved, new and vanished personas, pain points that moved.
:meth:`Summary.save` writes the run's machine-readable results, which the next
run reads back with :func:`load_previous`.

Files of a run folder
---------------------
``kpis.json``          KPI estimates (value, low, high, n) and their changes, and the customers' outcome rate
``personas.csv``       customer_id, persona_id, persona_name (for CRM activation)
``persona_shares.csv`` persona_id, name, size, share, share_low, share_high, status, share_change
``journey_stages.csv`` the journey map's stage table
``pain_points.csv``    the top touchpoint pain points, with their previous rank
``interventions.csv``  :func:`cxresearch.intervention_effects` of the period (verdicts, DiD intervals)
``nps_segments.csv``   NPS per channel (value, weight_total, respondents), to split the next run's change of NPS
``persona_model.json``, ``persona_profiles.parquet``, ``persona_centroids.parquet``
                       the personas the next run aligns to (:class:`~cxresearch.personas.PersonaState`)
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from .capabilities import ANALYSES, Unavailable, available, supported
from .dataset import CXDataset
from .drivers import KeyDrivers, driver_outcome
from .errors import SmallGroupWarning
from .columns import METRIC_UNITS
from .display import code_label, metric_change, pretty, value_label
from .i18n import N_, _, format_date, format_datetime, format_number, format_percent
from .interventions import METRICS, compare_verdicts, intervention_effects, window_sentence
from .journeys import JourneyMap, journey_map
from .outcomes import OutcomeRate, outcome_rate
from .personas import NoCustomerDataError, PersonaModel, PersonaState, fit_personas
from .personas.card import segmentation_note
from .privacy import MIN_GROUP_SIZE, redact_pii
from .stats import Estimate, MixDecomposition, compare, kpi_summary, segment_mix, wilson_interval
from .voice import TopicImpact

__all__ = ["Summary", "PreviousRun", "summarise", "reviews_are_surveys", "load_previous", "read_headline",
           "save_persona_model", "brief", "sections", "KPI_LABELS", "SURVEY_KPIS", "SATISFIED_KPIS", "REVIEW_KPIS",
           "MEAN_KPIS", "PERSONA_MODEL", "PAGES"]

#: KPI key -> label shown in reports: the surveys' NPS, CSAT and CES, then the reviews' stars.
KPI_LABELS = {"nps": "NPS", "csat": N_("CSAT (share satisfied)"), "ces": N_("CES (1-7, higher = easier)"),
              "satisfied": N_("Satisfied (share of answers)"),
              "rating": N_("Review stars 4-5 (share of reviews)"), "rating_mean": N_("Review stars mean (1-5)")}
#: Survey KPIs: key -> the KPI engine's metric and the estimate's name.
SURVEY_KPIS = {"nps": ("nps", "nps"), "csat": ("csat", "csat_top2box"), "ces": ("ces", "ces")}
#: Surveys without NPS or CSAT but with a two-valued satisfaction column (satisfied / neutral or dissatisfied,
#: :func:`cxresearch.drivers.driver_outcome`): the share of the good answer, read by the KPI engine as the share
#: of 4-5 answers of a CSAT question answered 5 (the good answer) or 1.
SATISFIED_KPIS = {"satisfied": ("csat", "satisfied_share")}
#: Review KPIs: key -> the KPI engine's metric on the stars (1-5, read as the answer of a CSAT question) and the
#: estimate's name: the share of 4 and 5 stars with its Wilson interval, the mean with its t interval.
REVIEW_KPIS = {"rating": ("csat", "review_top2box"), "rating_mean": ("csat_mean", "review_mean")}
#: KPIs that are means on a short scale, read with one decimal (the units of every KPI: columns.METRIC_UNITS).
MEAN_KPIS = frozenset({"ces", "rating_mean"})
TOP_PAIN_POINTS = 10
#: File of the persona state in a run folder (beside its Parquet tables, see PersonaState).
PERSONA_MODEL = PersonaState.FILES[0]
#: Segment whose mix the change of overall NPS is split by, and the file keeping its NPS per segment.
MIX_SEGMENT = "channel"
NPS_SEGMENTS = "nps_segments.csv"


@dataclass
class PreviousRun:
    """What the summary needs from a previous run: its id, KPIs, persona model, shares, pain points, interventions."""

    run_id: str
    kpis: dict[str, Estimate]
    persona_model: PersonaState | None
    persona_shares: pd.DataFrame
    pain_points: pd.DataFrame
    interventions: pd.DataFrame = field(default_factory=pd.DataFrame)
    nps_segments: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class Summary:
    """Headline results of one run (see :func:`summarise`).

    Attributes
    ----------
    kpis : dict of str to Estimate
        Overall ``nps`` (points), ``csat`` (top-2-box share of 1) and ``ces``, when surveys have them.
    kpi_changes : DataFrame
        Per KPI: label, before, after, diff, low, high, p_value, significant (empty without a previous run).
    persona_model : PersonaModel or None
    persona_shares : DataFrame
        Per persona (suppressed ones left out): persona_id, name, size, share
        with its interval, status (kept / new / vanished; "first run" without a previous run), previous_share and
        share_change, all shares as fractions of 1 (a change of 0.05 is 5 points).
    assignments : DataFrame
        customer_id, persona_id, persona_name.
    stages : DataFrame
        The journey map's stages (reach, conversion, exits, CSAT).
    pain_points : DataFrame
        The top pain points with an impact above zero, highest first, with ``rank`` and ``previous_rank``.
    interventions : DataFrame
        :func:`cxresearch.intervention_effects` of the period (empty without interventions).
    verdict_changes : DataFrame
        :func:`cxresearch.compare_verdicts` against the previous run (empty without one).
    previous_run : str or None
        Id of the run compared with.
    not_computed : DataFrame
        The analyses the dataset could not support: ``analysis`` and ``why``
        (the sentence of :func:`cxresearch.capabilities.missing`).
    nps_segments : DataFrame
        NPS per channel (small channels pooled), saved for the next run's split of the change.
    nps_mix : MixDecomposition or None
        The change of overall NPS since the previous run split into within-channel change and channel mix
        (:func:`cxresearch.stats.segment_mix`); None without a previous run or without NPS by channel.
    reviews_are_surveys : bool
        Every review is also a survey's CSAT answer, with the same id and score (Olist's post-delivery review):
        CSAT and the share of 4-5 stars are one measure, not two.
    outcome : OutcomeRate or None
        The share of customers with the customers' yes/no outcome (subscribed, bought, churned...) with its
        interval (:func:`cxresearch.outcomes.outcome_rate`); None without an outcome column. Its share per
        persona is in ``persona_shares``.
    drivers : KeyDrivers or None
        Which touchpoint ratings drive the surveys' outcome, and which to fix first
        (:func:`cxresearch.key_drivers`); None without ratings and an outcome.
    themes : TopicImpact or None
        Points of the outcome each theme costs or earns (:func:`cxresearch.topic_impact`): of the survey
        comments, or (``themes_of`` "reviews") of the reviews' texts on the share of 4-5 stars.
    themes_of : str
        "comments" or "reviews": the texts ``themes`` were found in.
    """

    kpis: dict[str, Estimate]
    persona_model: PersonaModel | None
    persona_shares: pd.DataFrame
    assignments: pd.DataFrame
    stages: pd.DataFrame
    pain_points: pd.DataFrame
    kpi_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    interventions: pd.DataFrame = field(default_factory=pd.DataFrame)
    verdict_changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    previous_run: str | None = None
    not_computed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["analysis", "why"]))
    nps_segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    nps_mix: MixDecomposition | None = None
    reviews_are_surveys: bool = False
    outcome: OutcomeRate | None = None
    drivers: KeyDrivers | None = None
    themes: TopicImpact | None = None
    themes_of: str = "comments"

    def mix_findings(self) -> str:
        """One sentence splitting the change of overall NPS into within-channel change and channel mix ("" without)."""
        mix = self.nps_mix
        if mix is None:
            return ""
        values = {"run": run_moment(self.previous_run), "change": format_number(mix.change, decimals=1),
                  "within": format_number(mix.within, decimals=1), "mix": format_number(mix.mix, decimals=1)}
        return _("NPS moved %(change)s points since the run of %(run)s: %(within)s from changes within channels (each "
                 "channel's NPS at the previous run's channel shares) and %(mix)s from answers moving between "
                 "channels.") % values

    def headline(self) -> dict:
        """KPI label -> value, change and significance, for the run index."""
        changes = self.kpi_changes.set_index("kpi") if not self.kpi_changes.empty else pd.DataFrame()
        return {KPI_LABELS[key].split(" (")[0]: {
                    "metric": key, "value": estimate.value,
                    "change": float(changes.loc[key, "diff"]) if key in changes.index else None,
                    "significant": bool(changes.loc[key, "significant"]) if key in changes.index else None}
                for key, estimate in self.kpis.items()}

    def intervention_findings(self) -> str:
        """Each intervention's verdict per metric with its difference-in-differences, in Markdown bullets."""
        if self.interventions.empty:
            return _("No interventions were measured in this period.")
        lines = [sentence + "\n"] if (sentence := window_sentence(self.interventions)) else []
        for (intervention_id, scope, start), rows in self.interventions.groupby(
                ["intervention_id", "scope", "start"], sort=False):
            lines.append(f"- **{intervention_id}** {rows['description'].iloc[0]} "
                         + _("(at %(scope)s, from %(start)s):") % {
                             "scope": code_label(scope, stage="scope_kind" in rows and rows["scope_kind"].iloc[0] == "stage"),
                             "start": format_date(start)})
            lines += [f"    - {_(METRICS[row.metric].label)}: {_verdict_words(row)}" for row in rows.itertuples()]
        if self.previous_run is not None:
            lines.append("\n" + (_("Verdicts changed since the run of %(run)s:") if len(self.verdict_changes)
                                 else _("No verdict changed since the run of %(run)s.")) % {
                                     "run": run_moment(self.previous_run)})
            lines += [f"- **{row.intervention_id}** {_(METRICS[row.metric].label)}: "
                      f"{_or_unmeasured(row.previous_verdict)} → **{_or_unmeasured(row.verdict)}**"
                      for row in self.verdict_changes.itertuples()]
        return "\n".join(lines)

    def not_computed_view(self):
        """For a page: the analyses not computed, those missing the same thing on one row (every analysis that
        needs surveys beside "No surveys in this dataset: add a surveys file ..."), or one sentence saying every
        analysis ran."""
        from IPython.display import Markdown

        if not len(self.not_computed):
            return Markdown(_("Every analysis of the routine was computed."))
        gaps = self.not_computed.assign(gap=[_gap(why) for why in self.not_computed["why"]])
        grouped = gaps.groupby("gap", sort=False)["analysis"].agg(lambda labels: ", ".join(labels)).reset_index()
        return pretty(grouped.rename(columns={"gap": "why"})[["analysis", "why"]])

    def outcome_view(self):
        """For a page: how many customers bought, subscribed or left, with the interval, and the personas whose
        share differs from the other customers' (Holm-adjusted)."""
        from IPython.display import Markdown

        outcome = self.outcome
        lines = [f"**{outcome.sentence()}**: {outcome.interval()}."]
        shares = self.persona_shares
        if "outcome_differs" in shares.columns:
            differing = shares.loc[shares["outcome_differs"].isin(["higher", "lower"])]
            lines.append(_("Per persona (the table under *Personas*): %(personas)s.") % {"personas": ", ".join(
                _("%(name)s %(rate)s (%(differs)s than the other customers)") % {
                    "name": row.name, "rate": format_percent(row.outcome_rate, decimals=1),
                    "differs": value_label(row.outcome_differs)} for row in differing.itertuples())}
                if len(differing) else _("No persona's share differs from the other customers' beyond noise."))
        elif self.persona_model is not None:
            lines.append(_("Without personas, no share per persona."))
        return Markdown("\n\n".join(lines))

    def shares_shown(self):
        """For a page: the persona shares, or (no stable segmentation) the sentence saying why there are no
        personas and what they would need, not a one-row table of all customers at 100%."""
        note = None if self.persona_model is None else segmentation_note(self.persona_model)
        return Unavailable(note) if note else self.persona_shares

    def kpi_table(self) -> pd.DataFrame:
        """The surveys' KPIs with intervals and change since the previous run, one row each, for the report.

        ``kpi`` is the metric key (the unit each row reads in: a share, NPS points, a mean), ``KPI`` its label.
        """
        return self._kpi_rows(SURVEY_KPIS)

    def rating_table(self) -> pd.DataFrame:
        """The reviews' stars (share of 4-5 and mean) with intervals and change, as :meth:`kpi_table`, counted in
        ``reviews``."""
        return self._kpi_rows(REVIEW_KPIS, counted="reviews")

    def _kpi_rows(self, keys, *, counted: str = "responses") -> pd.DataFrame:
        table = pd.DataFrame([{"kpi": key, "KPI": _(KPI_LABELS[key]), "value": e.value, "low": e.low, "high": e.high,
                               counted: e.n} for key, e in self.kpis.items() if key in keys])
        if table.empty or self.kpi_changes.empty:
            return table
        changes = (self.kpi_changes[["kpi", "diff", "p_value", "significant"]]
                   .rename(columns={"diff": "change"}).round({"p_value": 3}))
        return table.merge(changes, on="kpi", how="left")

    def save(self, folder) -> None:
        """Write the run's machine-readable results into *folder* (see the module docstring)."""
        folder = Path(folder)
        kpis = {"kpis": {key: e.to_dict() for key, e in self.kpis.items()}, "previous_run": self.previous_run,
                "changes": self.kpi_changes.to_dict("records"), "headline": self.headline(),
                "outcome": None if self.outcome is None else asdict(self.outcome)}
        _write(folder / "kpis.json", lambda path: path.write_text(json.dumps(kpis, indent=2, default=float) + "\n"))
        for name, table in (("personas.csv", self.assignments), ("persona_shares.csv", self.persona_shares),
                            ("journey_stages.csv", self.stages), ("pain_points.csv", self.pain_points),
                            ("interventions.csv", self.interventions), (NPS_SEGMENTS, self.nps_segments)):
            _write(folder / name, lambda path, table=table: table.to_csv(path, index=False))
        if self.persona_model is not None:
            save_persona_model(self.persona_model, folder)


def _verdict_words(effect) -> str:
    """``"**improved**, difference-in-differences +12.3 NPS points (95% interval +5.1 to +19.4 NPS points)"`` for
    one effect row: the difference in the metric's unit (percentage points of a share, NPS points)."""
    verdict = f"**{value_label(effect.verdict)}**"
    if pd.isna(effect.did):
        return verdict
    metric = effect.metric
    words = verdict + ", " + _("difference-in-differences %(did)s (95%% interval %(low)s to %(high)s)") % {
        "did": metric_change(metric, effect.did, decimals=_decimals(metric), words=True),
        "low": metric_change(metric, effect.did_low, decimals=_decimals(metric), unit=False),
        "high": metric_change(metric, effect.did_high, decimals=_decimals(metric), words=True)}
    mde = getattr(effect, "mde", float("nan"))
    margin = {"mde": metric_change(metric, mde, decimals=_decimals(metric), words=True, signed=False)}
    if effect.verdict == "no detectable change" and pd.notna(mde):
        words += "; " + _("this sample detects changes of ±%(mde)s or more (80%% power)") % margin
    if effect.verdict in ("too few answers to tell", "too few sessions to tell") and pd.notna(mde):
        large = metric_change(metric, METRICS[metric].large, decimals=_decimals(metric), words=True, signed=False)
        beyond = mde >= METRICS[metric].span / 2   # "±131.0 NPS points" says nothing a reader can use
        words += "; " + (_("even a large change (%(large)s) could go unseen: too few answers to detect any change "
                           "smaller than half the scale") if beyond else
                         _("even a large change (%(large)s) could go unseen: this sample detects only changes of "
                           "±%(mde)s or more (80%% power)")) % {**margin, "large": large}
    if effect.verdict == "not identified":
        words += "; " + _("the scope was already drifting from the comparison before the start (pre-trend check "
                          "failed)")
    return words


def _decimals(metric: str) -> int:
    """Decimals of a change of *metric*: one for shares (in percentage points) and NPS, two for means."""
    return 1 if METRIC_UNITS.get(metric) in ("share", "points") else 2


def _or_unmeasured(verdict) -> str:
    return _("not measured") if pd.isna(verdict) else value_label(verdict)


def save_persona_model(model: PersonaModel, folder) -> None:
    """Save the state of the fitted persona *model* into the run *folder* as JSON and Parquet
    (:class:`~cxresearch.personas.PersonaState`, read back by :func:`load_previous`)."""
    for name, content in PersonaState.of(model).files().items():
        _write(Path(folder) / name, lambda path, content=content: path.write_bytes(content))


def _write(path: Path, writer) -> None:
    """Write through a unique temporary name, then rename into place."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    writer(temporary)
    temporary.replace(path)


def journey_headline(journey: JourneyMap) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the summary shows of a journey map: its stages and its :data:`TOP_PAIN_POINTS` pain points."""
    return journey.stages, journey.pain_points(top=TOP_PAIN_POINTS)


def summarise(ds: CXDataset, *, personas="auto", random_state: int = 42, min_group_size: int = MIN_GROUP_SIZE,
              previous: PreviousRun | None = None, persona_model: PersonaModel | None = None,
              interventions: pd.DataFrame | None = None,
              journey: tuple[pd.DataFrame, pd.DataFrame] | None = None, drivers: KeyDrivers | None = None,
              themes: TopicImpact | None = None, themes_of: str = "comments") -> Summary:
    """Headline results of *ds*, compared with a *previous* run when given.

    Parameters
    ----------
    ds : CXDataset
        The dataset, already restricted to the period.
    personas : "auto" or int
        Number of personas (``"auto"`` chooses it).
    random_state : int
        Seed of the persona model.
    min_group_size : int
        Smallest group described.
    previous : PreviousRun, optional
        The previous run of the same dataset (:func:`load_previous`).
    persona_model : PersonaModel, optional
        The personas of *ds* already fitted and aligned to *previous* (the
        run's model); fitted here with :func:`~cxresearch.personas.fit_personas` when not given.
    interventions : DataFrame, optional
        :func:`~cxresearch.interventions.intervention_effects` of *ds* already
        computed (the run's, shown on the interventions page); computed here when not given.
    journey : tuple of DataFrame, optional
        :func:`journey_headline` of the journey map of *ds* already computed
        (the run's, from the journey page); mapped here when not given.
    drivers, themes : KeyDrivers, TopicImpact, optional
        The run's :func:`~cxresearch.key_drivers` of the surveys' outcome and :func:`~cxresearch.topic_impact` of
        the themes of the survey comments or (*themes_of* ``"reviews"``) of the reviews' texts on their stars,
        as the voice page shows them; the actions they suggest are left out without them.
    """
    kpis = _kpis(ds, min_group_size)
    segments = _nps_segments(ds, min_group_size)
    model, failed = persona_model, {}
    if model is None and available(ds, "personas"):
        try:
            _, model = fit_personas(ds, n_personas=personas, random_state=random_state, min_group_size=min_group_size,
                                    previous=previous.persona_model if previous else None)
        except NoCustomerDataError as exc:  # too few customers, or nothing varying among them
            failed["personas"] = str(exc)
    effects = _interventions(ds, min_group_size, effects=interventions)
    stages = pain_points = pd.DataFrame()
    if available(ds, "journeys"):
        stages, pain_points = journey or journey_headline(journey_map(ds, min_group_size=min_group_size))
    return Summary(
        kpis=kpis,
        persona_model=model,
        persona_shares=_persona_shares(model, previous),
        outcome=outcome_rate(ds.customers),
        assignments=_assignments(model),
        stages=stages.reset_index(drop=True),
        pain_points=_ranked_pain_points(pain_points, previous),
        kpi_changes=_kpi_changes(kpis, previous),
        interventions=effects,
        verdict_changes=(compare_verdicts(effects, previous.interventions)
                         if previous is not None and not previous.interventions.empty else pd.DataFrame()),
        previous_run=previous.run_id if previous else None,
        nps_segments=segments,
        nps_mix=_nps_mix(segments, previous, min_group_size),
        not_computed=_not_computed(ds, failed),
        reviews_are_surveys=reviews_are_surveys(ds),
        drivers=drivers,
        themes=themes,
        themes_of=themes_of,
    )


def reviews_are_surveys(ds: CXDataset) -> bool:
    """True when every review is a survey answer with the same id and its stars are that answer's CSAT."""
    surveys, reviews = ds.surveys, ds.reviews
    if surveys is None or reviews is None or reviews.empty or not {"csat", "response_id"} <= set(surveys.columns) \
            or not {"rating", "review_id"} <= set(reviews.columns):
        return False
    answers = surveys.drop_duplicates("response_id")
    csat = pd.Series(answers["csat"].to_numpy(), index=answers["response_id"].astype(str))
    ids = reviews["review_id"].astype(str)
    return bool(ids.isin(csat.index).all() and (csat.reindex(ids).to_numpy() == reviews["rating"].to_numpy()).all())


def _gap(why: str) -> str:
    """What a not-computed analysis lacks and what to add, without what it would show: the sentence of
    :func:`cxresearch.capabilities.missing` without its purpose ("No surveys in this dataset: add a surveys file
    (response_id, timestamp and scores)."); any other sentence as it is."""
    for analysis in ANALYSES.values():
        head = why.removesuffix(" " + _(analysis.purpose) + ".")
        if head != why:
            return head + "."
    return why


def brief(ds: CXDataset, result):
    """For a section of the summary: a result the data could not support as one short line naming what is missing
    (the page's *Not computed* list says what to add, once), anything else as it is."""
    from IPython.display import Markdown

    if not isinstance(result, Unavailable) or result.sentence not in set(supported(ds)["missing"]):
        return result
    missing = _gap(result.sentence).split(": ", 1)[0]
    result._shown[0] = True   # said here: the cells deriving from it stay silent, as after its own sentence
    return Markdown("*" + _("Not computed: %(missing)s (the list at the end of the page says what to add).") % {
        "missing": missing[:1].lower() + missing[1:]} + "*")


#: The routine's pages: file name (without extension) -> title and what it shows.
PAGES = {"00_data_quality": (N_("Data quality"), N_("what was loaded and how clean it is")),
         "01_personas": (N_("Personas"), N_("who the customers are")),
         "02_journey_map": (N_("Journey map"), N_("how they move between touchpoints")),
         "03_voice_of_customer": (N_("Voice of the customer"), N_("KPIs by group, key drivers, what customers write")),
         "05_interventions": (N_("Interventions"), N_("what each change made for customers"))}


def sections(run_dir: str = ""):
    """The links to the routine's other pages: their HTML pages in a run's report (*run_dir* set), the notebooks
    beside this one when it is opened by hand in JupyterLab (where the HTML pages do not exist)."""
    from IPython.display import Markdown

    extension = "html" if run_dir else "ipynb"
    lines = [f"- [{_(title)}]({name}.{extension}): {_(words)}" for name, (title, words) in PAGES.items()]
    if run_dir:
        lines.append(f"- [{_('All runs')}](../index.html)")
    return Markdown("\n".join(lines))


def _not_computed(ds: CXDataset, failed: dict[str, str]) -> pd.DataFrame:
    """The analyses *ds* cannot support, or that found too little data (*failed*: key -> sentence), with why."""
    table = supported(ds)
    table = table.assign(missing=[failed.get(key, why) for key, why in zip(table["key"], table["missing"])])
    return table.loc[table["missing"] != "", ["analysis", "missing"]].rename(columns={"missing": "why"})


def _interventions(ds: CXDataset, min_group_size: int, *, effects: pd.DataFrame | None = None) -> pd.DataFrame:
    """Intervention effects of *ds* (*effects* when given) with descriptions redacted (empty without interventions)."""
    if not available(ds, "interventions"):
        return pd.DataFrame()
    if effects is None:
        effects = intervention_effects(ds, min_group_size=min_group_size)
    return effects.assign(description=redact_pii(effects["description"].fillna("")))


def _kpis(ds: CXDataset, min_group_size: int = MIN_GROUP_SIZE) -> dict[str, Estimate]:
    """Overall KPIs of the dataset from the KPI engine, each with the period its answers span: the surveys'
    NPS, CSAT and CES, and the reviews' stars (:data:`REVIEW_KPIS`)."""
    kpis = {}
    if ds.surveys is not None and not ds.surveys.empty:
        kpis.update(_estimates(ds.surveys, SURVEY_KPIS, min_group_size))
        outcome = driver_outcome(ds.surveys)
        if outcome is not None and outcome.kind == "binary":   # no NPS or CSAT: the share of satisfied answers
            answers = ds.surveys[[c for c in ("customer_id", "timestamp", "weight") if c in ds.surveys.columns]]
            kpis.update(_estimates(answers.assign(csat=outcome.values * 4 + 1), SATISFIED_KPIS, min_group_size))
    if available(ds, "ratings"):
        stars = ds.reviews[[c for c in ("customer_id", "timestamp") if c in ds.reviews.columns]]
        kpis.update(_estimates(stars.assign(csat=ds.reviews["rating"]), REVIEW_KPIS, min_group_size))
    return kpis


def _estimates(answers: pd.DataFrame, kpis: dict[str, tuple[str, str]], min_group_size: int) -> dict[str, Estimate]:
    """*kpis* (key -> engine metric, estimate name) of *answers*, those it has answers for."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallGroupWarning)
        table = kpi_summary(answers, metrics=[metric for metric, _name in kpis.values()], level=0.95,
                            min_group_size=min_group_size).set_index("metric")
    period = ()
    if "timestamp" in answers.columns and answers["timestamp"].notna().any():
        stamps = pd.to_datetime(answers["timestamp"], utc=True)
        period = (stamps.min().isoformat(), stamps.max().isoformat())
    return {key: Estimate.from_row(table.loc[metric], level=0.95, name=name, period=period)
            for key, (metric, name) in kpis.items() if metric in table.index}


def _nps_segments(ds: CXDataset, min_group_size: int) -> pd.DataFrame:
    """NPS per channel (channels under *min_group_size* respondents pooled as "other segments"), what the next
    run splits its change of NPS by; empty without NPS answers by channel."""
    surveys = ds.surveys
    if surveys is None or surveys.empty or not {"nps", MIX_SEGMENT} <= set(surveys.columns):
        return pd.DataFrame()
    surveys = surveys[surveys["nps"].notna() & surveys[MIX_SEGMENT].notna()]
    people = surveys["customer_id"] if "customer_id" in surveys.columns else pd.Series(surveys.index, surveys.index)
    size = people.groupby(surveys[MIX_SEGMENT]).nunique()
    small = size.index[size < min_group_size]
    pooled = surveys.assign(**{MIX_SEGMENT: surveys[MIX_SEGMENT].astype(str).where(
        ~surveys[MIX_SEGMENT].isin(small), "other segments")})
    table = kpi_summary(pooled, by=[MIX_SEGMENT], metrics=["nps"], min_group_size=1, low_base=0)
    return table[[MIX_SEGMENT, "value", "weight_total", "respondents"]]


def _nps_mix(segments: pd.DataFrame, previous: PreviousRun | None, min_group_size: int) -> MixDecomposition | None:
    """Mix/within split of the change of NPS since *previous* (None without NPS by channel in both runs)."""
    if previous is None or segments.empty or previous.nps_segments.empty:
        return None
    before = previous.nps_segments.astype({MIX_SEGMENT: str})
    return segment_mix(before, segments.astype({MIX_SEGMENT: str}), segment_col=MIX_SEGMENT,
                       min_group_size=min_group_size)


def _kpi_changes(kpis: dict[str, Estimate], previous: PreviousRun | None) -> pd.DataFrame:
    """Change of each KPI since the previous run; runs whose answer periods overlap are not tested.

    Overlapping periods share answers and respondents, so a test of two
    independent samples would be wrong: their change is shown with a note and
    no p-value.
    """
    if previous is None:
        return pd.DataFrame()
    rows = []
    for key, after in kpis.items():
        before = previous.kpis.get(key)
        if before is None or not before.n or not after.n:
            continue
        row = {"kpi": key, "label": KPI_LABELS[key], "before": before.value, "after": after.value,
               "diff": after.value - before.value, "low": float("nan"), "high": float("nan"),
               "p_value": float("nan"), "significant": False, "note": ""}
        if before.overlaps(after):
            row["note"] = "periods overlap (shared respondents): not tested"
        else:
            change = compare(before, after)
            row.update(low=change.low, high=change.high, p_value=change.p_value, significant=change.significant)
        rows.append(row)
    return pd.DataFrame(rows)


def _assignments(model: PersonaModel | None) -> pd.DataFrame:
    if model is None:
        return pd.DataFrame(columns=["customer_id", "persona_id", "persona_name"])
    labels = model.labels_
    return pd.DataFrame({"customer_id": labels.index.astype(str), "persona_id": labels.to_numpy(),
                         "persona_name": model.personas_["name"].reindex(labels.to_numpy()).to_numpy()})


#: The persona table's columns of the customers' outcome (:func:`~cxresearch.personas.profiles.persona_outcome`).
OUTCOME_COLUMNS = ["outcome_rate", "outcome_rate_low", "outcome_rate_high", "outcome_n", "outcome_vs_rest",
                   "outcome_differs"]


def _persona_shares(model: PersonaModel | None, previous: PreviousRun | None) -> pd.DataFrame:
    """Each persona's share with its interval and status, and its outcome rate when the customers have one."""
    columns = ["persona_id", "name", "size", "share", "share_low", "share_high", "status", "previous_share",
               "share_change"]
    if model is None:
        return pd.DataFrame(columns=columns)
    outcome = [column for column in OUTCOME_COLUMNS if column in model.personas_.columns]
    columns += outcome
    table = model.personas_.loc[~model.personas_["suppressed"], ["name", "size", *outcome]]
    total = int(model.personas_["size"].sum())
    share, low, high = wilson_interval(table["size"].to_numpy(), total)
    table = table.assign(share=share, share_low=low, share_high=high)
    table = table.rename_axis("persona_id").reset_index()
    if previous is None:
        return table.assign(status="first run", previous_share=float("nan"), share_change=float("nan"))[columns]
    status = getattr(model, "alignment_", pd.DataFrame(columns=["persona", "status"]))
    status = status.dropna(subset=["persona"]).set_index("persona")["status"]
    before = previous.persona_shares.set_index("persona_id")
    table = table.assign(status=table["persona_id"].map(status).fillna("new"),
                         previous_share=table["persona_id"].map(before["share"]))
    vanished = before.loc[before.index.difference(table["persona_id"])].reset_index()
    vanished = vanished.assign(status="vanished", previous_share=vanished["share"], size=0, share=0.0,
                               share_low=float("nan"), share_high=float("nan"),
                               **{column: float("nan") for column in outcome})
    table = pd.concat([table, vanished.reindex(columns=table.columns)], ignore_index=True) if len(vanished) else table
    return table.assign(share_change=table["share"] - table["previous_share"])[columns]


def _ranked_pain_points(pain_points: pd.DataFrame, previous: PreviousRun | None) -> pd.DataFrame:
    """The pain points with an impact above zero (an average place is no pain), ranked, with their previous rank."""
    if pain_points.empty:
        return pain_points
    table = pain_points.loc[pain_points["impact"] > 0].reset_index(drop=True)
    table.insert(0, "rank", range(1, len(table) + 1))
    if previous is None or previous.pain_points.empty:
        return table.assign(previous_rank=pd.NA)
    earlier = previous.pain_points.set_index("name")["rank"]
    return table.assign(previous_rank=pd.array(table["name"].map(earlier).to_numpy(), dtype="Int64"))


def run_moment(run_id: str) -> str:
    """When the routine's run *run_id* started, in the reader's words and UTC (its id is that moment); any other
    name as it is.

    Examples
    --------
    >>> run_moment("20261202T154107Z-4d6085")[:12], run_moment("20261202T154107Z-4d6085")[-3:], run_moment("r1")
    ('Dec 2, 2026,', 'UTC', 'r1')
    """
    try:
        moment = dt.datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return run_id
    return _("%(moment)s UTC") % {"moment": format_datetime(moment)}


def load_previous(folder) -> PreviousRun:
    """Read back the results a previous run saved (see :meth:`Summary.save`)."""
    folder = Path(folder)
    saved = json.loads((folder / "kpis.json").read_text())
    kpis = {key: Estimate.from_dict(values) for key, values in saved["kpis"].items()}
    return PreviousRun(run_id=folder.name, kpis=kpis, persona_model=PersonaState.read(folder),
                       persona_shares=_shares_of_one(_read_csv(folder / "persona_shares.csv")),
                       pain_points=_read_csv(folder / "pain_points.csv"),
                       interventions=_read_csv(folder / "interventions.csv"),
                       nps_segments=_read_csv(folder / NPS_SEGMENTS))


def read_headline(folder) -> dict | None:
    """``{"kpis": headline, "previous_run": id}`` saved in *folder*, or None when nothing was saved."""
    path = Path(folder) / "kpis.json"
    if not path.is_file():
        return None
    saved = json.loads(path.read_text())
    return {"kpis": saved["headline"], "previous_run": saved["previous_run"]}


def _shares_of_one(shares: pd.DataFrame) -> pd.DataFrame:
    """Persona shares as fractions of 1: runs before this version saved them in percent (summing to about 100)."""
    columns = [column for column in ("share", "share_low", "share_high", "previous_share", "share_change")
               if column in shares.columns]
    if "share" not in columns or shares["share"].sum() <= 1.5:
        return shares
    return shares.assign(**{column: shares[column] / 100 for column in columns})


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (FileNotFoundError, pd.errors.EmptyDataError):
        return pd.DataFrame()
