"""`auditkit explore` in a real browser: filter, drill down, run a what-if, see the diff; and
a reviewer sets a finding's state and sees it in the history.

Starts the CLI (`--db DB --user NAME`) as a subprocess on a small demo set (two
members' enterprise_id is markup on purpose) and drives Debian's Chromium with
Playwright; the two tests share the server. The expected numbers are computed in
this process with the Python API. The findings page is an itables `ITable` (an
anywidget), so this also checks that its front end loads under Voilà. Screenshots
are saved as reports/explorer-screenshot.png, explorer-findings.png and
explorer-review.png.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NEEDS_CHROMIUM,
    WAIT_MS,
    explore_server,
    screenshot,
)

import auditkit.demo as demo
from auditkit import POB, evaluate, load_tables
from auditkit.analysis.whatif import SettleOpenOrders, whatif
from auditkit.params import Params
from auditkit.review.register import Register
from auditkit.review.states import finding_keys
from auditkit.vocab import STATUS_CODE, Status

SCRIPT = "<script>alert(1)</script>"
BOLD = "<b>x</b>"
RULE = "POB-J07"
SAME_ENTERPRISE = "POB-J01"  # its reason quotes the member's enterprise_id
PAGE_ROWS = 25  # the explorer's default page size
PARAMS = Params(as_of=demo.DEFAULT_AS_OF)
REVIEWER = "Rita Reviewer"
NOTE = "<b>confirmed</b> with the billing team"

pytestmark = [pytest.mark.browser, pytest.mark.slow, NEEDS_CHROMIUM]


@dataclass(frozen=True)
class Expected:
    """What the page must show, computed with the Python API on the same data."""

    rule_findings: int
    first_request: str
    first_reason: str
    whatif_changed: int
    # (request_id, reason) of a SAME_ENTERPRISE failure quoting each markup enterprise_id
    markup_findings: tuple[tuple[str, str], ...]
    first_finding: tuple[str, str]  # (request_id, rule_id) of RULE's first finding


def _data_set(folder: Path) -> Expected:
    """An 800-request demo set whose first two members failing RULE have markup as
    enterprise_id (the realistic demo month fails POB-J07 about once in 160 requests)."""
    raw = demo.generate(requests=800)
    demo.write(raw, folder)
    result = evaluate(load_tables(folder), PARAMS, POB)
    j = result.rule_ids.index(RULE)
    failing = (result.status_codes[:, j] == STATUS_CODE[Status.FAIL]) & result.cases[
        "member_found"
    ].to_numpy()
    members = result.cases["member_uin"][failing].drop_duplicates().iloc[:2].tolist()
    accounts = raw["accounts"]
    for member, markup in zip(members, (SCRIPT, BOLD), strict=True):
        at = accounts["uin"] == member
        accounts.loc[at, "identity_type"] = "enterprise"
        accounts.loc[at, "enterprise_id"] = markup
    demo.write(raw, folder)

    tables = load_tables(folder)
    result = evaluate(tables, PARAMS, POB)
    codes = result.status_codes[:, j]
    hit = (codes == STATUS_CODE[Status.FAIL]) | (codes == STATUS_CODE[Status.ERROR])
    first = int(hit.argmax())
    reason = str(result.reason_texts[result.reason_codes[first, j]])
    strict = whatif(tables, result, PARAMS.replace(j10_require_both=True), [SettleOpenOrders()])
    same = result.rule_ids.index(SAME_ENTERPRISE)
    markup_findings = []
    for member, markup in zip(members, (SCRIPT, BOLD), strict=True):
        at = (result.cases["member_uin"] == member).to_numpy() & (
            result.status_codes[:, same] == STATUS_CODE[Status.FAIL]
        )
        row = int(at.argmax())
        text = str(result.reason_texts[result.reason_codes[row, same]])
        assert at.any() and markup in text, f"no {SAME_ENTERPRISE} failure quotes {markup}"
        markup_findings.append((str(result.cases["request_id"].iloc[row]), text))
    keys = finding_keys(result)
    return Expected(
        rule_findings=int(hit.sum()),
        first_request=str(result.cases["request_id"].iloc[first]),
        first_reason=reason,
        whatif_changed=len(strict.changed),
        markup_findings=tuple(markup_findings),
        first_finding=tuple(keys[keys["rule_id"] == RULE].iloc[0]),
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Expected, Path]]:
    work = tmp_path_factory.mktemp("explore")
    expected = _data_set(work / "data")
    db = work / "review.db"
    options = ["--data", str(work / "data"), "--as-of", PARAMS.as_of.isoformat()]
    options += ["--exports", str(work / "exports"), "--db", str(db), "--user", REVIEWER]
    with explore_server(work, *options) as (url, _server):
        yield url, expected, db


def open_page(browser, url: str, height: int):
    """A page of the explorer, open on its review queue; an alert() only sets a flag."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1500, "height": height})
    page.add_init_script("window.alert = () => { window.__alerted = true; };")
    page.goto(url, timeout=WAIT_MS)
    expect(page.locator(".ak-queue-grid table").first).to_be_visible(timeout=WAIT_MS)
    return page


