"""The periodic research routine: run the notebooks, render the reports, keep the index.

One call of :func:`run` makes one run; the modules follow its data flow:

1. :mod:`.parameters`: :class:`RoutineParameters`, what every notebook
   receives; bad parameters or input stop the run before any notebook and are
   recorded as a failed run;
2. :mod:`.runner`: :func:`run` loads and checks the export once, saves it as
   a private snapshot for the notebooks' kernels, executes every notebook
   with papermill (:mod:`.execution`), several at once, the summary's last
   cell after the others (:func:`.results.wait_for_pages`), and renders a
   code-free page for each (:mod:`cxresearch.report`); a page whose data is
   absent is written without a kernel, saying what it would need (:mod:`.pages`);
3. :mod:`.results`: what several pages need (personas, intervention effects,
   themes of the comments and reviews, the reviews' sentiment, the journey's
   stages and pain points, key drivers, the themes' NPS impact) is computed
   once per run by whichever notebook asks first (:func:`shared`); the summary
   writes the machine-readable results into the run folder, compared with the
   previous run of the same dataset;
4. :mod:`.runs`: the run's folder ``reports/<run_id>.partial/`` with its
   manifest, renamed to ``reports/<run_id>/`` when it ends; the index
   ``reports/index.html`` and ``reports/latest``.

Every file is written under a temporary name and renamed, so nothing
half-written ever looks like a report; a failed or interrupted run never moves
``latest``, and says where its log is.
A run killed before it ends stays ``<run_id>.partial/`` with ``status:
running`` and the id of its process; the index shows it as ``interrupted``
once that process is gone.

Every notebook's kernel imports this package for :class:`RoutineParameters`:
what only the run itself needs (papermill, nbconvert, the analyses) is
imported inside the functions that use it.
"""
from .parameters import SNAPSHOT_VARIABLE, VALIDATION_FILE, RoutineParameters
from .results import (run_canvas_voice, run_intervention_inputs, run_intervention_study, run_interventions,
                      run_journey_headline, run_journey_log, run_key_drivers, run_personas, run_sentiment, run_summary,
                      run_topic_impact, run_topics, shared, wait_for_pages)
from .runner import CELL_TIMEOUT, INTERACTIVE_TAG, KERNEL_LOG, NOTEBOOKS, NOTEBOOKS_DIR, run
from .runs import SUMMARY_PAGE, Run, previous_run, read_manifest, write_index

__all__ = ["NOTEBOOKS", "NOTEBOOKS_DIR", "SUMMARY_PAGE", "KERNEL_LOG", "CELL_TIMEOUT", "INTERACTIVE_TAG",
           "SNAPSHOT_VARIABLE", "VALIDATION_FILE", "RoutineParameters", "Run", "run", "previous_run",
           "read_manifest", "run_personas", "run_journey_log", "run_interventions", "run_intervention_study",
           "run_intervention_inputs", "run_sentiment", "run_journey_headline", "run_topics", "run_key_drivers",
           "run_topic_impact", "run_canvas_voice", "run_summary", "shared", "wait_for_pages", "write_index"]
