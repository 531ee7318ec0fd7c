"""Interactive explorer: overview, findings, drill-down and what-if, as ipywidgets.

`Explorer` is a controller: it holds the tables, params and result, builds its
widgets, and its handlers call the engine, `auditkit.findings` and
`auditkit.whatif`. Tests drive it by setting widget values and clicking
buttons; the notebook only calls `show()`. Identifiers and free text are shown
as text, never as markup: every HTML string built here goes through
`html.escape`, and the findings page is an itables `ITable` that escapes cells
itself (`allow_html=False`).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pandas as pd
from itables.widget import ITable
from matplotlib.figure import Figure

from auditkit import analysis
from auditkit.engine import ACCOUNT_FIELDS, REQUEST_FIELDS, AuditResult, evaluate
from auditkit.enums import (
    Action,
    ControlException,
    CustomerTier,
    OrderStatus,
    PaymentMode,
    Status,
    Verdict,
    values,
)
from auditkit.errors import AuditkitError, ParameterError
from auditkit.findings import (
    FINDING_COLUMNS,
    SEGMENTS,
    Findings,
    FindingsFilter,
    export_csv,
    export_excel,
)
from auditkit.loading import Tables, load_tables
from auditkit.money import format_cents
from auditkit.params import Params
from auditkit.serve import ENV_AS_OF, ENV_DATA, ENV_DEMO_REQUESTS, ENV_EXPORTS
from auditkit.whatif import (
    BindCard,
    ClearVouchers,
    Edit,
    SettleOpenOrders,
    TopUpBalances,
    VoucherAction,
    WhatIfDiff,
    whatif,
)

DEFAULT_DEMO_REQUESTS = 2000
PAGE_SIZES = (10, 25, 50, 100)
DOWNLOAD_LINK_MAX_BYTES = 20 * 1024 * 1024
CHANGED_ROWS_SHOWN = 100
SCOPE_ALL, SCOPE_SELECTION, SCOPE_LISTED = "all", "selection", "listed"
# A dropdown whose value is None shows nothing selected, so "no restriction" is "".
ANY = ""

STYLE = """
<style>
.ak-table { border-collapse: collapse; font-size: 12px; margin: 4px 0; }
.ak-table th, .ak-table td { border: 1px solid #ccc; padding: 2px 6px; text-align: left;
  vertical-align: top; white-space: pre-wrap; }
