"""Writing the workpaper's sheets with typed cells, styled headers, totals and print setup.

What a sheet holds is declared by `auditkit.report.workpaper` as a `Table` (columns
with a kind each) or as `Facts` (item, value, kind); this module writes them with
XlsxWriter, row by row (constant memory). Each kind keeps its type in the cell:

- `count`: an integer, `#,##0`;
- `money`: integer cents written as currency units, with the report's currency
  beside every amount (`#,##0.00 "CNY"`);
- `share`: a fraction shown as a percentage, `0.00%`;
- `moment` and `date`: Excel dates, `yyyy-mm-dd hh:mm:ss` and `yyyy-mm-dd`;
- `text`: a string, defused the way every spreadsheet auditkit writes is
  (`io.write.excel_safe`); XlsxWriter is told never to make a string a formula.

A table sheet reads: a title row, note rows (what it holds, where the rest is,
the currency), a styled header row that is frozen, filtered and repeated on every
printed page, the rows, and a totals row whose formulas (`SUBTOTAL`, so a filter
keeps them right) add up our own numeric columns, never data text. Sheets print on
A4, one page wide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from auditkit.io.write import excel_safe, open_workbook
from auditkit.render.style import HEADER_FILL, MUTED, RULE_LINE
from auditkit.report.currency import amount_format

TEXT, COUNT, MONEY, SHARE, MOMENT, DATE = "text", "count", "money", "share", "moment", "date"
KINDS = (TEXT, COUNT, MONEY, SHARE, MOMENT, DATE)
MAX_WIDTH = 60
A4 = 9  # XlsxWriter's paper code
DATE_FROM = pd.Timestamp("2000-01-01").to_pydatetime()


@dataclass(frozen=True)
class Column:
    """One column of a table sheet: its name in the frame, its header and its kind."""

    name: str
    header: str
    kind: str = TEXT
    width: int | None = None  # None: from the header and the first rows


@dataclass(frozen=True)
class Table:
    """A sheet of rows: `frame` holds one column per `Column` (money in integer cents)."""

    name: str
    title: str
    notes: tuple[str, ...]
    columns: tuple[Column, ...]
    frame: pd.DataFrame
    totals: tuple[str, ...] = ()  # count or money columns added up below the rows
    validations: dict[str, dict[str, object]] = field(default_factory=dict)  # column -> rule


@dataclass(frozen=True)
class Fact:
    """One line of an item/value sheet (Summary): the value keeps its kind."""

    item: str
    value: object
    kind: str = TEXT


class Formats:
    """The workbook's cell formats, made once per workbook."""

    def __init__(self, book: object, currency: str) -> None:
        add = book.add_format
        self.title = add({"bold": True, "font_size": 13})
        self.note = add({"italic": True, "font_color": MUTED})
        self.header = add(
            {
                "bold": True,
                "bg_color": HEADER_FILL,
                "bottom": 1,
                "border_color": RULE_LINE,
                "text_wrap": True,
                "valign": "top",
            }
        )
        numbers = {
            TEXT: "@",
            COUNT: "#,##0",
            MONEY: amount_format(currency),
            SHARE: "0.00%",
            MOMENT: "yyyy-mm-dd hh:mm:ss",
            DATE: "yyyy-mm-dd",
        }
        self.cell = {kind: add({"num_format": numbers[kind]}) for kind in KINDS}
        self.total = {
            kind: add({"num_format": numbers[kind], "bold": True, "top": 1}) for kind in KINDS
        }


def cell_values(column: pd.Series, kind: str) -> list[object]:
    """A column as the Python values XlsxWriter writes for `kind` (None: an empty cell)."""
    present = column.notna().to_numpy(dtype=bool)
    if kind == MONEY:
        values = (column.astype("float64") / 100).to_numpy(dtype=object)
    elif kind == COUNT:
        values = column.astype("float64").to_numpy(dtype=object)
        values[present] = column[present].astype("int64").to_numpy().tolist()
    elif kind == SHARE:
        values = column.astype("float64").to_numpy(dtype=object)
    elif kind in (MOMENT, DATE):
        moments = pd.to_datetime(column.where(column.astype("str") != ""), errors="coerce")
        present = moments.notna().to_numpy(dtype=bool)
        values = np.array(moments.dt.tz_localize(None).astype(object), dtype=object)
    else:
        values = excel_safe(column.astype("str").to_frame("v"))["v"].to_numpy(dtype=object)
    values[~present] = None
    return values.tolist()


def width_of(header: str, values: Sequence[object], kind: str) -> int:
    """A column width from its header and first values (capped at MAX_WIDTH)."""
    if kind in (MOMENT,):
        return max(len(header), 19)
    shown = [len(f"{v:,.2f}" if isinstance(v, float) else str(v)) + 4 for v in values[:200] if v]
    return min(max([len(header) + 2, 8, *shown]), MAX_WIDTH)


