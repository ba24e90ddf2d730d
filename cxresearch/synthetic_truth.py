"""The ``truth/`` folder of the demo data: the answers every analysis should find.

:class:`Tally` accumulates exact counts over the generator's chunks;
:func:`write_truth` writes them with the planted parameters.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from .synthetic_model import (CHAT_FLOW, CHAT_RATING_JUMP, CSAT_INTERCEPT, CSAT_NOISE, CSAT_OFFSET, CSAT_WEIGHTS, EXIT,
                              NPS_INTERCEPT, NPS_NOISE, NPS_WEIGHTS, PERSONAS, RATINGS, STAGE_OF, STAGES, TOPICS,
                              TOUCHPOINTS, TP_INDEX)


class Tally:
    """Running counts over chunks, from which the truth files are computed exactly."""

    def __init__(self, months):
        n, k = EXIT, len(PERSONAS)
        self.transitions = np.zeros((n, n), dtype=np.int64)
        self.visits = np.zeros((months, n), dtype=np.int64)  # events by month of their session's start
        self.exits = np.zeros((months, n), dtype=np.int64)  # sessions ending at each touchpoint
        self.stage_sessions = np.zeros(len(STAGES), dtype=np.int64)
        self.sessions = 0
        self.events = 0
        # per persona: responses, promoters, detractors, csat n, csat top-2, ces n, ces sum
        self.voice = np.zeros((k, 7))
        self.csat_tp = np.zeros((2, months, n))  # sum, count of csat by survey month and touchpoint
        self.rating = np.zeros((2, months, len(RATINGS)))  # sum, count of answered ratings by month
        self.topic_reviews = np.zeros((2, len(TOPICS)))  # reviews, negative (1-2) reviews
        self.pii_ids = []

    def add(self, part):
        """Count one simulated chunk (a :class:`cxresearch.synthetic` chunk of customers)."""
        n, months = EXIT, len(self.visits)
        same = part.sess[1:] == part.sess[:-1]
        self.transitions += np.bincount(part.tp[:-1][same] * n + part.tp[1:][same], minlength=n * n).reshape(n, n)
        month = part.period.month_of(part.sess_start)
        self.visits += np.bincount(month[part.sess] * n + part.tp, minlength=months * n).reshape(months, n)
        self.exits += np.bincount(month * n + part.tp[part.last_event], minlength=months * n).reshape(months, n)
        reached = np.zeros((part.n_sessions, len(STAGES)), dtype=bool)
        reached[part.sess, STAGE_OF[part.tp]] = True
        self.stage_sessions += reached.sum(axis=0)
        self.sessions += part.n_sessions
        self.events += len(part.tp)
        who, k = part.persona[part.sv_cust], len(PERSONAS)
        csat, ces = part.csat_answered, part.ces_answered
        for column, weights in enumerate([None, part.nps >= 9, part.nps <= 6, csat, csat & (part.csat >= 4),
                                          ces, np.where(ces, part.ces, 0)]):
            self.voice[:, column] += np.bincount(who, weights=weights, minlength=k)
        sv_month = part.period.month_of(part.sv_ts)
        cell = sv_month[csat] * n + part.sv_tp[csat]
        for i, weights in enumerate([part.csat[csat], None]):
            self.csat_tp[i] += np.bincount(cell, weights=weights, minlength=months * n).reshape(months, n)
        for j in range(len(RATINGS)):
            answered = part.rating_answered[:, j]
            for i, weights in enumerate([part.ratings[answered, j], None]):
                self.rating[i, :, j] += np.bincount(sv_month[answered], weights=weights, minlength=months)
        for i, weights in enumerate([None, part.rv_rating <= 2]):
            self.topic_reviews[i] += np.bincount(part.rv_topic, weights=weights, minlength=len(TOPICS))
        self.pii_ids += list(part.response_ids[part.has_pii])


def write_json(path: Path, content):
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _kpis(row):
    n, promoters, detractors, csat_n, top2, ces_n, ces_sum = row
    return {"responses": int(n), "nps": 100 * (promoters - detractors) / n if n else None,
            "csat_top2box": top2 / csat_n if csat_n else None,
            "ces_mean": ces_sum / ces_n if ces_n else None}


def _ratio(num, den):
    return None if den == 0 else float(num / den)


def write_truth(truth: Path, people, tally: Tally, period):
    keys = [p.key for p in PERSONAS]
    pd.DataFrame({"customer_id": people["customer_id"],
                  "persona": np.array(keys, dtype=object)[people["persona"]]}).to_csv(truth / "personas.csv", index=False)
    counts = np.bincount(people["persona"], minlength=len(PERSONAS))
    write_json(truth / "personas.json", [
        {**asdict(p), "customers": int(c), "realised_share": c / counts.sum()} for p, c in zip(PERSONAS, counts)])
    write_json(truth / "drivers.json", {
        "nps": {"intercept": NPS_INTERCEPT, "noise_sd": NPS_NOISE,
                "weights": {f"rating_{r}": w for r, w in NPS_WEIGHTS.items()},
                "top_driver": f"rating_{max(NPS_WEIGHTS, key=NPS_WEIGHTS.get)}",
                "model": "nps = clip(round(intercept + sum(w * (rating - 3)) + noise), 0, 10) on the true ratings"},
        "csat": {"intercept": CSAT_INTERCEPT, "noise_sd": CSAT_NOISE,
                 "weights": {f"rating_{r}": w for r, w in CSAT_WEIGHTS.items()},
                 "top_driver": f"rating_{max(CSAT_WEIGHTS, key=CSAT_WEIGHTS.get)}",
                 "touchpoint_offsets": {tp: {"before": b, "after": a} for tp, (b, a) in CSAT_OFFSET.items()},
                 "model": "csat = clip(round(intercept + sum(w * (rating - 3)) + offset[touchpoint] + noise), 1, 5)"},
    })
    write_json(truth / "kpis.json", {"overall": _kpis(tally.voice.sum(axis=0)),
                                      "personas": {k: _kpis(row) for k, row in zip(keys, tally.voice)}})
    src, dst = np.nonzero(tally.transitions)
    pd.DataFrame({"from_touchpoint": np.array(TOUCHPOINTS)[src], "to_touchpoint": np.array(TOUCHPOINTS)[dst],
                  "count": tally.transitions[src, dst]}).to_csv(truth / "transitions.csv", index=False)
    pd.DataFrame({"stage": list(STAGES), "sessions": tally.stage_sessions,
                  "share": tally.stage_sessions / max(tally.sessions, 1)}).to_csv(truth / "funnel.csv", index=False)
    visits, exits = tally.visits.sum(axis=0), tally.exits.sum(axis=0)
    csat_sum, csat_n = tally.csat_tp.sum(axis=1)
    chat, topic_n = TP_INDEX["chat_support"], tally.topic_reviews[0]
    write_json(truth / "pain_point.json", {
        "touchpoint": "chat_support", "channel": "chat", "stage": "service",
        "description": "Long waits in the chat: the lowest CSAT and rating, negative reviews about waiting "
                       "and many sessions ending there (more than at any other touchpoint where journeys do not "
                       "naturally end); better but still the top pain point "
                       "after intervention I001.",
        "csat_mean": {tp: _ratio(csat_sum[i], csat_n[i]) for i, tp in enumerate(TOUCHPOINTS)},
        "exit_rate": {tp: _ratio(exits[i], visits[i]) for i, tp in enumerate(TOUCHPOINTS)},
        "rating_mean": {f"rating_{r}": _ratio(*tally.rating[:, :, j].sum(axis=1)) for j, r in enumerate(RATINGS)},
        "negative_review_share": {t: _ratio(tally.topic_reviews[1, i], topic_n[i]) for i, t in enumerate(TOPICS)},
        "chat_exit_rate": _ratio(exits[chat], visits[chat]),
    })
    write_json(truth / "interventions.json", [
        _intervention_truth(tally, period, "I001", "chat_support", period.chat_start, works=True),
        _intervention_truth(tally, period, "I002", "newsletter", period.newsletter_start, works=False),
    ])
    write_json(truth / "pii.json", {"description": "response_ids whose comment holds the customer's email or phone",
                                     "response_ids": [str(i) for i in tally.pii_ids]})


def _intervention_truth(tally, period, intervention_id, touchpoint, start, *, works):
    split, i = int(period.month_of(start)), TP_INDEX[touchpoint]
    measured = {}
    for label, months in (("before", slice(None, split)), ("after", slice(split, None))):
        measured[label] = {
            "csat_mean": _ratio(tally.csat_tp[0, months, i].sum(), tally.csat_tp[1, months, i].sum()),
            "exit_rate": _ratio(tally.exits[months, i].sum(), tally.visits[months, i].sum()),
            "rating_chat_mean": _ratio(*tally.rating[:, months, RATINGS.index("chat")].sum(axis=1)),
        }
    planted = ({"rating_chat": CHAT_RATING_JUMP,
                "csat_offset": CSAT_OFFSET["chat_support"][1] - CSAT_OFFSET["chat_support"][0],
                "exit_probability": {"before": round(1 - sum(CHAT_FLOW[0].values()), 6),
                                     "after": round(1 - sum(CHAT_FLOW[1].values()), 6)}}
               if works else {})
    return {"intervention_id": intervention_id, "scope": touchpoint, "start": period.iso(start),
            "works": works, "planted_effect": planted, "measured": measured}
