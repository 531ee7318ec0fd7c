"""The What-if tab: change parameters and data, re-judge, and show what changed."""

from __future__ import annotations

import time
from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd

from auditkit.analysis.evidence import parse_types, parse_uins
from auditkit.analysis.whatif import (
    BindCard,
    ClearVouchers,
    Edit,
    SettleOpenOrders,
    TopUpBalances,
    WhatIfDiff,
)
from auditkit.dates import parse_date
from auditkit.errors import ParameterError
from auditkit.explore.controls import (
    ANY,
    action,
    busy_markup,
    button,
    dropdown,
    guarded,
    html_box,
)
from auditkit.explore.scenarios import ScenarioPanel
from auditkit.explore.workspace import Workspace
from auditkit.params import Params
from auditkit.render.format import count, date
from auditkit.render.html import heading, message, table
from auditkit.review.scenarios import ScenarioStore
from auditkit.vocab import CustomerTier, Moment, OrderStatus, Verdict, VoucherAction, values

CHANGED_ROWS_SHOWN = 100
SCOPE_ALL, SCOPE_SELECTION, SCOPE_LISTED = "all", "selection", "listed"
WIDE = {"description_width": "initial"}


class WhatIfControls:
    """The parameter and scenario-edit controls, set to the baseline's parameters."""

    def __init__(
        self, params: Params, selection_uins: Callable[[], frozenset[str]] = frozenset
    ) -> None:
        self.selection_uins = selection_uins
        self.as_of = widgets.Text(
            description="as_of", placeholder="YYYY-MM-DD", layout=widgets.Layout(width="220px")
        )
        self.verified_types = widgets.Text(description="Verified internal types", style=WIDE)
        self.open_statuses = widgets.SelectMultiple(
            description="Open order statuses", options=values(OrderStatus), rows=4, style=WIDE
        )
        self.j10 = widgets.RadioButtons(
            description="J10 admin needs",
            options=[
                ("no overdue OR balance >= 0 (document)", False),
                ("no overdue AND balance >= 0 (strict)", True),
            ],
            style=WIDE,
        )
        self.q03_tiers = widgets.SelectMultiple(
            description="Q03 tiers", options=values(CustomerTier), rows=3, style=WIDE
        )
        self.at = widgets.RadioButtons(
            description="Judge requests",
            options=[
                ("against the snapshot at as_of", Moment.SNAPSHOT.value),
                ("each at its requested_at (needs history)", Moment.REQUESTED.value),
            ],
            style=WIDE,
        )
        self.settle = widgets.Checkbox(description="Settle open orders")
        self.top_up = widgets.Checkbox(description="Top up negative balances")
        self.bind_card = widgets.Checkbox(description="Bind a credit card")
        self.vouchers = dropdown(
            "Usable vouchers",
            [
                ("leave as they are", ANY),
                ("use them up", VoucherAction.USE_UP),
                ("void them", VoucherAction.VOID),
            ],
            ANY,
            "ak-wi-vouchers",
            "300px",
        )
        self.scope = dropdown(
            "Edits apply to",
            [
                ("every account", SCOPE_ALL),
                ("members in the current findings selection", SCOPE_SELECTION),
                ("the uins listed below", SCOPE_LISTED),
            ],
            SCOPE_ALL,
            "ak-wi-scope",
            "420px",
        )
        self.uins = widgets.Textarea(
            description="uins", placeholder="uins separated by commas or new lines", rows=2
        )
        for name in (
            "as_of",
            "verified_types",
            "open_statuses",
            "j10",
            "q03_tiers",
            "at",
            "settle",
            "top_up",
            "bind_card",
            "uins",
        ):
            getattr(self, name).add_class(f"ak-wi-{name.replace('_', '-')}")
        self.set_params(params)

    def set_params(self, p: Params, edits: tuple[Edit, ...] = ()) -> None:
        """Show `p` and `edits` (as far as the controls can say them; uins are listed)."""
        self.as_of.value = date(p.as_of)
        self.verified_types.value = ", ".join(str(t) for t in sorted(p.verified_internal_types))
        self.open_statuses.value = tuple(sorted(p.open_order_statuses))
        self.j10.value = p.j10_require_both
        self.q03_tiers.value = tuple(sorted(p.q03_tiers))
        self.at.value = p.at.value
        for box in (self.settle, self.top_up, self.bind_card):
            box.value = False
        self.vouchers.value = ANY
        self.scope.value = SCOPE_ALL
        self.uins.value = ""
        show_edits(self, edits)

    def params(self) -> Params:
        """The Params the controls describe."""
        if not self.as_of.value.strip():
            raise ParameterError("as_of is empty; give a date as YYYY-MM-DD")
        return Params(
            as_of=parse_date(self.as_of.value),
            verified_internal_types=parse_types(self.verified_types.value),
            open_order_statuses=frozenset(self.open_statuses.value),
            j10_require_both=self.j10.value,
            q03_tiers=frozenset(self.q03_tiers.value),
            at=self.at.value,
        )

    def edits(self) -> tuple[Edit, ...]:
        """The scenario edits the controls describe, in a fixed order."""
        uins: frozenset[str] | None = None
        if self.scope.value == SCOPE_SELECTION:
            uins = self.selection_uins()
        elif self.scope.value == SCOPE_LISTED:
            uins = parse_uins(self.uins.value)
        edits: list[Edit] = []
        if self.settle.value:
            edits.append(SettleOpenOrders(uins))
        if self.top_up.value:
            edits.append(TopUpBalances(uins))
        if self.vouchers.value != ANY:
            edits.append(ClearVouchers(self.vouchers.value, uins))
        if self.bind_card.value:
            edits.append(BindCard(uins))
        return tuple(edits)


