"""Steps across the canonical tables of one dataset, after each table is parsed.

Identities linked by email or phone, personal data dropped (names in free text
redacted), orphan ids and intervention scopes checked, stages filled from the
``dataset.yml`` stage map. Each step reports to the :class:`ValidationReport`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .canonical import arrow_strings, distinct_strings, recoded, report_values, text_series, used_categories
from .columns import value_label
from .errors import ValidationReport, closest
from .i18n import _, format_count, format_list, format_percent, ngettext
from .privacy import PII_COLUMNS, identity_hash, normalise_email, normalise_phone, redact_names
from .settings import CONFIG_FILE, DatasetSettings


def link_identities(tables: dict, report: ValidationReport) -> None:
    """Fill missing customer ids of surveys/reviews from email or phone, compared as salted hashes."""
    customers = tables.get("customers")
    for table in ("surveys", "reviews"):
        frame = tables.get(table)
        if frame is None or not {"email", "phone"} & set(frame.columns):
            continue
        ids = frame["customer_id"] if "customer_id" in frame.columns else pd.Series(np.nan, index=frame.index,
                                                                                    dtype="str")
        unlinked = ids.isna()
        if not unlinked.any():
            continue
        if customers is None or not {"email", "phone"} & set(customers.columns):
            report.notes.append(_("%(table)s: %(rows)s rows have no customer_id and there is no customers "
                                  "email/phone to link them by.") % {"table": value_label(table), "rows": int(unlinked.sum())})
            continue
        linked = ids.copy()
        for key, normalise in (("email", normalise_email), ("phone", normalise_phone)):
            if key in frame.columns and key in customers.columns:
                todo = linked.isna()
                wanted = normalise(frame.loc[todo, key])
                known = normalise(customers[key])
                known = known[known.isin(wanted.dropna().unique())]  # only customers a row can link to get hashed
                lookup = pd.Series(customers["customer_id"].loc[known.index].to_numpy(),
                                   index=identity_hash(known).to_numpy())
                lookup = lookup[lookup.index.notna() & ~lookup.index.duplicated(keep=False)]
                linked[todo] = identity_hash(wanted).map(lookup).astype(linked.dtype).to_numpy()  # none found: all NA
        found = int((unlinked & linked.notna()).sum())
        tables[table] = frame.assign(customer_id=linked)
        report.notes.append(_("%(table)s: linked %(found)s of %(rows)s rows without customer_id to customers by "
                              "email/phone (%(share)s).") % {"table": value_label(table), "found": format_count(found),
                                                             "rows": format_count(int(unlinked.sum())),
                                                             "share": format_percent(found / unlinked.sum())})


#: Free-text columns where customers may write their own names.
_FREE_TEXT = {"surveys": "comment", "reviews": "text"}


def drop_pii(tables: dict, keep_pii: bool, report: ValidationReport) -> None:
    if keep_pii:
        return
    names = pd.concat([_full_names(frame) for frame in tables.values()])
    written = [(table, column) for table, column in _FREE_TEXT.items() if table in tables and column in tables[table]]
    if written and not names.empty:
        texts = [tables[table][column] for table, column in written]
        redacted = redact_names(pd.concat(texts, ignore_index=True), names)  # all texts at once: names read once
        start = 0
        for (table, column), original in zip(written, texts):
            part = redacted.iloc[start:start + len(original)].set_axis(original.index)
            start += len(original)
            changed = int((part != original.astype("string")).fillna(False).sum())
            if changed:
                tables[table] = tables[table].assign(**{column: part})
                report.notes.append(ngettext(
                    "%(table)s: replaced customers' names written in %(n)s value of %(column)s with [name].",
                    "%(table)s: replaced customers' names written in %(n)s values of %(column)s with [name].", changed)
                    % {"table": value_label(table), "n": format_count(changed), "column": column})
    for table, frame in tables.items():
        pii = [c for c in frame.columns if c in PII_COLUMNS]
        if pii:
            tables[table] = frame.drop(columns=pii)
            report.notes.append(ngettext("%(table)s: dropped the personal-data column %(columns)s.",
                                         "%(table)s: dropped the personal-data columns %(columns)s.", len(pii))
                                % {"table": value_label(table), "columns": ", ".join(pii)})


def _full_names(frame: pd.DataFrame) -> pd.Series:
    """The full names a table holds: its ``name`` column and ``first_name`` + ``last_name``."""
    names = [frame["name"]] if "name" in frame else []
    if {"first_name", "last_name"} <= set(frame.columns):
        names.append(frame["first_name"].astype("string") + " " + frame["last_name"].astype("string"))
    return pd.concat(names).dropna() if names else pd.Series(dtype="string")


def check_orphans(tables: dict, report: ValidationReport) -> None:
    customers = tables.get("customers")
    if customers is None:
        return
    known = customers["customer_id"]
    for table in ("events", "surveys", "reviews"):
        frame = tables.get(table)
        if frame is None or "customer_id" not in frame.columns:
            continue
        ids = distinct_strings(arrow_strings(frame["customer_id"]))
        unknown = ids.filter(pc.invert(pc.is_in(ids, value_set=arrow_strings(known).combine_chunks()))).to_pylist()
        if len(unknown):
            rows = int(frame["customer_id"].isin(unknown).sum())
            ids = ngettext("%(n)s customer id", "%(n)s customer ids", len(unknown)) % {"n": format_count(len(unknown))}
            report.warnings.append(ngettext("%(table)s: %(rows)s row of %(ids)s not found in customers; kept, without "
                                            "customer attributes.",
                                            "%(table)s: %(rows)s rows of %(ids)s not found in customers; kept, without "
                                            "customer attributes.", rows)
                                   % {"table": value_label(table), "rows": format_count(rows), "ids": ids})


def check_scopes(tables: dict, config: DatasetSettings, report: ValidationReport, file_name: str) -> None:
    """Every intervention's scope must be a channel, touchpoint or stage of the data.

    A scope written as the pages show a code ("chat support" for ``chat_support``) reads as that code, with a
    note; the others are problems naming the closest code.
    """
    interventions = tables.get("interventions")
    if interventions is None:
        return
    known = set(config.stages) | {tp for tps in config.stages.values() for tp in tps}
    for table in ("events", "surveys"):
        frame = tables.get(table)
        for column in ("channel", "touchpoint", "stage"):
            if frame is not None and column in frame.columns:
                known |= _distinct(frame[column])
    scope = interventions["scope"].astype("string")
    as_code = scope.str.strip().str.replace(r"[\s-]+", "_", regex=True)
    read = ~scope.isin(known) & as_code.isin(known)
    if read.any():
        tables["interventions"] = interventions.assign(scope=scope.where(~read, as_code).astype(object))
        report.notes.append(_("%(file)s: scopes read as the data's codes: %(pairs)s.") % {
            "file": file_name, "pairs": format_list([f"'{a}' → '{b}'" for a, b in
                                                     dict(zip(scope[read], as_code[read])).items()])})
        scope = scope.where(~read, as_code)
    unknown = ~scope.isin(known)
    expected = _("one of %(known)s") % {"known": ", ".join(sorted(known)[:15]) + ("..." if len(known) > 15 else "")}
    guesses = {value: closest(value, known) for value in scope[unknown].dropna().unique()}
    if any(guesses.values()):
        expected += "; " + _("the closest codes: %(pairs)s") % {"pairs": format_list(
            [f"'{value}' → '{guess}'" for value, guess in guesses.items() if guess])}
    report_values(report, file_name, "scope", unknown, interventions["scope"], "scope", expected)


def fill_stages(tables: dict, config: DatasetSettings, report: ValidationReport) -> None:
    events = tables.get("events")
    if events is None or not config.stages:
        return
    lookup = {tp: stage for stage, tps in config.stages.items() for tp in tps}
    if "stage" not in events.columns and isinstance(events["touchpoint"].dtype, pd.CategoricalDtype):
        touchpoints = events["touchpoint"]  # each touchpoint looked up once
        tables["events"] = events = events.assign(stage=recoded(touchpoints, touchpoints.cat.categories.to_series()
                                                                .map(lookup).astype("str")))
    elif "stage" not in events.columns:
        touchpoints = pa.array(list(lookup), type=pa.large_string())
        stages = pa.array(list(lookup.values()), type=pa.large_string())
        found = pc.index_in(arrow_strings(events["touchpoint"]), value_set=touchpoints)
        events = events.assign(stage=text_series(stages.take(found), events.index))
        tables["events"] = events
    unmapped = sorted(_distinct(events["touchpoint"]) - set(lookup))
    if unmapped:
        report.notes.append(ngettext("events: %(n)s touchpoint belongs to no stage in %(file)s: %(touchpoints)s",
                                     "events: %(n)s touchpoints belong to no stage in %(file)s: %(touchpoints)s",
                                     len(unmapped)) % {
            "n": len(unmapped), "file": CONFIG_FILE,
            "touchpoints": ", ".join(unmapped[:10]) + ("..." if len(unmapped) > 10 else "")})


def _distinct(values: pd.Series) -> set[str]:
    """The distinct values of a text column, missing values left out."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return set(values.cat.categories[used_categories(values)])
    return set(distinct_strings(arrow_strings(values)).to_pylist())
