"""The explorer a reviewer lives in, in a real browser (Chromium driven by Playwright).

One `auditkit explore` server on a 300-request demo set judged at requested_at,
with a pre-started kernel. Each test opens its own page, as a reviewer would:
click a finding, search an eligible member's uin, click an overview number,
follow deep links, watch a what-if run, download an export. Screenshots go to
reports/explorer-*.png; the expected values come from the Python API.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NEEDS_CHROMIUM,
    WAIT_MS,
    address,
    explore_server,
    screenshot,
)

import auditkit.demo as demo
from auditkit import evaluate, load_tables
from auditkit.params import Params
from auditkit.vocab import STATUS_CODE, VERDICT_CODE, Status, Verdict

PARAMS = Params(as_of=demo.DEFAULT_AS_OF, at="requested")

pytestmark = [pytest.mark.browser, pytest.mark.slow, NEEDS_CHROMIUM]


@dataclass(frozen=True)
class Expected:
    ineligible: int  # requests
    ineligible_failures: int  # their failing rule results
    eligible_uin: str  # a member whose every request is eligible
    eligible_requests: int
    member_request: str  # the first request of that member


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Expected, Path]]:
    work = tmp_path_factory.mktemp("explorer")
    demo.write(demo.generate(requests=300), work / "data")
    result = evaluate(load_tables(work / "data", require_history=True), PARAMS)
    cases, verdicts = result.cases, result.verdict_codes
    ineligible = verdicts == VERDICT_CODE[Verdict.INELIGIBLE]
    eligible_members = cases["member_uin"][verdicts == VERDICT_CODE[Verdict.ELIGIBLE]]
    mixed = set(cases["member_uin"][verdicts != VERDICT_CODE[Verdict.ELIGIBLE]])
    uin = next(u for u in eligible_members if u not in mixed and u not in set(cases["admin_uin"]))
    mine = cases["member_uin"] == uin
    expected = Expected(
        ineligible=int(ineligible.sum()),
        ineligible_failures=int(
            (result.status_codes[ineligible] == STATUS_CODE[Status.FAIL]).sum()
        ),
        eligible_uin=uin,
        eligible_requests=int(mine.sum()),
        member_request=str(cases["request_id"][mine].iloc[0]),
    )
    options = ["--data", str(work / "data"), "--as-of", PARAMS.as_of.isoformat()]
    options += ["--at", "requested", "--exports", str(work / "exports"), "--preheat", "1"]
    with explore_server(work, *options) as (url, _server):
        yield url, expected, work


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, url: str):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1500, "height": 2000}, accept_downloads=True)
    page.add_init_script("window.alert = () => { window.__alerted = true; };")
    page.goto(url, timeout=WAIT_MS)
    # Usable: the explorer is on the page (a deep link may have opened another tab than Overview).
    expect(page.locator(".ak-verdict-counts-grid td.ak-link").first).to_be_attached(timeout=WAIT_MS)
    return page


def test_clicking_a_finding_opens_its_drill_down(served, browser):
    from playwright.sync_api import expect

    url, _expected, _work = served
    page = open_page(browser, url)
    page.locator(".lm-TabBar-tab", has_text="Findings").click()
    rows = page.locator(".ak-findings-grid tbody tr")
    request_id = rows.first.locator("td.ak-col-request_id").inner_text()
    rule_id = rows.first.locator("td.ak-col-rule_id").inner_text()
    rows.first.click()
    expect(page.locator(".ak-drill-header")).to_contain_text(
        f"Request {request_id}", timeout=WAIT_MS
    )
    failing = page.locator(".ak-drill-rule-table tr.ak-status-fail td.ak-col-rule_id")
    expect(failing.first).to_be_visible()
    assert (
        rule_id in failing.all_inner_texts()
        or rule_id
        in page.locator(
            ".ak-drill-rule-table tr.ak-status-error td.ak-col-rule_id"
        ).all_inner_texts()
    )
    # What the failing rules compared is marked: a failed value row, or the heading of the orders.
    marked = (
        page.locator(".ak-drill-tab tr.ak-failed").count()
        + page.locator(
            ".ak-drill-orders h4, .ak-drill-vouchers h4", has_text="fails on these"
        ).count()
    )
    assert marked > 0
    screenshot(page.locator(".ak-drill-tab"), "explorer-click-drill-down.png")

    # A header click sorts the whole selection; again, the other way round.
    page.locator(".lm-TabBar-tab", has_text="Findings").click()
    header = page.locator(".ak-findings-grid th.ak-col-request_id")
    header.click()
    expect(header).to_have_class("ak-col-request_id ak-sortable ak-sorted-asc", timeout=WAIT_MS)
    header.click()
    expect(header).to_have_class("ak-col-request_id ak-sortable ak-sorted-desc", timeout=WAIT_MS)
    # The header's class changes at the click; the rows when the kernel has sent the page.
    cells = page.locator(".ak-findings-grid tbody td.ak-col-request_id")
    page.wait_for_function(
        """() => {
            const ids = [...document.querySelectorAll(
                ".ak-findings-grid tbody td.ak-col-request_id")].map(cell => cell.innerText);
            return ids.length > 1 && ids.every((id, i) => i === 0 || ids[i - 1] >= id);
        }""",
        timeout=WAIT_MS,
    )
    ids = cells.all_inner_texts()
    assert ids == sorted(ids, reverse=True)
    # Jump to a page by number.
    page.locator(".ak-page-number input").fill("3")
    page.locator(".ak-page-go").click()
    expect(page.locator(".ak-page-label")).to_contain_text("page 3 of", timeout=WAIT_MS)
    page.close()


def test_a_uin_search_finds_an_eligible_member(served, browser):
    from playwright.sync_api import expect

    url, expected, _work = served
    page = open_page(browser, url)
    page.locator(".lm-TabBar-tab", has_text="Findings").click()
    search = page.locator(".ak-search input")
    search.fill(expected.eligible_uin)
    search.press("Enter")
    hint = page.locator(".ak-search-hint")
    results = expected.eligible_requests * 13
    expect(hint).to_contain_text(
        f"names {expected.eligible_requests} request(s) with {results} rule result(s); "
        f"the filters hide {results}",
        timeout=WAIT_MS,
    )
    expect(page.locator(".ak-page-label")).to_contain_text("0 finding(s) match")
    screenshot(page, "explorer-uin-search-hint.png")
    page.locator(".ak-show-all").click()
    expect(page.locator(".ak-page-label")).to_contain_text(
        f"{results} finding(s) match", timeout=WAIT_MS
    )
    statuses = set(page.locator(".ak-findings-grid tbody td.ak-col-status").all_inner_texts())
    assert statuses <= {"pass", "not_applicable"}
    screenshot(page, "explorer-uin-search.png")
    page.locator(".ak-open-member").click()
    expect(page.locator(".ak-member-header")).to_contain_text(
        f"uin {expected.eligible_uin}", timeout=WAIT_MS
    )
    expect(page.locator(".ak-member-requests-grid tbody tr").first).to_contain_text("eligible")
    expect(page.locator(".ak-member-states")).to_contain_text("at each requested_at")
    screenshot(page.locator(".ak-member-tab"), "explorer-member.png")
    page.close()


def test_an_overview_number_opens_its_findings(served, browser):
    from playwright.sync_api import expect

    url, expected, _work = served
    page = open_page(browser, url)
    page.locator(".lm-TabBar-tab", has_text="Overview").click()
    count = page.locator(".ak-verdict-counts-grid tbody tr", has_text="ineligible").locator(
        "td.ak-link"
    )
    expect(count).to_have_text(f"{expected.ineligible:,}")
    count.click()
    expect(page.locator(".ak-page-label")).to_contain_text(
        f"{expected.ineligible_failures} finding(s) match", timeout=WAIT_MS
    )
    expect(page.locator(".ak-verdict-filter select")).to_have_value("ineligible")
    verdicts = set(page.locator(".ak-findings-grid tbody td.ak-col-verdict").all_inner_texts())
    assert verdicts == {"ineligible"}
    screenshot(page, "explorer-overview-click.png")
    page.close()


def test_deep_links_open_one_case(served, browser):
    from playwright.sync_api import expect

    url, expected, _work = served
    page = open_page(browser, address(url, request=expected.member_request.lower()))
    expect(page.locator(".ak-drill-header")).to_contain_text(
        f"Request {expected.member_request}", timeout=WAIT_MS
    )
    page.close()
    page = open_page(browser, address(url, member=expected.eligible_uin))
    expect(page.locator(".ak-member-header")).to_contain_text(
        f"uin {expected.eligible_uin}", timeout=WAIT_MS
    )
    screenshot(page, "explorer-deep-link-member.png")
    page.close()


def test_a_busy_indicator_shows_during_what_if(served, browser):
    from playwright.sync_api import expect

    url, _expected, _work = served
    page = open_page(browser, url)
    page.locator(".lm-TabBar-tab", has_text="What-if").click()
    # Record, from the page itself, what the reviewer sees while the what-if runs.
    page.evaluate(
        """() => {
        window.__busy = [];
        const watched = document.querySelector('.ak-wi-message');
        new MutationObserver(() => {
            if (watched.querySelector('.ak-spinner')) {
                const apply = document.querySelector('.ak-wi-apply');
                const reset = document.querySelector('.ak-wi-reset');
                window.__busy.push([apply.disabled, reset.disabled, watched.innerText]);
            }
        }).observe(watched, {childList: true, subtree: true, characterData: true});
    }"""
    )
    page.locator(".ak-wi-settle input[type=checkbox]").check()
    page.locator(".ak-wi-j10 label", has_text="strict").locator("input").check()
    page.locator(".ak-wi-apply").click()
    expect(page.locator(".ak-wi-message .ak-spinner")).to_be_visible(timeout=WAIT_MS)
    screenshot(page, "explorer-whatif-busy.png")
    expect(page.locator(".ak-wi-summary")).to_contain_text("changed verdict", timeout=WAIT_MS)
    busy = page.evaluate("window.__busy")
    assert busy and all(apply and reset for apply, reset, _ in busy)
    assert any("300 requests" in words for *_, words in busy)
    expect(page.locator(".ak-wi-apply")).to_be_enabled()

    # Name it, save it, and compare it with the baseline.
    page.locator(".ak-sc-name input").fill("strict J10, orders settled")
    page.locator(".ak-sc-name input").press("Tab")
    page.locator(".ak-sc-save").click()
    expect(page.locator(".ak-sc-message")).to_contain_text("with its outcome", timeout=WAIT_MS)
    page.locator(".ak-sc-saved select").select_option("strict J10, orders settled")
    page.locator(".ak-sc-compare").click()
    expect(page.locator(".ak-sc-table")).to_contain_text("requests changing verdict")
    screenshot(page.locator(".ak-scenarios"), "explorer-whatif-scenarios.png")
    page.close()


def test_exports_are_written_on_the_server_and_linked(served, browser):
    from playwright.sync_api import expect

    url, _expected, work = served
    page = open_page(browser, url)
    page.locator(".lm-TabBar-tab", has_text="Findings").click()
    page.locator(".ak-export-csv").click()
    link = page.locator(".ak-export-message a.ak-export-link")
    expect(link).to_be_visible(timeout=WAIT_MS)
    href = link.get_attribute("href")
    assert href.startswith("auditkit/exports/findings-") and "base64" not in href
    with page.expect_download(timeout=WAIT_MS) as download:
        link.click()
    (written,) = (work / "exports").glob("*.csv")
    assert Path(download.value.path()).read_bytes() == written.read_bytes()
    page.close()
    # Only files named as the explorer names them, and never without the token.
    for path, token in (
        ("auditkit/exports/server.log", True),
        ("auditkit/exports/../data/requests.csv", True),
        (href, False),
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(address(url, path, token=token), timeout=10)
        assert refused.value.code in ((403, 404) if token else (403,)), path
