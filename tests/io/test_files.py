"""--data and --out at fsspec URLs: s3:// against a real S3-compatible server on loopback.

moto's server mode listens on 127.0.0.1 for the module; the credentials and the
endpoint reach s3fs the way a user's would, through AWS_* environment variables.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from conftest import good_frames, run_cli, write_data_dir

from auditkit.io.files import is_url, local_path, storage_options

AS_OF = "2026-11-01"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    patch = pytest.MonkeyPatch()
    patch.setenv("AWS_ACCESS_KEY_ID", "testing")
    patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    patch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
    try:
        yield f"http://{host}:{port}"
    finally:
        patch.undo()
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, tmp_path: Path) -> str:
    """A fresh bucket holding a small valid data set under data/ as Parquet."""
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    name = f"audit-{tmp_path.name.lower().replace('_', '-')[-40:]}"
    fs.mkdir(name)
    local = write_data_dir(tmp_path / "local", good_frames(), "parquet")
    for path in local.iterdir():
        fs.put_file(str(path), f"{name}/data/{path.name}")
    return name


@pytest.mark.parametrize("engine", ["pandas", "dask"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_check_reads_and_writes_s3(capsys, bucket: str, engine: str, fmt: str) -> None:
    import fsspec

    argv = ["check", "--data", f"s3://{bucket}/data", "--out", f"s3://{bucket}/out"]
    argv += ["--as-of", AS_OF, "--format", fmt, "--engine", engine]
    if engine == "dask":
        argv += ["--workers", "1"]
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert f"wrote s3://{bucket}/out/results.{fmt}" in out
    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    names = sorted(p.rsplit("/", 1)[1] for p in fs.ls(f"{bucket}/out"))
    assert names == ["manifest.json", f"results.{fmt}", f"verdicts.{fmt}"]  # no staging left
    manifest = json.loads(fs.cat(f"{bucket}/out/manifest.json"))
    assert manifest["inputs"]["accounts"]["path"] == f"s3://{bucket}/data/accounts.parquet"
    assert len(manifest["inputs"]["accounts"]["sha256"]) == 64
    if fmt == "parquet":
        results = pd.read_parquet(f"s3://{bucket}/out/results.parquet")
        assert len(results) == 13
        assert set(results["request_id"]) == {"R1"}


def test_check_replaces_earlier_s3_results(capsys, bucket: str) -> None:
    argv = ["check", "--data", f"s3://{bucket}/data", "--out", f"s3://{bucket}/out"]
    argv += ["--as-of", AS_OF]
    assert run_cli(capsys, *argv, "--format", "parquet")[0] == 0
    assert run_cli(capsys, *argv, "--format", "csv")[0] == 0
    import fsspec

    fs = fsspec.filesystem("s3", skip_instance_cache=True)
    names = sorted(p.rsplit("/", 1)[1] for p in fs.ls(f"{bucket}/out"))
    assert names == ["manifest.json", "results.csv", "verdicts.csv"]


def test_missing_s3_table_is_an_input_error(capsys, bucket: str) -> None:
    import fsspec

    fsspec.filesystem("s3", skip_instance_cache=True).rm(f"{bucket}/data/orders.parquet")
    for engine in ("pandas", "dask"):
        argv = ["check", "--data", f"s3://{bucket}/data", "--out", f"s3://{bucket}/out"]
        workers = ["--workers", "1"] if engine == "dask" else []
        code, _, err = run_cli(capsys, *argv, "--as-of", AS_OF, "--engine", engine, *workers)
        assert code == 2
        assert "missing: expected orders.csv or orders.parquet" in err


def test_file_urls_and_paths(tmp_path: Path, monkeypatch) -> None:
    assert local_path(f"file://{tmp_path}") == tmp_path
    assert local_path(str(tmp_path)) == tmp_path
    assert local_path("s3://bucket/x") is None
    assert is_url("gs://b/x") and not is_url("data/x")
    monkeypatch.setenv("AUDITKIT_STORAGE_OPTIONS", '{"anon": true}')
    assert storage_options() == {"anon": True}


def test_file_url_data(capsys, tmp_path: Path) -> None:
    data = write_data_dir(tmp_path / "data", good_frames(), "csv")
    argv = ["check", "--data", f"file://{data}", "--out", f"file://{tmp_path / 'out'}"]
    code, _, err = run_cli(capsys, *argv, "--as-of", dt.date(2026, 11, 1).isoformat())
    assert code == 0, err
    assert (tmp_path / "out" / "results.csv").is_file()


def test_out_in_a_missing_bucket_is_refused_before_judging_not_created(capsys, bucket: str) -> None:
    import fsspec

    out = "s3://no-such-bucket-auditkit/out"
    argv = ["check", "--data", f"s3://{bucket}/data", "--out", out, "--as-of", AS_OF]
    code, _, err = run_cli(capsys, *argv)
    assert code == 2, err
    assert err == (
        f"invalid parameter: --out {out}: no-such-bucket-auditkit does not exist (auditkit "
        "creates no buckets: create it, or check the name)"
    )
    assert not fsspec.filesystem("s3", skip_instance_cache=True).exists("no-such-bucket-auditkit")


def test_out_naming_an_s3_file_is_refused_before_judging(capsys, bucket: str) -> None:
    argv = ["check", "--data", f"s3://{bucket}/data", "--as-of", AS_OF]
    out = f"s3://{bucket}/data/accounts.parquet"
    code, _, err = run_cli(capsys, *argv, "--out", out)
    assert (code, err) == (2, f"invalid parameter: --out {out} is a file, not a folder")
