"""The Findings tab: filter, sort and page the per-rule results; open one; export the selection.

Filtering, sorting and paging happen in `auditkit.analysis.findings` on the
server; the table (`grid.Grid`) receives only the current page, as text.
Clicking a row opens its drill-down, clicking a header sorts the whole
selection by that column (again: the other way round), and a page number
jumps there. A search looks at every status: when the filters hide some of
the searched requests' rule results, a hint says how many and offers to show
them, or the member view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.engine.result import AuditResult
from auditkit.explore.bulk import BulkBar
from auditkit.explore.controls import action, button, guarded, html_box
from auditkit.explore.exports import (
    ExportLimits,
    SessionExports,
    export_message,
    write_export,
)
from auditkit.explore.filters import FindingsControls, filter_rows
from auditkit.explore.pages import Pages
from auditkit.explore.review import ReviewBoard, ReviewPanel
from auditkit.explore.settings import ExplorerSettings
from auditkit.render.format import count
from auditkit.render.html import message, text

# Writes the findings at positions (with review codes and labels) as fmt into a folder.
IsolatedExport = Callable[
    [np.ndarray, tuple[np.ndarray, tuple[str, ...]] | None, str, Path], tuple[Path, int]
]


class FindingsPages(Pages, FindingsControls):
    """The selection the controls describe, sorted, and the page of it that is shown."""

    def __init__(
        self,
        result: AuditResult,
        page_size: int,
        review: ReviewBoard | None,
        index: Findings | None = None,
    ) -> None:
        if index is None:
            index = Findings(result)
            if review is not None:
                index.set_review(review.codes, review.labels)
        FindingsControls.__init__(self, index, result.rule_ids)
        Pages.__init__(
            self, index.frame, page_size, "ak", "ak-findings", "No finding matches these filters."
        )
        self.review: ReviewPanel | None = None  # set by FindingsTab when a register is open
        self.on_page.append(self._offer_page)

    def refresh(self) -> None:
        """Select and sort the findings the controls describe; show the current page."""
        selected = self.index.select(self.current_filter())
        self.selection = self.index.sort(selected, self.sort_column, self.sort_descending)
        self.show_page()

    def sort_by(self, column: str) -> None:
        """Sort by `column`; the same column again turns the order round."""
        if column not in self.index.columns:
            return
        same = column == self.sort_column
        self.sort_column, self.sort_descending = (
            column,
            (not self.sort_descending) if same else False,
        )
        self.page = 0
        self.refresh()

    def _offer_page(self) -> None:
        if self.review is not None:
            self.review.offer(self.review.board.page_keys(self.page_positions()))


class SearchHint:
    """What a search found before the other filters, and buttons to show it all or the member."""

    def __init__(self, index: Findings) -> None:
        self.index = index
        self.hint = html_box("ak-search-hint")
        self.show_all_button = button("Show all their rule results", "ak-show-all", "warning")
        self.member_button = button("Open member view", "ak-open-member", "info")
        for control in (self.show_all_button, self.member_button):
            control.layout = widgets.Layout(width="auto")
        self.widget = widgets.HBox([self.hint, self.show_all_button, self.member_button])
        self.widget.layout.display = "none"

    def update(self, f: FindingsFilter, shown: int, members: bool) -> None:
        """Say what the search `f.search` names and how many of its results `f` hides."""
        needle = f.search.strip()
        if not needle:
            self.widget.layout.display = "none"
            return
        hidden = self.index.hidden(f, shown)
        uin = needle.isdigit() and hidden.requests > 0
        self.member_button.layout.display = "" if uin and members else "none"
        self.show_all_button.layout.display = "" if hidden.hidden else "none"
        if hidden.requests == 0:
            words = f"no request id or uin is or contains “{needle}”"
        elif hidden.hidden:
            words = (
                f"“{needle}” names {count(hidden.requests)} request(s) with "
                f"{count(hidden.results)} rule result(s); the filters hide {count(hidden.hidden)}"
            )
        else:
            words = f"“{needle}” names {count(hidden.requests)} request(s); all shown"
        self.hint.value = f'<div class="ak-hint">{text(words)}</div>'
        self.widget.layout.display = ""


class ExportBar:
    """Export buttons for the current selection; busy while writing, the link or error beside."""

    def __init__(
        self,
        pages: FindingsPages,
        export_dir: Path | str | None,
        export_url: str | None,
        isolated: IsolatedExport | None = None,
        limits: ExportLimits | None = None,
    ) -> None:
        if export_dir is None or limits is None:  # not given: as `auditkit explore` set them
            defaults = ExplorerSettings.from_env()
            export_dir = defaults.exports if export_dir is None else export_dir
            limits = limits or defaults.export_limits
        self.pages, self.export_dir, self.export_url = pages, Path(export_dir), export_url
        self.isolated = isolated
        self.quota = SessionExports(limits)
        self.csv_button = button("Export CSV", "ak-export-csv")
        self.excel_button = button("Export Excel", "ak-export-excel")
        self.message = html_box("ak-export-message")
        for control, other, fmt, name in (
            (self.csv_button, self.excel_button, "csv", "CSV"),
            (self.excel_button, self.csv_button, "xlsx", "Excel"),
        ):
            action(
                control,
                lambda fmt=fmt: self.export(fmt),
                self.message,
                lambda name=name: f"Writing {count(len(pages.selection))} finding(s) to {name} ...",
                (other,),
            )
        self.widget = widgets.VBox(
            [widgets.HBox([self.csv_button, self.excel_button]), self.message]
        )

    def export(self, fmt: str) -> Path:
        """Write the current selection to the export folder as CSV or xlsx, if this session
        may (`exports.SessionExports`); link it."""
        written, rows = self.quota.write(lambda: self._write(fmt))
        self.message.value = export_message(written, rows, self.export_url)
        return written

    def _write(self, fmt: str) -> tuple[Path, int]:
        """On a cached evaluation a worker process writes it (see `CachedWorkspace.export`)."""
        if self.isolated is None:
            frame = self.pages.selection_frame()
            written, rows = write_export(frame, self.export_dir, fmt), len(frame)
        else:
            index = self.pages.index
            review = None
            if index.review_codes is not None:
                review = (index.review_codes, tuple(index.review_labels[1:]))
            written, rows = self.isolated(self.pages.selection, review, fmt, self.export_dir)
        return written, rows


class FindingsTab(FindingsPages):
    """The Findings tab: controls wired to the page, export, and ways into one request or member."""

    def __init__(
        self,
        result: AuditResult,
        export_dir: Path | str | None,
        open_request: Callable[[str], None],
        page_size: int = 25,
        review: ReviewBoard | None = None,
        review_changed: Callable[[], None] | None = None,
        open_member: Callable[[str], None] | None = None,
        export_url: str | None = None,
        isolated_export: IsolatedExport | None = None,
        index: Findings | None = None,
        export_limits: ExportLimits | None = None,
    ) -> None:
        super().__init__(result, page_size, review, index)
        self.open_request = open_request
        self.open_member = open_member
        self.period: str | None = None
        self.reset_filters_button = button("Reset filters", "ak-reset-filters")
        self.search_hint = SearchHint(self.index)
        self.exports = ExportBar(self, export_dir, export_url, isolated_export, export_limits)
        changed = review_changed or self.refresh
        self.review = (
            ReviewPanel(review, changed, css="ak-review-findings") if review is not None else None
        )
        self.bulk = (
            BulkBar(self.review, self.index, lambda: self.selection, changed, "ak-bulk-findings")
            if self.review is not None
            else None
        )
        self._wire()
        self.widget = widgets.VBox(
            [
                *filter_rows(self),
                widgets.HBox([self.search_box, self.reset_filters_button]),
                self.search_hint.widget,
                self.paging(),
                self.page_label,
                html_box("ak-table-note", message("Click a row to see why; a header to sort.")),
                self.table,
                self.exports.widget,
                *([self.review.widget] if self.review is not None else []),
                *([self.bulk.widget] if self.bulk is not None else []),
            ]
        )
        self.widget.add_class("ak-findings-tab")
        if self.review is None:
            self.review_filter.layout.display = "none"
        self.refresh()

    def _wire(self) -> None:
        for control in (*self.filters, self.page_size):
            control.observe(self._on_filter, names="value")
        self.segment_filter.observe(self._on_segment, names="value")
        self.wire_paging()
        self.reset_filters_button.on_click(guarded(self.reset_filters, self.page_label))
        self.search_hint.show_all_button.on_click(guarded(self.show_all_of_search, self.page_label))
        self.search_hint.member_button.on_click(
            guarded(self._open_searched_member, self.page_label)
        )
        self.table.on_row_click(lambda row: guarded(lambda: self._open_row(row), self.page_label)())
        self.table.on_sort(lambda column: guarded(lambda: self.sort_by(column), self.page_label)())

    def _on_filter(self, _change: object) -> None:
        if not self._muted:
            self.page = 0
            guarded(self.refresh, self.page_label)()

    def _on_segment(self, _change: object) -> None:
        if self._muted:
            return
        with self.muted():
            self.fill_segment_values()
        self.refresh()

    def current_filter(self) -> FindingsFilter:
        """The controls' filter, kept to the explorer's period (when one is chosen)."""
        return replace(super().current_filter(), period=self.period)

    def set_period(self, period: str | None) -> None:
        """Keep only the requests made in `period` (YYYY-MM), or every request (None)."""
        self.period = period
        self.page = 0
        self.refresh()

    def refresh(self) -> None:
        super().refresh()
        self.search_hint.update(
            self.current_filter(), len(self.selection), self.open_member is not None
        )

    def show_filter(self, **preset: object) -> None:
        """Set the controls at once (see `preset`) and show the first page."""
        self.preset(**preset)  # type: ignore[arg-type]
        self.page = 0
        self.refresh()

    def reset_filters(self) -> None:
        with self.muted():
            self.reset()
            self.page = 0
        self.refresh()

    def show_all_of_search(self) -> None:
        """Every rule result, of any status, of the requests the search names."""
        self.show_filter(statuses=None, search=self.search_box.value)

    def _open_row(self, row: int) -> None:
        frame = self.page_frame()
        if 0 <= row < len(frame):
            self.open_request(str(frame["request_id"].iloc[row]))

    def _open_searched_member(self) -> None:
        if self.open_member is not None:
            self.open_member(self.search_box.value.strip())
