"""The Member tab: every request of one uin, the account state each was judged at, its data.

Clicking a request opens its drill-down. Judged at each requested_at, the
state table shows the account as it stood at each request (with the moment it
had held since); judged against the snapshot, the one snapshot state.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from auditkit.analysis.member import RowsOf, member_view
from auditkit.engine.result import AuditResult
from auditkit.explore.controls import button, guarded, html_box, text_box
from auditkit.explore.grid import Grid
from auditkit.render.format import count
from auditkit.render.html import css_name, heading, message, table


class MemberTab:
    """A uin box, its requests (clickable) and the tables behind them."""

    def __init__(
        self, result: AuditResult, rows_of: RowsOf, open_request: Callable[[str], None]
    ) -> None:
        self.result, self.rows_of, self.open_request = result, rows_of, open_request
        self.view = None
        self.uin = text_box("uin", "ak-member-uin", "a member's or admin's uin", "320px")
        self.open_button = button("Show member", "ak-member-open", "info")
        self.header = html_box("ak-member-header", message("Enter a uin to see all its requests."))
        self.requests = Grid(css="ak-member-requests")
        self.requests.on_row_click(lambda row: guarded(lambda: self._open(row), self.header)())
        self.states = html_box("ak-member-states")
        self.history = html_box("ak-member-history")
        self.orders = html_box("ak-member-orders")
        self.vouchers = html_box("ak-member-vouchers")
        self.open_button.on_click(guarded(lambda: self.show(self.uin.value), self.header))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.uin, self.open_button]),
                self.header,
                self.requests,
                self.states,
                self.history,
                self.orders,
                self.vouchers,
            ]
        )
        self.widget.add_class("ak-member-tab")

    def show(self, uin: str) -> None:
        """Show everything about `uin`; a KeyError when it is unknown."""
        view = member_view(self.result, uin, self.rows_of)
        self.view = view
        self.uin.value = view.uin
        verdicts = ", ".join(f"{count(n)} {v}" for v, n in view.verdicts.items()) or "none"
        self.header.value = heading(f"uin {view.uin}", 4) + message(
            f"{count(len(view.requests))} request(s) as member or admin ({verdicts}); "
            "click one to see why"
        )
        self.requests.show(
            view.requests, [f"ak-verdict-{css_name(v)}" for v in view.requests["verdict"]]
        )
        moment = (
            "at each requested_at (the state in force then, since state_from)"
            if view.judged_at_request
            else "in the snapshot at as_of"
        )
        self.states.value = heading(f"Account state judged, {moment}", 4) + table(
            view.states, css_class="ak-member-state-table", formats=True
        )
        self.history.value = (
            heading(f"Recorded account history ({count(len(view.history))})", 4)
            + table(view.history, css_class="ak-member-history-table", formats=True)
            if len(view.history)
            else ""
        )
        self.orders.value = heading(f"Orders ({count(len(view.orders))})", 4) + table(
            view.orders, css_class="ak-member-order-table", formats=True
        )
        self.vouchers.value = heading(f"Vouchers ({count(len(view.vouchers))})", 4) + table(
            view.vouchers, css_class="ak-member-voucher-table", formats=True
        )

    def _open(self, row: int) -> None:
        if self.view is not None and 0 <= row < len(self.view.requests):
            self.open_request(str(self.view.requests["request_id"].iloc[row]))
