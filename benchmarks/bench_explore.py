"""Benchmark of the explorer served by `auditkit explore`, driven in Chromium, at 1M requests.

Run by hand: `make bench` or `python benchmarks/bench_explore.py [--requests 1000000]
[--at requested] [--data DIR]`. Builds the demo set once (as bench_check does), starts
`auditkit explore` with an empty evaluation cache (or --cache) and its default pre-started
kernels (one per session of --max-sessions 4; --preheat N to change), and measures:

- judge once: from start until the server answers (reading, judging and caching the data,
  in a worker process, before serving);
- pages: from navigation until the explorer is usable (its overview numbers are on the
  page), for a page served by a ready pre-started kernel, for a page opened right after
  it (ready too with the default pool; with --preheat 1 its kernel is still starting and
  opening the cached evaluation), and for a reload once a kernel is ready again;
- in the first page: a filter, a drill-down (click on a row), a what-if, a CSV export of
  every fail and error and an Excel export of one rule's findings;
- memory: RSS and USS of every kernel after these steps, and the peak RSS of the worker
  process that judges a what-if.

Targets (issue 12): a second session usable in <= 3 s, each session under 800 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
from bench_check import build

HERE = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
WAIT_MS = 600_000
# Usable: the tab a page opens on shows its rows (the review queue; before it, the overview).
USABLE = ".ak-queue-grid tbody tr, .ak-verdict-counts-grid td.ak-link"
OVERVIEW = ".ak-verdict-counts-grid td.ak-link"  # built just after the queue shows


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def kind(process: psutil.Process) -> str:
    try:
        line = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return ""
    if "ipykernel_launcher" in line:
        return "kernel"
    return "worker" if "multiprocessing" in line else ""


class Figures(dict):
    """Seconds (or MiB) by measure, printed as they come."""

    def __setitem__(self, name: str, value: float) -> None:
        super().__setitem__(name, value)
        unit = " MiB" if "MiB" in name else " s"
        print(f"  {name:<52} {value:>9.2f}{unit}", flush=True)


class PeakWatcher:
    """Polls the server's worker processes; keeps the largest RSS seen."""

    def __init__(self, server: int) -> None:
        self.server, self.peak, self.running = server, 0, True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while self.running:
            for process in descendants(self.server):
                if kind(process) == "worker":
                    with contextlib.suppress(psutil.NoSuchProcess):
                        self.peak = max(self.peak, process.memory_info().rss)
            time.sleep(0.2)

    def stop(self) -> int:
        self.running = False
        self.thread.join()
        return self.peak


def kernel_memory(server: int) -> list[tuple[int, float, float]]:
    """(pid, RSS MiB, USS MiB) of every kernel."""
    found = []
    for process in descendants(server):
        if kind(process) == "kernel":
            try:
                info = process.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            found.append((process.pid, info.rss / 2**20, info.uss / 2**20))
    return found


def start_server(
    data: Path, work: Path, at: str, log_path: Path, cache: Path, preheat: int | None = None
) -> tuple[subprocess.Popen, str]:
    auditkit = Path(sys.executable).with_name("auditkit")
    argv = [str(auditkit), "explore", "--data", str(data), "--as-of", "2026-11-01", "--at", at]
    argv += ["--cache", str(cache), "--exports", str(work / "exports")]
    argv += ["--no-browser", "--max-sessions", "4", "--cull-idle", "900"]
    argv += [] if preheat is None else ["--preheat", str(preheat)]
    log = log_path.open("w")
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    deadline = time.monotonic() + 1800
    address = r"http://127\.0\.0\.1:\d+/\?token=[\w-]+"  # printed once the data is judged
    while not (match := re.search(address, log_path.read_text())):
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"auditkit explore did not start:\n{log_path.read_text()}")
        time.sleep(0.5)
    return server, match.group(0)


def wait_until_settled(server: int, seconds: float = 600) -> None:
    """Until every kernel has been idle for 3 s (a pre-started one has opened the data)."""
    deadline, quiet, last = time.monotonic() + seconds, 0, None
    while quiet < 3:
        if time.monotonic() > deadline:
            raise SystemExit("the kernels did not settle in time")
        now = 0.0
        for process in descendants(server):
            if kind(process) == "kernel":
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = process.cpu_times()
                    now += times.user + times.system
        quiet = quiet + 1 if last is not None and now - last < 0.05 else 0
        last = now
        time.sleep(1)