.ak-table th { background: #f0f0f0; }
.ak-table td.ak-col-rule_id, .ak-table td.ak-col-request_id, .ak-table td.ak-col-status {
  white-space: nowrap; }
.ak-status-fail td.ak-col-status { color: #b00020; font-weight: bold; }
.ak-status-error td.ak-col-status { color: #a05a00; font-weight: bold; }
.ak-status-pass td.ak-col-status { color: #1b7f3b; }
.ak-findings-table table.dataTable { font-size: 12px; }
.ak-findings-table table.dataTable td { white-space: nowrap; vertical-align: top; }
.ak-findings-table table.dataTable td.ak-col-reason { white-space: pre-wrap; min-width: 320px; }
.ak-message { font-size: 12px; color: #333; }
.ak-message.ak-error { color: #b00020; }
</style>
"""


# ---- HTML, always escaped --------------------------------------------------------------


def _text(value: object) -> str:
    """A value as escaped text; nulls become an empty string."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    return html.escape(str(value))


def html_table(frame: pd.DataFrame, css_class: str = "", index: bool = False) -> str:
    """An HTML table of a small frame with every header and cell escaped."""
    shown = frame.reset_index() if index else frame
    columns = [str(c) for c in shown.columns]
    head = "".join(f"<th>{_text(c)}</th>" for c in columns)
    col_classes = [f"ak-col-{_css_name(c)}" for c in columns]
    rows = []
    status_at = columns.index("status") if "status" in columns else None
    for record in shown.itertuples(index=False, name=None):  # one page: at most 100 rows
        row_class = ""
        if status_at is not None:
            row_class = f' class="ak-status-{_text(record[status_at])}"'
        cells = "".join(
            f'<td class="{cls}">{_text(v)}</td>' for cls, v in zip(col_classes, record, strict=True)
        )
        rows.append(f"<tr{row_class}>{cells}</tr>")
    return (
        f'<table class="ak-table {html.escape(css_class)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def page_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a small frame as a string (nulls empty), so a table shows text only."""
    return frame.astype("string").fillna("").astype(object)


def findings_page_table(frame: pd.DataFrame) -> ITable:
    """The findings page as an itables widget: text cells, one page, no client-side logic.

    Filtering, sorting across the whole selection and paging happen in pandas
    (`auditkit.findings`), so the widget only lays out the rows it is given: its
    own paging, ordering and search are off. Cells are sent as escaped text
    (`allow_html=False`, set here so an itables config file cannot turn it on),
    and as plain strings, so no per-column JavaScript renderer is evaluated.
    """
    table = ITable(page_as_text(frame), **_findings_table_options(frame))
    table.add_class("ak-findings-table")
    return table


def _findings_table_options(frame: pd.DataFrame) -> dict[str, object]:
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
            {"targets": i, "className": f"ak-col-{_css_name(c)}", "type": "string"}
            for i, c in enumerate(frame.columns)
        ],
    }


def _css_name(column: object) -> str:
    return re.sub(r"[^a-z0-9_-]", "", str(column).lower())


def _message(text: str, error: bool = False) -> str:
    kind = "ak-message ak-error" if error else "ak-message"
    return f'<div class="{kind}">{html.escape(text)}</div>'


def _heading(text: str) -> str:
    return f"<h4>{html.escape(text)}</h4>"


def _counts_table(counts: dict[str, int], key: str) -> pd.DataFrame:
    return pd.DataFrame({key: list(counts), "requests": list(counts.values())})


def parse_uins(text: str) -> frozenset[str]:
    """Uins typed by a person: separated by commas, semicolons or whitespace."""
    uins = frozenset(part for part in re.split(r"[\s,;]+", text.strip()) if part)
    bad = sorted(uin for uin in uins if not uin.isdigit())
    if bad:
        raise ParameterError(f"uins are digits only; these are not: {bad[:5]}")
    return uins


def parse_types(text: str) -> frozenset[int]:
    """Internal types typed by a person, e.g. '4, 6, 9'."""
    parts = [part for part in re.split(r"[\s,;]+", text.strip()) if part]
    try:
        return frozenset(int(part) for part in parts)
    except ValueError:
        raise ParameterError(
            f"verified internal types must be whole numbers like '4, 6, 9'; got {text!r}"
        ) from None


def failures_chart(result: AuditResult) -> bytes:
    """PNG bar chart of failing and error requests per rule."""
    counts = result.rule_counts()
    figure = Figure(figsize=(7, 3.6), dpi=96)
    axes = figure.add_subplot()
    positions = np.arange(len(counts))
    axes.barh(positions, counts["fail"], color="#c0392b", label="fail")
    axes.barh(positions, counts["error"], left=counts["fail"], color="#e67e22", label="error")
    axes.set_yticks(positions, counts.index)
    axes.invert_yaxis()
    axes.set_xlabel("requests")
    axes.set_title("Failures by rule")
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _dropdown(description: str, options: list, value: object, css: str, width: str = "220px"):
    widget = widgets.Dropdown(
        description=description,
        options=options,
        value=value,
        layout=widgets.Layout(width=width),
        style={"description_width": "initial"},
    )
    widget.add_class(css)
    return widget


def _button(description: str, css: str, style: str = "") -> widgets.Button:
    widget = widgets.Button(description=description, button_style=style)
    widget.add_class(css)
    return widget


def _html(css: str, value: str = "") -> widgets.HTML:
    widget = widgets.HTML(value=value)
    widget.add_class(css)
    return widget


# ---- the controller ------------------------------------------------------------------------


class Explorer:
    """The explorer of one evaluation; `widget` is what a notebook displays."""

    def __init__(
        self,
        tables: Tables,
        params: Params | None = None,
        *,
        source: str = "",
        export_dir: Path | str | None = None,
        page_size: int = 25,
    ) -> None:
        self.tables = tables
        self.result = evaluate(tables, params)
        self.params = self.result.params
        self.source = source
        self.export_dir = Path(export_dir) if export_dir else Path.cwd() / "auditkit-exports"
        self.findings = Findings(self.result)
        self.selection = np.zeros(0, dtype=np.int64)
        self.page = 0
        self.diff: WhatIfDiff | None = None
        self.drilled: str | None = None
        self._muted = False
        self._build(page_size)
        self.refresh_findings()

    # ---- building -------------------------------------------------------------------

    def _build(self, page_size: int) -> None:
        self.header = _html("ak-header", STYLE + self._header_html())
        self.overview = self._build_overview()
        self.findings_panel = self._build_findings(page_size)
        self.drill_panel = self._build_drill()
        self.whatif_panel = self._build_whatif()
        self.tabs = widgets.Tab(
            children=[self.overview, self.findings_panel, self.drill_panel, self.whatif_panel],
            titles=["Overview", "Findings", "Drill-down", "What-if"],
        )
        self.tabs.add_class("ak-tabs")
        self.widget = widgets.VBox([self.header, self.tabs])
        self.widget.add_class("ak-explorer")

    def _header_html(self) -> str:
        h = analysis.headline(self.result)
        where = f" from {self.source}" if self.source else ""
        return _message(
            f"{h['requests']} requests{where}, as of {h['as_of']}: "
            f"{h['eligible']} eligible, {h['ineligible']} ineligible, {h['unknown']} unknown"
        )

    def _build_overview(self) -> widgets.Widget:
        result = self.result
        verdicts = _counts_table(result.verdict_counts(), "verdict")
        exceptions = _counts_table(result.exception_counts(), "control_exception")
        by_action = analysis.verdicts_by_action(result)
        by_action.columns = by_action.columns.astype("str")
        self.overview_counts = _html(
            "ak-overview-counts",
            _heading("Requests by verdict")
            + html_table(verdicts, "ak-verdict-counts")
            + _heading("By action and verdict")
            + html_table(by_action, "ak-action-counts", index=True)
            + _heading("Control exceptions (platform decision contradicts the verdict)")
            + html_table(exceptions, "ak-exception-counts"),
        )
        self.failures_chart = widgets.Image(value=failures_chart(result), format="png")
        self.failures_chart.add_class("ak-failures-chart")
        rules = analysis.failures_by_rule(result)
        self.failures_table = _html(
            "ak-failures-table", _heading("Rules") + html_table(rules, "ak-rules", index=True)
        )
        self.segment_select = _dropdown(
            "Segment", list(SEGMENTS), SEGMENTS[0], "ak-segment-select", "260px"
        )
        self.segment_table = _html("ak-segment-table")
        self.segment_select.observe(lambda _: self._show_segments(), names="value")
        self._show_segments()
        return widgets.VBox(
            [
                widgets.HBox([self.overview_counts, self.failures_chart]),
                self.failures_table,
                _html("ak-segment-heading", _heading("Breakdown by member segment")),
                self.segment_select,
                self.segment_table,
            ]
        )

    def _show_segments(self) -> None:
        table = analysis.segment_breakdown(self.result, self.segment_select.value)
        self.segment_table.value = html_table(table, "ak-segments", index=True)

    def _build_findings(self, page_size: int) -> widgets.Widget:
        any_ = ("(any)", ANY)
        self.rule_filter = _dropdown(
            "Rule", [any_, *[(r, r) for r in self.result.rule_ids]], ANY, "ak-rule-filter"
        )
        self.status_filter = _dropdown(
            "Status",
            [
                any_,
                ("fail or error", (Status.FAIL.value, Status.ERROR.value)),
                *[(s, (s,)) for s in values(Status)],
            ],
            (Status.FAIL.value, Status.ERROR.value),
            "ak-status-filter",
        )
        self.verdict_filter = _dropdown(
            "Verdict", [any_, *[(v, v) for v in values(Verdict)]], ANY, "ak-verdict-filter"
        )
        self.action_filter = _dropdown(
            "Action", [any_, *[(a, a) for a in values(Action)]], ANY, "ak-action-filter"
        )
        self.payment_filter = _dropdown(
            "Payment mode",
            [any_, *[(m, m) for m in values(PaymentMode)]],
            ANY,
            "ak-payment-filter",
            "260px",
        )
        exceptions = values(ControlException)
        self.exception_filter = _dropdown(
            "Control exception",
            [
                any_,
                ("either exception", tuple(exceptions)),
                *[(e, (e,)) for e in exceptions],
                ("none", ("",)),
            ],
            ANY,
            "ak-exception-filter",
            "320px",
        )
        self.segment_filter = _dropdown(
            "Segment", list(SEGMENTS), SEGMENTS[0], "ak-segment-filter", "260px"
        )
        self.segment_value_filter = _dropdown("is", [any_], ANY, "ak-segment-value-filter", "260px")
        self._fill_segment_values()
        self.search_box = widgets.Text(
            description="Search",
            placeholder="uin or request id",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.search_box.add_class("ak-search")
        self.reset_filters_button = _button("Reset filters", "ak-reset-filters")
        self.sort_column = _dropdown(
            "Sort by",
            [("input order", ANY), *[(c, c) for c in FINDING_COLUMNS]],
            ANY,
            "ak-sort-column",
        )
        self.sort_descending = widgets.Checkbox(description="descending", value=False)
        self.sort_descending.add_class("ak-sort-descending")
        self.page_size = _dropdown(
            "Rows per page", list(PAGE_SIZES), page_size, "ak-page-size", "180px"
        )
        self.prev_button = _button("◀ Previous", "ak-prev-page")
        self.next_button = _button("Next ▶", "ak-next-page")
        self.page_label = _html("ak-page-label")
        self.findings_table = findings_page_table(self.findings.frame(self.selection[:0]))
        self.drill_select = _dropdown("Request on this page", [], None, "ak-drill-select", "360px")
        self.drill_button = _button("Open drill-down", "ak-drill-button", "info")
        self.export_csv_button = _button("Export CSV", "ak-export-csv")
        self.export_excel_button = _button("Export Excel", "ak-export-excel")
        self.export_message = _html("ak-export-message")

        for control in (
            self.rule_filter,
            self.status_filter,
            self.verdict_filter,
            self.action_filter,
            self.payment_filter,
            self.exception_filter,
            self.segment_value_filter,
            self.search_box,
            self.sort_column,
            self.sort_descending,
        ):
            control.observe(self._on_filter, names="value")
        self.segment_filter.observe(self._on_segment_filter, names="value")
        self.page_size.observe(self._on_filter, names="value")
        self.prev_button.on_click(self._guard(lambda _: self.turn_page(-1)))
        self.next_button.on_click(self._guard(lambda _: self.turn_page(+1)))
        self.reset_filters_button.on_click(self._guard(lambda _: self.reset_filters()))
        self.drill_button.on_click(self._guard(lambda _: self._drill_from_page()))
        self.export_csv_button.on_click(
            self._guard(lambda _: self.export("csv"), self.export_message)
        )
        self.export_excel_button.on_click(
            self._guard(lambda _: self.export("xlsx"), self.export_message)
        )
        return widgets.VBox(
            [
                widgets.HBox(
                    [self.rule_filter, self.status_filter, self.verdict_filter, self.action_filter]
                ),
                widgets.HBox(
                    [
                        self.payment_filter,
                        self.exception_filter,
                        self.segment_filter,
                        self.segment_value_filter,
                    ]
                ),
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
                self.findings_table,
                widgets.HBox([self.drill_select, self.drill_button]),
                widgets.HBox([self.export_csv_button, self.export_excel_button]),
                self.export_message,
            ]
        )

    def _build_drill(self) -> widgets.Widget:
        self.drill_request = widgets.Text(
            description="Request id",
            continuous_update=False,
            style={"description_width": "initial"},
        )
        self.drill_request.add_class("ak-drill-request")
        self.drill_open_button = _button("Show", "ak-drill-open", "info")
        self.drill_header = _html("ak-drill-header", _message("Choose a request to see why."))
        self.drill_rules = _html("ak-drill-rules")
        self.drill_accounts = _html("ak-drill-accounts")
        self.drill_orders = _html("ak-drill-orders")
        self.drill_vouchers = _html("ak-drill-vouchers")
        self.drill_open_button.on_click(
            self._guard(
                lambda _: self.drill_down(self.drill_request.value.strip()), self.drill_header
            )
        )
        return widgets.VBox(
            [
                widgets.HBox([self.drill_request, self.drill_open_button]),
                self.drill_header,
                self.drill_rules,
                self.drill_accounts,
                self.drill_orders,
                self.drill_vouchers,
            ]
        )

    def _build_whatif(self) -> widgets.Widget:
        p = self.params
        self.wi_as_of = widgets.DatePicker(description="as_of", value=p.as_of)
        self.wi_as_of.add_class("ak-wi-as-of")
        self.wi_verified_types = widgets.Text(
            description="Verified internal types",
            value=", ".join(str(t) for t in sorted(p.verified_internal_types)),
            style={"description_width": "initial"},
        )
        self.wi_verified_types.add_class("ak-wi-verified-types")
        self.wi_open_statuses = widgets.SelectMultiple(
            description="Open order statuses",
            options=values(OrderStatus),
            value=tuple(sorted(p.open_order_statuses)),
            rows=4,
            style={"description_width": "initial"},
        )
        self.wi_open_statuses.add_class("ak-wi-open-statuses")
        self.wi_j10 = widgets.RadioButtons(
            description="J10 admin needs",
            options=[
                ("no overdue OR balance >= 0 (document)", False),
                ("no overdue AND balance >= 0 (strict)", True),
            ],
            value=p.j10_require_both,
            style={"description_width": "initial"},
        )
        self.wi_j10.add_class("ak-wi-j10")
        self.wi_q03_tiers = widgets.SelectMultiple(
            description="Q03 tiers",
            options=values(CustomerTier),
            value=tuple(sorted(p.q03_tiers)),
            rows=3,
            style={"description_width": "initial"},
        )
        self.wi_q03_tiers.add_class("ak-wi-q03-tiers")
        self.wi_settle = widgets.Checkbox(description="Settle open orders", value=False)
        self.wi_settle.add_class("ak-wi-settle")
        self.wi_top_up = widgets.Checkbox(description="Top up negative balances", value=False)
        self.wi_top_up.add_class("ak-wi-top-up")
        self.wi_vouchers = _dropdown(
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
        self.wi_bind_card = widgets.Checkbox(description="Bind a credit card", value=False)
        self.wi_bind_card.add_class("ak-wi-bind-card")
        self.wi_scope = _dropdown(
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
        self.wi_uins = widgets.Textarea(
            description="uins", placeholder="uins separated by commas or new lines", rows=2
        )
        self.wi_uins.add_class("ak-wi-uins")
        self.wi_apply_button = _button("Apply what-if", "ak-wi-apply", "primary")
        self.wi_reset_button = _button("Reset to baseline", "ak-wi-reset")
        self.wi_message = _html("ak-wi-message")
        self.wi_summary = _html("ak-wi-summary")
        self.wi_rules = _html("ak-wi-rules")
        self.wi_changed = _html("ak-wi-changed")
        self.wi_apply_button.on_click(self._guard(lambda _: self.apply_whatif(), self.wi_message))
        self.wi_reset_button.on_click(self._guard(lambda _: self.reset_whatif(), self.wi_message))
        return widgets.VBox(
            [
                _html("ak-wi-params-heading", _heading("Parameters")),
                widgets.HBox([self.wi_as_of, self.wi_verified_types]),
                widgets.HBox([self.wi_open_statuses, self.wi_q03_tiers]),
                self.wi_j10,
                _html("ak-wi-edits-heading", _heading("Scenario edits on the data")),
                widgets.HBox([self.wi_settle, self.wi_top_up, self.wi_bind_card]),
                self.wi_vouchers,
                widgets.HBox([self.wi_scope, self.wi_uins]),
                widgets.HBox([self.wi_apply_button, self.wi_reset_button]),
                self.wi_message,
                self.wi_summary,
                self.wi_rules,
                self.wi_changed,
            ]
        )

    # ---- handler plumbing ---------------------------------------------------------------

    def _guard(
        self, handler: Callable[[object], None], target: widgets.HTML | None = None
    ) -> Callable[[object], None]:
        """Show an auditkit error next to the control instead of losing it in a log."""

        def run(event: object) -> None:
            shown = target if target is not None else self.page_label
            try:
                handler(event)
            except (AuditkitError, KeyError) as error:
                message = error.args[0] if isinstance(error, KeyError) else str(error)
                shown.value = _message(str(message), error=True)

        return run

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Change several controls and refresh once."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False
        self.refresh_findings()

    def _on_filter(self, _change: object) -> None:
        if not self._muted:
            self.page = 0
            self._guard(lambda _: self.refresh_findings())(None)

    def _on_segment_filter(self, _change: object) -> None:
        with self._quiet():
            self._fill_segment_values()

    def _fill_segment_values(self) -> None:
        labels = self.findings.segment_values(self.segment_filter.value)
        self.segment_value_filter.options = [("(any)", ANY), *[(v, v) for v in labels]]
        self.segment_value_filter.value = ANY

    # ---- findings -------------------------------------------------------------------------

    def current_filter(self) -> FindingsFilter:
        """The filter the controls describe."""

        def chosen(control: widgets.Dropdown) -> object:
            return None if control.value == ANY else control.value

        return FindingsFilter(
            rule_id=chosen(self.rule_filter),
            statuses=chosen(self.status_filter),
            verdict=chosen(self.verdict_filter),
            action=chosen(self.action_filter),
            payment_mode=chosen(self.payment_filter),
            segment=self.segment_filter.value,
            segment_value=chosen(self.segment_value_filter),
            control_exceptions=chosen(self.exception_filter),
            search=self.search_box.value,
        )

    def refresh_findings(self) -> None:
        """Select and sort the findings the controls describe; show the current page."""
        selected = self.findings.select(self.current_filter())
        self.selection = self.findings.sort(
            selected, self.sort_column.value or None, self.sort_descending.value
        )
        self.show_page()

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.selection) // self.page_size.value))

    def page_positions(self) -> np.ndarray:
        size = self.page_size.value
        return self.selection[self.page * size : (self.page + 1) * size]

    def page_frame(self) -> pd.DataFrame:
        """The findings shown on the current page."""
        return self.findings.frame(self.page_positions())

    def selection_frame(self) -> pd.DataFrame:
        """Every finding of the current selection, in the shown order."""
        return self.findings.frame(self.selection)

    def turn_page(self, step: int) -> None:
        self.page = int(np.clip(self.page + step, 0, self.page_count - 1))
        self.show_page()

    def show_page(self) -> None:
        self.page = int(np.clip(self.page, 0, self.page_count - 1))
        frame = self.page_frame()
        total = len(self.selection)
        start = self.page * self.page_size.value
        self.page_label.value = _message(
            f"{total} finding(s) match; rows {start + 1 if total else 0}-{start + len(frame)}, "
            f"page {self.page + 1} of {self.page_count}"
        )
        self.findings_table.update(page_as_text(frame), **_findings_table_options(frame))
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= self.page_count - 1
        ids = list(dict.fromkeys(frame["request_id"].astype("str")))
        self.drill_select.options = ids
        self.drill_select.value = ids[0] if ids else None

    def reset_filters(self) -> None:
        with self._quiet():
            for control in (
                self.rule_filter,
                self.verdict_filter,
                self.action_filter,
                self.payment_filter,
                self.exception_filter,
                self.segment_value_filter,
                self.sort_column,
            ):
                control.value = ANY
            self.status_filter.value = (Status.FAIL.value, Status.ERROR.value)
            self.search_box.value = ""
            self.sort_descending.value = False
            self.page = 0

    def export(self, fmt: str) -> Path:
        """Write the current selection to export_dir as CSV or xlsx; show where, with a link."""
        frame = self.selection_frame()
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.export_dir / f"findings-{stamp}"
        written = export_excel(frame, path) if fmt == "xlsx" else export_csv(frame, path)
        link = ""
        if written.stat().st_size <= DOWNLOAD_LINK_MAX_BYTES:
            mime = (
                "text/csv"
                if fmt == "csv"
                else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            payload = base64.b64encode(written.read_bytes()).decode("ascii")
            link = (
                f' <a download="{html.escape(written.name)}" '
                f'href="data:{mime};base64,{payload}">download {html.escape(written.name)}</a>'
            )
        self.export_message.value = (
            f'<div class="ak-message">{html.escape(f"wrote {len(frame)} finding(s) to {written}")}'
            f"{link}</div>"
        )
        return written

    # ---- drill-down ---------------------------------------------------------------------

    def _drill_from_page(self) -> None:
        if self.drill_select.value:
            self.drill_down(self.drill_select.value)

    def drill_down(self, request_id: str) -> None:
        """Show every rule's status, reason and citation and the evidence for one request."""
        evidence = self.result.evidence(request_id)
        self.drilled = request_id
        self.drill_request.value = request_id
        case = evidence["case"]
        verdicts = self.result.verdicts
        row = verdicts[(verdicts["request_id"] == request_id).to_numpy(dtype=bool)].iloc[0]
        facts = pd.DataFrame(
            {
                "field": [*REQUEST_FIELDS, "verdict", "control_exception"],
                "value": [
                    *(case[name] for name in REQUEST_FIELDS),
                    row["verdict"],
                    row["control_exception"],
                ],
            }
        )
        self.drill_header.value = _heading(f"Request {request_id}") + html_table(
            facts, "ak-drill-facts"
        )
        self.drill_rules.value = _heading("Every rule") + html_table(
            evidence["rules"], "ak-drill-rule-table"
        )
        self.drill_accounts.value = _heading("Member and admin compared") + html_table(
            self._accounts_compared(case), "ak-drill-account-table"
        )
        orders = evidence["open_orders"]
        self.drill_orders.value = _heading(
            f"Open orders of the member ({len(orders)})"
        ) + html_table(
            pd.DataFrame(
                {
                    "order_id": orders["order_id"],
                    "order_type": orders["order_type"],
                    "order_status": orders["status"],
                    "amount": format_cents(orders["amount_cents"]),
                    "created_at": orders["created_at"],
                }
            ),
            "ak-drill-order-table",
        )
        vouchers = evidence["usable_vouchers"]
        self.drill_vouchers.value = _heading(
            f"Usable sub-customer vouchers of the member ({len(vouchers)})"
        ) + html_table(
            pd.DataFrame(
                {
                    "voucher_id": vouchers["voucher_id"],
                    "voucher_status": vouchers["status"],
                    "remaining_amount": format_cents(vouchers["remaining_amount_cents"]),
                    "expires_at": vouchers["expires_at"],
                }
            ),
            "ak-drill-voucher-table",
        )
        self.tabs.selected_index = 2

    @staticmethod
    def _accounts_compared(case: pd.Series) -> pd.DataFrame:
        rows: dict[str, list[object]] = {"attribute": [], "member": [], "admin": []}
        for name in ACCOUNT_FIELDS:
            shown = name.removesuffix("_cents")
            rows["attribute"].append(shown)
            for role in ("member", "admin"):
                if name == "uin":
                    value = case[f"{role}_uin"]
                elif not case[f"{role}_found"]:
                    value = "(not in accounts)"
                elif name.endswith("_cents"):
                    value = format_cents(int(case[f"{role}_{name}"]))
                elif isinstance(case[f"{role}_{name}"], bool | np.bool_):
                    value = str(bool(case[f"{role}_{name}"])).lower()
                else:
                    value = case[f"{role}_{name}"]
                rows[role].append(value)
        return pd.DataFrame(rows)

    # ---- what-if ----------------------------------------------------------------------------

    def whatif_params(self) -> Params:
        """The Params the what-if controls describe."""
        if self.wi_as_of.value is None:
            raise ParameterError("as_of is empty; pick a date")
        return Params(
            as_of=self.wi_as_of.value,
            verified_internal_types=parse_types(self.wi_verified_types.value),
            open_order_statuses=frozenset(self.wi_open_statuses.value),
            j10_require_both=self.wi_j10.value,
            q03_tiers=frozenset(self.wi_q03_tiers.value),
        )

    def whatif_scope(self) -> frozenset[str] | None:
        """The uins the edits touch: None for every account."""
        if self.wi_scope.value == SCOPE_SELECTION:
            return self.findings.member_uins(self.selection)
        if self.wi_scope.value == SCOPE_LISTED:
            return parse_uins(self.wi_uins.value)
        return None

    def whatif_edits(self) -> tuple[Edit, ...]:
        """The scenario edits the controls describe, in a fixed order."""
        uins = self.whatif_scope()
        edits: list[Edit] = []
        if self.wi_settle.value:
            edits.append(SettleOpenOrders(uins))
        if self.wi_top_up.value:
            edits.append(TopUpBalances(uins))
        if self.wi_vouchers.value != ANY:
            edits.append(ClearVouchers(self.wi_vouchers.value, uins))
        if self.wi_bind_card.value:
            edits.append(BindCard(uins))
        return tuple(edits)

    def apply_whatif(self) -> WhatIfDiff:
        """Recompute with the what-if controls and show the difference from the baseline."""
        start = time.perf_counter()
        self.diff = whatif(self.tables, self.result, self.whatif_params(), self.whatif_edits())
        seconds = time.perf_counter() - start
        self._show_diff(self.diff, seconds)
        return self.diff

    def reset_whatif(self) -> None:
        p = self.params
        self.wi_as_of.value = p.as_of
        self.wi_verified_types.value = ", ".join(str(t) for t in sorted(p.verified_internal_types))
        self.wi_open_statuses.value = tuple(sorted(p.open_order_statuses))
        self.wi_j10.value = p.j10_require_both
        self.wi_q03_tiers.value = tuple(sorted(p.q03_tiers))
        for box in (self.wi_settle, self.wi_top_up, self.wi_bind_card):
            box.value = False
        self.wi_vouchers.value = ANY
        self.wi_scope.value = SCOPE_ALL
        self.wi_uins.value = ""
        self.diff = None
        for shown in (self.wi_message, self.wi_summary, self.wi_rules, self.wi_changed):
            shown.value = ""

    def _show_diff(self, diff: WhatIfDiff, seconds: float) -> None:
        changes = [f"{k}: {b} -> {a}" for k, (b, a) in diff.changed_params().items()]
        changes += [edit.describe() for edit in diff.edits]
        self.wi_message.value = _message(
            f"recomputed {len(self.result.cases)} requests in {seconds:.2f}s; "
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
        self.wi_summary.value = _heading(
            f"{len(diff.changed)} request(s) changed verdict"
        ) + html_table(counts, "ak-wi-counts")
        by_rule = diff.by_rule.reset_index()
        self.wi_rules.value = _heading("Failures per rule: gained and lost") + html_table(
            by_rule, "ak-wi-rule-table"
        )
        shown = diff.changed.head(CHANGED_ROWS_SHOWN)
        more = len(diff.changed) - len(shown)
        self.wi_changed.value = (
            _heading("Requests whose verdict changed")
            + html_table(shown, "ak-wi-changed-table")
            + (_message(f"... and {more} more") if more > 0 else "")
        )


# ---- entry point for notebooks ----------------------------------------------------------


def load(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
) -> tuple[Tables, Params, str]:
    """Tables, params and a source label; environment variables fill what is not given.

    With no data directory the bundled demo data set is generated in memory.
    """
    data_dir = data_dir or os.environ.get(ENV_DATA) or None
    as_of = as_of or os.environ.get(ENV_AS_OF) or None
    if data_dir:
        tables = load_tables(data_dir)
        params = Params(as_of=as_of) if as_of else Params()
        return tables, params, str(data_dir)
    from auditkit import demo

    requests = demo_requests or int(os.environ.get(ENV_DEMO_REQUESTS) or DEFAULT_DEMO_REQUESTS)
    tables = demo.tables(requests=requests)
    return tables, Params(as_of=as_of or demo.DEFAULT_AS_OF), "the built-in demo data"


def show(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
) -> Explorer | None:
    """Build the explorer and display it; on invalid input display the problems instead."""
    from IPython.display import display

    try:
        tables, params, source = load(data_dir, as_of, demo_requests)
        explorer = Explorer(
            tables, params, source=source, export_dir=os.environ.get(ENV_EXPORTS) or None
        )
    except AuditkitError as error:
        message = error.message() if hasattr(error, "message") else str(error)
        display(widgets.HTML(f"<pre>{html.escape(message)}</pre>"))
        return None
    display(explorer.widget)
    return explorer
