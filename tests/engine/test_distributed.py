"""The Dask engine against the pandas engine: same rows, statuses, reasons and verdicts.

Runs on one in-process cluster (two single-threaded workers) shared by the
module; the inputs are written as Parquet with tiny row groups so that every
table is cut into several pieces and the requests into several partitions.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import (
    account,
    frame,
    order,
    order_event,
    raw_frames,
    request,
    run_cli,
    voucher,
    voucher_event,
)
from hypothesis import HealthCheck, given, settings
from test_reference import worlds

import auditkit.demo as demo
from auditkit.demo.files import arrow_table
from auditkit.engine.distributed import checks, judging, run, sources
from auditkit.engine.distributed.run import check_on_dask
from auditkit.engine.evaluate import evaluate
from auditkit.errors import InputError
from auditkit.io.tables import load_tables, tables_from_frames
from auditkit.io.write import write_tables
from auditkit.params import Params
from auditkit.rules.pob import POB

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture
def small_pieces(monkeypatch) -> None:
    """Every table planned as pieces of 2 rows (one row group each, see write_pieces), so
    that the checks across pieces run."""
    monkeypatch.setattr(run, "plan", functools.partial(sources.plan, rows_per_piece=2))


def write_pieces(folder: Path, tables: dict[str, pa.Table], rows_per_group: int = 7) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet", row_group_size=rows_per_group)
    return folder


def raw_arrow(frames: dict[str, pd.DataFrame]) -> dict[str, pa.Table]:
    return {name: pa.Table.from_pandas(data, preserve_index=False) for name, data in frames.items()}


def sorted_frame(data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    text = data.astype("str").astype(object)
    return text.where(data.notna(), None).sort_values(keys).reset_index(drop=True)


def assert_same_as_pandas(out: Path, result, fmt: str = "parquet") -> None:
    """The Dask run's files hold the pandas engine's rows (compared as written, for CSV)."""
    if fmt == "parquet":
        read, expected = pd.read_parquet, {"results": result.results, "verdicts": result.verdicts}
    else:
        written = write_tables(
            {"results": result.results, "verdicts": result.verdicts}, out / "pandas", "csv"
        )
        read = _read_csv
        expected = {name: _read_csv(path) for name, path in written.items()}
    for name, keys in (("results", ["request_id", "rule_id"]), ("verdicts", ["request_id"])):
        actual = sorted_frame(read(out / f"{name}.{fmt}"), keys)
        pd.testing.assert_frame_equal(actual, sorted_frame(expected[name], keys))


def _read_csv(path: Path) -> pd.DataFrame:
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    parts = [pd.read_csv(p, dtype=str, keep_default_na=False) for p in files]
    return pd.concat(parts, ignore_index=True)


@pytest.mark.parametrize(
    ("seed", "params", "broadcast_rows"),
    [(3, {}, 2_000_000), (11, {"j10_require_both": True}, 0)],
    ids=["broadcast", "shuffle"],
)
def test_dask_matches_pandas_on_demo_data(
    client, tmp_path: Path, monkeypatch, seed: int, params: dict, broadcast_rows: int
) -> None:
    """Accounts and totals sent to every worker, or joined by shuffles (big accounts)."""
    monkeypatch.setattr(judging, "BROADCAST_ROWS", broadcast_rows)
    raw = demo.generate(requests=400, seed=seed, as_of=AS_OF)
    data = write_pieces(
        tmp_path / "data", {n: arrow_table(f, for_csv=False) for n, f in raw.items()}, 97
    )
    run_params = Params(as_of=AS_OF, **params)
    run, manifest = check_on_dask(
        client, str(data), str(tmp_path / "out"), "parquet", run_params, POB
    )
    result = evaluate(load_tables(data), run_params, POB)
    assert_same_as_pandas(tmp_path / "out", result)
    assert run.verdict_counts == result.verdict_counts()
    assert run.exception_counts == result.exception_counts()
    pd.testing.assert_frame_equal(run.rule_counts, result.rule_counts(), check_dtype=False)
    assert run.partitions >= 2
    assert manifest["inputs"]["orders"]["rows"] == len(raw["orders"])
    assert [p.name for p in (tmp_path / "out" / ".auditkit" / "versions").iterdir()] == [
        (tmp_path / "out" / ".auditkit" / "current").resolve().name
    ]


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(world=worlds())
def test_dask_matches_pandas_on_random_tables(client, tmp_path_factory, world) -> None:
    accounts, orders, vouchers, requests, params = world
    frames = {
        "accounts": frame("accounts", [row for _, row in accounts]),
        "orders": frame("orders", [row for _, row in orders]),
        "vouchers": frame("vouchers", [row for _, row in vouchers]),
        "requests": frame("requests", [row for _, row in requests]),
    }
    folder = tmp_path_factory.mktemp("world")
    data = write_pieces(folder / "data", raw_arrow(frames), 3)
    check_on_dask(client, str(data), str(folder / "out"), "parquet", params, POB)
    assert_same_as_pandas(folder / "out", evaluate(tables_from_frames(frames), params, POB))


def test_dask_writes_csv_parts(client, tmp_path: Path) -> None:
    frames = raw_frames(
        accounts=[account("1"), account("2"), account("3", available_balance="-1.00")],
        orders=[order("O1", "3", status="to_be_paid")],
        vouchers=[voucher("V1", "9")],
        requests=[request("R1"), request("R2", "3"), request("R3", "4")],
    )
    data = write_pieces(tmp_path / "data", raw_arrow(frames), 1)
    check_on_dask(client, str(data), str(tmp_path / "out"), "csv", Params(as_of=AS_OF), POB)
    assert_same_as_pandas(
        tmp_path / "out", evaluate(tables_from_frames(frames), Params(), POB), "csv"
    )


@pytest.mark.parametrize("one_task_rows", [16_000_000, 0], ids=["one task", "shuffle"])
def test_dask_refuses_like_pandas(
    client, tmp_path: Path, monkeypatch, one_task_rows, small_pieces
) -> None:
    """A duplicate id in another piece, a bad value in a later piece."""
    monkeypatch.setattr(checks, "ONE_TASK_ROWS", one_task_rows)
    orders = [order(f"O{i}", "1") for i in range(6)] + [order("O2", "1")]
    orders[4]["amount"] = "1.005"
    frames = raw_frames(
        accounts=[account("1"), account("2"), account("1")],
        orders=orders,
        requests=[request("R1"), request("R2", created_by="x")],
    )
    data = write_pieces(tmp_path / "data", raw_arrow(frames), 2)
    with pytest.raises(InputError) as pandas_error:
        load_tables(data)
    with pytest.raises(InputError) as dask_error:
        check_on_dask(client, str(data), str(tmp_path / "out"), "parquet", Params(as_of=AS_OF), POB)
    assert dask_error.value.message() == pandas_error.value.message()
    assert "row 8" in dask_error.value.message()  # the second O2, in the fourth piece


@pytest.mark.parametrize("one_task_rows", [16_000_000, 0], ids=["one task", "shuffle"])
def test_dask_finds_repeats_across_pieces_whatever_their_longest_value(
    client, tmp_path: Path, monkeypatch, one_task_rows, small_pieces
) -> None:
    """Keys are hashed piece by piece: a value must hash alike in a piece of short ids and
    in one holding a long id (past HASHED_BYTES), and a (key, moment) pair likewise."""
    monkeypatch.setattr(checks, "ONE_TASK_ROWS", one_task_rows)
    long_id = "O" + "7" * 80
    ids = ["O2", "O3", "O10", long_id, "O4", "O2", long_id]  # pieces of 2: the O2s in 1 and 3
    frames = raw_frames(
        accounts=[account("1")],
        orders=[order(i, "1") for i in ids],
        requests=[request("R1")],
        account_history=[],
        order_events=[order_event(i, at="2026-10-01") for i in ["O1", "O22", "O3", "O1"]],
    )
    data = write_pieces(tmp_path / "data", raw_arrow(frames), 2)
    with pytest.raises(InputError) as pandas_error:
        load_tables(data)
    with pytest.raises(InputError) as dask_error:
        check_on_dask(client, str(data), str(tmp_path / "out"), "parquet", Params(as_of=AS_OF), POB)
    message = dask_error.value.message()
    assert message == pandas_error.value.message()
    assert message.count("duplicate order_id") == 4  # both O2s and both long ids
    assert message.count("duplicate (order_id, at)") == 2


def test_dask_lists_the_first_rows_of_a_check_and_counts_the_rest_like_pandas(
    client, tmp_path: Path
) -> None:
    """50 bad amounts over three pieces: the first 20 rows listed, 30 counted, as pandas does."""
    orders = [order(f"O{i:02d}", "1") for i in range(60)]
    for row in orders[5:55]:
        row["amount"] = "1.005"
    frames = raw_frames(accounts=[account("1")], orders=orders, requests=[request("R1")])
    data = write_pieces(tmp_path / "data", raw_arrow(frames), 3)
    with pytest.raises(InputError) as pandas_error:
        load_tables(data)
    with pytest.raises(InputError) as dask_error:
        check_on_dask(client, str(data), str(tmp_path / "out"), "parquet", Params(as_of=AS_OF), POB)
    assert dask_error.value.message() == pandas_error.value.message()
    message = dask_error.value.message()
    assert message.count("column amount, row ") == 20
    assert "and 30 more problems not listed" in message
    assert "50 x table orders, column amount" in message


def test_dask_checks_event_links_like_pandas(client, tmp_path: Path) -> None:
    frames = raw_frames(
        accounts=[account("1"), account("2")],
        orders=[order("O1"), order("O2")],
        vouchers=[voucher("V1")],
        requests=[request()],
        account_history=[],
        order_events=[order_event("O1"), order_event("O9")],
        voucher_events=[voucher_event("V1")],
    )
    data = write_pieces(tmp_path / "data", raw_arrow(frames), 1)
    with pytest.raises(InputError) as pandas_error:
        load_tables(data)
    with pytest.raises(InputError) as dask_error:
        check_on_dask(client, str(data), str(tmp_path / "out"), "parquet", Params(as_of=AS_OF), POB)
    assert dask_error.value.message() == pandas_error.value.message()


def test_cli_runs_dask_on_its_own_local_cluster(capsys, tmp_path: Path) -> None:
    """No cluster set up by hand: --engine dask starts a LocalCluster of worker processes."""
    data = write_pieces(
        tmp_path / "data",
        raw_arrow(
            raw_frames(
                accounts=[account("1"), account("2")],
                orders=[order()],
                vouchers=[voucher()],
                requests=[request()],
            )
        ),
    )
    argv = ["check", "--data", data, "--out", tmp_path / "out", "--as-of", "2026-11-01"]
    code, out, err = run_cli(
        capsys, *argv, "--engine", "dask", "--workers", "1", "--format", "parquet"
    )
    assert code == 0, err
    assert "1 requests, judged against the snapshot" in out
    assert len(pd.read_parquet(tmp_path / "out" / "results.parquet")) == 13
    # The pandas engine over the Dask engine's folders of parts: checked, judged, replaced.
    code, _, err = run_cli(capsys, *argv, "--format", "parquet")
    assert code == 0, err
    assert (tmp_path / "out" / "results.parquet").resolve().is_file()
    assert len(pd.read_parquet(tmp_path / "out" / "results.parquet")) == 13


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--at", "requested"], "--at requested runs on the pandas engine only"),
        (["--memory-limit", "lots"], "--memory-limit 'lots' is not a size"),
        (["--workers", "0"], "--workers must be at least 1"),
        (["--db"], "use the pandas engine for it"),
    ],
)
def test_cli_refuses_what_dask_cannot_do(capsys, tmp_path: Path, options, message) -> None:
    argv = ["check", "--data", tmp_path, "--out", tmp_path / "out", "--engine", "dask"]
    code, _, err = run_cli(capsys, *argv, *options)
    assert code == 2
    assert message in err
