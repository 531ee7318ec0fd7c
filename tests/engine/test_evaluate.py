"""Evaluation: the two renderings of the long results agree, results do not depend on row
order, and a judged run saves, reads back and describes itself."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import PARAMS, account, build_tables, order, request

import auditkit.demo as demo
from auditkit import POB, evaluate
from auditkit.engine import run_folder
from auditkit.errors import AuditkitError
from auditkit.io.manifest import describe_run


@pytest.mark.parametrize("requests", [1, 500])
def test_arrow_results_equal_pandas_results(requests: int) -> None:
    result = evaluate(demo.tables(requests), PARAMS, POB)
    expected = result.results.astype("str")
    actual = result.results_table().to_pandas().astype("str")
    pd.testing.assert_frame_equal(actual, expected)
    assert len(actual) == 13 * requests


def without_q03():
    """The catalogue without its last rule (and the decision code that stands for it)."""
    codes = tuple((code, rules) for code, rules in POB.decision_codes if "POB-Q03" not in rules)
    return POB.replace(rules=POB.rules[:-1], decision_codes=codes)


def test_arrow_results_of_no_requests_keep_their_text_schema() -> None:
    tables = build_tables(requests=[request("R1")])
    empty = tables.replace(requests=tables.requests.iloc[0:0])
    table = evaluate(empty, PARAMS, POB).results_table()
    assert table.num_rows == 0
    assert all(str(field.type.value_type) == "large_string" for field in table.schema)


# ---- results never depend on row order -------------------------------------------------


def test_the_example_open_order_is_the_smallest_id_whatever_the_row_order() -> None:
    orders = [order("O9", "1", status="to_be_paid"), order("O2", "1", status="processing")]
    reasons = set()
    for rows in (orders, orders[::-1]):
        tables = build_tables([account("1"), account("2")], orders=rows, requests=[request()])
        statuses = evaluate(tables, PARAMS, POB).results.astype("str")
        reasons.add(statuses.loc[statuses["rule_id"] == "POB-J07", "reason"].item())
    assert reasons == {
        "member 1 has 2 open order(s) (processing or to_be_paid) totalling 20.00, e.g. O2; "
        "settle or cancel them first"
    }


def test_shuffled_input_rows_give_the_same_results() -> None:
    tables = demo.tables(400)
    shuffled = tables.replace(
        **{
            name: tables[name].sample(frac=1, random_state=1).reset_index(drop=True)
            for name in ("accounts", "orders", "vouchers", "requests")
        }
    )

    def by_request(result) -> pd.DataFrame:
        frame = result.results.astype("str")
        return frame.sort_values(["request_id", "rule_id"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(
        by_request(evaluate(tables, PARAMS, POB)), by_request(evaluate(shuffled, PARAMS, POB))
    )


# ---- a judged run saved and read back -------------------------------------------------


def test_a_saved_run_reads_back_as_the_same_evaluation(tmp_path) -> None:
    result = evaluate(demo.tables(300), PARAMS, POB)
    run_folder.save(result, tmp_path)
    loaded = run_folder.load(tmp_path, PARAMS, POB)
    assert np.array_equal(loaded.status_codes, result.status_codes)
    assert np.array_equal(
        np.asarray(loaded.reason_texts[loaded.reason_codes.ravel()], dtype=object),
        np.asarray(result.reason_texts[result.reason_codes.ravel()], dtype=object),
    )
    pd.testing.assert_frame_equal(loaded.verdicts.astype("str"), result.verdicts.astype("str"))
    assert loaded.rule_counts().equals(result.rule_counts())


def test_a_saved_run_of_another_catalogue_is_refused(tmp_path) -> None:
    result = evaluate(demo.tables(20), PARAMS, POB)
    run_folder.save(result, tmp_path)
    shorter = without_q03()
    with pytest.raises(AuditkitError, match="rows"):
        run_folder.load(tmp_path, PARAMS, shorter)


def test_a_saved_run_whose_rules_are_out_of_catalogue_order_is_refused(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    result = evaluate(demo.tables(20), PARAMS, POB)
    run_folder.save(result, tmp_path)
    results = pq.read_table(tmp_path / run_folder.RESULTS)
    order = np.arange(results.num_rows)
    order[[14, 15]] = order[[15, 14]]  # the second request's first two rules swapped
    pq.write_table(results.take(pa.array(order)), tmp_path / run_folder.RESULTS)
    with pytest.raises(AuditkitError, match="not in catalogue order"):
        run_folder.load(tmp_path, PARAMS, POB)


def test_the_manifest_describes_the_catalogue_and_params_that_ran() -> None:
    tables = demo.tables(20)
    default = describe_run(PARAMS, POB, tables)
    shorter = without_q03()
    custom = describe_run(PARAMS, shorter, tables)
    strict = describe_run(PARAMS.replace(j10_require_both=True), POB, tables)
    assert default["rule_catalogue_sha256"] == POB.fingerprint()
    assert custom["rule_catalogue_sha256"] == shorter.fingerprint() != POB.fingerprint()
    assert custom["rule_ids"] == shorter.rule_ids
    assert strict["params_sha256"] != default["params_sha256"]
    assert strict["params"]["j10_require_both"] is True
