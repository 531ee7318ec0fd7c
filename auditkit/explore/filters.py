"""The Findings tab's filter controls: what they offer, the filter they describe, presets.

`current_filter()` turns the widgets into an `analysis.findings.FindingsFilter`;
`preset(...)` sets them from one (an overview number clicked, a deep link,
"show every rule result of the searched requests") without re-selecting once
per widget.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import ipywidgets as widgets

from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.analysis.summaries import SEGMENTS
from auditkit.explore.controls import ANY, ANY_OPTION, chosen, dropdown, text_box
from auditkit.explore.review import review_filter_options
from auditkit.vocab import (
    Action,
    ControlException,
    DecisionCodeCheck,
    PaymentMode,
    Status,
    Verdict,
    values,
)

DEFAULT_STATUSES = (Status.FAIL.value, Status.ERROR.value)


def _options(rule_ids: list[str]) -> dict[str, list[tuple[str, object]]]:
    return {
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


class FindingsControls:
    """The filter controls; `current_filter()` is the filter they describe."""

    def __init__(self, index: Findings, rule_ids: list[str]) -> None:
        self.index = index
        self._muted = False
        options = _options(rule_ids)
        self.review_filter = dropdown(
            "Review state", review_filter_options(), ANY, "ak-review-filter", "300px"
        )
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
        self.search_box = text_box(
            "Search", "ak-search", "uin or request id (any status)", width="360px"
        )

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

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        """Change several controls without re-selecting after each."""
        self._muted = True
        try:
            yield
        finally:
            self._muted = False

    def reset(self) -> None:
        for control in self.filters:
            if control is not self.status_filter and control is not self.search_box:
                control.value = ANY
        self.status_filter.value = DEFAULT_STATUSES
        self.search_box.value = ""

    def preset(
        self,
        *,
        rule_id: str | None = None,
        statuses: tuple[str, ...] | None = DEFAULT_STATUSES,
        verdict: str | None = None,
        action: str | None = None,
        control_exceptions: tuple[str, ...] | None = None,
        segment: str | None = None,
        segment_value: str | None = None,
        search: str = "",
    ) -> None:
        """Set every control at once: the values given, the rest to no restriction."""
        with self.muted():
            self.reset()
            self.rule_filter.value = rule_id or ANY
            self.status_filter.value = ANY if statuses is None else tuple(statuses)
            self.verdict_filter.value = verdict or ANY
            self.action_filter.value = action or ANY
            self.exception_filter.value = (
                ANY if control_exceptions is None else tuple(control_exceptions)
            )
            if segment is not None:
                self.segment_filter.value = segment
                self.fill_segment_values()
                self.segment_value_filter.value = segment_value or ANY
            self.search_box.value = search


def filter_rows(controls: FindingsControls) -> list[widgets.Widget]:
    """The filter controls in three rows."""
    c = controls
    return [
        widgets.HBox([c.rule_filter, c.status_filter, c.verdict_filter, c.action_filter]),
        widgets.HBox([c.payment_filter, c.exception_filter, c.code_check_filter]),
        widgets.HBox([c.segment_filter, c.segment_value_filter, c.review_filter]),
    ]
