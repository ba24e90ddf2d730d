"""The statistics every analysis shares, under one name.

This module gathers the public names of four modules, each with one job:

- :mod:`cxresearch.intervals`: confidence intervals (adjusted Wald for NPS,
  Wilson, Newcombe, t and Welch) and multiplicity corrections;
- :mod:`cxresearch.survey_design`: weights, repeated respondents, design
  effects, Kish's effective n, the low-base flag;
- :mod:`cxresearch.kpis`: the one KPI engine (:func:`kpi_summary`), changes
  between two KPI tables and the mix/within split of a change;
- :mod:`cxresearch.estimates`: one list of scores -> :class:`Estimate`,
  and :func:`compare` of two estimates.

Every method and threshold, with its reference, is in ``docs/METHODS.md``.
"""
from __future__ import annotations

from .estimates import Comparison, Estimate, ces, compare, csat, nps
from .intervals import (CORRECTIONS, adjust_pvalues, correction_note, mean_diff_interval, mean_interval,
                        nps_diff_interval, nps_interval, nps_se, proportion_diff_interval, wilson_interval, z_value)
from .kpis import (KPI_METRICS, MixDecomposition, absent_metrics, kpi_differences, kpi_summary,
                   mix_decomposition, segment_mix)
from .survey_design import LOW_BASE, MIN_EFFICIENCY, design_effects, is_low_base, kish_effective_n

__all__ = [
    "Estimate", "Comparison", "KPI_METRICS", "LOW_BASE", "MIN_EFFICIENCY", "CORRECTIONS",
    "z_value", "wilson_interval", "nps_interval", "nps_se", "mean_interval",
    "proportion_diff_interval", "nps_diff_interval", "mean_diff_interval",
    "design_effects", "kish_effective_n", "is_low_base", "adjust_pvalues", "correction_note",
    "kpi_summary", "absent_metrics", "kpi_differences", "MixDecomposition", "mix_decomposition",
    "segment_mix", "nps", "csat", "ces", "compare",
]
