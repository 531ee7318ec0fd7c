"""The Arrow backend: every shape a user exports gives the tables (and results) of the demo's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import account, raw_frames, request, write_data_dir
from hypothesis import given, settings
from hypothesis import strategies as st

import auditkit.demo as demo
from auditkit.contract import MONEY_COLUMNS, cents_column
from auditkit.demo.files import write
from auditkit.engine.evaluate import evaluate
from auditkit.errors import InputError
from auditkit.io import fast, validate
from auditkit.io.tables import load_tables
from auditkit.params import Params
from auditkit.rules.pob import POB
from auditkit.vocab import CheckKind

PARAMS = Params(as_of=pd.Timestamp("2026-11-01").date())


@pytest.fixture(scope="module")
def demo_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One demo data set with history as the demo writes it (Parquet, CSV) and as users export
    it: plain pandas `to_parquet` with float money, shuffled rows and an extra column, its text
    as large strings (pandas 3) or as categoricals (dictionary)."""
    raw = demo.generate(requests=300, seed=5)
    root = tmp_path_factory.mktemp("shapes")
    folders = {"demo": root / "demo", "csv": root / "csv"}
    write(raw, folders["demo"], "parquet")
    write(raw, folders["csv"], "csv")
    rng = np.random.default_rng(5)
    for shape, text in (("pandas", "string[pyarrow]"), ("categories", "category")):
        folders[shape] = root / shape
        folders[shape].mkdir()
        for path in sorted(folders["demo"].glob("*.parquet")):
            frame = pq.read_table(path).to_pandas()
            for column in MONEY_COLUMNS[path.stem]:
                frame[column] = frame[column].astype("float64")
            for column in frame.columns:
                if pd.api.types.is_string_dtype(frame[column].dtype):
                    frame[column] = frame[column].astype(text)
            frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
            frame["exported_by"] = "finance-extract"
            frame.to_parquet(folders[shape] / path.name, index=False)
    schema = pq.read_schema(folders["categories"] / "orders.parquet")
    assert pa.types.is_dictionary(schema.field("order_id").type)
    assert pq.read_schema(folders["pandas"] / "orders.parquet").field("amount").type == pa.float64()
    return folders


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as text (their categories come in the order rows were read)."""
    text = {c: frame[c].astype("str") for c in frame.columns if frame[c].dtype == "category"}
    return frame.assign(**text).reset_index(drop=True)


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in key order, without the extra column, text as text (not categories)."""
    frame = frame.drop(columns=["exported_by"], errors="ignore")
    keys = [c for c in ("request_id", "order_id", "voucher_id", "uin") if c in frame.columns]
    moment = [c for c in ("valid_from", "at") if c in frame.columns]
    return frame.sort_values(keys[:1] + moment, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("shape", ["csv", "pandas", "categories"])
def test_every_shape_gives_the_demo_tables_and_results(
    demo_folders: dict[str, Path], shape: str
) -> None:
    expected, actual = load_tables(demo_folders["demo"]), load_tables(demo_folders[shape])
    assert actual.names == expected.names
    for name in expected.names:
        pd.testing.assert_frame_equal(by_key(actual[name]), by_key(expected[name]), obj=name)
    if shape != "csv":
        assert (actual.requests["exported_by"] == "finance-extract").all()
    for at in ("snapshot", "requested"):
        params = Params(as_of=PARAMS.as_of, at=at)
        ours, theirs = evaluate(actual, params, POB), evaluate(expected, params, POB)
        for table, key in (("results", ["request_id", "rule_id"]), ("verdicts", ["request_id"])):
            got, want = (
                as_text(getattr(r, table)).sort_values(key, ignore_index=True)
                for r in (ours, theirs)
            )
            pd.testing.assert_frame_equal(got, want, obj=f"{at} {table}")


def test_float_money_not_nearest_to_a_cent_is_refused_with_the_money_message(
    tmp_path: Path,
) -> None:
    data = write_data_dir(
        tmp_path / "data", raw_frames([account("1"), account("2")], requests=[request()]), "parquet"
    )
    accounts = pq.read_table(data / "accounts.parquet")
    at = accounts.column_names.index("available_balance")
    accounts = accounts.set_column(at, "available_balance", pa.array([0.1 + 0.2, 1e14]))
    pq.write_table(accounts, data / "accounts.parquet")
    with pytest.raises(InputError) as refused:
        load_tables(data)
    assert [(p.row, p.value) for p in refused.value.problems] == [
        (2, "0.30000000000000004"),
        (3, "100000000000000.0"),  # above 2**46 a double cannot tell neighbouring cents apart
    ]
    assert {p.expected for p in refused.value.problems} == {
        "expected a decimal number with at most 2 decimal places, like -12.50 "
        "(at most 15 digits before the point)"
    }


def test_each_backend_runs_every_kind_of_check() -> None:
    assert set(fast.KERNELS) == set(CheckKind) - {CheckKind.COLUMN}
    assert set(validate.CHECKS) == set(CheckKind) - {CheckKind.COLUMN}


def test_typed_frame_is_unsure_only_when_a_check_fails() -> None:
    arrow = pa.Table.from_pandas(raw_frames(accounts=[account("1"), account("1")])["accounts"])
    with pytest.raises(fast.Unsure):
        fast.typed_frame("accounts", arrow)
    # `only`: columns of a table known to be valid are typed, not checked again.
    typed = fast.typed_frame("accounts", arrow.select(["uin", "overdue_amount"]), only=("uin",))
    assert typed.columns.tolist() == ["uin", cents_column("overdue_amount")]


@settings(max_examples=60, deadline=None)
@given(
    parents=st.lists(st.text("ab", min_size=1, max_size=3), unique=True, max_size=6),
    events=st.lists(st.text("abc", min_size=1, max_size=3), max_size=10),
    ordered=st.booleans(),
)
def test_links_found_in_key_order_or_not_agree_with_sets(
    parents: list[str], events: list[str], ordered: bool
) -> None:
    if ordered:
        parents, events = sorted(parents), sorted(events)
    unknown, orphans = fast.unlinked(pa.array(events, pa.string()), pa.array(parents, pa.string()))
    assert unknown.tolist() == [i for i, e in enumerate(events) if e not in parents]
    assert orphans.tolist() == [i for i, p in enumerate(parents) if p not in events]
