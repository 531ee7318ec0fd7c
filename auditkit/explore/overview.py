"""The Overview tab: requests by verdict and action, control exceptions, failures, segments."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from auditkit.analysis import summaries
from auditkit.engine.result import AuditResult
from auditkit.explore.controls import dropdown, html_box
from auditkit.render.charts import failures_chart
from auditkit.render.html import heading, png, table


def _counts(counts: dict[str, int], key: str) -> pd.DataFrame:
    return pd.DataFrame({key: list(counts), "requests": list(counts.values())})


class OverviewTab:
    """Counts of one evaluation; the segment breakdown follows its dropdown."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
        by_action = summaries.verdicts_by_action(result)
        by_action.columns = by_action.columns.astype("str")
        self.counts = html_box(
            "ak-overview-counts",
            heading("Requests by verdict", 4)
            + table(_counts(result.verdict_counts(), "verdict"), css_class="ak-verdict-counts")
            + heading("By action and verdict", 4)
            + table(by_action, css_class="ak-action-counts", index=True)
            + heading("Control exceptions (platform decision contradicts the verdict)", 4)
            + table(
                _counts(result.exception_counts(), "control_exception"),
                css_class="ak-exception-counts",
            ),
        )
        chart = failures_chart(result.rule_counts(), title="Failures by rule")
        self.failures_chart = widgets.Image(value=png(chart, dpi=96), format="png")
        self.failures_chart.add_class("ak-failures-chart")
        self.failures_table = html_box(
            "ak-failures-table",
            heading("Rules", 4)
            + table(summaries.failures_by_rule(result), css_class="ak-rules", index=True),
        )
        self.segment_select = dropdown(
            "Segment",
            list(summaries.SEGMENTS),
            summaries.SEGMENTS[0],
            "ak-segment-select",
            "260px",
        )
        self.segment_table = html_box("ak-segment-table")
        self.segment_select.observe(lambda _: self.show_segments(), names="value")
        self.show_segments()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.counts, self.failures_chart]),
                self.failures_table,
                html_box("ak-segment-heading", heading("Breakdown by member segment", 4)),
                self.segment_select,
                self.segment_table,
            ]
        )

    def show_segments(self) -> None:
        frame = summaries.segment_breakdown(self.result, self.segment_select.value)
        self.segment_table.value = table(frame, css_class="ak-segments", index=True)
