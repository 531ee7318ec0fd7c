"""A reviewer sets a finding's state in the explorer, in a real browser, and sees it in the history.

Starts `auditkit explore --db DB --user NAME` as a subprocess on a small demo
set and drives Debian's Chromium with Playwright (as test_browser.py does).
The screenshot is saved as reports/explorer-review.png.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from serving import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, ROOT, WAIT_MS, explore_server

import auditkit.demo as demo
from auditkit import evaluate
from auditkit.params import Params
from auditkit.review.register import Register
from auditkit.review.states import finding_keys

RULE = "POB-J07"
REVIEWER = "Rita Reviewer"
NOTE = "<b>confirmed</b> with the billing team"
PARAMS = Params(as_of=demo.DEFAULT_AS_OF)

pytestmark = [pytest.mark.browser, pytest.mark.slow, NEEDS_CHROMIUM]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, tuple[str, str]]]:
    work = tmp_path_factory.mktemp("explore-review")
    demo.write(demo.generate(requests=200), work / "data")
    result = evaluate(demo.tables(requests=200), PARAMS)
    keys = finding_keys(result)
    first = tuple(keys[keys["rule_id"] == RULE].iloc[0])
    db = work / "review.db"
    options = ["--data", str(work / "data"), "--as-of", PARAMS.as_of.isoformat()]
    options += ["--exports", str(work / "exports"), "--db", str(db), "--user", REVIEWER]
    with explore_server(work, *options) as (url, _server):
        yield url, db, first


def test_reviewer_sets_a_state_and_sees_it_in_the_history(served, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    url, db, (request_id, rule_id) = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1300})
            page.add_init_script("window.alert = () => { window.__alerted = true; };")
            page.goto(url, timeout=WAIT_MS)
            expect(page.locator(".ak-queue-grid table").first).to_be_visible(timeout=WAIT_MS)
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
            shot = tmp_path / "explorer-review.png"
            page.screenshot(path=str(shot), full_page=True)
            reports = ROOT / "reports"
            reports.mkdir(exist_ok=True)
            shutil.copyfile(shot, reports / "explorer-review.png")
        finally:
            browser.close()

    with Register.open(db) as register:
        log = register.history(request_id, rule_id)
    assert log[["to_state", "changed_by", "note", "via"]].values.tolist() == [
        ["confirmed", REVIEWER, NOTE, "explorer"]
    ]
