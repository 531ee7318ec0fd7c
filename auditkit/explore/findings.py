"""The Findings tab: filter, sort and page the per-rule results; export the selection.

Filtering, sorting and paging happen in `auditkit.analysis.findings` on the
server; the table widget (an itables `ITable`) receives only the current page,
as escaped text (`allow_html=False`), with its own paging, ordering and search off.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
from itables.widget import ITable

from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.analysis.summaries import SEGMENTS
from auditkit.engine.result import AuditResult
from auditkit.explore.controls import ANY, ANY_OPTION, button, chosen, dropdown, guarded, html_box
from auditkit.explore.review import ReviewBoard, ReviewPanel, review_filter_options
from auditkit.io.write import export_csv, export_excel
from auditkit.render.html import css_name, message, text
from auditkit.vocab import (
    Action,
    ControlException,
    DecisionCodeCheck,
    PaymentMode,
    Status,
    Verdict,
    values,
)

PAGE_SIZES = (10, 25, 50, 100)
DOWNLOAD_LINK_MAX_BYTES = 20 * 1024 * 1024
MIME_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEFAULT_STATUSES = (Status.FAIL.value, Status.ERROR.value)


def page_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a small frame as a string (nulls empty), so a table shows text only."""
    return frame.astype("string").fillna("").astype(object)


def table_options(frame: pd.DataFrame) -> dict[str, object]:
    """itables options for one page: no client-side paging, ordering, search or HTML."""
    return {
        "allow_html": False,
        "showIndex": False,
        "paging": False,
        "ordering": False,
        "layout": {"topStart": None, "topEnd": None, "bottomStart": None, "bottomEnd": None},
        # A page is at most max(PAGE_SIZES) rows: never let itables downsample it.
        "maxBytes": 0,
        "maxRows": 0,
        "maxColumns": 0,
        "classes": "display compact cell-border ak-findings",
        "style": "width:100%;margin:0",
        "columnDefs": [
            # Type "string": identifiers such as uins are text, not numbers to align or format.
            {"targets": i, "className": f"ak-col-{css_name(c)}", "type": "string"}
            for i, c in enumerate(frame.columns)
        ],
    }


def findings_page_table(frame: pd.DataFrame) -> ITable:
    """The findings page as an itables widget (set here so an itables config cannot turn HTML on)."""
    table = ITable(page_as_text(frame), **table_options(frame))
    table.add_class("ak-findings-table")
    return table


