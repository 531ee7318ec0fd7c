"""A report an audit manager signs: its sections, the conclusion's rules, the workpaper, the
audit sample and a clean A4 PDF (contract v1.1 section 5 population on Sep/Oct/Nov data)."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import run_cli
from test_runner import assert_judges_only_its_months_requests

import auditkit.demo as demo
from auditkit.analysis.sampling import SampleOptions
from auditkit.report import execute, runner
from auditkit.report.sections import CONTENTS
from auditkit.report.sections.front import ConclusionFacts, conclusion_text
from auditkit.report.settings import ReportSettings

pytestmark = pytest.mark.slow
AS_OF = "2026-12-01"


@pytest.fixture(scope="module")
def october(tmp_path_factory: pytest.TempPathFactory):
    """An extract with the requests of September, October and November; the October report."""
    base = tmp_path_factory.mktemp("signable")
    raw = demo.generate(requests=120, seed=11, as_of=dt.date(2026, 12, 1), request_months=3)
    demo.write(raw, base / "data")
    run = runner.run_report(
        ReportSettings(
            base / "data",
            "2026-10",
            base / "reports",
            as_of=AS_OF,
            at="requested",
            sample=SampleOptions(seed=5, stratify=("verdict",)),
            pdf=execute.find_chromium() is not None,
        )
    )
    return raw, run


def cells(page: str, table_id: str, column: int) -> list[str]:
    match = re.search(rf'<table[^>]*id="{table_id}"[^>]*>(.*?)</table>', page, re.S)
    assert match, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", match.group(1).split("<tbody>")[-1], re.S)
    return [
        html.unescape(re.sub(r"<[^>]+>", "", re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[column]))
        for row in rows
    ]


def test_the_october_report_judges_october_and_says_everything_a_signer_needs(october):
    raw, run = october
    requested = raw["requests"]["requested_at"]
    inside = (requested >= "2026-10-01") & (requested < "2026-11-01")
    assert run.manifest["population"]["requests_in_period"] == int(inside.sum()) > 0
    assert (
        run.manifest["population"]["requests_before_period"]
        == int((requested < "2026-10-01").sum())
        > 0
    )
    assert (
        run.manifest["population"]["requests_after_period"]
        == int((requested >= "2026-11-01").sum())
        > 0
    )
    page = run.html.read_text("utf-8")
    for anchor, _ in CONTENTS:
        assert f'id="{anchor}"' in page
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for words in (
        "Report id",
        run.manifest["report_id"],
        "each request at the moment it was made",
        "last updated 2024-03-06",
        "Limitations",
        "Preparer",
        "Reviewer",
        f"judges the {int(inside.sum()):,} requests made in 2026-10",
    ):
        assert words in text, words
    verdicts = pd.read_csv(run.folder / "verdicts.csv", dtype=str)
    assert set(verdicts["request_id"]) == set(raw["requests"]["request_id"][inside])


def test_a_period_report_at_requested_judges_only_its_months_requests(october):
    """test_runner.py's check of a period report at the snapshot, on this report made at each
    request's moment (the same checks, one report run fewer)."""
    raw, run = october
    assert_judges_only_its_months_requests(raw, run, "requested", AS_OF)


def facts(**changes) -> ConclusionFacts:
    base = dict(
        period="2026-10",
        requests=1200,
        decided=1000,
        approved_but_ineligible=0,
        rejected_but_eligible=0,
        exposure_cents={},
        unsupported_codes=0,
        unmapped_codes=0,
        unknown=0,
        tolerable_rate=0.05,
    )
    return ConclusionFacts(**(base | changes))


