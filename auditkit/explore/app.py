"""The explorer: five tabs over one evaluation; a notebook only calls `show()`.

`show()` puts a progress box on the page at once and opens the data on a
background thread (judging it first, in a worker process, when it is not
cached yet), then replaces the box with the explorer; `Launcher.follow_link()`
follows the page's deep link (`?request=REQ-1`, `?member=1000042`), which
Voilà hands to the kernel. Tests drive the explorer by setting widget values
and clicking, as a reviewer would.
"""

from __future__ import annotations

import datetime as dt
import html
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as widgets

from auditkit.analysis.summaries import headline
from auditkit.errors import AuditkitError, InputError
from auditkit.explore import config
from auditkit.explore.controls import EXPLORER_CSS, busy_markup, error_text
from auditkit.explore.drilldown import DrillTab
from auditkit.explore.findings import FindingsTab
from auditkit.explore.isolate import give_back_memory
from auditkit.explore.member import MemberTab
from auditkit.explore.overview import OverviewTab
from auditkit.explore.page import query_string
from auditkit.explore.review import ReviewBoard
from auditkit.explore.whatif import WhatIfTab
from auditkit.explore.workspace import TablesWorkspace, Workspace
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.render.format import count
from auditkit.render.html import message
from auditkit.render.style import STYLESHEET
from auditkit.review.register import Register
from auditkit.review.scenarios import ScenarioStore

TAB_TITLES = ("Overview", "Findings", "Drill-down", "Member", "What-if")
FINDINGS_TAB, DRILL_TAB, MEMBER_TAB = (TAB_TITLES.index(t) for t in TAB_TITLES[1:4])
PHASES = {
    "hash": "checking the input files",
    "load": "reading the input files",
    "validate": "validating every table",
    "evaluate": "judging every request against every rule",
    "save": "saving the judgement for later sessions",
    "open": "opening the saved judgement",
    "generate": "building the demo data",
}


class Explorer:
    """The explorer of one evaluation; `widget` is what a notebook displays."""

    def __init__(
        self,
        data: Workspace | Tables,
        params: Params | None = None,
        *,
        source: str = "",
        export_dir: Path | str | None = None,
        export_url: str | None = None,
        page_size: int = 25,
        register: Register | None = None,
        reviewer: str = "",
        scenarios: ScenarioStore | None = None,
    ) -> None:
        workspace = TablesWorkspace(data, params, source) if isinstance(data, Tables) else data
        self.workspace = workspace
        self.tables = data if isinstance(data, Tables) else None
        self.result = workspace.result
        self.params = self.result.params
        self.source = source or workspace.source
        self.export_dir = Path(export_dir) if export_dir else config.export_dir()
        self.header = widgets.HTML(f"<style>{STYLESHEET}{EXPLORER_CSS}</style>" + self._header())
        self.header.add_class("ak-header")
        # With a register, the evaluation's findings are recorded there and can be reviewed.
        self.board = ReviewBoard(register, self.result, reviewer) if register is not None else None
        self.overview = OverviewTab(self.result, self.open_findings)
        self.findings = FindingsTab(
            self.result,
            self.export_dir,
            self.open_request,
            page_size,
            review=self.board,
            review_changed=self.review_changed,
            open_member=self.open_member,
            export_url=export_url,
            isolated_export=getattr(workspace, "export", None),
        )
        self.drill = DrillTab(
            self.result, self.board, self.review_changed, self.open_member, self.findings.index
        )
        self.member = MemberTab(self.result, workspace.rows_of, self.open_request)
        self.whatif = WhatIfTab(
            workspace,
            lambda: self.findings.index.member_uins(self.findings.selection),
            scenarios,
            reviewer,
        )
        self.link_message = widgets.HTML()
        self.link_message.add_class("ak-link-message")
        self.tabs = widgets.Tab(
            children=[
                self.overview.widget,
                self.findings.widget,
                self.drill.widget,
                self.member.widget,
                self.whatif.widget,
            ],
            titles=list(TAB_TITLES),
        )
        self.tabs.add_class("ak-tabs")
        self.widget = widgets.VBox([self.header, self.link_message, self.tabs])
        self.widget.add_class("ak-explorer")

    def _header(self) -> str:
        h = headline(self.result)
        where = f" from {self.source}" if self.source else ""
        moment = (
            "each judged at its requested_at"
            if self.params.at_requested
            else "judged against that snapshot"
        )
        return message(
            f"{count(h['requests'])} requests{where}, as of {h['as_of']}, {moment}: "
            f"{count(h['eligible'])} eligible, {count(h['ineligible'])} ineligible, "
            f"{count(h['unknown'])} unknown"
        )

    def review_changed(self) -> None:
        """A state was set in one tab: show the new states in both."""
        self.findings.refresh()
        self.drill.refresh()

    def open_request(self, request_id: str) -> None:
        """Show one request in the drill-down tab and switch to it."""
        self.drill.show(request_id)
        self.tabs.selected_index = DRILL_TAB

    def open_member(self, uin: str) -> None:
        """Show one uin in the member tab and switch to it."""
        self.member.show(uin)
        self.tabs.selected_index = MEMBER_TAB

    def open_findings(self, **preset: object) -> None:
        """Show the findings a preset filter selects (an overview number clicked)."""
        self.findings.show_filter(**preset)
        self.tabs.selected_index = FINDINGS_TAB

    def sign_in(self, reviewer: str) -> None:
        """Record changes under `reviewer` (the page's, known once the page has been asked for)."""
        if self.board is not None:
            self.board.sign_in(reviewer)
            for panel in (self.findings.review, self.drill.review):
                if panel is not None:
                    panel.show_reviewer()
        if self.whatif.panel is not None:
            self.whatif.panel.reviewer = reviewer

    def follow(self, query: str | None) -> None:
        """Open what a deep link names: ?request=ID, ?member=UIN (other keys are ignored)."""
        asked = parse_qs(query or "")
        try:
            if asked.get("request"):
                self.drill.find(asked["request"][0])
                self.tabs.selected_index = DRILL_TAB
            elif asked.get("member"):
                self.open_member(asked["member"][0])
        except (AuditkitError, KeyError) as error:
            self.link_message.value = message(f"link: {error_text(error)}", error=True)


