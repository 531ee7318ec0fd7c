"""The `auditkit` command line end to end: check, rules, demo, output files and exit codes."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import account, good_frames, raw_frames, request, run_cli, write_data_dir

import auditkit.io.output
import auditkit.io.read
from auditkit.contract import ALL_TABLES
from auditkit.io.write import write_frame

RESULT_HEADER = ["request_id", "member_uin", "admin_uin", "action", "rule_id", "status", "reason"]
VERDICT_HEADER = [
    "request_id",
    "member_uin",
    "admin_uin",
    "action",
    "payment_mode",
    "verdict",
    "failed_rules",
    "error_rules",
    "decision",
    "control_exception",
    "decision_code_check",
]
RULE_IDS = [f"POB-J{i:02d}" for i in range(1, 11)] + ["POB-Q01", "POB-Q02", "POB-Q03"]
AS_OF = ("--as-of", "2026-11-01")


def shown(out: Path) -> list[str]:
    """The names a reader sees in an output folder (not the hidden versions behind them)."""
    return sorted(p.name for p in out.iterdir() if not p.name.startswith("."))


def read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows exactly as written (no type guessing, no null conversion)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`auditkit demo --requests 300` then `auditkit check` on it, once for the module."""
    from auditkit.cli import main

    root = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--out", str(root / "data"), "--requests", "300"]) == 0
    assert main(["check", "--data", str(root / "data"), "--out", str(root / "out"), *AS_OF]) == 0
    return root / "data", root / "out"


def test_check_writes_13_results_per_request_and_one_verdict(demo_run: tuple[Path, Path]) -> None:
    data, out = demo_run
    _, requests = read_csv_rows(data / "requests.csv")
    header, results = read_csv_rows(out / "results.csv")
    assert header == RESULT_HEADER
    assert len(requests) == 300
    assert len(results) == 13 * len(requests)
    assert [r["rule_id"] for r in results] == RULE_IDS * len(requests)
    assert {r["status"] for r in results} == {"pass", "fail", "not_applicable", "error"}

    header, verdicts = read_csv_rows(out / "verdicts.csv")
    assert header == VERDICT_HEADER
    assert [v["request_id"] for v in verdicts] == [r["request_id"] for r in requests]
    assert {v["verdict"] for v in verdicts} == {"eligible", "ineligible", "unknown"}
    assert {v["control_exception"] for v in verdicts} == {
        "",
        "approved_but_ineligible",
        "rejected_but_eligible",
    }


def test_identifiers_are_written_exactly_as_read(demo_run: tuple[Path, Path]) -> None:
    data, out = demo_run
    _, requests = read_csv_rows(data / "requests.csv")
    _, results = read_csv_rows(out / "results.csv")
    _, verdicts = read_csv_rows(out / "verdicts.csv")
    keys = ("request_id", "member_uin", "admin_uin")
    expected = [tuple(r[k] for k in keys) for r in requests]
    assert any(uin.startswith("0") for _, member, admin in expected for uin in (member, admin))
    assert [tuple(v[k] for k in keys) for v in verdicts] == expected
    assert [tuple(r[k] for k in keys) for r in results[::13]] == expected
    assert [v["decision"] for v in verdicts] == [r["decision"] for r in requests]
    # Byte for byte: the first three fields of each line, as the files hold them.
    requests_lines = (data / "requests.csv").read_bytes().splitlines()[1:]
    results_lines = (out / "results.csv").read_bytes().splitlines()[1:]
    prefixes = [b",".join(line.split(b",")[:3]) for line in requests_lines]
    assert [b",".join(line.split(b",")[:3]) for line in results_lines[::13]] == prefixes


def test_verdicts_agree_with_results(demo_run: tuple[Path, Path]) -> None:
    _, out = demo_run
    _, results = read_csv_rows(out / "results.csv")
    _, verdicts = read_csv_rows(out / "verdicts.csv")
    for i, verdict in enumerate(verdicts):  # a few hundred rows of test-side bookkeeping
        rows = results[13 * i : 13 * (i + 1)]
        failed = ";".join(r["rule_id"] for r in rows if r["status"] == "fail")
        errors = ";".join(r["rule_id"] for r in rows if r["status"] == "error")
        assert (verdict["failed_rules"], verdict["error_rules"]) == (failed, errors)
        assert all(r["reason"] for r in rows if r["status"] in ("fail", "error"))