@pytest.mark.parametrize(
    ("changes", "says", "never"),
    [
        ({}, "The control operated as designed", "tolerable"),
        (
            {"approved_but_ineligible": 30, "rejected_but_eligible": 10},
            "40 of the decisions (4.00 %) contradict",
            "did not operate effectively",
        ),
        (
            {"approved_but_ineligible": 30, "rejected_but_eligible": 10},
            "is within the tolerable rate of 5.00 %",
            "operated as designed",
        ),
        ({"approved_but_ineligible": 51}, "did not operate effectively", "within the tolerable"),
        ({"decided": 0}, "could not be tested", "contradict"),
        (
            {"approved_but_ineligible": 2, "exposure_cents": {"open orders": 123456, "x": 44}},
            "put 1,235.00 at stake (1,234.56 in open orders; 0.44 in x)",
            "operated as designed",
        ),
        (
            {
                "approved_but_ineligible": 2,
                "exposure_cents": {"open orders": 123456, "x": 44},
                "currency": "CNY",
            },
            "put 1,235.00 CNY at stake (1,234.56 CNY in open orders; 0.44 CNY in x)",
            "operated as designed",
        ),
        (
            {"unsupported_codes": 3, "unmapped_codes": 1},
            "3 refusals cite a reason the data does not show",
            "None",
        ),
        ({"unknown": 7}, "7 requests could not be fully judged", "None"),
    ],
)
def test_the_conclusion_follows_its_rules(changes, says, never):
    sentence = conclusion_text(facts(**changes))
    assert says in sentence and never not in sentence
    assert sentence.startswith("In 2026-10, 1,200 requests")


def test_the_workpaper_holds_every_sheet_frozen_filtered_and_formulas_only_in_totals(october):
    _, run = october
    book = openpyxl.load_workbook(run.folder / "report.xlsx")
    rules = [f"POB-J{i:02d}" for i in range(1, 11)] + ["POB-Q01", "POB-Q02", "POB-Q03"]
    assert book.sheetnames == [
        "Summary",
        *rules,
        "Control exceptions",
        "Sample",
        "Sample plan",
        "Manifest",
    ]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=4, values_only=True)}
    assert summary["report id"] == run.manifest["report_id"]
    assert summary["requests"] == run.manifest["summary"]["requests"]
    assert summary["run status"] == "succeeded"
    for sheet in book.worksheets:
        header = sheet.auto_filter.ref.split(":")[0]  # the filtered header row, e.g. A4
        assert sheet.freeze_panes == f"A{int(header[1:]) + 1}"
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # our totals, never data
                    assert str(cell.value).startswith("=SUBTOTAL(9,"), (sheet.title, cell)
                    assert sheet.cell(cell.row, 1).value == "Total of the rows shown"
    header_row = int(book["Sample"].auto_filter.ref.split(":")[0][1:])
    assert book["Sample"].max_row - header_row == run.manifest["sample"]["size"]


def test_the_sample_is_in_the_manifest_and_the_folder(october):
    _, run = october
    sample = pd.read_csv(run.folder / "sample.csv", dtype=str, keep_default_na=False)
    assert len(sample) == run.manifest["sample"]["size"]
    assert run.manifest["sample"]["seed"] == 5 and run.manifest["sample"]["stratify"] == ["verdict"]
    assert {"tested_by", "tested_on", "deviation", "notes", "reasons"} <= set(sample.columns)


