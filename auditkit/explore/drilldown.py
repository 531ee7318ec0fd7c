"""The Drill-down tab: every rule's status, reason and citation for one request, and its evidence.

The values a failing rule compared are marked (rows shaded, the rule named
in `failed`). The box takes a request id in any case; a uin opens the member
view instead.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from auditkit.analysis.evidence import FAILED, evidence
from auditkit.analysis.findings import Findings
from auditkit.engine.result import AuditResult
from auditkit.explore.controls import button, guarded, html_box, text_box
from auditkit.explore.review import ReviewBoard, ReviewPanel
from auditkit.render.html import heading, message, table


def _marked(frame) -> list[str]:
    return ["ak-failed" if value else "" for value in frame[FAILED]]


class DrillTab:
    """A request id box and the tables that explain the request's verdict."""

    def __init__(
        self,
        result: AuditResult,
        review: ReviewBoard | None = None,
        review_changed: Callable[[], None] | None = None,
        open_member: Callable[[str], None] | None = None,
        index: Findings | None = None,
    ) -> None:
        self.result = result
        self.board = review
        self.open_member = open_member
        self.index = index or Findings(result)
        self.review = (
            ReviewPanel(review, review_changed or self.refresh, css="ak-review-drill")
            if review is not None
            else None
        )
        self.shown: str | None = None
        self.request = text_box("Request id or uin", "ak-drill-request", width="360px")
        self.open_button = button("Show", "ak-drill-open", "info")
        self.member_button = button("Member view", "ak-drill-member")
        self.header = html_box("ak-drill-header", message("Choose a request to see why."))
        self.rules = html_box("ak-drill-rules")
        self.accounts = html_box("ak-drill-accounts")
        self.orders = html_box("ak-drill-orders")
        self.vouchers = html_box("ak-drill-vouchers")
        self.open_button.on_click(guarded(lambda: self.find(self.request.value), self.header))
        self.member_button.on_click(guarded(self._member_of_shown, self.header))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.request, self.open_button, self.member_button]),
                self.header,
                self.rules,
                *([self.review.widget] if self.review is not None else []),
                self.accounts,
                self.orders,
                self.vouchers,
            ]
        )
        self.widget.add_class("ak-drill-tab")

    def refresh(self) -> None:
        """Show the same request again (after its review states changed)."""
        if self.shown is not None:
            self.show(self.shown)

    def find(self, text: str) -> None:
        """Show the request `text` names (any case); a uin opens its member view."""
        needle = text.strip()
        found = self.index.search(needle) if needle else None
        ids = self.result.cases["request_id"][found].astype(str) if found is not None else []
        match = [i for i in ids if i.lower() == needle.lower()]
        if match:
            self.show(match[0])
        elif needle.isdigit() and self.open_member is not None:
            self.open_member(needle)
        else:
            raise KeyError(f"{needle!r} is not a request id; a uin opens the member view")

    def _member_of_shown(self) -> None:
        if self.shown is None or self.open_member is None:
            raise KeyError("open a request first")
        self.open_member(str(self.result.cases["member_uin"].iloc[self.result.row_of(self.shown)]))

    def show(self, request_id: str) -> None:
        """Show every rule's status, reason and citation and the evidence for one request."""
        found = evidence(self.result, request_id)
        self.shown = request_id
        self.request.value = request_id
        self.header.value = heading(f"Request {request_id}", 4) + table(
            found.facts, css_class="ak-drill-facts", row_classes=_marked(found.facts)
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
                ],
                requests=[request_id],
            )
        self.rules.value = heading("Every rule", 4) + table(
            rules, css_class="ak-drill-rule-table", status_rows=True
        )
        self.accounts.value = heading("Member and admin compared", 4) + table(
            found.accounts, css_class="ak-drill-account-table", row_classes=_marked(found.accounts)
        )
        self.orders.value = _titled(
            f"Open orders of the member ({len(found.open_orders)})",
            found.failing("open_orders"),
        ) + table(found.open_orders, css_class="ak-drill-order-table")
        self.vouchers.value = _titled(
            f"Usable sub-customer vouchers of the member ({len(found.usable_vouchers)})",
            found.failing("usable_vouchers"),
        ) + table(found.usable_vouchers, css_class="ak-drill-voucher-table")


def _titled(title: str, failing: tuple[str, ...]) -> str:
    return heading(title + (f": {', '.join(failing)} fails on these" if failing else ""), 4)
