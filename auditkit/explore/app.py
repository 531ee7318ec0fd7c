"""The explorer: six tabs over one evaluation; a notebook only calls `show()`.

It opens on the review queue (what still needs a conclusion, riskiest first).
The period above the tabs keeps the requests made in one month (UTC), the
population of that month's report, in the queue, the overview and the findings.

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
import os
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

import ipywidgets as widgets

from auditkit.analysis.findings import Findings
from auditkit.analysis.population import Period, months, population, result_in_period
from auditkit.engine.result import AuditResult
from auditkit.errors import AuditkitError, InputError
from auditkit.explore import config
from auditkit.explore.controls import EXPLORER_CSS, busy_markup, dropdown, error_text, html_box
from auditkit.explore.drilldown import DrillTab
from auditkit.explore.exports import ExportLimits
from auditkit.explore.findings import FindingsTab
from auditkit.explore.isolate import give_back_memory
from auditkit.explore.member import MemberTab
from auditkit.explore.overview import OverviewTab
from auditkit.explore.page import query_string
from auditkit.explore.queue import QueueTab
from auditkit.explore.review import ReviewBoard
from auditkit.explore.settings import ExplorerSettings
from auditkit.explore.whatif import WhatIfTab
from auditkit.explore.workspace import TablesWorkspace, Workspace
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.render.format import count
from auditkit.render.html import message
from auditkit.render.style import STYLESHEET
from auditkit.review.register import Register
from auditkit.review.scenarios import ScenarioStore

TAB_TITLES = ("Review queue", "Overview", "Findings", "Drill-down", "Member", "What-if")
QUEUE_TAB, OVERVIEW_TAB, FINDINGS_TAB, DRILL_TAB, MEMBER_TAB = range(5)
ALL_PERIODS = ("every month", "")
OVERVIEW_WAIT = "counting verdicts, exceptions and failures by rule ..."
PHASES = {
    "hash": "checking the input files",
    "load": "reading the input files",
    "validate": "validating every table",
    "evaluate": "judging every request against every rule",
    "save": "saving the judgement for later sessions",
    "open": "opening the saved judgement",
    "generate": "building the demo data",
}


def findings_index(result: AuditResult, board: ReviewBoard | None) -> Findings:
    """The findings of `result`, with their review states when a register is open; shared by
    the queue, the findings and the drill-down."""
    index = Findings(result)
    if board is not None:
        index.set_review(board.codes, board.labels)
    return index


def period_choice(result: AuditResult) -> widgets.Dropdown:
    """Every month (the default) or one of the months the requests were made in."""
    found = months(result.cases["requested_at"])
    choices = [ALL_PERIODS, *[(m, m) for m in found]]
    return dropdown("Period (requested_at, UTC)", choices, "", "ak-period", "360px")


def header_text(result: AuditResult, scoped: AuditResult, period: str | None, source: str) -> str:
    """The line above the tabs: the requests shown (`scoped`: those of `period`, of all in
    `result`), where they come from, and their verdicts."""
    h = scoped.verdict_counts()  # not `headline`: its exception counts wait for the overview
    where = f" from {source}" if source else ""
    moment = (
        "each judged at its requested_at"
        if result.params.at_requested
        else "judged against that snapshot"
    )
    made = ""
    if period is not None:
        n = population(result.cases["requested_at"], Period(period), result.params)
        made = (
            f" made in {period} (the population of its report; of {count(n.read)} read, "
            f"{count(n.before_period)} before it and {count(n.after_period)} after)"
        )
    return message(
        f"{count(sum(h.values()))} requests{made}{where}, as of {result.params.as_of.isoformat()}, "
        f"{moment}: {count(h['eligible'])} eligible, {count(h['ineligible'])} ineligible, "
        f"{count(h['unknown'])} unknown"
    )


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
        export_limits: ExportLimits | None = None,
        page_size: int = 25,
        register: Register | None = None,
        reviewer: str = "",
        scenarios: ScenarioStore | None = None,
        defer_overview: bool = False,
    ) -> None:
        workspace = TablesWorkspace(data, params, source) if isinstance(data, Tables) else data
        self.workspace = workspace
        self.tables = data if isinstance(data, Tables) else None
        self.result, self.params = workspace.result, workspace.result.params
        self.source = source or workspace.source
        self.style = widgets.HTML(f"<style>{STYLESHEET}{EXPLORER_CSS}</style>")
        self.header = html_box("ak-header")
        self.period = period_choice(self.result)
        # With a register, the evaluation's findings are recorded there and can be reviewed.
        self.board = ReviewBoard(register, self.result, reviewer) if register is not None else None
        self.index = findings_index(self.result, self.board)
        self.queue = QueueTab(self.index, self.open_request, self.board, self.review_changed)
        self.overview: OverviewTab | None = None
        self.overview_box = widgets.VBox([html_box("ak-overview-wait", busy_markup(OVERVIEW_WAIT))])
        if not defer_overview:
            self.finish()
        self.findings = FindingsTab(
            self.result,
            export_dir,
            self.open_request,
            page_size,
            review=self.board,
            review_changed=self.review_changed,
            open_member=self.open_member,
            export_url=export_url,
            export_limits=export_limits,
            isolated_export=getattr(workspace, "export", None),
            index=self.index,
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
        self.link_message = html_box("ak-link-message")
        pages = [self.queue.widget, self.overview_box, self.findings.widget, self.drill.widget]
        self.tabs = widgets.Tab(
            children=[*pages, self.member.widget, self.whatif.widget], titles=list(TAB_TITLES)
        )
        self.tabs.add_class("ak-tabs")
        parts = [self.style, self.header, self.period, self.link_message, self.tabs]
        self.widget = widgets.VBox(parts)
        self.widget.add_class("ak-explorer")
        self.header.value = header_text(self.result, self.result, None, self.source)
        self.period.observe(lambda _: self.set_period(self.period.value or None), names="value")

    def scoped(self) -> AuditResult:
        """The evaluation of the chosen period's requests (all of them when none is chosen)."""
        period = self.period.value or None
        return self.result if period is None else result_in_period(self.result, Period(period))

    def finish(self) -> None:
        """Build the overview (its chart takes a moment at a million requests: `Launcher` shows
        the explorer first, on the review queue, and calls this after)."""
        self.overview = OverviewTab(self.scoped(), self.open_findings)
        self.overview_box.children = [self.overview.widget]

    def set_period(self, period: str | None) -> None:
        """Keep the requests made in `period` (YYYY-MM, UTC) in the header, queue, overview and
        findings, as the report of that month counts them; None: every request."""
        self.header.value = header_text(self.result, self.scoped(), period, self.source)
        self.finish()
        self.queue.set_period(period)
        self.findings.set_period(period)

    def review_changed(self) -> None:
        """A state was set in one tab: show the new states in every tab that shows them."""
        self.queue.refresh()
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