def test_parquet_output_holds_the_same_tables(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_run: tuple[Path, Path]
) -> None:
    data, out = demo_run
    code, stdout, _ = run_cli(
        capsys, "check", "--data", data, "--out", tmp_path, "--format", "parquet", *AS_OF
    )
    assert code == 0
    assert shown(tmp_path) == ["manifest.json", "results.parquet", "verdicts.parquet"]
    assert f"wrote {tmp_path / 'results.parquet'}" in stdout
    for name in ("results", "verdicts"):
        table = pq.read_table(tmp_path / f"{name}.parquet").to_pandas().astype(object)
        from_parquet = table.where(table.notna(), "").astype("str")
        from_csv = pd.read_csv(out / f"{name}.csv", dtype="str", keep_default_na=False)
        pd.testing.assert_frame_equal(from_parquet, from_csv, check_dtype=False)


def test_csv_and_parquet_input_give_identical_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_run: tuple[Path, Path]
) -> None:
    _, out = demo_run
    data = tmp_path / "data"
    code, _, _ = run_cli(capsys, "demo", "--out", data, "--requests", "300", "--format", "parquet")
    assert code == 0
    assert sorted(p.name for p in data.iterdir()) == sorted(f"{t}.parquet" for t in ALL_TABLES)
    code, _, _ = run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out", *AS_OF)
    assert code == 0
    for name in ("results.csv", "verdicts.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (out / name).read_bytes()
    # The same at each request's requested_at, from the history tables.
    csv_data = demo_run[0]
    for source, target in ((csv_data, "csv-at"), (data, "parquet-at")):
        argv = ["check", "--data", source, "--out", tmp_path / target, *AS_OF, "--at", "requested"]
        assert run_cli(capsys, *argv)[0] == 0
    for name in ("results.csv", "verdicts.csv"):
        at_requested = (tmp_path / "csv-at" / name).read_bytes()
        assert (tmp_path / "parquet-at" / name).read_bytes() == at_requested
        assert at_requested != (out / name).read_bytes()


def test_demo_over_an_old_demo_of_the_other_format_leaves_one_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, "demo", "--out", tmp_path, "--requests", "5")[0] == 0
    assert (
        run_cli(capsys, "demo", "--out", tmp_path, "--requests", "5", "--format", "parquet")[0] == 0
    )
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".parquet"] * len(ALL_TABLES)
    assert run_cli(capsys, "check", "--data", tmp_path, "--out", tmp_path / "out")[0] == 0


def test_demo_rejects_zero_requests(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "demo", "--out", tmp_path, "--requests", "0")
    assert code == 2
    assert err == "invalid parameter: --requests must be at least 1, got 0"


def test_rules_lists_the_13_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_cli(capsys, "rules")
    assert code == 0
    listed = [line.split()[0] for line in stdout.splitlines() if line.startswith("POB-")]
    assert listed == RULE_IDS
    assert "Pay-on-Behalf Mode Access Requirements" in stdout


# ---- check on hand-built data ----------------------------------------------------------


def check(capsys: pytest.CaptureFixture[str], frames: dict, tmp_path: Path, *args: str):
    data = write_data_dir(tmp_path / "data", frames)
    return run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out", *args)


def test_findings_are_not_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    frames = raw_frames(
        accounts=[account("1", channel_role="agent")],
        requests=[request(decision="approved")],
    )
    code, stdout, err = check(capsys, frames, tmp_path, *AS_OF)
    assert (code, err) == (0, "")
    assert "as_of 2026-11-01: 1 requests" in stdout
    assert "approved_but_ineligible 1" in stdout
    _, [verdict] = read_csv_rows(tmp_path / "out" / "verdicts.csv")
    assert verdict["verdict"] == "ineligible"
    assert verdict["failed_rules"] == "POB-J02"
    assert verdict["error_rules"] == "POB-J01;POB-J04;POB-J09;POB-J10"
    assert verdict["control_exception"] == "approved_but_ineligible"