def show_edits(controls: WhatIfControls, edits: tuple[Edit, ...]) -> None:
    """Tick the boxes of `edits`; the uins any of them names go to the listed-uins box."""
    boxes = {
        SettleOpenOrders: controls.settle,
        TopUpBalances: controls.top_up,
        BindCard: controls.bind_card,
    }
    scoped: set[str] = set()
    for edit in edits:
        if isinstance(edit, ClearVouchers):
            controls.vouchers.value = edit.how.value
        elif type(edit) in boxes:
            boxes[type(edit)].value = True
        scoped |= set(edit.uins or ())  # type: ignore[attr-defined]
    if scoped:
        controls.scope.value = SCOPE_LISTED
        controls.uins.value = "\n".join(sorted(scoped))


class WhatIfTab(WhatIfControls):
    """Apply re-judges with the controls and shows the difference from the baseline.

    While it runs (seconds at a million requests) Apply and Reset are disabled
    and a spinner says so; the scenario panel below saves, reloads and compares.
    """

    def __init__(
        self,
        workspace: Workspace,
        selection_uins: Callable[[], frozenset[str]],
        scenarios: ScenarioStore | None = None,
        reviewer: str = "",
    ) -> None:
        super().__init__(workspace.result.params, selection_uins)
        self.workspace, self.result = workspace, workspace.result
        self.at.disabled = not workspace.has_history
        self.diff: WhatIfDiff | None = None
        self.apply_button = button("Apply what-if", "ak-wi-apply", "primary")
        self.reset_button = button("Reset to baseline", "ak-wi-reset")
        self.message = html_box("ak-wi-message")
        self.summary = html_box("ak-wi-summary")
        self.rules = html_box("ak-wi-rules")
        self.changed = html_box("ak-wi-changed")
        requests = count(len(self.result.cases))
        action(
            self.apply_button,
            self.apply,
            self.message,
            f"Judging {requests} requests with the scenario ...",
            (self.reset_button,),
        )
        self.reset_button.on_click(guarded(self.reset, self.message))
        self.panel = ScenarioPanel(self, scenarios, reviewer) if scenarios is not None else None
        self.widget = widgets.VBox(
            [
                html_box("ak-wi-params-heading", heading("Parameters", 4)),
                widgets.HBox([self.as_of, self.verified_types]),
                widgets.HBox([self.open_statuses, self.q03_tiers]),
                widgets.HBox([self.j10, self.at]),
                html_box("ak-wi-edits-heading", heading("Scenario edits on the data", 4)),
                widgets.HBox([self.settle, self.top_up, self.bind_card]),
                self.vouchers,
                widgets.HBox([self.scope, self.uins]),
                widgets.HBox([self.apply_button, self.reset_button]),
                self.message,
                self.summary,
                self.rules,
                self.changed,
                *([self.panel.widget] if self.panel is not None else []),
            ]
        )
        self.widget.add_class("ak-whatif-tab")

    def apply(self) -> WhatIfDiff:
        """Recompute with the controls and show the difference from the baseline."""
        params, edits = self.params(), self.edits()
        start = time.perf_counter()
        requests = count(len(self.result.cases))

        def progress(phase: str) -> None:
            step = {"read": "reading the data", "evaluate": "judging"}.get(phase, phase)
            seconds = time.perf_counter() - start
            self.message.value = busy_markup(f"{requests} requests: {step} ... ({seconds:.0f} s)")

        self.diff = self.workspace.whatif(params, edits, progress)
        self.show(self.diff, time.perf_counter() - start)
        if self.panel is not None:
            self.panel.applied(self.diff)
        return self.diff

    def reset(self) -> None:
        self.set_params(self.result.params)
        self.diff = None
        for shown in (self.message, self.summary, self.rules, self.changed):
            shown.value = ""

    def show(self, diff: WhatIfDiff, seconds: float) -> None:
        changes = [f"{k}: {b} -> {a}" for k, (b, a) in diff.changed_params().items()]
        changes += [edit.describe() for edit in diff.edits]
        self.message.value = message(
            f"recomputed {count(len(self.result.cases))} requests in {seconds:.2f}s; "
            + ("; ".join(changes) if changes else "no change from the baseline")
        )
        counts = pd.DataFrame(
            {
                "verdict": values(Verdict),
                "baseline": [diff.verdicts_before[v] for v in values(Verdict)],
                "what-if": [diff.verdicts_after[v] for v in values(Verdict)],
            }
        )
        counts["change"] = counts["what-if"] - counts["baseline"]
        self.summary.value = heading(
            f"{count(len(diff.changed))} request(s) changed verdict", 4
        ) + table(counts, css_class="ak-wi-counts", formats=True)
        self.rules.value = heading("Failures per rule: gained and lost", 4) + table(
            diff.by_rule, css_class="ak-wi-rule-table", index=True, formats=True
        )
        shown = diff.changed.head(CHANGED_ROWS_SHOWN)
        more = len(diff.changed) - len(shown)
        self.changed.value = (
            heading("Requests whose verdict changed", 4)
            + table(shown, css_class="ak-wi-changed-table")
            + (message(f"... and {count(more)} more") if more > 0 else "")
        )