def sign_in(explorer: Explorer, reviewer: str) -> None:
    """Record `explorer`'s changes under `reviewer` (the page's, known once the page has been
    asked for): in the review register and in saved what-if scenarios."""
    if explorer.board is not None:
        explorer.board.sign_in(reviewer)
        for panel in (explorer.queue.review, explorer.findings.review, explorer.drill.review):
            if panel is not None:
                panel.show_reviewer()
    if explorer.whatif.panel is not None:
        explorer.whatif.panel.reviewer = reviewer


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
            settings = ExplorerSettings.from_env()
            workspace = config.open_workspace(
                data_dir, as_of, demo_requests, at, self.progress, settings
            )
            db = settings.review_db
            register = Register.open(db) if db else None
            explorer = Explorer(
                workspace,
                export_dir=settings.exports,
                export_url=settings.exports_url,
                export_limits=settings.export_limits,
                register=register,
                reviewer=config.reviewer(settings),
                scenarios=config.scenario_store(register, settings),
                defer_overview=True,
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
                sign_in(explorer, config.reviewer())
                explorer.follow(self.query)
        # The overview is built after the explorer shows, under the lock that `follow_link`
        # takes on the notebook's thread: two threads never change widgets at once.
        with self._lock:
            try:
                explorer.finish()
            except Exception as error:  # on a thread: shown where the overview would be
                words = f"the overview could not be built: {type(error).__name__}: {error}"
                explorer.overview_box.children = [widgets.HTML(f"<pre>{html.escape(words)}</pre>")]
                raise
        give_back_memory()

    def follow_link(self) -> None:
        """Follow the page's deep link once it is known (and the explorer once it is open).

        Served by a pre-started Voilà kernel, the page is asked for only after the
        notebook ran: `explore.page.query_string` waits for it. Otherwise the
        query string is in $QUERY_STRING already (or there is none, in JupyterLab).
        """
        query = query_string()
        if os.environ.get("VOILA_PREHEAT") == "True" and self._thread is not None:
            # A pre-started kernel opened the data before the page came; the page asks for
            # the widgets' state once this cell ends, so let it find the explorer whole (the
            # overview included) rather than widgets made while it reads them.
            self._thread.join()
        with self._lock:
            self.query = query
            if self.explorer is not None:
                sign_in(self.explorer, config.reviewer())
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
