"""The Review queue tab: what still needs a conclusion, riskiest first (the explorer opens on it).

The order is `analysis.review_queue`'s: findings of control exceptions, then of
unsupported platform refusals, then every other finding by money at stake.
A finding leaves the queue once it is concluded. Requests that are a control
exception or an unsupported refusal without any finding (rejected although
eligible) are listed above it: the register has no finding of theirs to hold
a conclusion, so they are looked into from their drill-down. With a register,
the review panel and "Set all in selection" act on the queue's findings.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import pandas as pd

from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.analysis.review_queue import AT_STAKE_COLUMN, Priority, ReviewQueue
from auditkit.explore.bulk import BulkBar
from auditkit.explore.controls import ANY, ANY_OPTION, chosen, dropdown, guarded, html_box
from auditkit.explore.pages import Pages
from auditkit.explore.review import ReviewBoard, ReviewPanel
from auditkit.render.format import count, money
from auditkit.render.html import heading, message

AT_STAKE = "at_stake"
LOOK_INTO_COLUMNS = (
    "request_id",
    "member_uin",
    "admin_uin",
    "action",
    "decision",
    "decision_code",
    "verdict",
    "control_exception",
    "decision_code_check",
)


class QueueTab(Pages):
    """The queue's findings a page at a time, the requests to look into, and review controls."""

    def __init__(
        self,
        index: Findings,
        open_request: Callable[[str], None],
        board: ReviewBoard | None = None,
        review_changed: Callable[[], None] | None = None,
        page_size: int = 25,
    ) -> None:
        self.queue = ReviewQueue(index)
        self.index = index
        self.open_request = open_request
        super().__init__(
            lambda positions: queue_frame(self.queue, positions),
            page_size,
            "ak-queue",
            "ak-queue",
            "Nothing needs a conclusion here: every finding is concluded.",
        )
        self.period: str | None = None
        self.priority_filter = dropdown(
            "Priority",
            [ANY_OPTION, *[(p.label, (int(p),)) for p in Priority]],
            ANY,
            "ak-queue-priority",
            "300px",
        )
        self.summary = html_box("ak-queue-summary")
        self.look_into = LookInto(index, open_request)
        self.look_heading, self.look_box = self.look_into.heading, self.look_into.widget
        changed = review_changed or self.refresh
        self.review = ReviewPanel(board, changed, css="ak-review-queue") if board else None
        self.bulk = (
            BulkBar(self.review, index, lambda: self.selection, changed, "ak-bulk-queue")
            if self.review is not None
            else None
        )
        self.on_page.append(self._offer_page)
        self._wire()
        self.widget = widgets.VBox(
            [
                self.summary,
                self.look_box,
                html_box("ak-queue-heading", heading("Findings to conclude, riskiest first", 4)),
                self.priority_filter,
                self.paging(),
                self.page_label,
                html_box("ak-queue-note", message("Click a row to see why and conclude on it.")),
                self.table,
                *([self.review.widget] if self.review is not None else []),
                *([self.bulk.widget] if self.bulk is not None else []),
            ]
        )
        self.widget.add_class("ak-queue-tab")
        self.refresh()

    def _wire(self) -> None:
        self.wire_paging()
        for control in (self.priority_filter, self.page_size):
            control.observe(lambda _: guarded(self._first_page, self.page_label)(), names="value")
        self.table.on_row_click(lambda row: guarded(lambda: self._open_row(row), self.page_label)())

    def current_filter(self) -> FindingsFilter:
        return FindingsFilter(period=self.period)

    def set_period(self, period: str | None) -> None:
        """Keep only the requests made in `period` (YYYY-MM), or every request (None)."""
        self.period = period
        self._first_page()

    def _first_page(self) -> None:
        self.page = 0
        self.look_into.page = 0
        self.refresh()

    def refresh(self) -> None:
        """Select the queue again (states may have changed) and show the current page."""
        f = self.current_filter()
        everything = self.queue.select(f)
        priorities = chosen(self.priority_filter)
        self.selection = (
            everything
            if priorities is None
            else everything[
                np.isin(self.queue.priority[everything // self.index.rules], priorities)
            ]
        )
        self.look_into.selection = self.queue.requests_to_look_into(f)
        self._say(everything)
        self.show_page()
        self.look_into.show_page()

    def _say(self, everything: np.ndarray) -> None:
        looked = len(self.look_into.selection)
        reviewed = self.index.review_codes is not None
        self.summary.value, self.look_heading.value = summary(
            self.queue.counts(everything), looked, self.period, reviewed
        )
        self.look_box.layout.display = "" if looked else "none"

    def _offer_page(self) -> None:
        if self.review is not None:
            self.review.offer(self.review.board.keys(self.page_positions()))

    def _open_row(self, row: int) -> None:
        positions = self.page_positions()
        if 0 <= row < len(positions):
            request = int(positions[row]) // self.index.rules
            self.open_request(str(self.index.result.cases["request_id"].iloc[request]))


class LookInto(Pages):
    """Requests that are control exceptions or unsupported refusals with no finding: a page of
    them at a time; a click opens one's drill-down."""

    def __init__(self, index: Findings, open_request: Callable[[str], None]) -> None:
        super().__init__(
            lambda rows: requests_frame(index, rows),
            10,
            "ak-look",
            "ak-look-into",
            "",
            what="request(s)",
        )
        self.index, self.open_request = index, open_request
        self.heading = html_box("ak-look-heading")
        self.widget = widgets.VBox([self.heading, self.table, self.paging()])
        self.wire_paging()
        self.page_size.observe(lambda _: self.go_to(0), names="value")
        self.table.on_row_click(lambda row: guarded(lambda: self._open(row), self.page_label)())

    def _open(self, row: int) -> None:
        rows = self.page_positions()
        if 0 <= row < len(rows):
            self.open_request(str(self.index.result.cases["request_id"].iloc[int(rows[row])]))


def summary(
    counts: dict[str, int], looked: int, period: str | None, reviewed: bool
) -> tuple[str, str]:
    """What the queue holds, and the line above the requests to look into (as markup)."""
    scope = f" of requests made in {period}" if period else ""
    unreviewed = "" if reviewed else " (no review register: none is)"
    findings = ", ".join(f"{count(n)} {label}(s)" for label, n in counts.items())
    head = heading("Needs a conclusion", 4) + message(
        f"Findings{scope} not concluded yet{unreviewed}: {findings}."
    )
    look = message(
        f"{count(looked)} control exception(s) or unsupported refusal(s){scope} have no "
        "failing rule to conclude on (the request was eligible): open each to look into it."
    )
    return head, look


def queue_frame(queue: ReviewQueue, positions: np.ndarray) -> pd.DataFrame:
    """The queue's rows at `positions`: priority and money at stake first."""
    frame = queue.frame(positions)
    cents = frame.pop(AT_STAKE_COLUMN)
    frame.insert(1, AT_STAKE, [money(c) if c else "" for c in cents.to_numpy()])
    return frame


def requests_frame(index: Findings, rows: np.ndarray) -> pd.DataFrame:
    """The requests at `rows` with what made them exceptions (LOOK_INTO_COLUMNS)."""
    frame = index.verdicts.iloc[rows].reset_index(drop=True)
    frame["decision_code"] = index.result.cases["decision_code"].iloc[rows].reset_index(drop=True)
    return frame[list(LOOK_INTO_COLUMNS)]
