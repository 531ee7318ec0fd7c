"""The Drill-down tab: every rule's status, reason and citation for one request, and its evidence."""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from auditkit.analysis.evidence import evidence
from auditkit.engine.result import AuditResult
from auditkit.explore.controls import button, guarded, html_box
from auditkit.explore.review import ReviewBoard, ReviewPanel
from auditkit.render.html import heading, message, table


class DrillTab:
    """A request id box and the tables that explain the request's verdict."""

    def __init__(
        self,
        result: AuditResult,
        review: ReviewBoard | None = None,
        review_changed: Callable[[], None] | None = None,
    ) -> None:
        self.result = result
        self.board = review
        self.review = (
            ReviewPanel(review, review_changed or self.refresh, css="ak-review-drill")
            if review is not None
            else None
        )
        self.shown: str | None = None
        self.request = widgets.Text(
            description="Request id",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.request.add_class("ak-drill-request")
        self.open_button = button("Show", "ak-drill-open", "info")
        self.header = html_box("ak-drill-header", message("Choose a request to see why."))
        self.rules = html_box("ak-drill-rules")
        self.accounts = html_box("ak-drill-accounts")
        self.orders = html_box("ak-drill-orders")
        self.vouchers = html_box("ak-drill-vouchers")
        self.open_button.on_click(
            guarded(lambda: self.show(self.request.value.strip()), self.header)
        )
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.request, self.open_button]),
                self.header,
                self.rules,
                *([self.review.widget] if self.review is not None else []),
                self.accounts,
                self.orders,
                self.vouchers,
            ]
        )

    def refresh(self) -> None:
        """Show the same request again (after its review states changed)."""
        if self.shown is not None:
            self.show(self.shown)

    def show(self, request_id: str) -> None:
        """Show every rule's status, reason and citation and the evidence for one request."""
        found = evidence(self.result, request_id)
        self.shown = request_id
        self.request.value = request_id
        self.header.value = heading(f"Request {request_id}", 4) + table(
            found.facts, css_class="ak-drill-facts"
        )
        rules = found.rules
        if self.board is not None:
            rules = rules.assign(
                review_state=[self.board.state((request_id, r)) for r in rules["rule_id"]]
            )
            self.review.offer(
                [
                    (request_id, r)
                    for r, s in zip(rules["rule_id"], rules["review_state"], strict=True)
                    if s
                ]
            )
        self.rules.value = heading("Every rule", 4) + table(
            rules, css_class="ak-drill-rule-table", status_rows=True
        )
        self.accounts.value = heading("Member and admin compared", 4) + table(
            found.accounts, css_class="ak-drill-account-table"
        )
        self.orders.value = heading(
            f"Open orders of the member ({len(found.open_orders)})", 4
        ) + table(found.open_orders, css_class="ak-drill-order-table")
        self.vouchers.value = heading(
            f"Usable sub-customer vouchers of the member ({len(found.usable_vouchers)})", 4
        ) + table(found.usable_vouchers, css_class="ak-drill-voucher-table")
