"""A selection of findings shown a page at a time in a grid, with the controls to turn pages.

The Findings and Review queue tabs both page through positions (`request *
rules + rule`); only the rows of the page shown are materialized. Each tab's
controls carry its own CSS prefix, so a page and its tests can tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import pandas as pd

from auditkit.explore.controls import button, dropdown, guarded, html_box
from auditkit.explore.grid import Grid
from auditkit.render.format import count
from auditkit.render.html import css_name, message

PAGE_SIZES = (10, 25, 50, 100)


class Pages:
    """Positions selected, the page of them shown (`frame_of` materializes them), and paging
    controls whose CSS classes start with `prefix` (the grid's is `grid_css`)."""

    def __init__(
        self,
        frame_of: Callable[[np.ndarray], pd.DataFrame],
        page_size: int,
        prefix: str,
        grid_css: str,
        empty: str,
        what: str = "finding(s)",
    ) -> None:
        self.frame_of = frame_of
        self.what = what
        self.selection = np.zeros(0, dtype=np.int64)
        self.page = 0
        self.sort_column: str | None = None
        self.sort_descending = False
        self.page_size = dropdown(
            "Rows per page", list(PAGE_SIZES), page_size, f"{prefix}-page-size", "180px"
        )
        self.page_label = html_box(f"{prefix}-page-label")
        self.first_button = button("« First", f"{prefix}-first-page")
        self.prev_button = button("◀ Previous", f"{prefix}-prev-page")
        self.next_button = button("Next ▶", f"{prefix}-next-page")
        self.last_button = button("Last »", f"{prefix}-last-page")
        for small in (self.first_button, self.last_button):
            small.layout = widgets.Layout(width="90px")
        self.page_number = widgets.BoundedIntText(
            value=1, min=1, max=1, description="Page", layout=widgets.Layout(width="170px")
        )
        self.page_number.add_class(f"{prefix}-page-number")
        self.go_button = button("Go", f"{prefix}-page-go")
        self.go_button.layout = widgets.Layout(width="60px")
        self.table = Grid(css=grid_css, empty=empty)
        self.on_page: list[Callable[[], None]] = []  # called after each page is shown

    def wire_paging(self) -> None:
        """Buttons turn pages, the number jumps, the size re-pages; errors go to the label."""
        for control, step in (
            (self.first_button, -(10**12)),
            (self.prev_button, -1),
            (self.next_button, +1),
            (self.last_button, 10**12),
        ):
            control.on_click(guarded(lambda s=step: self.turn_page(s), self.page_label))
        self.go_button.on_click(
            guarded(lambda: self.go_to(self.page_number.value - 1), self.page_label)
        )

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.selection) // self.page_size.value))

    def page_positions(self) -> np.ndarray:
        size = self.page_size.value
        return self.selection[self.page * size : (self.page + 1) * size]

    def page_frame(self) -> pd.DataFrame:
        """The rows shown on the current page."""
        return self.frame_of(self.page_positions())

    def selection_frame(self) -> pd.DataFrame:
        """Every row of the current selection, in the shown order."""
        return self.frame_of(self.selection)

    def turn_page(self, step: int) -> None:
        self.go_to(self.page + step)

    def go_to(self, page: int) -> None:
        """Show page `page` (0-based), kept within the pages there are."""
        self.page = int(np.clip(page, 0, self.page_count - 1))
        self.show_page()

    def show_page(self) -> None:
        self.page = int(np.clip(self.page, 0, self.page_count - 1))
        frame = self.page_frame()
        total, start = len(self.selection), self.page * self.page_size.value
        self.page_label.value = message(
            f"{count(total)} {self.what} match; rows {count(start + 1 if total else 0)}-"
            f"{count(start + len(frame))}, page {count(self.page + 1)} of {count(self.page_count)}"
        )
        self.table.sort_column = self.sort_column or ""
        self.table.sort_descending = self.sort_descending
        classes = (
            [f"ak-status-{css_name(s)}" for s in frame["status"].astype(str)]
            if "status" in frame
            else None
        )
        self.table.show(frame, classes)
        self.page_number.max = self.page_count
        self.page_number.value = self.page + 1
        for control, off in (
            (self.first_button, self.page == 0),
            (self.prev_button, self.page == 0),
            (self.next_button, self.page >= self.page_count - 1),
            (self.last_button, self.page >= self.page_count - 1),
        ):
            control.disabled = off
        for then in self.on_page:
            then()

    def paging(self) -> widgets.HBox:
        return widgets.HBox(
            [
                self.page_size,
                self.first_button,
                self.prev_button,
                self.next_button,
                self.last_button,
                self.page_number,
                self.go_button,
            ]
        )