def test_free_text_reaches_the_reason_verbatim(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = raw_frames(
        accounts=[
            account("1", enterprise_id="=HYPERLINK(1)"),
            account("2", enterprise_id='Acme "Ltd", <b>\nbold</b>'),
        ],
        requests=[request()],
    )
    assert check(capsys, frames, tmp_path, *AS_OF)[0] == 0
    _, results = read_csv_rows(tmp_path / "out" / "results.csv")
    assert results[0]["rule_id"] == "POB-J01"
    assert results[0]["reason"] == (
        "member 1 enterprise_id '=HYPERLINK(1)' differs from admin 2 enterprise_id "
        "'Acme \"Ltd\", <b>\nbold</b>'"
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a=1", "a=1"),
        ("member 1 enterprise_id '=HYPERLINK(1)'", "member 1 enterprise_id '=HYPERLINK(1)'"),
        ("", ""),
    ],
)
@pytest.mark.parametrize("categorical", [False, True])
def test_csv_cells_that_a_spreadsheet_would_run_are_defused(
    tmp_path: Path, value: str, written: str, categorical: bool
) -> None:
    column = pd.Series([value, "ok"], dtype="category" if categorical else "str")
    write_frame(pd.DataFrame({"reason": column}), tmp_path / "t.csv")
    _, rows = read_csv_rows(tmp_path / "t.csv")
    assert [r["reason"] for r in rows] == [written, "ok"]
    write_frame(pd.DataFrame({"reason": column}), tmp_path / "t.parquet")
    assert pq.read_table(tmp_path / "t.parquet").column("reason").to_pylist() == [value, "ok"]


def test_failed_write_keeps_the_previous_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check(capsys, good_frames(), tmp_path, *AS_OF)[0] == 0
    out = tmp_path / "out"
    before = {name: (out / name).read_bytes() for name in shown(out)}
    assert sorted(before) == ["manifest.json", "results.csv", "verdicts.csv"]

    calls: list[Path] = []

    def fail_on_second(frame: pd.DataFrame, path: Path) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        write_frame(frame, path)

    monkeypatch.setattr(auditkit.io.output, "write_frame", fail_on_second)
    frames = good_frames()
    frames["requests"] = raw_frames(requests=[request("R9")])["requests"]
    code, _, err = check(capsys, frames, tmp_path, *AS_OF)
    assert (code, err) == (1, "auditkit: disk full")
    assert len(calls) == 2
    assert {name: (out / name).read_bytes() for name in shown(out)} == before
    assert [p.name for p in (out / ".auditkit" / "versions").iterdir()] == [
        (out / ".auditkit" / "current").resolve().name
    ]


def test_manifest_records_as_of_params_and_input_hashes(demo_run: tuple[Path, Path]) -> None:
    """The contract: as_of is always recorded with the results."""
    data, out = demo_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["as_of"] == AS_OF[1]
    assert manifest["params"]["as_of"] == AS_OF[1]
    assert manifest["rule_ids"][0] == "POB-J01" and len(manifest["rule_ids"]) == 13
    for table, entry in manifest["inputs"].items():
        path = data / f"{table}.csv"
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["rows"] == len(path.read_text(encoding="utf-8").splitlines()) - 1
    verdicts = pd.read_csv(out / "verdicts.csv", dtype=str)
    assert sum(manifest["verdicts"].values()) == len(verdicts)


def test_as_of_defaults_to_today_utc(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, stdout, _ = check(capsys, good_frames(), tmp_path)
    assert code == 0
    today = dt.datetime.now(dt.UTC).date()
    assert stdout.startswith(f"as_of {today.isoformat()}: 1 requests")


def test_as_of_decides_voucher_expiry(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    frames = good_frames()
    frames["accounts"].loc[0, ["channel_role", "distributor_id"]] = ["distributor_subcustomer", "D"]
    frames["accounts"].loc[1, "distributor_id"] = "D"
    frames["vouchers"].loc[0, ["subcustomer_voucher", "expires_at"]] = ["true", "2026-11-01"]
    statuses = []
    for as_of in ("2026-10-31", "2026-11-01"):
        assert check(capsys, frames, tmp_path / as_of, "--as-of", as_of)[0] == 0
        _, results = read_csv_rows(tmp_path / as_of / "out" / "results.csv")
        statuses.append(results[4]["status"])
    assert statuses == ["fail", "pass"]


@pytest.mark.parametrize("as_of", ["2026-13-01", "tomorrow", "2026-11-31", "01/11/2026"])
def test_bad_as_of_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, as_of: str
) -> None:
    code, _, err = check(capsys, good_frames(), tmp_path, "--as-of", as_of)
    assert code == 2
    assert (
        err
        == f"invalid parameter: as_of {as_of!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-01"
    )
    assert not (tmp_path / "out" / "results.csv").exists()


def test_unknown_format_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit) as exit_:
        check(capsys, good_frames(), tmp_path, "--format", "xlsx")
    assert exit_.value.code == 2


