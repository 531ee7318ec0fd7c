"""AuditResult's two renderings of the long results agree."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import PARAMS, build_tables, request

import auditkit.demo as demo
from auditkit import evaluate


@pytest.mark.parametrize("requests", [1, 500])
def test_arrow_results_equal_pandas_results(requests: int) -> None:
    result = evaluate(demo.tables(requests), PARAMS)
    expected = result.results.astype("str")
    actual = result.results_table().to_pandas().astype("str")
    pd.testing.assert_frame_equal(actual, expected)
    assert len(actual) == 13 * requests


def test_arrow_results_of_no_requests_keep_their_text_schema() -> None:
    tables = build_tables(requests=[request("R1")])
    empty = tables.replace(requests=tables.requests.iloc[0:0])
    table = evaluate(empty, PARAMS).results_table()
    assert table.num_rows == 0
    assert all(str(field.type.value_type) == "large_string" for field in table.schema)
