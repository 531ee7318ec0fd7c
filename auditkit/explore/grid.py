"""The explorer's clickable table: an anywidget that shows text only and reports clicks.

The browser side (`grid.js`) writes every cell with `textContent`, so a value
holding `<script>` is shown as those characters, never run. A click on a row,
on a cell of a `clickable_columns` column, or on a header (when `sortable`)
is sent to the kernel, which calls the handlers registered here; tests call
`click` and `click_header` the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anywidget
import pandas as pd
import traitlets

from auditkit.render.format import shown

HERE = Path(__file__).parent
RowHandler = Callable[[int], None]
CellHandler = Callable[[int, str], None]
SortHandler = Callable[[str], None]


def as_text(frame: pd.DataFrame) -> list[list[str]]:
    """Every cell of a small frame as text (counts, shares and moments formatted; nulls empty)."""
    text = shown(frame).astype("string").fillna("")
    return text.to_numpy(dtype=object).tolist()  # every value is already text


class Grid(anywidget.AnyWidget):
    """A table of text with clickable rows, cells and headers; `show(frame)` fills it."""

    _esm = HERE / "grid.js"
    _css = HERE / "grid.css"

    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    rows = traitlets.List(traitlets.List(traitlets.Unicode())).tag(sync=True)
    row_classes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sort_column = traitlets.Unicode("").tag(sync=True)
    sort_descending = traitlets.Bool(False).tag(sync=True)
    sortable = traitlets.Bool(False).tag(sync=True)
    clickable_rows = traitlets.Bool(False).tag(sync=True)
    clickable_columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    numeric_columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    css = traitlets.Unicode("").tag(sync=True)
    empty = traitlets.Unicode("").tag(sync=True)

    def __init__(self, css: str = "", **kwargs: object) -> None:
        super().__init__(css=css, **kwargs)
        self.add_class(f"{css}-grid" if css else "ak-grid-widget")
        self._on_row: list[RowHandler] = []
        self._on_cell: list[CellHandler] = []
        self._on_sort: list[SortHandler] = []
        self.on_msg(self._received)

    def show(self, frame: pd.DataFrame, row_classes: list[str] | None = None) -> None:
        """Show a small frame (a page, a summary): its columns, and its cells as text."""
        self.columns = [str(c) for c in frame.columns]
        self.numeric_columns = [
            str(c)
            for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
        self.row_classes = list(row_classes or [""] * len(frame))
        self.rows = as_text(frame)

    def on_row_click(self, handler: RowHandler) -> None:
        self.clickable_rows = True
        self._on_row.append(handler)

    def on_cell_click(self, columns: list[str], handler: CellHandler) -> None:
        self.clickable_columns = [str(c) for c in columns]
        self._on_cell.append(handler)

    def on_sort(self, handler: SortHandler) -> None:
        self.sortable = True
        self._on_sort.append(handler)

    def click(self, row: int, column: str = "") -> None:
        """A click on row `row` (on `column`'s cell when it is clickable) as the browser sends it."""
        if column and column in self.clickable_columns:
            for cell_handler in self._on_cell:
                cell_handler(row, column)
        else:
            for row_handler in self._on_row:
                row_handler(row)

    def click_header(self, column: str) -> None:
        for handler in self._on_sort:
            handler(column)

    def _received(self, _widget: object, content: dict[str, object], _buffers: object) -> None:
        event, row, column = content.get("event"), content.get("row"), content.get("column")
        if event == "sort" and isinstance(column, str) and column in self.columns:
            self.click_header(column)
        elif event in ("row", "cell") and isinstance(row, int) and 0 <= row < len(self.rows):
            self.click(row, str(column or "") if event == "cell" else "")
