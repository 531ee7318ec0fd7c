"""`ReportSettings` and `prepare`: one frozen value of every option, checked before anything
is read; --out resolved once; --previous refused when unreadable or not earlier."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import run_cli

from auditkit.cli.common import EXIT_INPUT
from auditkit.errors import ParameterError
from auditkit.report.settings import ReportSettings, month_before, prepare

HEADER = "request_id,member_uin,verdict,failed_rules\n"


def report_folder(folder: Path, period: str | None, verdicts: str = "R1,1,eligible,\n") -> Path:
    folder.mkdir(parents=True)
    (folder / "verdicts.csv").write_text(HEADER + verdicts)
    manifest = {"status": "succeeded", **({"period": period} if period else {})}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_settings_are_one_frozen_value(tmp_path: Path):
    settings = ReportSettings(tmp_path, "2026-11", params={"j10_require_both": True})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.period = "2026-12"
    with pytest.raises(TypeError):
        settings.params["j10_require_both"] = False
    later = settings.replace(period="2026-12")
    assert later.period == "2026-12" and settings.period == "2026-11"
    assert later.params == {"j10_require_both": True}
    fields = {f.name for f in dataclasses.fields(ReportSettings)}
    assert {"data_dir", "period", "out", "currency", "sample", "catalogue"} <= fields


def test_out_is_resolved_once_and_shown_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for given, real in (
        ("link/reports", tmp_path / "real" / "reports"),
        ("./r", tmp_path / "r"),
        ("reports", tmp_path / "reports"),
    ):
        plan = prepare(ReportSettings(tmp_path, "2026-11", Path(given)), for_notebook=True)
        assert plan.root == real.resolve()
        assert plan.target == real.resolve() / "2026-11"
        assert plan.shown_target == Path(given) / "2026-11"


@pytest.mark.parametrize(
    ("name", "period", "words"),
    [
        ("2026-11", None, "is the report of 2026-11, the same period as --period 2026-11"),
        ("2026-12", None, "is the report of 2026-12, a later period than --period 2026-11"),
        ("copy-of-november", "2026-11", "the same period as"),
    ],
)
def test_previous_of_the_same_or_a_later_period_is_refused(
    tmp_path: Path, name: str, period: str | None, words: str
):
    previous = report_folder(tmp_path / name, period)
    with pytest.raises(ParameterError, match=words) as refused:
        prepare(ReportSettings(tmp_path, "2026-11", tmp_path, previous=previous), for_notebook=True)
    assert f"--previous {tmp_path / '2026-10'}" in str(refused.value)


def test_previous_of_an_earlier_period_or_unknown_period_is_taken(tmp_path: Path):
    for name, period in (("2026-10", None), ("elsewhere", "2025-12"), ("check-output", None)):
        previous = report_folder(tmp_path / name, period)
        plan = prepare(
            ReportSettings(tmp_path, "2026-11", tmp_path, previous=previous), for_notebook=True
        )
        assert plan.previous_dir == previous.absolute()


def test_a_named_previous_with_a_short_row_exits_2_naming_the_line(tmp_path: Path, capsys):
    previous = report_folder(tmp_path / "2026-10", None, "R1,1,eligible,\nR2,2,eligible\n")
    argv = ["report", "--data", tmp_path, "--period", "2026-11", "--previous", previous]
    code, _, err = run_cli(capsys, *argv, "--out", tmp_path / "reports")
    assert code == EXIT_INPUT
    assert "verdicts.csv line 3 has 3 fields, the header 4" in err


def test_the_month_before():
    assert month_before("2026-01") == "2025-12"
    assert month_before("2026-11") == "2026-10"