def open_page(browser, url: str, figures: Figures, name: str) -> object:
    """Open a page; seconds until it is usable, and until its overview counts are there."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    start = time.perf_counter()
    page.goto(url, timeout=WAIT_MS)
    expect(page.locator(USABLE).first).to_be_visible(timeout=WAIT_MS)
    figures[f"{name} usable"] = time.perf_counter() - start
    expect(page.locator(OVERVIEW).first).to_be_attached(timeout=WAIT_MS)
    figures[f"{name} overview counts"] = time.perf_counter() - start
    return page


def actions(page, figures: Figures, watcher: PeakWatcher) -> None:
    """Filter, drill down, what-if and export in one page; seconds into `figures`."""
    from playwright.sync_api import expect

    page.locator(".lm-TabBar-tab", has_text="Findings").click()
    label = page.locator(".ak-page-label")
    expect(label).to_contain_text("finding(s) match", timeout=WAIT_MS)
    start = time.perf_counter()
    page.locator(".ak-rule-filter select").select_option("POB-J07")
    expect(page.locator(".ak-findings-grid td.ak-col-rule_id").first).to_have_text(
        "POB-J07", timeout=WAIT_MS
    )
    figures["filter (one rule)"] = time.perf_counter() - start
    start = time.perf_counter()
    page.locator(".ak-findings-grid tbody tr").first.click()
    expect(page.locator(".ak-drill-rules")).to_contain_text("POB-Q03", timeout=WAIT_MS)
    figures["drill-down (row click)"] = time.perf_counter() - start
    page.locator(".lm-TabBar-tab", has_text="What-if").click()
    page.locator(".ak-wi-settle input[type=checkbox]").check()
    start = time.perf_counter()
    page.locator(".ak-wi-apply").click()
    expect(page.locator(".ak-wi-summary")).to_contain_text("changed verdict", timeout=WAIT_MS)
    figures["what-if (settle open orders)"] = time.perf_counter() - start
    figures["what-if worker peak RSS MiB"] = watcher.stop() / 2**20
    page.locator(".lm-TabBar-tab", has_text="Findings").click()
    page.locator(".ak-reset-filters").click()
    expect(page.locator(".ak-rule-filter select")).to_have_value("(any)", timeout=WAIT_MS)
    for button, selection in ((".ak-export-csv", "every fail and error"), (".ak-export-excel", "")):
        if not selection:
            page.locator(".ak-rule-filter select").select_option("POB-J07")
            expect(page.locator(".ak-findings-grid td.ak-col-rule_id").first).to_have_text(
                "POB-J07", timeout=WAIT_MS
            )
            selection = "one rule's findings"
        message = page.locator(".ak-export-message")
        start = time.perf_counter()
        page.locator(button).click()
        expect(message.locator(".ak-spinner")).to_have_count(1, timeout=WAIT_MS)
        expect(message.locator("a.ak-export-link")).to_be_visible(timeout=WAIT_MS)
        rows = re.search(r"wrote ([\d,]+) finding", message.inner_text()).group(1)
        name = "CSV" if "csv" in button else "Excel"
        figures[f"export {name} ({selection}: {rows} rows)"] = time.perf_counter() - start


def main() -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "check")
    parser.add_argument("--work", type=Path, default=HERE / "data" / "explore")
    parser.add_argument("--at", choices=("snapshot", "requested"), default="requested")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="an evaluation cache to keep between runs (default: a fresh one in --work)",
    )
    parser.add_argument(
        "--preheat",
        type=int,
        default=None,
        help="kernels started ahead (default: auditkit's, one per session of --max-sessions 4; "
        "1 shows a second page waiting for its kernel)",
    )
    args = parser.parse_args()
    build(args.requests, args.data)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    log_path = args.work / "server.log"
    figures = Figures()
    print(f"explorer at {args.requests:,} requests, judged {args.at}:", flush=True)
    start = time.perf_counter()
    cache = (args.cache or args.work / "cache").resolve()
    server, url = start_server(
        args.data.resolve(), args.work, args.at, log_path, cache, args.preheat
    )
    figures["judge once and start serving"] = time.perf_counter() - start
    try:
        wait_until_settled(server.pid)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            first = open_page(browser, url, figures, "page 1 (pre-started kernel)")
            open_page(browser, url, figures, "page 2 opened at once")
            wait_until_settled(server.pid)
            open_page(browser, url, figures, "page 3 (once a kernel is ready again)")
            actions(first, figures, PeakWatcher(server.pid))
            time.sleep(5)
            memory = kernel_memory(server.pid)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
    for pid, rss, uss in memory:
        print(f"  kernel {pid:<8} RSS {rss:>7.0f} MiB   USS {uss:>7.0f} MiB")
    largest = max((rss for _, rss, _ in memory), default=0)
    print(f"largest kernel RSS {largest:.0f} MiB (target < 800)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
