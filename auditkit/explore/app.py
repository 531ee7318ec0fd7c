"""The explorer: four tabs over one evaluation; a notebook only calls `show()`.

Tests drive it by setting widget values and clicking buttons, as a reviewer would.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as widgets

from auditkit.analysis.summaries import headline
from auditkit.engine.evaluate import evaluate
from auditkit.errors import AuditkitError, InputError
from auditkit.explore.config import export_dir, load, review_db, reviewer
from auditkit.explore.drilldown import DrillTab
from auditkit.explore.findings import FindingsTab
from auditkit.explore.overview import OverviewTab
from auditkit.explore.review import ReviewBoard
from auditkit.explore.whatif import WhatIfTab
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.render.html import message
from auditkit.render.style import STYLESHEET
from auditkit.review.register import Register

TAB_TITLES = ("Overview", "Findings", "Drill-down", "What-if")
DRILL_TAB = TAB_TITLES.index("Drill-down")


class Explorer:
    """The explorer of one evaluation; `widget` is what a notebook displays."""

    def __init__(
        self,
        tables: Tables,
        params: Params | None = None,
        *,
        source: str = "",
        export_dir: Path | str | None = None,
        page_size: int = 25,
        register: Register | None = None,
        reviewer: str = "",
    ) -> None:
        self.tables = tables
        self.result = evaluate(tables, params)
        self.params = self.result.params
        self.source = source
        self.export_dir = Path(export_dir) if export_dir else Path.cwd() / "auditkit-exports"
        self.header = widgets.HTML(f"<style>{STYLESHEET}</style>" + self._header())
        self.header.add_class("ak-header")
        self.overview = OverviewTab(self.result)
        # With a register, the evaluation's findings are recorded there and can be reviewed.
        self.board = ReviewBoard(register, self.result, reviewer) if register is not None else None
        self.drill = DrillTab(self.result, self.board, self.review_changed)
        self.findings = FindingsTab(
            self.result,
            self.export_dir,
            self.open_request,
            page_size,
            review=self.board,
            review_changed=self.review_changed,
        )
        self.whatif = WhatIfTab(
            tables, self.result, lambda: self.findings.index.member_uins(self.findings.selection)
        )
        self.tabs = widgets.Tab(
            children=[
                self.overview.widget,
                self.findings.widget,
                self.drill.widget,
                self.whatif.widget,
            ],
            titles=list(TAB_TITLES),
        )
        self.tabs.add_class("ak-tabs")
        self.widget = widgets.VBox([self.header, self.tabs])
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
            f"{h['requests']} requests{where}, as of {h['as_of']}, {moment}: "
            f"{h['eligible']} eligible, {h['ineligible']} ineligible, {h['unknown']} unknown"
        )

    def review_changed(self) -> None:
        """A state was set in one tab: show the new states in both."""
        self.findings.refresh()
        self.drill.refresh()

    def open_request(self, request_id: str) -> None:
        """Show one request in the drill-down tab and switch to it."""
        self.drill.show(request_id)
        self.tabs.selected_index = DRILL_TAB


def show(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
    at: str | None = None,
) -> Explorer | None:
    """Build the explorer and display it; on invalid input display the problems instead."""
    from IPython.display import display

    try:
        opened = load(data_dir, as_of, demo_requests, at)
        db = review_db()
        explorer = Explorer(
            opened.tables,
            opened.params,
            source=opened.source,
            export_dir=export_dir(),
            register=Register.open(db) if db else None,
            reviewer=reviewer(),
        )
    except AuditkitError as error:
        text = error.message() if isinstance(error, InputError) else str(error)
        display(widgets.HTML(f"<pre>{html.escape(text)}</pre>"))
        return None
    display(explorer.widget)
    return explorer