def test_filter_drill_down_and_whatif_in_chromium(served, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    url, expected, _db = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = open_page(browser, url, height=1100)
            assert "import auditkit" not in page.content()  # Voilà shows no code

            # Findings: filter by one rule; the table shows the first page of its findings.
            findings_tab = page.locator(".lm-TabBar-tab", has_text="Findings")
            findings_tab.click()
            page.locator(".ak-rule-filter select").select_option(RULE)
            expect(page.locator(".ak-page-label")).to_contain_text(
                f"{expected.rule_findings} finding(s) match", timeout=WAIT_MS
            )
            table = page.locator(".ak-findings-grid table")
            shown = min(expected.rule_findings, PAGE_ROWS)
            expect(table.locator("tbody td.ak-col-rule_id")).to_have_text(
                [RULE] * shown, timeout=WAIT_MS
            )
            expect(table.locator("tbody td.ak-col-request_id").first).to_have_text(
                expected.first_request
            )
            expect(table.locator("tbody td.ak-col-reason").first).to_have_text(
                expected.first_reason
            )

            # Drill-down of the first request on the page (a click on its row): every rule.
            table.locator("tbody tr").first.click()
            rules = page.locator(".ak-drill-rules")
            expect(rules).to_be_visible(timeout=WAIT_MS)
            expect(rules).to_contain_text(expected.first_reason, timeout=WAIT_MS)
            expect(rules).to_contain_text("POB-Q03")
            expect(page.locator(".ak-drill-header")).to_contain_text(expected.first_request)
            expect(page.locator(".ak-drill-orders")).to_contain_text("ORD-")
            # The member's enterprise_id is markup: it must read as text.
            expect(page.locator(".ak-drill-accounts")).to_contain_text(SCRIPT)
            page.screenshot(path=str(tmp_path / "explorer-drill-down.png"), full_page=True)

            # Markup quoted in a reason reads as text in the findings table, never as markup.
            findings_tab.click()
            page.locator(".ak-rule-filter select").select_option(SAME_ENTERPRISE)
            for request_id, reason in expected.markup_findings:
                search = page.locator(".ak-search input")
                search.fill(request_id)
                search.press("Enter")
                expect(table.locator("tbody td.ak-col-request_id")).to_have_text(
                    [request_id], timeout=WAIT_MS
                )
                expect(table.locator("tbody td.ak-col-reason")).to_have_text(reason)
                assert table.locator("tbody script, tbody b, tbody img").count() == 0
                assert table.locator("tbody td.ak-col-reason").first.inner_html() == html.escape(
                    reason, quote=False
                )
            screenshot(page, "explorer-findings.png")

            # What-if: read J10 strictly and settle open orders, then apply.
            page.locator(".lm-TabBar-tab", has_text="What-if").click()
            page.locator(".ak-wi-j10 label", has_text="strict").locator("input").check()
            page.locator(".ak-wi-settle input[type=checkbox]").check()
            page.locator(".ak-wi-apply").click()
            summary = page.locator(".ak-wi-summary")
            expect(summary).to_contain_text(
                f"{expected.whatif_changed} request(s) changed verdict", timeout=WAIT_MS
            )
            expect(page.locator(".ak-wi-rules")).to_contain_text("gained")
            expect(page.locator(".ak-wi-message")).to_contain_text("j10_require_both")

            assert page.evaluate("window.__alerted === true") is False
            screenshot(page, "explorer-screenshot.png")
        finally:
            browser.close()


def test_reviewer_sets_a_state_and_sees_it_in_the_history(served, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    url, expected, db = served
    request_id, rule_id = expected.first_finding
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = open_page(browser, url, height=1300)
            page.locator(".lm-TabBar-tab", has_text="Findings").click()
            page.locator(".ak-rule-filter select").select_option(RULE)
            table = page.locator(".ak-findings-grid table")
            expect(table.locator("tbody td.ak-col-request_id").first).to_have_text(
                request_id, timeout=WAIT_MS
            )
            expect(table.locator("tbody td.ak-col-review_state").first).to_have_text("open")
            panel = page.locator(".ak-review-findings")
            expect(panel.locator(".ak-review-header")).to_contain_text(f"Reviewer: {REVIEWER}")

            # The first finding on the page is offered first; confirm it with a note.
            expect(panel.locator(".ak-review-finding select")).to_contain_text(
                f"{request_id} · {rule_id} (open)", timeout=WAIT_MS
            )
            panel.locator(".ak-review-state select").select_option("confirmed")
            note = panel.locator(".ak-review-note input")
            note.fill(NOTE)
            note.press("Tab")
            panel.locator(".ak-review-set").click()
            expect(panel.locator(".ak-review-message")).to_contain_text(
                f"{request_id} {rule_id}: open -> confirmed (by {REVIEWER})", timeout=WAIT_MS
            )
            history = panel.locator(".ak-review-history")
            expect(history).to_contain_text(f"History of {request_id} {rule_id} (now confirmed)")
            expect(history.locator("td.ak-col-to_state")).to_have_text(["confirmed"])
            expect(history.locator("td.ak-col-changed_by")).to_have_text([REVIEWER])
            expect(history.locator("td.ak-col-note")).to_have_text([NOTE])  # text, not markup
            assert history.locator("b").count() == 0
            expect(table.locator("tbody td.ak-col-review_state").first).to_have_text("confirmed")

            # Filter by review state: only the confirmed finding is left.
            page.locator(".ak-review-filter select").select_option(label="confirmed")
            expect(page.locator(".ak-page-label")).to_contain_text(
                "1 finding(s) match", timeout=WAIT_MS
            )
            assert page.evaluate("window.__alerted === true") is False
            screenshot(page, "explorer-review.png")
        finally:
            browser.close()

    with Register.open(db) as register:
        log = register.history(request_id, rule_id)
    assert log[["to_state", "changed_by", "note", "via"]].values.tolist() == [
        ["confirmed", REVIEWER, NOTE, "explorer"]
    ]