class FindingsControls:
    """The filter and sort controls; `current_filter()` is the filter they describe."""

    def __init__(self, index: Findings, rule_ids: list[str]) -> None:
        self.index = index
        self.review_filter = dropdown(
            "Review state", review_filter_options(), ANY, "ak-review-filter", "300px"
        )
        options = {
            "rule": [ANY_OPTION, *[(r, r) for r in rule_ids]],
            "status": [
                ANY_OPTION,
                ("fail or error", DEFAULT_STATUSES),
                *[(s, (s,)) for s in values(Status)],
            ],
            "verdict": [ANY_OPTION, *[(v, v) for v in values(Verdict)]],
            "action": [ANY_OPTION, *[(a, a) for a in values(Action)]],
            "payment": [ANY_OPTION, *[(m, m) for m in values(PaymentMode)]],
            "exception": [
                ANY_OPTION,
                ("either exception", tuple(values(ControlException))),
                *[(e, (e,)) for e in values(ControlException)],
                ("none", ("",)),
            ],
            "code_check": [
                ANY_OPTION,
                *[(c, (c,)) for c in values(DecisionCodeCheck)],
                ("no code, or not rejected", ("",)),
            ],
        }
        self.rule_filter = dropdown("Rule", options["rule"], ANY, "ak-rule-filter")
        self.status_filter = dropdown(
            "Status", options["status"], DEFAULT_STATUSES, "ak-status-filter"
        )
        self.verdict_filter = dropdown("Verdict", options["verdict"], ANY, "ak-verdict-filter")
        self.action_filter = dropdown("Action", options["action"], ANY, "ak-action-filter")
        self.payment_filter = dropdown(
            "Payment mode", options["payment"], ANY, "ak-payment-filter", "260px"
        )
        self.exception_filter = dropdown(
            "Control exception", options["exception"], ANY, "ak-exception-filter", "320px"
        )
        self.code_check_filter = dropdown(
            "Platform's reason", options["code_check"], ANY, "ak-code-check-filter", "320px"
        )
        self.segment_filter = dropdown(
            "Segment", list(SEGMENTS), SEGMENTS[0], "ak-segment-filter", "260px"
        )
        self.segment_value_filter = dropdown(
            "is", [ANY_OPTION], ANY, "ak-segment-value-filter", "260px"
        )
        self.fill_segment_values()
        self.search_box = widgets.Text(
            description="Search",
            placeholder="uin or request id",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.search_box.add_class("ak-search")
        self.sort_column = dropdown(
            "Sort by",
            [("input order", ANY), *[(c, c) for c in index.columns]],
            ANY,
            "ak-sort-column",
        )
        self.sort_descending = widgets.Checkbox(description="descending", value=False)
        self.sort_descending.add_class("ak-sort-descending")

    @property
    def filters(self) -> tuple[widgets.ValueWidget, ...]:
        """The controls whose change re-selects the findings."""
        return (
            self.rule_filter,
            self.status_filter,
            self.verdict_filter,
            self.action_filter,
            self.payment_filter,
            self.exception_filter,
            self.code_check_filter,
            self.segment_value_filter,
            self.search_box,
            self.sort_column,
            self.sort_descending,
            self.review_filter,
        )

    def fill_segment_values(self) -> None:
        labels = self.index.segment_values(self.segment_filter.value)
        self.segment_value_filter.options = [ANY_OPTION, *[(v, v) for v in labels]]
        self.segment_value_filter.value = ANY

    def current_filter(self) -> FindingsFilter:
        return FindingsFilter(
            rule_id=chosen(self.rule_filter),
            statuses=chosen(self.status_filter),
            verdict=chosen(self.verdict_filter),
            action=chosen(self.action_filter),
            payment_mode=chosen(self.payment_filter),
            segment=self.segment_filter.value,
            segment_value=chosen(self.segment_value_filter),
            control_exceptions=chosen(self.exception_filter),
            decision_code_checks=chosen(self.code_check_filter),
            search=self.search_box.value,
            review_codes=chosen(self.review_filter),
        )

    def reset(self) -> None:
        for control in (
            self.rule_filter,
            self.verdict_filter,
            self.action_filter,
            self.payment_filter,
            self.exception_filter,
            self.code_check_filter,
            self.segment_value_filter,
            self.sort_column,
            self.review_filter,
        ):
            control.value = ANY
        self.status_filter.value = DEFAULT_STATUSES
        self.search_box.value = ""
        self.sort_descending.value = False

    def layout(self) -> list[widgets.Widget]:
        return [
            widgets.HBox(
                [self.rule_filter, self.status_filter, self.verdict_filter, self.action_filter]
            ),
            widgets.HBox(
                [
                    self.payment_filter,
                    self.exception_filter,
                    self.code_check_filter,
                ]
            ),
            widgets.HBox([self.segment_filter, self.segment_value_filter, self.review_filter]),
        ]


class FindingsPages(FindingsControls):
    """The selection the controls describe, sorted, and the page of it that is shown."""

    def __init__(self, result: AuditResult, page_size: int, review: ReviewBoard | None) -> None:
        index = Findings(result)
        if review is not None:
            index.set_review(review.codes, review.labels)
        super().__init__(index, result.rule_ids)
        self.selection = np.zeros(0, dtype=np.int64)
        self.page = 0
        self.page_size = dropdown(
            "Rows per page", list(PAGE_SIZES), page_size, "ak-page-size", "180px"
        )
        self.page_label = html_box("ak-page-label")
        self.prev_button = button("◀ Previous", "ak-prev-page")
        self.next_button = button("Next ▶", "ak-next-page")
        self.table = findings_page_table(self.index.frame(self.selection[:0]))
        self.drill_select = dropdown("Request on this page", [], None, "ak-drill-select", "360px")
        self.review: ReviewPanel | None = None  # set by FindingsTab when a register is open

    def refresh(self) -> None:
        """Select and sort the findings the controls describe; show the current page."""
        selected = self.index.select(self.current_filter())
        self.selection = self.index.sort(
            selected, self.sort_column.value or None, self.sort_descending.value
        )
        self.show_page()

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.selection) // self.page_size.value))

    def page_frame(self) -> pd.DataFrame:
        """The findings shown on the current page."""
        size = self.page_size.value
        return self.index.frame(self.selection[self.page * size : (self.page + 1) * size])

    def selection_frame(self) -> pd.DataFrame:
        """Every finding of the current selection, in the shown order."""
        return self.index.frame(self.selection)

    def turn_page(self, step: int) -> None:
        self.page = int(np.clip(self.page + step, 0, self.page_count - 1))
        self.show_page()

    def show_page(self) -> None:
        self.page = int(np.clip(self.page, 0, self.page_count - 1))
        frame = self.page_frame()
        total, start = len(self.selection), self.page * self.page_size.value
        self.page_label.value = message(
            f"{total} finding(s) match; rows {start + 1 if total else 0}-{start + len(frame)}, "
            f"page {self.page + 1} of {self.page_count}"
        )
        self.table.update(page_as_text(frame), **table_options(frame))
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= self.page_count - 1
        ids = list(dict.fromkeys(frame["request_id"].astype("str")))
        self.drill_select.options = ids
        self.drill_select.value = ids[0] if ids else None
        if self.review is not None:
            on_page = self.selection[start : start + self.page_size.value]
            self.review.offer(self.review.board.keys(on_page))


