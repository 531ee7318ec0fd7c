"""The Drill-down tab: every rule's status, reason and citation for one request, and its evidence."""

from __future__ import annotations

import ipywidgets as widgets

from auditkit.analysis.evidence import evidence
from auditkit.engine.result import AuditResult
from auditkit.explore.controls import button, guarded, html_box
from auditkit.render.html import heading, message, table


class DrillTab:
    """A request id box and the tables that explain the request's verdict."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
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
                self.accounts,
                self.orders,
                self.vouchers,
            ]
        )

    def show(self, request_id: str) -> None:
        """Show every rule's status, reason and citation and the evidence for one request."""
        found = evidence(self.result, request_id)
        self.shown = request_id
        self.request.value = request_id
        self.header.value = heading(f"Request {request_id}", 4) + table(
            found.facts, css_class="ak-drill-facts"
        )
        self.rules.value = heading("Every rule", 4) + table(
            found.rules, css_class="ak-drill-rule-table", status_rows=True
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
