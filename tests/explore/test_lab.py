"""`auditkit explore --lab`: a workspace copy of the notebook in JupyterLab, on the data given."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serving import CHROMIUM, CHROMIUM_ARGS, NEEDS_CHROMIUM, WAIT_MS, screenshot, stop, wait_for

import auditkit.demo as demo
from auditkit import cli
from auditkit.errors import ParameterError
from auditkit.explore import lab
from auditkit.explore.launch import free_port, notebook_path


def test_the_workspace_copy_is_made_once_and_kept(tmp_path: Path):
    copy, fresh = lab.workspace_notebook(tmp_path / "lab")
    assert fresh and copy.read_bytes() == notebook_path().read_bytes()
    copy.write_text(copy.read_text().replace("data_dir = None", 'data_dir = "mine"'))
    again, fresh = lab.workspace_notebook(tmp_path / "lab")
    assert again == copy and not fresh and 'data_dir = "mine"' in again.read_text()
    assert 'data_dir = "mine"' not in notebook_path().read_text()  # the shipped one is untouched


def test_lab_options(tmp_path: Path):
    argv = lab.lab_argv(tmp_path / "reports/lab/explorer.ipynb", tmp_path, 8123, "t0k", False, 60)
    assert argv[0] == "reports/lab/explorer.ipynb"
    assert {
        f"--ServerApp.root_dir={tmp_path}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=8123",
        "--IdentityProvider.token=t0k",
        "--MappingKernelManager.cull_idle_timeout=60",
        "--no-browser",
    } <= set(argv)


def test_without_jupyterlab_it_says_how_to_get_it(monkeypatch, tmp_path: Path):
    monkeypatch.setitem(sys.modules, "jupyterlab.labapp", None)  # import fails
    args = cli.build_parser().parse_args(["explore", "--lab", "--no-browser"])
    with pytest.raises(ParameterError, match="make lab"):
        lab.lab(args)


def make_lab_command(data: Path) -> list[str]:
    """The `auditkit explore --lab ...` command `make lab` runs on `data` (make -n, nothing
    made)."""
    import shlex

    made = ["-o", ".venv/bin/jupyter-lab", "-o", f"{data}/requests.csv"]
    # Run by `make test`, make would say "make[1]: Leaving directory ..." last: not here.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    run = subprocess.run(
        ["make", "--no-print-directory", "-n", *made, f"DEMO={data}", "lab"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    printed = run.stdout.strip().splitlines()[-1]
    words = shlex.split(printed)
    assert words[0].endswith("auditkit") and words[1:3] == ["explore", "--lab"], printed
    return words


def test_make_lab_opens_the_review_register(tmp_path: Path):
    command = make_lab_command(tmp_path / "data")
    assert command[command.index("--db") + 1] == "reports/review.db"


def close_dialogs(page) -> None:
    """Answer a dialog JupyterLab may put over the notebook on a loaded machine (choosing
    the kernel it proposes, or a notice): it takes every click meant for the notebook. What
    it said is printed, so a failing run shows it; the test's checks come after."""
    dialog = page.locator(".jp-Dialog")
    if not dialog.count():
        return
    print("JupyterLab dialog:", dialog.first.inner_text(timeout=WAIT_MS))
    accept = dialog.locator(".jp-Dialog-button.jp-mod-accept")
    if accept.count():
        accept.first.click(timeout=WAIT_MS)
    else:
        page.keyboard.press("Escape")


def notebook_kernel_connected(url: str) -> bool:
    """Whether JupyterLab's server runs the notebook's kernel, idle, with a page connected to it
    (/api/sessions): before that, Run All Cells does nothing."""
    import json
    import urllib.request

    base, token = url.split("/lab/", 1)[0], url.rsplit("token=", 1)[1]
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=30) as answer:
        sessions = json.load(answer)
    kernels = [s.get("kernel") or {} for s in sessions if s["path"].endswith("explorer.ipynb")]
    return any(k.get("execution_state") == "idle" and k.get("connections", 0) for k in kernels)


def run_all_cells(page, kernel_connected, seconds: float = 180) -> None:
    """Run > Run All Cells from the menu bar, as a person would, until the cells start.

    On a cold start JupyterLab shows the notebook before its kernel has started, and
    before it is the current widget (the menu's notebook commands stay disabled for a
    while): a click then does nothing. So the click waits for the kernel to run, idle,
    with this page connected (`kernel_connected()`, as the server tells) and for the
    page to say so too; it is tried again if the cells still do not start. The menu bar's
    Run item is matched exactly (text=Run also matches the sidebar's "Running Terminals
    and Kernels" tab).
    """
    from playwright.sync_api import expect

    started = page.locator(".jp-InputPrompt").filter(has_text=re.compile(r"\[(\*|\d+)\]"))
    idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        close_dialogs(page)
        # A dialog (choosing the kernel) may hold the kernel back: answer it, then look again.
        if not wait_for(kernel_connected, 5) or not idle.count():
            continue
        page.locator(".jp-Notebook").first.click(timeout=WAIT_MS)  # JupyterLab is slow under load
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        item = page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells"))
        if item.count() and "lm-mod-disabled" not in (item.first.get_attribute("class") or ""):
            item.first.click()
            try:
                expect(started).not_to_have_count(0, timeout=10_000)
                return
            except AssertionError:
                pass
        else:
            page.keyboard.press("Escape")
        time.sleep(2)
    raise AssertionError("Run All Cells never started the notebook's cells")


@pytest.mark.slow
@pytest.mark.browser
@NEEDS_CHROMIUM
def test_make_lab_opens_the_explorer_on_the_data(tmp_path: Path):
    pytest.importorskip("jupyterlab", reason="JupyterLab is the lab extra: make lab installs it")
    from playwright.sync_api import expect, sync_playwright

    data = tmp_path / "demo-data"
    demo.write(demo.generate(requests=200, as_of=demo.DEFAULT_AS_OF), data)
    port = free_port()
    log_path = tmp_path / "lab.log"
    command = [sys.executable, "-m", "auditkit.cli", *make_lab_command(data)[1:]]
    command += ["--no-browser", "--port", str(port)]
    assert command[command.index("--db") + 1] == "reports/review.db"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while not re.search(r"http://\S+/lab/tree/\S+token=\w+", log_path.read_text()):
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.5)
        url = re.search(r"http://\S+/lab/tree/\S+token=\w+", log_path.read_text()).group(0)
        assert "/lab/tree/reports/lab/explorer.ipynb" in url
        assert (tmp_path / "reports/lab/explorer.ipynb").is_file()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            page.goto(url, timeout=WAIT_MS * 2)
            expect(page.locator(".jp-Notebook")).to_be_visible(timeout=WAIT_MS * 2)
            expect(page.locator(".jp-Notebook-ExecutionIndicator, .jp-Toolbar")).not_to_have_count(
                0
            )
            run_all_cells(page, lambda: notebook_kernel_connected(url))
            header = page.locator(".ak-explorer .ak-header")
            expect(header).to_contain_text(f"200 requests from {data}", timeout=WAIT_MS * 2)
            expect(header).to_contain_text("as of 2026-12-01, each judged at its requested_at")
            # `make lab` opens the review register: the review panel is there.
            expect(page.locator(".ak-review-findings .ak-review-header")).to_contain_text(
                "register:", timeout=WAIT_MS
            )
            screenshot(page, "explorer-lab.png")
            browser.close()
    finally:
        stop(server)