@pytest.mark.browser
def test_the_pdf_is_a4_with_page_numbers_and_keeps_every_reason(october):
    _, run = october
    if run.pdf is None or not shutil.which("pdftotext"):
        pytest.skip("needs Chromium and poppler-utils (pdftotext, pdfinfo)")
    info = subprocess.run(["pdfinfo", run.pdf], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert "(A4)" in info
    # -raw: in reading-order mode pdftotext drops a hyphen that ends a line ("2026-10-" +
    # "25T05" came out as "2026-1025T05"); content-stream order keeps every character.
    text = subprocess.run(
        ["pdftotext", "-raw", run.pdf, "-"], capture_output=True, text=True
    ).stdout
    assert f"page 1 of {pages}" in text and f"page {pages} of {pages}" in text
    assert f"compliance report {run.manifest['report_id']}" in text
    page = run.html.read_text("utf-8")
    reasons = [
        reason
        for table_id in re.findall(
            r'<table[^>]*id="((?:exceptions|reason-codes|unknown)[^"]*)"', page
        )
        if "Reasons" in re.search(rf'id="{table_id}".*?</thead>', page, re.S).group(0)
        for reason in cells(
            page,
            table_id,
            re.findall(
                r"<th[^>]*>(.*?)</th>",
                re.search(rf'id="{table_id}".*?</thead>', page, re.S).group(0),
            ).index("Reasons"),
        )
    ]
    assert reasons, "a small report with no reason to check"
    squeezed = re.sub(r"\s+", "", text)
    for reason in reasons:
        assert re.sub(r"\s+", "", reason) in squeezed, reason
    # No column is clipped: every rule id the page shows (table headers and cells included)
    # is printed at least as often; Appendix B's segment tables hold one column per rule.
    shown = re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", " ", page[page.index("<body") :])))
    # pdftotext joins a line that ends in a hyphen to the next and drops the hyphen, so an
    # id the browser broke after "POB-" in running text reads "POBJ04"; it is printed whole.
    for rule_id in sorted(set(re.findall(r"POB-[JQ][0-9]{2}", shown))):
        printed = squeezed.count(rule_id) + squeezed.count(rule_id.replace("-", ""))
        assert printed >= shown.count(rule_id), rule_id
    segments = page[page.index('id="appendix-segments"') : page.index('id="appendix-manifest"')]
    # The realistic demo month fails few rules, yet its segment tables are still too wide
    # for A4 and are split into parts, each printed whole.
    assert len(set(re.findall(r"<th[^>]*>(POB-[JQ][0-9]{2})</th>", segments))) >= 4
    assert "Part 2 of 2" in segments and "Part 2 of 2" in text


def test_cli_sample_and_evaluate(capsys: pytest.CaptureFixture[str], october, tmp_path: Path):
    _, run = october
    data = run.folder.parent.parent / "data"
    code, out, err = run_cli(
        capsys,
        "sample",
        "--data",
        data,
        "--out",
        tmp_path,
        "--as-of",
        AS_OF,
        "--at",
        "requested",
        "--period",
        "2026-10",
        "--confidence",
        "0.90",
        "--tolerable-rate",
        "0.10",
        "--expected-rate",
        "0",
        "--seed",
        "3",
    )
    assert code == 0, err
    assert out.startswith("22 of ")
    sample = pd.read_csv(tmp_path / "sample.csv", dtype=str, keep_default_na=False)
    assert len(sample) == 22
    code, _, err = run_cli(capsys, "sample", "evaluate", tmp_path / "sample.csv")
    assert code == 2 and "22 item(s) not tested (deviation left blank): rows 2, 3" in err
    sample["deviation"] = "no"
    sample.to_csv(tmp_path / "tested.csv", index=False)
    code, out, _ = run_cli(capsys, "sample", "evaluate", tmp_path / "tested.csv")
    assert code == 0
    assert "0 deviation(s) in 22 items" in out and "90% confidence" in out
    assert "the control can be relied on" in out


def broken_inside(word: str, text: str) -> bool:
    """Whether pdftotext -raw shows `word` split over two lines ("membe" / "r")."""
    return any(
        re.search(rf"(?<![A-Za-z']){word[:k]}-?\n{word[k:]}(?![A-Za-z'])", text)
        for k in range(1, len(word))
    )


@pytest.mark.browser
def test_the_pdf_never_breaks_a_header_word_or_a_short_word_inside(october):
    """Header words and the catalogue's short cells (Appendix A's "Reads": "member, admin")
    print whole; only columns of long free text or tokens may break a word."""
    _, run = october
    if run.pdf is None or not shutil.which("pdftotext"):
        pytest.skip("needs Chromium and poppler-utils (pdftotext)")
    text = subprocess.run(
        ["pdftotext", "-raw", run.pdf, "-"], capture_output=True, text=True
    ).stdout
    page = run.html.read_text("utf-8")
    headers = {
        html.unescape(re.sub(r"<[^>]+>", "", cell))
        for cell in re.findall(r"<th[^>]*>(.*?)</th>", page)
    }
    reads = re.findall(r"<th[^>]*>(.*?)</th>", page[page.index('id="rule-catalogue"') :])
    column = reads.index("Reads")
    words = {
        word
        for cell in headers | set(cells(page, "rule-catalogue", column))
        for word in re.findall(r"[A-Za-z']{2,}", cell)
    }
    assert {"member", "admin", "Reads"} <= words
    broken = sorted(word for word in words if broken_inside(word, text))
    assert not broken, broken
