"""Personas at cluster scale: every customer's persona computed in the engine, from a fitted model.

The persona model is fitted in memory on a sample (:class:`~cxresearch.personas.PersonaModel`);
:func:`assignment_query` writes its space and its nearest-centre rule as one SQL
query (DuckDB's dialect), so DuckDB or Spark assigns all customers of a feature
table where it lives, and :func:`assign_personas` returns the assignment or
writes it as Parquet for a CRM to read.

In SQL, as in the model's :meth:`~cxresearch.personas.PersonaModel.transform`:
a number gets the training median where missing, ``ln(1 + max(x, 0))`` when the
model logged it, then ``(x - mean) / scale``; a text column one 0/1 indicator per
category the model kept (a missing value is the category "missing"; a value the
model did not see or grouped as rare is the rare group, when there is one); the
channel shares their centred log-ratios (after adding the share floor); each block
is multiplied by its weight. The persona is the nearest centre (squared Euclidean
distance), k-means' own rule, so the result equals ``model.predict``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine import execute, write_parquet
from ..errors import ParameterError

__all__ = ["assignment_query", "assign_personas"]


def _number(value: float) -> str:
    """A DOUBLE literal on both engines (an exponent makes it a double, not a decimal)."""
    return f"{float(value):.17e}"


def _text(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _column(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _block(pipeline, columns: list[str]) -> list[str]:
    """SQL expressions of one fitted block of the model's space (one per output column), before its weight."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

    from ..personas import space

    values = [_column(c) for c in columns]
    for step in pipeline.named_steps.values():
        if isinstance(step, Pipeline):
            values = _block(step, columns)
        elif isinstance(step, SimpleImputer):
            fill = step.statistics_
            values = [f"coalesce(CAST({v} AS VARCHAR), {_text(f)})" if step.strategy == "constant"
                      else f"coalesce(CAST({v} AS DOUBLE), {_number(f)})" for v, f in zip(values, fill)]
        elif isinstance(step, FunctionTransformer) and step.func is space._as_text:
            continue   # the imputer's SQL already gives text
        elif isinstance(step, FunctionTransformer) and step.func is space._log1p_nonnegative:
            values = [f"ln(1 + greatest({v}, 0))" for v in values]
        elif isinstance(step, FunctionTransformer) and step.func is space._centred_log_ratio:
            floored = [f"(coalesce(CAST({v} AS DOUBLE), 0) + {_number(space.SHARE_FLOOR)})" for v in values]
            logs = [f"ln({v})" for v in floored]
            mean = f"(({' + '.join(logs)}) / {len(logs)})"
            values = [f"({log} - {mean})" for log in logs]
        elif isinstance(step, OneHotEncoder):
            (value,), (categories,) = values, step.categories_
            rare = step.infrequent_categories_[0] if step.infrequent_categories_ else None
            kept = [c for c in categories if rare is None or c not in set(rare)]
            values = [f"CASE WHEN {value} = {_text(c)} THEN 1.0 ELSE 0.0 END" for c in kept]
            if rare is not None:
                values.append(f"CASE WHEN {value} IN ({', '.join(map(_text, kept))}) THEN 0.0 ELSE 1.0 END")
        elif isinstance(step, space._FamdScaler):
            values = [f"(({v}) - {_number(m)}) / {_number(s)}" for v, m, s in zip(values, step.mean_, step.scale_)]
        else:
            raise ParameterError(f"the persona space has a step SQL cannot express: {type(step).__name__}.")
    return values


def assignment_query(model, *, id_col: str = "customer_id") -> str:
    """One SQL query (DuckDB dialect) giving ``customer_id`` and ``persona`` for each row of table ``features``.

    Parameters
    ----------
    model : PersonaModel
        Fitted with ``method="kmeans"`` (a Gaussian mixture assigns by posterior, not by the nearest centre).
    id_col : str
        The customer id column of the feature table.
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "estimator_")
    if model.method != "kmeans":
        raise ParameterError(f"assignment in the engine needs method='kmeans'; got {model.method!r}.")
    transformer = model.preprocessor_
    weights = transformer.transformer_weights or {}
    space = []
    for name, pipeline, columns in transformer.transformers_:
        if name == "remainder" or pipeline == "drop":
            continue
        weight = float(weights.get(name, 1.0))
        space += [f"({expression}) * {_number(weight)}" for expression in _block(pipeline, list(columns))]
    centres = model.centroids_
    if len(space) != centres.shape[1]:
        raise ParameterError(f"the persona space has {centres.shape[1]} columns; SQL wrote {len(space)}.")
    points = ", ".join(f"{e} AS z{j}" for j, e in enumerate(space))
    distances = ", ".join(
        " + ".join(f"power(z{j} - {_number(c)}, 2)" for j, c in enumerate(centre)) + f" AS d{k}"
        for k, centre in enumerate(centres.to_numpy()))
    ids = centres.index.to_numpy()
    cases = " ".join(
        f"WHEN {' AND '.join(f'd{k} <= d{other}' for other in range(len(ids)) if other != k) or 'TRUE'} THEN {int(i)}"
        for k, i in enumerate(ids[:-1]))
    choose = f"CASE {cases} ELSE {int(ids[-1])} END" if len(ids) > 1 else str(int(ids[0]))
    return (f"WITH points AS (SELECT {_column(id_col)} AS customer_id, {points} FROM features), "
            f"distances AS (SELECT customer_id, {distances} FROM points) "
            f"SELECT customer_id, {choose} AS persona FROM distances ORDER BY customer_id")


def assign_personas(features, model, *, id_col: str = "customer_id", engine: str = "duckdb", into=None,
                    spark=None) -> pd.DataFrame | None:
    """The persona (id and name) of every customer of *features*, computed by *engine*.

    Parameters
    ----------
    features : DataFrame, str or Path
        The per-customer feature table with the model's columns and *id_col*
        (a DataFrame indexed by customer id works too), a Parquet path, glob
        or URI, or a Spark table name.
    model : PersonaModel
        Fitted (k-means), usually on a sample of the same features.
    into : str or Path, optional
        Write the assignment there as Parquet (``customer_id``, ``persona``,
        ``persona_name``) instead of returning it.

    Returns
    -------
    DataFrame or None
        ``customer_id``, ``persona``, ``persona_name``; None when written *into* a file.
    """
    if isinstance(features, pd.DataFrame) and id_col not in features.columns:
        features = features.rename_axis(id_col).reset_index()
    names = model.personas_["name"] if "name" in model.personas_ else pd.Series(dtype=object)
    tables = {"features": features,
              "persona_names": pd.DataFrame({"persona": np.asarray(names.index, dtype=np.int64),
                                             "persona_name": names.astype(object).to_numpy()})}
    query = (f"WITH assigned AS ({assignment_query(model, id_col=id_col).removesuffix(' ORDER BY customer_id')}) "
             "SELECT assigned.customer_id, assigned.persona, persona_names.persona_name FROM assigned "
             "LEFT JOIN persona_names ON persona_names.persona = assigned.persona ORDER BY assigned.customer_id")
    if into is not None:
        write_parquet(query, tables, into, engine=engine, spark=spark)
        return None
    return execute(query, tables, engine=engine, spark=spark)
