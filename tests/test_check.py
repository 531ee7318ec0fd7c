"""`run_check` as a library: the steps the command line runs, without the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import good_frames, write_data_dir

import auditkit
from auditkit.errors import ParameterError
from auditkit.vocab import Engine

PARAMS = auditkit.Params(as_of=dt.date(2026, 11, 1))


def settings(tmp_path: Path, **changes) -> auditkit.CheckSettings:
    data = write_data_dir(tmp_path / "data", good_frames())
    base = {"data": str(data), "out": str(tmp_path / "out"), "params": PARAMS}
    return auditkit.CheckSettings(**{**base, "catalogue": auditkit.POB, **changes})


def test_run_check_judges_describes_and_publishes(tmp_path: Path) -> None:
    phases: list[str] = []
    run = auditkit.run_check(settings(tmp_path, fmt="parquet"), progress=phases.append)
    assert phases == ["load", "validate", "evaluate", "tabulate", "write"]
    assert run.verdict_counts == {"eligible": 1, "ineligible": 0, "unknown": 0}
    assert sorted(Path(p).name for p in run.written.values()) == [
        "manifest.json",
        "results.parquet",
        "verdicts.parquet",
    ]
    written = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert written == json.loads(json.dumps(run.manifest, default=str))
    assert written["engine"] == {"name": "pandas"} and written["command"] == "check"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scheduler": "tcp://127.0.0.1:1"}, "--scheduler sizes or names a Dask cluster"),
        ({"engine": Engine.DASK, "db": "r.db"}, "--db records findings from a run held in memory"),
        (
            {"engine": Engine.DASK, "params": PARAMS.replace(at="requested")},
            "--at requested runs on the pandas engine only",
        ),
    ],
)
def test_run_check_refuses_before_reading_anything(
    tmp_path: Path, changes: dict, message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        auditkit.run_check(settings(tmp_path, **changes), progress=pytest.fail)
    assert not (tmp_path / "out").exists()
