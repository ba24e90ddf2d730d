"""Loading never raises anything but DataError, whatever bytes a table file holds."""
from __future__ import annotations

import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxresearch import CXDataset, DataError, load_dataset
from tests.conftest import write_files

HEADER = b"response_id,timestamp,customer_id,nps,csat,ces,rating_web,comment\n"


def _load(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset(folder)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400), with_header=st.booleans(), table=st.sampled_from(
    ["customers.csv", "events.csv", "surveys.csv", "reviews.csv", "dataset.yml"]))
def test_arbitrary_bytes_give_data_error_or_a_valid_dataset(tmp_path_factory, body, with_header, table):
    folder = tmp_path_factory.mktemp("fuzz")
    files = {table: (HEADER if with_header else b"") + body}
    if table == "dataset.yml":
        files["events.csv"] = b"customer_id,timestamp,channel,touchpoint\n1,2025-01-01,web,home\n"
    write_files(folder, files)
    try:
        ds = _load(folder)
    except DataError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
    else:
        assert isinstance(ds, CXDataset)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=25), st.text(max_size=4)), max_size=8))
def test_arbitrary_text_cells_give_data_error_or_valid_scores(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("cells")
    lines = ["response_id,timestamp,nps"] + [",".join(f'"{c.replace(chr(34), "")}"' for c in row) for row in rows]
    write_files(folder, {"surveys.csv": "\n".join(lines) + "\n"})
    try:
        ds = _load(folder)
    except DataError:
        return
    if ds.surveys is not None and len(ds.surveys):
        scores = ds.surveys["nps"].dropna()
        assert scores.between(0, 10).all() and (scores % 1 == 0).all()
        assert ds.surveys["response_id"].is_unique
