"""Results several pages need, computed once per routine run (:func:`shared`).

The notebooks of a run execute at once, each in its own kernel; what two of
them need (the personas, the intervention effects, the themes of the
comments and reviews, the reviews' sentiment, the journey's stages and pain
points, the key drivers and the themes' NPS impact) is computed by whichever
asks first and read back by the others, from the run's private snapshot
folder. Outside a routine run (a notebook run by hand) every call computes.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import pickle  # only for the run's own caches in its private snapshot folder
import time
import typing
import warnings

from .parameters import PAGES_PENDING, RoutineParameters, run_cache
from .runs import previous_run

if typing.TYPE_CHECKING:
    import pandas as pd

    from ..drivers import KeyDrivers
    from ..interventions import InterventionStudy
    from ..journeys import JourneyLog
    from ..personas import PersonaModel
    from ..summary import Summary
    from ..topics import Topics
    from ..voice import TopicImpact

__all__ = ["shared", "run_personas", "run_journey_log", "run_interventions", "run_intervention_study",
           "run_intervention_inputs", "run_sentiment", "run_journey_headline", "run_topics", "run_key_drivers",
           "run_topic_impact", "run_canvas_voice", "run_summary", "wait_for_pages"]


def run_personas(parameters: RoutineParameters, dataset=None) -> tuple[pd.DataFrame, PersonaModel]:
    """Customer features and the run's personas, fitted once per run.

    The first call of a run fits the personas the standard way
    (:func:`~cxresearch.personas.fit_personas`, aligned to the previous run's
    ids and names, read from its JSON/Parquet state) and saves their state in
    ``run_dir`` for the next run. Features and model are kept for the later
    calls of the same run, from any notebook, beside the run's private dataset
    snapshot (deleted when the run ends), so they read them back instead of
    fitting again; a notebook asking while another fits waits for it
    (:func:`shared`). Outside a routine run (a notebook run by hand) every call fits.

    Parameters
    ----------
    parameters : RoutineParameters
    dataset : CXDataset, optional
        ``parameters.load()``, when the caller already has it.
    """
    from ..personas import fit_personas
    from ..summary import load_previous, save_persona_model

    def fit():
        earlier = previous_run(parameters.reports_dir, parameters.data_dir)
        features, model = fit_personas(parameters.load() if dataset is None else dataset,
                                       n_personas=parameters.n_personas, random_state=parameters.random_state,
                                       min_group_size=parameters.min_group_size,
                                       previous=load_previous(earlier.folder).persona_model if earlier else None)
        if parameters.run_dir:
            save_persona_model(model, parameters.run_dir)
        return features, model

    return shared(parameters, "personas", fit)


def run_journey_log(parameters: RoutineParameters, dataset=None) -> JourneyLog:
    """The dataset's events cut into sessions and encoded once per run (:func:`~cxresearch.journeys.journey_log`).

    The journey page's maps (overall, by persona, each persona's canvas) and the interventions page count
    the same log (``journey_map(dataset, log=...)``) instead of cutting the sessions again (:func:`shared`).
    """
    from ..journeys import journey_log

    return shared(parameters, "journey_log", lambda: journey_log(parameters.load() if dataset is None else dataset))


def run_interventions(parameters: RoutineParameters, dataset=None) -> pd.DataFrame:
    """The period's intervention effects (:func:`~cxresearch.interventions.intervention_effects`), once per run.

    The interventions page and the summary show the same verdicts, computed
    with the run's random_state (:func:`run_intervention_study`). *dataset* is the period's dataset when the
    caller has it: the history itself when the run has no ``period_start``.
    """
    return run_intervention_study(parameters, None if parameters.period_start else dataset).effects


def run_intervention_study(parameters: RoutineParameters, history=None,
                           inputs: dict | None = None) -> InterventionStudy:
    """The period's intervention effects and event study (:func:`~cxresearch.interventions.intervention_study`),
    in the run's ``intervention_window``, from one pass over the data, once per run (:func:`shared`).

    They are measured on *history* (:meth:`~RoutineParameters.load_history`: the period and the weeks before
    it, so that an intervention started near the period's start has its before window), with the *inputs*
    (:func:`run_intervention_inputs`) the caller has already.
    """
    from ..interventions import intervention_study

    def measure():
        data = parameters.load_history() if history is None else history
        return intervention_study(data, window=parameters.intervention_window, random_state=parameters.random_state,
                                  min_group_size=parameters.min_group_size,
                                  **(inputs if inputs is not None else run_intervention_inputs(parameters, data)))

    return shared(parameters, "interventions", measure)


def run_intervention_inputs(parameters: RoutineParameters, history=None) -> dict:
    """What the intervention evidence reads that other pages compute too: ``sentiment`` and ``log`` of *history*
    (:meth:`~RoutineParameters.load_history`), each None when the data has none.

    Without a ``period_start`` the history is the pages' dataset: its review sentiment (:func:`run_sentiment`)
    and journey log (:func:`run_journey_log`) are the run's, computed once; with one, they are the history's own.
    """
    from ..errors import DataError
    from ..journeys import journey_log
    from ..text import sentiment

    history = parameters.load_history() if history is None else history
    reviews, events = history.reviews, history.events
    run_wide = not parameters.period_start
    inputs = {"sentiment": None, "log": None}
    if reviews is not None and "text" in reviews.columns:
        inputs["sentiment"] = run_sentiment(parameters, history) if run_wide else sentiment(reviews["text"])
    if events is not None and not events.empty:
        with contextlib.suppress(DataError):  # events without what journeys need: the evidence cuts its own
            inputs["log"] = run_journey_log(parameters, history) if run_wide else journey_log(history)
    return inputs


def run_sentiment(parameters: RoutineParameters, dataset=None) -> pd.Series:
    """Sentiment of the reviews' texts (:func:`~cxresearch.text.sentiment`), aligned on ``dataset.reviews``, once
    per run: the voice page, the reviews' themes and the intervention evidence read the same scores."""
    from ..text import sentiment

    reviews = (parameters.load() if dataset is None else dataset).reviews
    return shared(parameters, "review_sentiment", lambda: sentiment(reviews["text"]))


def run_journey_headline(parameters: RoutineParameters, dataset=None, *,
                         journey=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The journey's stages and top pain points the summary shows (:func:`~cxresearch.summary.journey_headline`),
    once per run: from the journey page's map *journey* when it asks first, else from a map made here."""
    from ..journeys import journey_map
    from ..summary import journey_headline

    dataset = parameters.load() if dataset is None else dataset
    return shared(parameters, "journey_headline", lambda: journey_headline(
        journey if journey is not None else journey_map(dataset, log=run_journey_log(parameters, dataset),
                                                        min_group_size=parameters.min_group_size)))


def run_topics(parameters: RoutineParameters, dataset=None, *, reviews: bool = False) -> Topics:
    """Themes of the survey comments (:func:`~cxresearch.topics`), once per run: the voice page and the canvas agree.

    With *reviews*, the themes of the reviews' texts instead (an export of reviews without surveys), crossed with
    the run's sentiment of the reviews (:func:`run_sentiment`).
    """
    from ..topics import topics

    dataset = parameters.load() if dataset is None else dataset
    texts = dataset.reviews["text"] if reviews else dataset.surveys["comment"]
    return shared(parameters, "review_topics" if reviews else "topics", lambda: topics(
        texts, taxonomy=dataset.topic_taxonomy, scores=run_sentiment(parameters, dataset) if reviews else None,
        random_state=parameters.random_state, min_group_size=parameters.min_group_size))


def run_key_drivers(parameters: RoutineParameters, dataset=None) -> KeyDrivers:
    """Key drivers of NPS (else of the outcome the surveys have) among the ``rating_*`` answers
    (:func:`~cxresearch.key_drivers`), once per run."""
    from ..drivers import key_drivers

    surveys = (parameters.load() if dataset is None else dataset).surveys
    return shared(parameters, "key_drivers", lambda: key_drivers(
        surveys, score_col=None, driver_cols="rating_*", random_state=parameters.random_state,
        cluster_col=_respondent_col(surveys), min_group_size=parameters.min_group_size))


def run_topic_impact(parameters: RoutineParameters, dataset=None, *, topics: Topics | None = None,
                     reviews: bool = False) -> TopicImpact:
    """NPS points each theme of :func:`run_topics` costs or earns (:func:`~cxresearch.topic_impact`), once per run.

    *topics* is :func:`run_topics` when the caller has it already. With *reviews*, the points of the share of
    4-5 star reviews each theme of the reviews' texts costs or earns.
    """
    from ..voice import topic_impact

    dataset = parameters.load() if dataset is None else dataset
    answers = dataset.reviews.assign(csat=dataset.reviews["rating"]) if reviews else dataset.surveys
    return shared(parameters, "review_topic_impact" if reviews else "topic_impact", lambda: topic_impact(
        answers, (run_topics(parameters, dataset, reviews=reviews) if topics is None else topics).membership,
        score_col="csat" if reviews else None, random_state=parameters.random_state,
        cluster_col=_respondent_col(answers), min_group_size=parameters.min_group_size))


def run_canvas_voice(parameters: RoutineParameters, dataset=None) -> dict:
    """What the journey canvas shows of the voice of the customer (:func:`~cxresearch.canvas.voice_inputs`): the run's
    themes, key drivers and theme impact, the same as the voice page's."""
    from ..canvas import voice_inputs

    dataset = parameters.load() if dataset is None else dataset
    return voice_inputs(dataset, random_state=parameters.random_state, min_group_size=parameters.min_group_size, compute={
        "topics": lambda: run_topics(parameters, dataset), "key_drivers": lambda: run_key_drivers(parameters, dataset),
        "topic_impact": lambda: run_topic_impact(parameters, dataset)})


def _respondent_col(surveys: pd.DataFrame) -> str | None:
    """The column identifying repeat respondents (their answers are clustered), when the surveys have it."""
    return "customer_id" if "customer_id" in surveys.columns else None


def shared(parameters: RoutineParameters, name: str, compute: typing.Callable[[], typing.Any]):
    """``compute()`` once per routine run, whichever notebook asks first; later calls read the result back.

    The result is kept as *name* beside the run's private dataset snapshot
    (deleted when the run ends). Notebooks run at once, so the first caller
    holds a lock on *name* while it computes and the others wait for it
    instead of computing the same thing. The first caller returns what it
    computed and the others what they read back, the pickle streamed to and
    from the file, so a caller holds one copy of the result (at 1M customers a
    journey log is 0.5 GB); the warnings computing it raised are raised again for every caller, so
    each page notes what the result hid. Outside a routine run every call computes.
    """
    cache = run_cache(parameters, f"{name}.pkl")
    if cache is None:
        return compute()
    with open(cache.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cache.is_file():
            with cache.open("rb") as stream:  # read in place: no copy of the file's bytes beside the result
                result, kept = pickle.load(stream)
        else:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = compute()
            kept = [(str(w.message), w.category) for w in caught]
            temporary = cache.with_suffix(".tmp")
            with temporary.open("wb") as stream:  # written as it is pickled: no copy of the pickle's bytes
                pickle.dump((result, kept), stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, cache)
    for message, category in kept:  # every page using the result notes what computing it hid
        warnings.warn(message, category, stacklevel=2)
    return result


def run_summary(parameters: RoutineParameters, dataset=None) -> Summary:
    """The executive summary of the parameters' dataset and period, compared with the previous run.

    The previous run is the newest successful run of the same dataset in
    ``reports_dir``; the personas, intervention effects and journey are the run's
    (:func:`run_personas`, :func:`run_interventions`, :func:`run_journey_headline`), when the dataset
    supports them. When ``run_dir`` is set the results are saved there.
    *dataset* is the loaded dataset when the caller has it (else ``parameters.load()``).
    """
    from ..capabilities import available
    from ..errors import DataError
    from ..personas import NoCustomerDataError
    from ..summary import load_previous, summarise

    dataset = parameters.load() if dataset is None else dataset
    earlier = previous_run(parameters.reports_dir, parameters.data_dir)
    model = None
    if available(dataset, "personas"):
        with contextlib.suppress(NoCustomerDataError):  # the summary says why there are no personas
            model = run_personas(parameters, dataset)[1]
    effects = run_interventions(parameters, dataset) if available(dataset, "interventions") else None
    journey = run_journey_headline(parameters, dataset) if available(dataset, "journeys") else None
    drivers = themes = None
    reviews = not available(dataset, "topic_impact")   # else the themes of the reviews, on their stars
    with warnings.catch_warnings():   # the voice page notes what they hid, and says why when they fail
        warnings.simplefilter("ignore")
        with contextlib.suppress(DataError):
            drivers = run_key_drivers(parameters, dataset) if available(dataset, "key_drivers") else None
        with contextlib.suppress(DataError):
            if not reviews or available(dataset, "review_topics"):
                themes = run_topic_impact(parameters, dataset, reviews=reviews)
    summary = summarise(dataset, personas=parameters.n_personas, random_state=parameters.random_state,
                        min_group_size=parameters.min_group_size,
                        previous=load_previous(earlier.folder) if earlier else None, persona_model=model,
                        interventions=effects, journey=journey, drivers=drivers, themes=themes,
                        themes_of="reviews" if reviews else "comments")
    if parameters.run_dir:
        summary.save(parameters.run_dir)
    return summary


def wait_for_pages(parameters: RoutineParameters, *, poll: float = 0.1) -> None:
    """Wait until the run's other pages are done, their notes written (the summary's last cell lists them).

    The routine starts the summary beside the other pages when the memory
    allows, so that only this wait, not its kernel, imports and results, comes
    after them. Returns at once outside a routine run (and whenever the run's
    pages are not running: the run removes its snapshot folder when it ends).
    """
    pending = run_cache(parameters, PAGES_PENDING)
    while pending is not None and pending.exists():
        time.sleep(poll)
