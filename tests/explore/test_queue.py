"""The review queue tab and the period, driven as a reviewer would, on the demo's two months.

The period test is the issue's: the explorer's counts for a month equal the
counts of that month's report (the report judges the month's requests alone,
`analysis.population.in_period`; its manifest keeps `run_summary`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import auditkit.demo as demo
from auditkit import evaluate
from auditkit.analysis.population import Period, in_period
from auditkit.analysis.review_queue import Priority
from auditkit.analysis.summaries import run_summary
from auditkit.explore.app import DRILL_TAB, QUEUE_TAB, Explorer
from auditkit.params import Params
from auditkit.review.register import Register
from auditkit.vocab import STATUS_CODE, Status

AS_OF = dt.date(2026, 12, 1)
PARAMS = Params(as_of=AS_OF, at="requested")
MONTHS = ("2026-10", "2026-11")


@pytest.fixture(scope="module")
def tables():
    """The extract `make report` writes: October and November, judged at requested_at."""
    return demo.tables(requests=2000, seed=7, as_of=AS_OF, request_months=2)


@pytest.fixture(scope="module")
def explorer(tables, tmp_path_factory):
    return Explorer(tables, PARAMS, export_dir=tmp_path_factory.mktemp("exports"))


def grid_counts(grid, key: str = "requests") -> dict[str, int]:
    column = grid.columns.index(key)
    return {row[0]: int(row[column].replace(",", "")) for row in grid.rows}


@pytest.mark.parametrize("period", MONTHS)
def test_the_counts_of_a_period_are_its_reports_counts(explorer, tables, period):
    scoped, population = in_period(tables, Period(period), PARAMS)
    report = evaluate(scoped, PARAMS)
    summary = run_summary(report)
    explorer.period.value = period
    try:
        overview = explorer.overview
        assert grid_counts(overview.verdicts) == report.verdict_counts()
        assert grid_counts(overview.exceptions) == report.exception_counts()
        failing = grid_counts(overview.rules, "fail")
        assert failing == summary["failures_by_rule"]
        assert f"{population.in_period:,} requests made in {period}" in explorer.header.value
        # The findings tab and the queue keep the same requests.
        codes = report.status_codes
        findings = int(np.isin(codes, [STATUS_CODE[Status.FAIL], STATUS_CODE[Status.ERROR]]).sum())
        assert len(explorer.findings.selection) == findings
        assert len(explorer.queue.selection) == findings  # nothing is concluded: no register
        explorer.findings.exception_filter.value = ("approved_but_ineligible",)
        shown = set(explorer.findings.selection_frame()["request_id"].astype(str))
        wrong = report.verdicts["control_exception"] == "approved_but_ineligible"
        assert shown == set(report.verdicts["request_id"][wrong].astype(str))
        checks = report.verdicts["decision_code_check"].astype(str)
        unsupported_rows = explorer.queue.queue.priority[explorer.queue.selection // 13]
        has_findings = np.isin(codes, [STATUS_CODE[Status.FAIL], STATUS_CODE[Status.ERROR]])
        assert (unsupported_rows == Priority.UNSUPPORTED_REFUSAL).sum() == has_findings[
            ((checks == "unsupported") & (report.verdicts["control_exception"] == "")).to_numpy()
        ].sum()
    finally:
        explorer.findings.reset_filters()
        explorer.period.value = ""


def test_every_month_again_shows_every_request(explorer, tables):
    explorer.period.value = MONTHS[1]
    explorer.period.value = ""
    assert sum(grid_counts(explorer.overview.verdicts).values()) == len(tables.requests)
    months = [value for _, value in explorer.period.options]
    assert months == ["", *MONTHS]


def test_the_explorer_opens_on_the_queue_riskiest_first(explorer):
    assert explorer.tabs.selected_index == QUEUE_TAB
    queue = explorer.queue
    page = queue.page_frame()
    order = [p.label for p in Priority]
    ranks = [order.index(label) for label in page["priority"].astype(str)]
    assert ranks == sorted(ranks) and ranks[0] == Priority.CONTROL_EXCEPTION
    frame = queue.queue.frame(queue.selection)
    ranks = frame["priority"].cat.codes.to_numpy()
    assert np.all(np.diff(ranks) >= 0)
    for rank in np.unique(ranks):  # within a priority: most money at stake first
        cents = frame["at_stake_cents"].to_numpy()[ranks == rank]
        assert np.all(np.diff(cents) <= 0)
    assert "control exception(s)" in queue.summary.value
    # A row opens its request's drill-down.
    queue.table.click(0)
    assert explorer.tabs.selected_index == DRILL_TAB
    assert explorer.drill.shown == str(page["request_id"].iloc[0])


def test_the_priority_filter_and_the_requests_to_look_into(explorer):
    queue = explorer.queue
    queue.priority_filter.value = (int(Priority.UNSUPPORTED_REFUSAL),)
    try:
        assert set(queue.selection_frame()["priority"].astype(str)) == {"unsupported refusal"}
    finally:
        queue.priority_filter.value = ""
    looked = queue.look_into.selection_frame()
    assert len(looked) and set(looked["verdict"].astype(str)) == {"eligible"}
    assert "have no failing rule to conclude on" in queue.look_heading.value


@pytest.fixture
def reviewed(tmp_path):
    register = Register.open(tmp_path / "review.db")
    ex = Explorer(
        demo.tables(requests=200),
        Params(as_of=demo.DEFAULT_AS_OF),
        export_dir=tmp_path / "exports",
        register=register,
        reviewer="alice",
    )
    yield ex
    register.close()


def test_a_concluded_finding_leaves_the_queue(reviewed):
    queue = reviewed.queue
    first = queue.review.finding.value
    before = len(queue.selection)
    queue.review.state.value = "false_positive"
    queue.review.set_one.click()
    assert len(queue.selection) == before - 1
    assert first not in queue.review.board.keys(queue.selection)
    queue.review.state.value = "under_review"  # not a conclusion: stays in the queue
    second = queue.review.finding.value
    queue.review.set_one.click()
    assert second in queue.review.board.keys(queue.selection)