class FindingsTab(FindingsPages):
    """The Findings tab: controls wired to the page, export, and a way into the drill-down."""

    def __init__(
        self,
        result: AuditResult,
        export_dir: Path,
        open_request: Callable[[str], None],
        page_size: int = 25,
        review: ReviewBoard | None = None,
        review_changed: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(result, page_size, review)
        self.export_dir = export_dir
        self.open_request = open_request
        self._muted = False
        self.reset_filters_button = button("Reset filters", "ak-reset-filters")
        self.drill_button = button("Open drill-down", "ak-drill-button", "info")
        self.export_csv_button = button("Export CSV", "ak-export-csv")
        self.export_excel_button = button("Export Excel", "ak-export-excel")
        self.export_message = html_box("ak-export-message")
        self.review = (
            ReviewPanel(
                review,
                review_changed or self.show_page,
                lambda: review.keys(self.selection),
                css="ak-review-findings",
            )
            if review is not None
            else None
        )
        self._wire()
        self.widget = widgets.VBox(
            [
                *self.layout(),
                widgets.HBox([self.search_box, self.reset_filters_button]),
                widgets.HBox(
                    [
                        self.sort_column,
                        self.sort_descending,
                        self.page_size,
                        self.prev_button,
                        self.next_button,
                    ]
                ),
                self.page_label,
                self.table,
                widgets.HBox([self.drill_select, self.drill_button]),
                widgets.HBox([self.export_csv_button, self.export_excel_button]),
                self.export_message,
                *([self.review.widget] if self.review is not None else []),
            ]
        )
        if self.review is None:
            self.review_filter.layout.display = "none"
        self.refresh()

    def _wire(self) -> None:
        for control in (*self.filters, self.page_size):
            control.observe(self._on_filter, names="value")
        self.segment_filter.observe(self._on_segment, names="value")
        self.prev_button.on_click(guarded(lambda: self.turn_page(-1), self.page_label))
        self.next_button.on_click(guarded(lambda: self.turn_page(+1), self.page_label))
        self.reset_filters_button.on_click(guarded(self.reset_filters, self.page_label))
        self.drill_button.on_click(guarded(self._drill_from_page, self.page_label))
        self.export_csv_button.on_click(guarded(lambda: self.export("csv"), self.export_message))
        self.export_excel_button.on_click(guarded(lambda: self.export("xlsx"), self.export_message))

    def _on_filter(self, _change: object) -> None:
        if not self._muted:
            self.page = 0
            guarded(self.refresh, self.page_label)()

    def _on_segment(self, _change: object) -> None:
        self._muted = True
        try:
            self.fill_segment_values()
        finally:
            self._muted = False
        self.refresh()

    def reset_filters(self) -> None:
        self._muted = True
        try:
            self.reset()
            self.page = 0
        finally:
            self._muted = False
        self.refresh()

    def _drill_from_page(self) -> None:
        if self.drill_select.value:
            self.open_request(self.drill_select.value)

    def export(self, fmt: str) -> Path:
        """Write the current selection to the export folder as CSV or xlsx; say where."""
        written, shown = export_selection(self.selection_frame(), self.export_dir, fmt)
        self.export_message.value = shown
        return written


def export_selection(frame: pd.DataFrame, folder: Path, fmt: str) -> tuple[Path, str]:
    """Write findings to a new file in `folder`; return it and a message with a download link."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"findings-{stamp}"
    written = export_excel(frame, path) if fmt == "xlsx" else export_csv(frame, path)
    link = ""
    if written.stat().st_size <= DOWNLOAD_LINK_MAX_BYTES:
        payload = base64.b64encode(written.read_bytes()).decode("ascii")
        link = (
            f' <a download="{text(written.name)}" '
            f'href="data:{MIME_TYPES[fmt]};base64,{payload}">download {text(written.name)}</a>'
        )
    words = text(f"wrote {len(frame)} finding(s) to {written}")
    return written, f'<div class="ak-message">{words}{link}</div>'
