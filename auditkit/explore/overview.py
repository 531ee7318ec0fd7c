"""The Overview tab: requests by verdict and action, control exceptions, failures, segments.

Every count is a link: clicking it opens the Findings tab on the findings it
counts (`open_findings(**preset)`, see `explore.filters.FindingsControls.preset`).
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd

from auditkit.analysis import summaries
from auditkit.engine.result import AuditResult
from auditkit.explore.controls import dropdown, html_box
from auditkit.explore.grid import Grid
from auditkit.render.html import heading, message, png
from auditkit.vocab import ControlException, Status, Verdict, values

OpenFindings = Callable[..., None]
# The findings behind a verdict count: an eligible request has no fail or error to show.
VERDICT_STATUSES: dict[str, tuple[str, ...] | None] = {
    Verdict.ELIGIBLE: None,
    Verdict.INELIGIBLE: (Status.FAIL.value,),
    Verdict.UNKNOWN: (Status.ERROR.value,),
}
EXCEPTION_STATUSES: dict[str, tuple[str, ...] | None] = {
    ControlException.APPROVED_BUT_INELIGIBLE: (Status.FAIL.value,),
    ControlException.REJECTED_BUT_ELIGIBLE: None,
}


def _counts(counts: dict[str, int], key: str) -> pd.DataFrame:
    return pd.DataFrame({key: list(counts), "requests": list(counts.values())})


def _heading(css: str, title: str) -> widgets.HTML:
    return html_box(css, heading(title, 4))


class OverviewTab:
    """Counts of one evaluation; the segment breakdown follows its dropdown."""

    def __init__(self, result: AuditResult, open_findings: OpenFindings | None = None) -> None:
        self.result = result
        self.open_findings = open_findings or (lambda **_: None)
        self.verdicts = Grid(css="ak-verdict-counts")
        self.verdicts.show(_counts(result.verdict_counts(), "verdict"))
        self.verdicts.on_cell_click(["requests"], self._verdict_clicked)
        by_action = summaries.verdicts_by_action(result)
        by_action.columns = by_action.columns.astype("str")
        self.by_action = Grid(css="ak-action-counts")
        self.by_action.show(by_action.reset_index())
        self.by_action.on_cell_click(values(Verdict), self._action_clicked)
        self.exceptions = Grid(css="ak-exception-counts")
        self.exceptions.show(_counts(result.exception_counts(), "control_exception"))
        self.exceptions.on_cell_click(["requests"], self._exception_clicked)
        from auditkit.render.charts import failures_chart  # matplotlib: only once drawn

        counts = result.rule_counts()  # counted once: the table and the chart both show them
        self.rules = Grid(css="ak-rules")
        self.rules.show(summaries.failures_by_rule(result, counts).reset_index())
        self.rules.on_cell_click(values(Status), self._rule_clicked)
        chart = failures_chart(counts, title="Failures by rule")
        self.failures_chart = widgets.Image(
            value=png(chart, dpi=96), format="png", layout=widgets.Layout(width="760px")
        )
        self.failures_chart.add_class("ak-failures-chart")
        self.segment_select = dropdown(
            "Segment",
            list(summaries.SEGMENTS),
            summaries.SEGMENTS[0],
            "ak-segment-select",
            "260px",
        )
        self.segments = Grid(css="ak-segments")
        self.segments.on_cell_click(
            ["requests", *values(Verdict), *result.rule_ids], self._segment_clicked
        )
        self.segment_select.observe(lambda _: self.show_segments(), names="value")
        self.show_segments()
        counts = widgets.VBox(
            [
                _heading("ak-counts-heading", "Requests by verdict"),
                self.verdicts,
                _heading("ak-action-heading", "By action and verdict"),
                self.by_action,
                _heading(
                    "ak-exception-heading",
                    "Control exceptions (platform decision contradicts the verdict)",
                ),
                self.exceptions,
            ],
            layout=widgets.Layout(width="480px"),
        )
        counts.add_class("ak-overview-counts")
        self.widget = widgets.VBox(
            [
                html_box("ak-overview-note", message("Click a number to see its findings.")),
                widgets.HBox([counts, self.failures_chart]),
                _heading("ak-rules-heading", "Rules"),
                self.rules,
                _heading("ak-segment-heading", "Breakdown by member segment"),
                self.segment_select,
                self.segments,
            ]
        )

    def show_segments(self) -> None:
        frame = summaries.segment_breakdown(self.result, self.segment_select.value)
        self.segment_frame = frame.reset_index()
        self.segments.show(self.segment_frame)

    # ---- click-through ---------------------------------------------------------------

    def _verdict_clicked(self, row: int, _column: str) -> None:
        verdict = values(Verdict)[row]
        self.open_findings(verdict=verdict, statuses=VERDICT_STATUSES[verdict])

    def _action_clicked(self, row: int, verdict: str) -> None:
        action = self.by_action.rows[row][0]
        self.open_findings(action=action, verdict=verdict, statuses=VERDICT_STATUSES[verdict])

    def _exception_clicked(self, row: int, _column: str) -> None:
        exception = values(ControlException)[row]
        self.open_findings(control_exceptions=(exception,), statuses=EXCEPTION_STATUSES[exception])

    def _rule_clicked(self, row: int, status: str) -> None:
        rule_id = self.rules.rows[row][0]
        self.open_findings(rule_id=rule_id, statuses=(status,))

    def _segment_clicked(self, row: int, column: str) -> None:
        segment = self.segment_select.value
        value = str(self.segment_frame.iloc[row, 0])
        if column in values(Verdict):
            self.open_findings(
                segment=segment,
                segment_value=value,
                verdict=column,
                statuses=VERDICT_STATUSES[column],
            )
        elif column in self.result.rule_ids:
            self.open_findings(
                segment=segment, segment_value=value, rule_id=column, statuses=("fail",)
            )
        else:
            self.open_findings(segment=segment, segment_value=value, statuses=None)
