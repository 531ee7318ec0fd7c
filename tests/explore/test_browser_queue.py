"""The review queue, the period and a guarded bulk change, in a real browser (Chromium, Playwright).

One `auditkit explore --db DB --user NAME` server on a demo extract of two
months judged at requested_at. Expected values come from the Python API: the
queue's order from `analysis.review_queue`, a month's counts from judging that
month's requests alone, as its report does. Screenshots go to reports/queue-*.png.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serving import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, WAIT_MS, explore_server, screenshot

import auditkit.demo as demo
from auditkit import evaluate, load_tables
from auditkit.analysis.findings import Findings, FindingsFilter
from auditkit.analysis.population import Period, in_period
from auditkit.analysis.review_queue import ReviewQueue
from auditkit.params import Params
from auditkit.review.changes import StateChange
from auditkit.review.register import Register
from auditkit.vocab import ReviewState, ReviewVia

AS_OF = dt.date(2026, 12, 1)
PARAMS = Params(as_of=AS_OF, at="requested")
PERIOD = "2026-11"
RULE = "POB-J07"
REVIEWER = "Rita Reviewer"

pytestmark = [pytest.mark.browser, pytest.mark.slow, NEEDS_CHROMIUM]


@dataclass(frozen=True)
class Expected:
    first: list[tuple[str, str, str]]  # (priority, request_id, rule_id) of the queue's first rows
    month_exceptions: dict[str, int]  # control exceptions of PERIOD, as its report counts them
    month_requests: int


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Expected, Path]]:
    work = tmp_path_factory.mktemp("explore-queue")
    demo.write(demo.generate(requests=600, as_of=AS_OF, request_months=2), work / "data")
    tables = load_tables(work / "data", require_history=True)
    result = evaluate(tables, PARAMS)
    queue = ReviewQueue(Findings(result))
    frame = queue.frame(queue.select(FindingsFilter())[:5])
    month, population = in_period(tables, Period(PERIOD), PARAMS)
    expected = Expected(
        first=list(
            zip(
                frame["priority"].astype(str),
                frame["request_id"].astype(str),
                frame["rule_id"].astype(str),
                strict=True,
            )
        ),
        month_exceptions=evaluate(month, PARAMS).exception_counts(),
        month_requests=population.in_period,
    )
    db = work / "review.db"
    options = ["--data", str(work / "data"), "--as-of", AS_OF.isoformat(), "--at", "requested"]
    options += ["--exports", str(work / "exports"), "--db", str(db), "--user", REVIEWER]
    with explore_server(work, *options) as (url, _server):
        yield url, expected, db


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1500, "height": 2000})
    page.add_init_script("window.alert = () => { window.__alerted = true; };")
    page.goto(url, timeout=WAIT_MS)
    expect(page.locator(".ak-queue-grid tbody tr").first).to_be_visible(timeout=WAIT_MS)
    return page


def test_the_page_opens_on_the_queue_riskiest_first(served, browser):
    url, expected, _db = served
    page = open_page(browser, url)
    rows = page.locator(".ak-queue-grid tbody tr")
    shown = [
        (
            row.locator("td.ak-col-priority").inner_text(),
            row.locator("td.ak-col-request_id").inner_text(),
            row.locator("td.ak-col-rule_id").inner_text(),
        )
        for row in rows.all()[: len(expected.first)]
    ]
    assert shown == expected.first
    assert shown[0][0] == "control exception"
    screenshot(page.locator(".ak-queue-tab"), "queue-opening.png")
    page.close()


def test_a_period_shows_its_reports_counts(served, browser):
    from playwright.sync_api import expect

    url, expected, _db = served
    page = open_page(browser, url)
    page.locator(".ak-period select").select_option(PERIOD)
    expect(page.locator(".ak-header")).to_contain_text(
        f"{expected.month_requests:,} requests made in {PERIOD}", timeout=WAIT_MS
    )
    expect(page.locator(".ak-queue-summary")).to_contain_text(f"of requests made in {PERIOD}")
    page.locator(".lm-TabBar-tab", has_text="Overview").click()
    for exception, n in expected.month_exceptions.items():
        row = page.locator(".ak-exception-counts-grid tbody tr", has_text=exception)
        expect(row.locator("td.ak-col-requests")).to_have_text(f"{n:,}", timeout=WAIT_MS)
    screenshot(page.locator(".ak-overview-counts"), "queue-period-overview.png")
    page.close()


def test_set_all_asks_first_and_skips_a_concluded_finding(served, browser):
    from playwright.sync_api import expect

    url, _expected, db = served
    page = open_page(browser, url)
    page.locator(".lm-TabBar-tab", has_text="Findings").click()
    page.locator(".ak-rule-filter select").select_option(RULE)
    cells = page.locator(".ak-findings-grid tbody td.ak-col-rule_id")
    expect(cells.first).to_have_text(RULE, timeout=WAIT_MS)
    expect(cells).to_have_text([RULE] * cells.count())
    label = page.locator(".ak-page-label")
    selected = int(label.inner_text().split(" finding")[0].replace(",", ""))
    first = page.locator(".ak-findings-grid tbody td.ak-col-request_id").first.inner_text()
    # Another reviewer confirms the first one, after this page opened.
    with Register.open(db) as register:
        change = StateChange(first, RULE, ReviewState.CONFIRMED, "seen by bob")
        register.apply([change], "bob", ReviewVia.CLI)
    panel = page.locator(".ak-review-findings")
    panel.locator(".ak-review-state select").select_option("under_review")
    bulk = page.locator(".ak-bulk-findings")
    bulk.locator(".ak-bulk-set-all").click()
    question = bulk.locator(".ak-bulk-question")
    expect(question).to_contain_text(
        f"Set {selected - 1} finding(s) to under_review? 1 already concluded", timeout=WAIT_MS
    )
    screenshot(bulk, "queue-bulk-question.png")
    with Register.open(db) as register:  # nothing written yet
        assert set(register.findings().query("rule_id == @RULE")["state"]) <= {"open", "confirmed"}
    bulk.locator(".ak-bulk-confirm").click()
    expect(bulk.locator(".ak-bulk-message")).to_contain_text(
        f"set {selected - 1} finding(s) to under_review (by {REVIEWER}); "
        "skipped 1 already concluded",
        timeout=WAIT_MS,
    )
    with Register.open(db) as register:
        states = register.findings().query("rule_id == @RULE").set_index("request_id")["state"]
    assert states[first] == "confirmed"
    assert (states.drop(first) == "under_review").all()
    page.close()