class Launcher:
    """What `show()` displays: progress while the data opens, then the explorer (or the problem)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.status = widgets.HTML(busy_markup("opening the data ..."))
        self.status.add_class("ak-progress-text")
        self.widget = widgets.VBox([self.status])
        self.widget.add_class("ak-launcher")
        self.explorer: Explorer | None = None
        self.error: str | None = None
        self.query: str | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def progress(self, phase: str) -> None:
        seconds = time.perf_counter() - self.started
        words = PHASES.get(phase, phase)
        self.status.value = busy_markup(f"{words} ... ({seconds:.0f} s so far)")

    def open(
        self, data_dir: str | Path | None, as_of: object, demo_requests: int | None, at: str | None
    ) -> None:
        try:
            workspace = config.open_workspace(data_dir, as_of, demo_requests, at, self.progress)
            db = config.review_db()
            register = Register.open(db) if db else None
            explorer = Explorer(
                workspace,
                export_dir=config.export_dir(),
                export_url=config.export_url(),
                register=register,
                reviewer=config.reviewer(),
                scenarios=config.scenario_store(register),
            )
        except AuditkitError as error:
            self.fail(error.message() if isinstance(error, InputError) else str(error))
            return
        except Exception as error:  # on a thread: shown on the page, or it would be lost
            self.fail(f"the explorer could not open: {type(error).__name__}: {error}")
            raise
        with self._lock:
            self.explorer = explorer
            self.widget.children = [explorer.widget]
            if self.query is not None:
                explorer.sign_in(config.reviewer())
                explorer.follow(self.query)
        give_back_memory()

    def follow_link(self) -> None:
        """Follow the page's deep link once it is known (and the explorer once it is open).

        Served by a pre-started Voilà kernel, the page is asked for only after the
        notebook ran: `explore.page.query_string` waits for it. Otherwise the
        query string is in $QUERY_STRING already (or there is none, in JupyterLab).
        """
        query = query_string()
        with self._lock:
            self.query = query
            if self.explorer is not None:
                self.explorer.sign_in(config.reviewer())
                self.explorer.follow(query)

    def fail(self, words: str) -> None:
        self.error = words
        self.widget.children = [widgets.HTML(f"<pre>{html.escape(words)}</pre>")]

    def start(self, *args: object) -> Launcher:
        self._thread = threading.Thread(target=self.open, args=args, daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> Explorer | None:
        """The explorer once it is open (None when the data could not be opened)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.explorer


def show(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
    at: str | None = None,
) -> Launcher:
    """Display the explorer: a progress box at once, the explorer when the data is open."""
    from IPython.display import display

    launcher = Launcher()
    display(launcher.widget)
    return launcher.start(data_dir, as_of, demo_requests, at)
