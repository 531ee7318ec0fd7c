"""report.xlsx read back with openpyxl: typed cells with number formats, the currency beside
every amount, totals, styled headers, print setup, the tester's columns, capped lists, and data
text that never becomes a formula."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import numpy as np
import openpyxl
import pytest

import auditkit.demo as demo
from auditkit.analysis.exposure import exposure_matrix
from auditkit.analysis.sampling import SampleOptions
from auditkit.dates import iso_seconds, utc_now
from auditkit.io.tables import load_tables as load
from auditkit.report import workpaper
from auditkit.report.runner import describe_plan, evaluate_and_save
from auditkit.report.settings import ReportSettings, prepare
from auditkit.vocab import ControlException

FORMULA = '=HYPERLINK("http://x")'


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory):
    """November of a demo extract judged as `auditkit report --currency USD --sample` does."""
    base = tmp_path_factory.mktemp("workpaper")
    data = base / "data"
    demo.write(demo.generate(requests=400, seed=4, as_of=dt.date(2026, 12, 1)), data)
    settings = ReportSettings(
        data,
        "2026-11",
        base / "reports",
        as_of="2026-12-01",
        currency="USD",
        sample=SampleOptions(seed=2),
    )
    plan = prepare(settings, for_notebook=True)
    tables = load(data)
    manifest = describe_plan(plan, tables, iso_seconds(utc_now()))
    saved = evaluate_and_save(plan, tables, base, manifest)
    manifest["status"] = "succeeded"
    return saved, manifest, base


def written(judged, tmp_path: Path, **changes) -> openpyxl.Workbook:
    saved, manifest, _ = judged
    result = dataclasses.replace(saved.result, **changes) if changes else saved.result
    path = workpaper.write_workpaper(tmp_path / "report.xlsx", result, manifest, saved.sample)
    return openpyxl.load_workbook(path)


def header_row(sheet) -> int:
    return int(re.match(r"[A-Z]+(\d+):", sheet.auto_filter.ref).group(1))


def rows_of(sheet) -> list[dict[str, object]]:
    """The data rows of a table sheet as {header: cell}, totals row left out."""
    top = header_row(sheet)
    headers = [cell.value for cell in sheet[top]]
    return [
        dict(zip(headers, row, strict=True))
        for row in sheet.iter_rows(min_row=top + 1)
        if row[0].value != "Total of the rows shown"
    ]


def test_cells_keep_their_type_and_every_amount_its_currency(judged, tmp_path: Path):
    book = written(judged, tmp_path)
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=4) if row[0].value}
    assert isinstance(summary["requests"].value, int)
    assert summary["requests"].number_format == "#,##0"
    assert isinstance(summary["share eligible"].value, float)
    assert summary["share eligible"].number_format == "0.00%"
    assert summary["data as of"].value == dt.datetime(2026, 12, 1)
    assert summary["currency"].value == "USD (option)"
    money = summary["money at stake in approved-but-ineligible requests"]
    assert isinstance(money.value, float) and '"USD"' in money.number_format
    rows = rows_of(book["POB-J06"])  # negative balances: money at stake
    assert rows
    for row in rows:
        assert isinstance(row["Request"].value, str) and row["Request"].data_type == "s"
        assert isinstance(row["Member"].value, str)  # uins stay text: 0042 is not 42
        assert isinstance(row["Requested at"].value, dt.datetime)
        assert row["Requested at"].number_format == "yyyy-mm-dd hh:mm:ss"
        assert isinstance(row["At stake"].value, int | float)  # 0.0 reads back as 0
        assert row["At stake"].number_format.startswith('#,##0.00 "USD"')


def test_totals_rows_add_up_the_amounts_exactly(judged, tmp_path: Path):
    saved, _, _ = judged
    written(judged, tmp_path)
    formulas = openpyxl.load_workbook(tmp_path / "report.xlsx")
    values = openpyxl.load_workbook(tmp_path / "report.xlsx", data_only=True)
    at_stake = exposure_matrix(saved.result)
    checked = 0
    for j, rule_id in enumerate(saved.result.rule_ids):
        sheet = formulas[rule_id]
        rows = rows_of(sheet)
        if not rows:
            continue
        top, last = header_row(sheet), sheet.max_row
        assert sheet.cell(last, 1).value == "Total of the rows shown"
        column = next(c for c in sheet[top] if c.value == "At stake").column_letter
        assert (
            sheet[f"{column}{last}"].value == f"=SUBTOTAL(9,{column}{top + 1}:{column}{last - 1})"
        )
        total = values[rule_id][f"{column}{last}"].value
        assert round(total * 100) == int(at_stake[:, j].sum())  # every failing row is listed
        checked += 1
    assert checked >= 5
    exceptions = values["Control exceptions"]
    last = exceptions.max_row
    column = next(c for c in exceptions[header_row(exceptions)] if c.value == "At stake")
    listed = sum(round(r["At stake"].value * 100) for r in rows_of(exceptions))
    assert round(exceptions[f"{column.column_letter}{last}"].value * 100) == listed


def test_headers_are_styled_frozen_filtered_and_printed_on_every_a4_page(judged, tmp_path: Path):
    book = written(judged, tmp_path)
    for sheet in book.worksheets:
        top = header_row(sheet)
        assert sheet.freeze_panes == f"A{top + 1}"
        assert sheet.print_title_rows == f"${top}:${top}"
        assert sheet.page_setup.paperSize == 9  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToHeight == 0  # one page wide, as many tall as needed
        first = sheet.cell(top, 1)
        assert first.font.b and first.fill.fgColor.rgb.endswith("F4F4F4")
    assert book["Control exceptions"].page_setup.orientation == "landscape"


def test_the_tester_has_columns_on_the_exception_and_sample_sheets(judged, tmp_path: Path):
    book = written(judged, tmp_path)
    for name in ("Control exceptions", "Sample"):
        sheet = book[name]
        headers = [cell.value for cell in sheet[header_row(sheet)]]
        assert {"Tickmark", "Tested by", "Date tested", "Notes"} <= set(headers), name
        letter = sheet.cell(header_row(sheet), headers.index("Date tested") + 1).column_letter
        assert sheet.column_dimensions[letter].number_format == "yyyy-mm-dd"  # typed in: a date
        rules = {dv.type for dv in sheet.data_validations.dataValidation}
        assert "date" in rules, name
    sample = book["Sample"]
    assert "list" in {dv.type for dv in sample.data_validations.dataValidation}  # deviation


def test_the_manifest_sheet_shows_the_final_status(judged, tmp_path: Path):
    book = written(judged, tmp_path)
    facts = {row[0].value: row[1].value for row in book["Manifest"].iter_rows(min_row=4)}
    assert facts["status"] == '"succeeded"'
    assert facts["currency"] == '{"code": "USD", "source": "option"}'


def test_long_lists_are_capped_largest_first_and_say_where_the_rest_is(
    judged, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    saved, _, _ = judged
    monkeypatch.setattr(workpaper, "RULE_SHEET_ROWS", 2)
    monkeypatch.setattr(workpaper, "EXCEPTION_ROWS", 2)
    book = written(judged, tmp_path)
    failing = saved.result.verdicts["failed_rules"].str.contains("POB-J06", regex=False).sum()
    sheet = book["POB-J06"]
    assert failing > 2
    assert f"2 of {failing + saved.result.rule_counts()['error']['POB-J06']:,}" in sheet["A2"].value
    assert "results.parquet" in sheet["A2"].value
    amounts = [row["At stake"].value for row in rows_of(sheet)]
    assert len(amounts) == 2 and amounts == sorted(amounts, reverse=True)
    kinds = [row["Control exception"].value for row in rows_of(book["Control exceptions"])]
    exceptions = saved.result.verdicts["control_exception"].astype("str")
    assert kinds.count(ControlException.APPROVED_BUT_INELIGIBLE) == min(
        2, int((exceptions == ControlException.APPROVED_BUT_INELIGIBLE).sum())
    )
    assert "verdicts.csv" in book["Control exceptions"]["A2"].value


def test_data_text_is_never_a_formula(judged, tmp_path: Path):
    saved, _, _ = judged
    cases = saved.result.cases.copy()
    exceptions = np.flatnonzero(saved.result.verdicts["control_exception"].astype("str") != "")
    cases["decision_code"] = cases["decision_code"].astype("object")
    cases.loc[exceptions, "decision_code"] = FORMULA
    book = written(judged, tmp_path, cases=cases)
    codes = [row["Platform's code"] for row in rows_of(book["Control exceptions"])]
    assert codes and all(cell.data_type == "s" for cell in codes)
    assert {cell.value for cell in codes} == {"'" + FORMULA}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert cell.value.startswith("=SUBTOTAL(9,"), (sheet.title, cell.value)
