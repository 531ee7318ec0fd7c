"""Sessions are bounded: idle kernels of closed pages are culled, and their number is capped.

`auditkit explore --cull-idle 3 --max-sessions 2 --preheat 0` on a small demo
set; pages are opened in Chromium and closed the way a crashed or killed tab
goes (no `beforeunload`, so Voilà's own shut-down request is never sent): only
the culler or the cap can end their kernels. Kernels are counted as the
server's ipykernel child processes. The second test's server (`--preheat 1`) is
started by the first test when it begins to wait for the culler, so that it
starts meanwhile.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from serving import (
    CHROMIUM,
    CHROMIUM_ARGS,
    NEEDS_CHROMIUM,
    WAIT_MS,
    explore_server,
    kernel_ids,
    kernels,
    starting_server,
)

import auditkit.demo as demo

pytestmark = [pytest.mark.browser, pytest.mark.slow, NEEDS_CHROMIUM]
CULL_WAIT_SECONDS = 60
CULL_IDLE = 3  # --cull-idle: the server then looks every CULL_INTERVAL seconds
CULL_INTERVAL = 1  # handlers.culling_argv: max(1, min(60, cull_idle // 2))


def _kernel_state(url: str, server) -> dict:
    """The server's own view of its one kernel (/api/kernels/ID: last_activity, connections)."""
    (kernel_id,) = kernel_ids(server)
    address = url.replace("/?", f"/api/kernels/{kernel_id}?")
    with urllib.request.urlopen(address, timeout=30) as answer:
        return json.load(answer)


def _idle_seconds(url: str, server) -> float:
    """How long the one kernel has been idle by the server's account (0 while it is busy;
    endless once it has gone, so that the wait ends and the assertion after it says so)."""
    if not kernel_ids(server):
        return float("inf")
    kernel = _kernel_state(url, server)
    if kernel["execution_state"] != "idle":
        return 0.0
    last = dt.datetime.fromisoformat(kernel["last_activity"].replace("Z", "+00:00"))
    return (dt.datetime.now(dt.UTC) - last).total_seconds()


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def _open(browser, url: str):
    (page,) = _open_at_once(browser, url, 1)
    return page


def _open_at_once(browser, url: str, count: int) -> list:
    """`count` pages of `url`, loaded at the same time (each page starts a kernel: 2-6 s)."""
    from playwright.sync_api import expect

    pages = []
    for _ in range(count):
        page = browser.new_page()
        page.set_viewport_size({"width": 1200, "height": 900})
        # Navigate from the page itself, so that this returns before the page has loaded.
        page.evaluate("url => { setTimeout(() => { window.location.href = url; }, 0); }", url)
        pages.append(page)
    for page in pages:  # (page.goto waited WAIT_MS for the page, then WAIT_MS for the queue)
        # The page opens on the review queue; the overview is built after it shows.
        queue = page.locator(".ak-queue-grid table").first
        expect(queue).to_be_visible(timeout=WAIT_MS * (count + 1))
    return pages


class Later:
    """A server started when first asked for (`start`), not waited for until `ready()`."""

    def __init__(self, stack: ExitStack, work: Path, *options: str) -> None:
        self.stack, self.work, self.options = stack, work, options
        self.started = None

    def start(self) -> None:
        if self.started is None:
            self.started = self.stack.enter_context(starting_server(self.work, *self.options))

    def ready(self) -> tuple[str, object]:
        """(address, process) once the server answers."""
        self.start()
        return self.started()


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Later]:
    """The server of the test over the cap (`--max-sessions 2 --preheat 1`)."""
    work = tmp_path_factory.mktemp("capped")
    demo.write(demo.generate(requests=60), work / "data")
    options = ["--data", str(work / "data"), "--as-of", demo.DEFAULT_AS_OF.isoformat()]
    options += ["--max-sessions", "2", "--preheat", "1"]
    with ExitStack() as stack:
        yield Later(stack, work, *options)


def test_idle_kernels_are_culled_and_their_number_capped(tmp_path, capped):
    """(`capped` is the next test's server: it is started here while this test waits.)"""
    from playwright.sync_api import sync_playwright

    demo.write(demo.generate(requests=60), tmp_path / "data")
    options = ["--data", str(tmp_path / "data"), "--as-of", demo.DEFAULT_AS_OF.isoformat()]
    options += ["--cull-idle", str(CULL_IDLE), "--max-sessions", "2", "--preheat", "0"]
    with (
        explore_server(tmp_path, *options) as (url, server),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # A page left open keeps its kernel, however idle.
            first = _open(browser, url)
            assert len(kernels(server)) == 1
            capped.start()  # the next test's server: it starts while this test waits
            # Wait until the server itself says the kernel has been idle for the timeout and
            # two culling rounds more, rather than a fixed sleep.
            assert _wait_for(lambda: _idle_seconds(url, server) > CULL_IDLE + 2 * CULL_INTERVAL, 60)
            assert len(kernels(server)) == 1, "a connected kernel was culled"
            assert _kernel_state(url, server)["connections"] >= 1
            # Closed without a goodbye: the culler ends the kernel once it has been idle.
            first.close()
            assert _wait_for(lambda: not kernels(server), CULL_WAIT_SECONDS), "not culled"
            assert "Culling 'idle' kernel" in (tmp_path / "server.log").read_text()

            # Two pages in use: a third is refused rather than a third kernel started.
            pages = _open_at_once(browser, url, 2)
            assert len(kernels(server)) == 2
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url, timeout=60).read()
            assert refused.value.code == 503
            assert len(kernels(server)) == 2
            # One of them closed: the next page takes its place at once, culled or not.
            pages[0].close()
            third = _open(browser, url)
            assert len(kernels(server)) <= 2
            third.close()
            pages[1].close()
        finally:
            browser.close()


def test_a_page_over_the_cap_gets_503_while_the_others_keep_working(capped):
    """`--max-sessions 2` with a pre-started kernel: two pages open in Chromium, the third gets
    the 503 page, and the first two still answer clicks (their kernels were never taken).
    The browser may reach the server only: the pages render with every asset served locally."""
    from playwright.sync_api import expect, sync_playwright

    url, server = capped.ready()
    work = capped.work
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # No request may leave the machine: everything else is aborted, and listed.
        context, external = browser.new_context(), []

        def local_only(route) -> None:
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                external.append(route.request.url)
                route.abort()

        context.route("**/*", local_only)
        try:
            pages = [_open(context, url), _open(context, url)]
            over = context.new_page()
            response = over.goto(url, timeout=WAIT_MS)
            assert response.status == 503
            expect(over.locator("body")).to_contain_text("all 2 explorer sessions are in use")
            assert len(kernels(server)) == 2
            for page in pages:  # each page's widgets still talk to its kernel
                page.locator(".lm-TabBar-tab", has_text="Overview").click()
                page.locator(".ak-verdict-counts-grid td.ak-link").first.click()
                expect(page.locator(".ak-tabs .lm-TabBar-tab.lm-mod-current")).to_contain_text(
                    "Findings", timeout=WAIT_MS
                )
            assert "to make room" not in (work / "server.log").read_text()
            # Every asset came from the server, Font Awesome's icons included.
            assert external == []
            icons = pages[0].evaluate(
                "async () => (await document.fonts.load('900 16px \"Font Awesome 5 Free\"')).length"
            )
            assert icons > 0
        finally:
            browser.close()