def test_no_requests_write_header_only_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    frames = raw_frames(accounts=[account("1")])
    assert check(capsys, frames, tmp_path / "csv", *AS_OF)[0] == 0
    assert read_csv_rows(tmp_path / "csv" / "out" / "results.csv") == (RESULT_HEADER, [])
    assert read_csv_rows(tmp_path / "csv" / "out" / "verdicts.csv") == (VERDICT_HEADER, [])


def test_parquet_schema_does_not_depend_on_the_number_of_requests(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    schemas = []
    for name, requests in (("none", []), ("one", [request()])):
        frames = raw_frames(accounts=[account("1")], requests=requests)
        assert check(capsys, frames, tmp_path / name, "--format", "parquet", *AS_OF)[0] == 0
        out = tmp_path / name / "out"
        schemas.append(
            [pq.read_schema(out / f"{t}.parquet").types for t in ("results", "verdicts")]
        )
    assert schemas[0] == schemas[1]


def test_out_naming_a_file_is_refused_before_judging(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import auditkit.engine.evaluate

    judged: list[object] = []
    monkeypatch.setattr(auditkit.engine.evaluate, "evaluate", lambda *a, **k: judged.append(a))
    (tmp_path / "out").write_text("a file, not a folder")
    code, _, err = check(capsys, good_frames(), tmp_path, *AS_OF)
    assert code == 2
    assert err == f"invalid parameter: --out {tmp_path / 'out'} is a file, not a folder"
    assert judged == [], "the requests were judged before --out was refused"
    assert (tmp_path / "out").read_text() == "a file, not a folder"


def test_demo_months_is_the_same_population_a_month_later(tmp_path: Path) -> None:
    import auditkit.demo as demo

    october = demo.generate(requests=400, seed=3, as_of=dt.date(2026, 10, 1))
    november = demo.generate(requests=400, seed=3, as_of=dt.date(2026, 11, 1), months=1)
    again = demo.generate(requests=400, seed=3, as_of=dt.date(2026, 11, 1), months=1)
    for name in november:
        pd.testing.assert_frame_equal(november[name], again[name])  # deterministic
    pd.testing.assert_series_equal(october["accounts"]["uin"], november["accounts"]["uin"])
    before = set(october["requests"]["request_id"])
    after = set(november["requests"]["request_id"])
    kept, new = before & after, after - before
    assert 0.8 * len(before) < len(kept) < len(before)
    assert new and min(new) > max(before)
    # Kept requests are the same requests; new ones come from known members.
    merged = october["requests"].merge(november["requests"], on="request_id")
    assert (merged["member_uin_x"] == merged["member_uin_y"]).all()
    assert set(november["requests"]["member_uin"]) <= set(october["requests"]["member_uin"])
    # Some open orders were settled in the meantime.
    open_before = october["orders"]["status"].isin(["to_be_paid", "processing"])
    settled = open_before & (november["orders"]["status"] == "completed")
    assert settled.any()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_an_extra_column_named_like_the_parsed_amount_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    """Extra columns are carried through untouched, even `available_balance_cents`."""
    frames = raw_frames(
        accounts=[account("1"), account("2", available_balance="-1.00", overdue_amount="1.00")],
        requests=[request()],
    )
    frames["accounts"]["available_balance_cents"] = [5, 5]
    data = write_data_dir(tmp_path / "data", frames, fmt)
    code, _, err = run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out", *AS_OF)
    assert (code, err) == (0, "")
    verdicts = pd.read_csv(tmp_path / "out" / "verdicts.csv", dtype=str, keep_default_na=False)
    assert verdicts.loc[0, "failed_rules"] == "POB-J10"
    tables = auditkit.load_tables(data)
    assert list(tables.accounts["input:available_balance_cents"].astype(int)) == [5, 5]
    assert list(tables.accounts["available_balance_cents"]) == [10000, -100]


def test_an_unreplaceable_output_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert check(capsys, good_frames(), tmp_path, *AS_OF)[0] == 0
    out = tmp_path / "out"
    (out / "verdicts.csv").unlink()
    (out / "verdicts.csv").mkdir()
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    code, _, err = check(capsys, good_frames(), tmp_path, "--as-of", "2026-12-01")
    assert code == 2
    assert err == (
        f"invalid parameter: --out {out}: {out / 'verdicts.csv'} is not one of the outputs "
        "auditkit published there; move it away or choose another --out"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_switching_format_removes_the_other_formats_results(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert check(capsys, good_frames(), tmp_path, *AS_OF)[0] == 0
    assert check(capsys, good_frames(), tmp_path, *AS_OF, "--format", "parquet")[0] == 0
    assert shown(tmp_path / "out") == ["manifest.json", "results.parquet", "verdicts.parquet"]


def test_the_manifest_hashes_the_bytes_that_were_judged(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file replaced while the run goes on: the hash is of what was parsed, not of the new file."""
    data = write_data_dir(tmp_path / "data", good_frames())
    original = (data / "requests.csv").read_bytes()
    parse = auditkit.io.read.parse

    def parse_then_replace(table: str, path: Path, raw: bytes, **options: bool):
        frame = parse(table, path, raw, **options)
        if table == "requests":
            path.write_text(
                path.read_text(encoding="utf-8") + "R2,1,2,join,pay_on_behalf,,2026-10-15,\n"
            )
        return frame

    monkeypatch.setattr(auditkit.io.read, "parse", parse_then_replace)
    code, _, _ = run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out", *AS_OF)
    assert code == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["requests"]["sha256"] == hashlib.sha256(original).hexdigest()
    assert manifest["inputs"]["requests"]["rows"] == 1
    assert manifest["inputs"]["requests"]["bytes"] == len(original)
    assert len(read_csv_rows(tmp_path / "out" / "verdicts.csv")[1]) == 1


def test_params_file_is_applied_and_recorded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    (tmp_path / "strict.json").write_text('{"j10_require_both": true}')
    runs = {}
    for name, extra in (("default", ()), ("strict", ("--params", tmp_path / "strict.json"))):
        code, _, _ = run_cli(
            capsys, "check", "--data", data, "--out", tmp_path / name, *AS_OF, *extra
        )
        assert code == 0
        runs[name] = json.loads((tmp_path / name / "manifest.json").read_text(encoding="utf-8"))
    assert runs["strict"]["params"]["j10_require_both"] is True
    assert runs["strict"]["params_sha256"] != runs["default"]["params_sha256"]
    assert runs["strict"]["rule_catalogue_sha256"] == runs["default"]["rule_catalogue_sha256"]


def test_manifest_records_the_decision_code_map(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames())
    codes = {"My.Code": ["POB-J07", "POB-Q02"]}
    (tmp_path / "codes.json").write_text(json.dumps(codes))
    argv = ["check", "--data", data, *AS_OF, "--decision-codes", tmp_path / "codes.json"]
    assert run_cli(capsys, *argv, "--out", tmp_path / "mapped")[0] == 0
    assert run_cli(capsys, "check", "--data", data, *AS_OF, "--out", tmp_path / "default")[0] == 0
    mapped = json.loads((tmp_path / "mapped" / "manifest.json").read_text())
    default = json.loads((tmp_path / "default" / "manifest.json").read_text())
    assert mapped["decision_codes"] == codes
    assert default["decision_codes"]["UnsupportedOperation.OrderInProgressExisted"] == [
        "POB-J07",
        "POB-Q02",
    ]
    assert len(default["decision_codes"]) == 16


def test_a_folder_written_before_versions_is_taken_over_and_replaced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Plain files of an earlier auditkit, and a Dask run's folders of parts, are replaced whole."""
    data = write_data_dir(tmp_path / "data", good_frames())
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"engine": {"name": "dask"}}')
    (out / "results.parquet").mkdir()
    (out / "results.parquet" / "part-00000.parquet").write_bytes(b"old part")
    (out / "verdicts.csv").write_text("old verdicts\n")
    code, _, err = run_cli(capsys, "check", "--data", data, "--out", out, *AS_OF)
    assert (code, err) == (0, "")
    assert shown(out) == ["manifest.json", "results.csv", "verdicts.csv"]
    assert json.loads((out / "manifest.json").read_text())["command"] == "check"
    assert read_csv_rows(out / "verdicts.csv")[0] == VERDICT_HEADER
    assert [p.name for p in (out / ".auditkit" / "versions").iterdir()] == [
        (out / ".auditkit" / "current").resolve().name
    ]


def test_a_parquet_folder_is_named_as_a_folder_not_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), "parquet")
    (data / "requests.parquet").rename(tmp_path / "part-00000.parquet")
    (data / "requests.parquet").mkdir()
    (tmp_path / "part-00000.parquet").rename(data / "requests.parquet" / "part-00000.parquet")
    code, _, err = run_cli(capsys, "check", "--data", data, "--out", tmp_path / "out", *AS_OF)
    assert code == 2
    assert "missing" not in err
    assert f"{data / 'requests.parquet'} is a folder (of Parquet parts?), not a file" in err
    assert "or judge it with auditkit check --engine dask" in err
