"""The audit sample on the command line and in the report: a plan beside every sample,
evaluation by that plan, the report's Appendix D and the workpaper's sample sheets."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import run_cli

import auditkit.demo as demo

pytestmark = pytest.mark.slow
AS_OF = ("--as-of", "2026-12-01", "--at", "requested")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample") / "data"
    raw = demo.generate(requests=300, seed=4, as_of=dt.date(2026, 12, 1), request_months=2)
    demo.write(raw, folder)
    return folder


def page_text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", path.read_text("utf-8")))


@pytest.mark.parametrize(
    ("option", "value"),
    [("--confidence", "95"), ("--tolerable-rate", "5"), ("--expected-rate", "1.5")],
)
def test_rates_that_are_not_fractions_are_refused(capsys, data, tmp_path, option, value):
    code, _, err = run_cli(capsys, "sample", "--data", data, "--out", tmp_path / "s", option, value)
    assert code == 2, err
    assert err.startswith(f"invalid parameter: {option} {value}: a rate is a fraction between 0")
    assert not (tmp_path / "s").exists()


def test_sample_writes_its_plan_and_each_items_position(capsys, data, tmp_path):
    argv = ["--period", "2026-11", "--method", "hypergeometric", "--seed", "5", *AS_OF]
    code, out, err = run_cli(capsys, "sample", "--data", data, "--out", tmp_path, *argv)
    assert code == 0, err
    document = json.loads((tmp_path / "sample_manifest.json").read_text("utf-8"))
    sample = pd.read_csv(tmp_path / "sample.csv", dtype=str, keep_default_na=False)
    plan = document["sample"]
    assert (plan["method"], plan["seed"], plan["confidence"], plan["tolerable_rate"]) == (
        "hypergeometric",
        5,
        0.95,
        0.05,
    )
    assert plan["population"] == document["population"]["requests_in_period"]
    assert len(document["population"]["sha256"]) == 64
    assert sample["position"].astype(int).tolist() == document["selection"]["positions"]
    assert "default_rng(5)" in " ".join(document["selection"]["procedure"])
    assert {"deviation", "tickmark", "tested_by", "tested_on", "notes"} <= set(sample.columns)
    assert out.startswith(f"{len(sample)} of {plan['population']} requests sampled")
    # Evaluated by its plan: the hypergeometric limit on its population.
    sample["deviation"] = "no"
    sample.to_csv(tmp_path / "tested.csv", index=False)
    code, out, err = run_cli(capsys, "sample", "evaluate", tmp_path / "tested.csv")
    assert code == 0, err
    assert f"hypergeometric, on the population of {plan['population']:,}" in out
    # The same file without its plan: refused unless both rates are given.
    alone = tmp_path / "alone"
    alone.mkdir()
    sample.to_csv(alone / "tested.csv", index=False)
    code, _, err = run_cli(capsys, "sample", "evaluate", alone / "tested.csv")
    assert code == 2 and "no sample_manifest.json beside the sample" in err
    rates = ("--confidence", "0.95", "--tolerable-rate", "0.05")
    code, out, _ = run_cli(capsys, "sample", "evaluate", alone / "tested.csv", *rates)
    assert code == 0 and "binomial (Clopper-Pearson)" in out and "plan: none found" in out


@pytest.fixture(scope="module")
def reported(data: Path, tmp_path_factory: pytest.TempPathFactory):
    """A report drawn with --sample, its sample tested (one deviation, one item left blank),
    and the report made again with --sample-results."""
    from auditkit.cli import main

    out = tmp_path_factory.mktemp("reports")
    argv = ["report", "--data", str(data), "--period", "2026-11", "--out", str(out), *AS_OF]
    assert main([*argv, "--sample", "--seed", "3"]) == 0
    folder = out / "2026-11"
    drawn = page_text(folder / "report.html")
    sample = pd.read_csv(folder / "sample.csv", dtype=str, keep_default_na=False)
    sample["deviation"] = "no"
    sample.loc[0, "deviation"] = "yes"
    sample.loc[1, "deviation"] = ""
    tested = out / "tested"
    tested.mkdir()
    sample.to_csv(tested / "sample.csv", index=False)
    (tested / "sample_manifest.json").write_bytes((folder / "sample_manifest.json").read_bytes())
    assert (
        main([*argv, "--sample-results", str(tested / "sample.csv"), "--untested", "deviation"])
        == 0
    )
    return argv, folder, tested, drawn


def test_report_sample_writes_sample_manifest_and_appendix_d(reported):
    _, folder, _, drawn = reported
    document = json.loads((folder / "sample_manifest.json").read_text("utf-8"))
    assert document["sample"]["seed"] == 3 and document["command"] == "report"
    assert "Appendix D. Audit sample" in drawn
    assert "How to re-perform the selection" in drawn and "default_rng(3)" in drawn
    assert "Not evaluated yet" in drawn


def test_report_with_sample_results_shows_the_evaluation_and_the_workpaper_too(reported):
    _, folder, _, _ = reported
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    evaluation = manifest["sample"]["evaluation"]
    assert (evaluation["deviations"], evaluation["untested_rows"]) == (2, [3])
    page = page_text(folder / "report.html")
    assert evaluation["conclusion"] in page and "counted as deviations: rows 3" in page
    book = openpyxl.load_workbook(folder / "report.xlsx")
    facts = dict(book["Sample plan"].iter_rows(min_row=4, values_only=True))  # title, header
    assert facts["Conclusion"] == evaluation["conclusion"]
    assert facts["Sample size"] == manifest["sample"]["size"]  # a number, not words
    assert facts["Tolerable deviation rate"] == manifest["sample"]["tolerable_rate"]
    header = [cell.value for cell in book["Sample"][4]]  # title, note, blank, header
    assert {"Deviation", "Tickmark", "Tested by", "Date tested", "Notes"} <= set(header)
    assert book["Sample"].cell(5, header.index("Position") + 1).data_type == "n"


def test_evaluate_report_reads_the_reports_plan(capsys, reported):
    _, folder, tested, _ = reported
    code, out, err = run_cli(
        capsys, "sample", "evaluate", tested / "sample.csv", "--report", folder
    )
    assert code == 2 and "1 item(s) not tested (deviation left blank): rows 3" in err
    code, out, err = run_cli(
        capsys,
        "sample",
        "evaluate",
        tested / "sample.csv",
        "--report",
        folder,
        "--untested",
        "deviation",
    )
    assert code == 0, err
    assert "1 counted as deviations (--untested deviation)" in out
    assert "--sample-results" in out


def test_sample_results_take_the_plan_of_the_tested_sample(capsys, reported):
    argv, _, tested, _ = reported
    code, _, err = run_cli(capsys, *argv, "--sample-results", tested / "sample.csv", "--seed", "9")
    assert code == 2 and "drop --seed" in err
