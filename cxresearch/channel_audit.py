"""The channel audit of a journey map: which channels carry the journeys, and how well.

channel audit flags
    ``"underperforming"``: real volume (share >= ``REAL_VOLUME_SHARE``) and CSAT
    significantly below the overall one (its interval's upper bound below it)
    or an exit rate above ``HIGH_EXIT_RATIO`` times the ``expected_exit_rate``, what
    the same touchpoints lose in all channels (so a channel is not blamed for
    the natural exits after a checkout). ``"barely used"``: share below
    ``BARELY_USED_SHARE``, a candidate to close or shrink.

:class:`ChannelAudit` holds the tables; :class:`~cxresearch.journeys.JourneyMap`
inherits them and provides the encoded events they count.
"""
from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from .eventcodes import decode, distinct_customers, distinct_pairs

#: Channel audit: a channel or touchpoint used by fewer customers than this share is "barely used".
BARELY_USED_SHARE = 0.02
#: Channel audit: "real volume" starts at this share of customers.
REAL_VOLUME_SHARE = 0.05
#: Channel audit: an exit rate this many times the overall one is "high".
HIGH_EXIT_RATIO = 1.5

_OPTIONAL = ("event", "session_id", "stage")  # value is filled on purchases only


class ChannelAudit:
    """The channel tables of :class:`~cxresearch.journeys.JourneyMap` (a mix-in: it counts the map's codes)."""

    @cached_property
    def channels(self) -> pd.DataFrame:
        """The channel audit: per channel (``level="channel"``) and channel x touchpoint.

        Columns ``level``, ``channel``, ``touchpoint``, ``flag`` ("underperforming",
        "barely used" or ""; see the module docstring), ``customers``, ``share``,
        ``events``, ``exits``, ``exit_rate``, ``expected_exit_rate`` (what the same
        touchpoints lose in all channels), ``completeness`` (share of the optional
        event fields present in the data, of event, session_id and stage, that
        are filled) and the CSAT columns.
        """
        n_ch, n_tp = len(self.channel_labels), len(self.touchpoint_labels)
        by_channel = self._group * n_ch + self._channel
        size = self._n_groups * n_ch
        table = pd.concat([
            self._with_csat(self._audit(by_channel, size, per_touchpoint=False), ["channel"], suppress=False),
            self._with_csat(self._audit(by_channel * n_tp + self._touchpoint, size * n_tp, per_touchpoint=True),
                            ["channel", "touchpoint"], suppress=False),
        ], ignore_index=True)
        table.insert(table.columns.get_loc("touchpoint") + 1, "flag", self._flags(table))   # the verdict up front
        return self._suppress(table)

    @cached_property
    def cross_channel(self) -> pd.DataFrame:
        """How many customers' journeys span two or more channels.

        Columns ``customers``, ``multichannel_customers``, ``multichannel_share``, ``mean_channels``.
        """
        n_ch, n_customers = len(self.channel_labels), len(self._group_of_customer)
        per_customer = np.bincount(distinct_pairs(self._customer, self._channel, n_ch) // n_ch, minlength=n_customers)
        group = np.arange(self._n_groups)
        multi = np.bincount(self._group_of_customer, weights=per_customer >= 2, minlength=self._n_groups)
        total = np.bincount(self._group_of_customer, weights=per_customer, minlength=self._n_groups)
        return self._table(group, customers=self._group_customers,
                           multichannel_customers=multi.astype(np.int64),
                           multichannel_share=multi / self._group_customers,
                           mean_channels=total / self._group_customers)

    @cached_property
    def switching(self) -> pd.DataFrame:
        """Channel switches: consecutive events of a customer (across sessions) in two different channels.

        Columns ``from_channel``, ``to_channel``, ``count``, ``customers``; staying
        in a channel (app to app) is no switch and has no row.
        """
        switch = (self._customer[1:] == self._customer[:-1]) & (self._channel[1:] != self._channel[:-1])
        n_ch = len(self.channel_labels)
        size = self._n_groups * n_ch * n_ch
        key = ((self._group[:-1] * n_ch + self._channel[:-1]) * n_ch + self._channel[1:])[switch]
        count = np.bincount(key, minlength=size)
        group, rest = np.divmod(np.arange(size), n_ch * n_ch)
        table = self._table(group, from_channel=self.channel_labels[rest // n_ch],
                            to_channel=self.channel_labels[rest % n_ch], count=count,
                            customers=distinct_customers(key, self._customer[:-1][switch], size), keep=count > 0)
        return self._sorted(table, "count", ascending=False)

    @cached_property
    def _filled(self) -> tuple[np.ndarray | None, int]:
        """Per sorted event, how many of the optional fields present in the data it fills (one byte each; None
        without such fields), and how many are present."""
        present = [c for c in _OPTIONAL if c in self._events]
        if not present:
            return None, 0
        filled = np.zeros(len(self._events), np.uint8)
        for column in present:
            filled += self._events[column].notna().to_numpy()
        return filled[self._order], len(present)

    def _completeness(self, key: np.ndarray, size: int, events: np.ndarray) -> np.ndarray:
        """Per *key*, the share of the optional fields present in the data that its events fill (1 without any)."""
        filled, present = self._filled
        if filled is None:
            return np.ones(size)
        return np.bincount(key, weights=filled, minlength=size) / present / np.maximum(events, 1)

    def _audit(self, key: np.ndarray, size: int, *, per_touchpoint: bool) -> pd.DataFrame:
        """Channel audit rows for a (persona, channel[, touchpoint]) *key*, before CSAT and flags."""
        n_tp = len(self.touchpoint_labels) if per_touchpoint else 1
        events = np.bincount(key, minlength=size)
        exits = np.bincount(key[self._end], minlength=size)
        customers = distinct_customers(key, self._customer, size)
        touchpoint_exit_rate = self._touchpoint_exit_rate[self._group * len(self.touchpoint_labels) + self._touchpoint]
        expected = np.bincount(key, weights=touchpoint_exit_rate, minlength=size) / np.maximum(events, 1)
        group, channel = np.divmod(np.arange(size) // n_tp, len(self.channel_labels))
        touchpoint = np.arange(size) % n_tp if per_touchpoint else np.full(size, -1)
        return self._table(
            group, level="touchpoint" if per_touchpoint else "channel", channel=self.channel_labels[channel],
            touchpoint=decode(self.touchpoint_labels, touchpoint), customers=customers,
            share=customers / self._group_customers[group], events=events, exits=exits,
            exit_rate=exits / np.maximum(events, 1), expected_exit_rate=expected,
            completeness=self._completeness(key, size, events),
            keep=events > 0, suppress=False)

    def _flags(self, table: pd.DataFrame) -> np.ndarray:
        base = self._baseline_for(table)
        real = table["share"] >= REAL_VOLUME_SHARE
        low_csat = table["csat_high"] < base["csat"]
        high_exit = table["exit_rate"] > HIGH_EXIT_RATIO * table["expected_exit_rate"]
        return np.select([real & (low_csat | high_exit), table["share"] < BARELY_USED_SHARE],
                         ["underperforming", "barely used"], "")