def write_table(book: object, formats: Formats, table: Table, report_label: str) -> None:
    """One table sheet: title, notes, header, rows, totals; frozen, filtered, printable."""
    sheet = book.add_worksheet(table.name)
    sheet.write_string(0, 0, table.title, formats.title)
    for at, note in enumerate(table.notes, start=1):
        sheet.write_string(at, 0, note, formats.note)
    header_row = len(table.notes) + 2
    first, count = header_row + 1, len(table.frame)
    columns = [cell_values(table.frame[c.name], c.kind) for c in table.columns]
    for position, (column, values) in enumerate(zip(table.columns, columns, strict=True)):
        width = column.width or width_of(column.header, values, column.kind)
        sheet.set_column(position, position, width, formats.cell[column.kind])
        sheet.write_string(header_row, position, column.header, formats.header)
    for at, row in enumerate(zip(*columns, strict=True), start=first):  # streamed to disk
        sheet.write_row(at, 0, row)
    last_column = len(table.columns) - 1
    if count and table.totals:
        write_totals(sheet, formats, table, first, first + count - 1)
    sheet.freeze_panes(first, 0)
    sheet.autofilter(header_row, 0, header_row + count, last_column)
    for name, rule in table.validations.items():
        position = [c.name for c in table.columns].index(name)
        sheet.data_validation(first, position, first + max(count, 1) - 1, position, rule)
    print_setup(sheet, header_row, report_label, landscape=len(table.columns) > 6)


def write_totals(sheet: object, formats: Formats, table: Table, first: int, last: int) -> None:
    """A totals row below the rows: SUBTOTAL over each totalled column, with its exact sum
    cached (so a reader that computes nothing, and the tests, see the value)."""
    row = last + 1
    sheet.write_string(row, 0, "Total of the rows shown", formats.total[TEXT])
    for position, column in enumerate(table.columns):
        if column.name not in table.totals:
            continue
        letter = xl_col_to_name(position)
        exact = int(table.frame[column.name].fillna(0).astype("int64").sum())
        cached = exact / 100 if column.kind == MONEY else exact
        formula = f"=SUBTOTAL(9,{letter}{first + 1}:{letter}{last + 1})"
        sheet.write_formula(row, position, formula, formats.total[column.kind], cached)


def write_facts(
    book: object,
    formats: Formats,
    name: str,
    title: str,
    facts: Sequence[Fact],
    label: str,
    sheet: object | None = None,
) -> None:
    """An item/value sheet (`sheet`, added earlier to keep its place among the tabs, or a
    new one): each value is written with the format of its kind."""
    sheet = sheet if sheet is not None else book.add_worksheet(name)
    sheet.write_string(0, 0, title, formats.title)
    header_row = 2
    sheet.write_string(header_row, 0, "Item", formats.header)
    sheet.write_string(header_row, 1, "Value", formats.header)
    items = pd.Series([f.item for f in facts], dtype="str")
    sheet.set_column(0, 0, min(max([8, *items.str.len().tolist()]) + 2, MAX_WIDTH))
    sheet.set_column(1, 1, MAX_WIDTH)
    safe_items = cell_values(items, TEXT)
    for at, (fact, item) in enumerate(zip(facts, safe_items, strict=True), start=header_row + 1):
        sheet.write_string(at, 0, item)
        (value,) = cell_values(pd.Series([fact.value], dtype=_dtype(fact.kind)), fact.kind)
        if value is None:
            sheet.write_blank(at, 1, None, formats.cell[fact.kind])
        else:
            sheet.write(at, 1, value, formats.cell[fact.kind])
    sheet.freeze_panes(header_row + 1, 0)
    sheet.autofilter(header_row, 0, header_row + len(facts), 1)
    print_setup(sheet, header_row, label, landscape=False)


def _dtype(kind: str) -> str:
    return {COUNT: "Int64", MONEY: "Int64", SHARE: "Float64", MOMENT: "object", DATE: "object"}.get(
        kind, "str"
    )


def print_setup(sheet: object, header_row: int, label: str, landscape: bool) -> None:
    """A4, one page wide, the header row on every page, the report id and page numbers."""
    sheet.set_paper(A4)
    if landscape:
        sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_header(f"&L{_header_text(label)}&R&A")
    sheet.set_footer("&Cpage &P of &N")


def _header_text(label: str) -> str:
    """Text for a printed header: '&' is XlsxWriter's control character there."""
    return label.replace("&", "&&")[:200]


def open_book(path: Path, **options: object) -> object:
    """A workbook written row by row; strings stay strings (never formulas, numbers, links).
    `options` are XlsxWriter's (e.g. tmpdir, where rows wait until the book is closed)."""
    return open_workbook(path, **options)


def date_rule() -> dict[str, object]:
    """Data validation for a date a tester types."""
    return {
        "validate": "date",
        "criteria": ">=",
        "value": DATE_FROM,
        "input_title": "Date tested",
        "input_message": "The date the item was tested, YYYY-MM-DD",
        "error_message": "Type a date, e.g. 2026-12-03",
    }


def choice_rule(choices: Sequence[str], title: str) -> dict[str, object]:
    """Data validation for a cell that takes one of `choices`."""
    return {
        "validate": "list",
        "source": list(choices),
        "input_title": title,
        "error_message": f"One of: {', '.join(choices)}",
    }


def as_cents(values: np.ndarray) -> pd.Series:
    """Integer cents as a nullable column (the kind `money` expects)."""
    return pd.Series(np.asarray(values, dtype="int64"), dtype="Int64")
