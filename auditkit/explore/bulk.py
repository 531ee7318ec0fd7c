"""Setting every finding of a selection at once: asked first, shown as it goes, concluded ones kept.

"Set all in selection" first reads the register again (another reviewer may
have concluded a finding a moment ago) and asks: how many findings will
change, how many already concluded (confirmed, false_positive, waived,
remediated) are skipped, unless the box to include them is ticked. Only
"Yes" changes anything: the states are read again, the plan made again (what
was concluded since the question is skipped too), every change checked, and
then written in batches, each its own transaction, with a progress bar and the
buttons disabled. The state, note and end date are the review panel's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np

from auditkit.analysis.findings import Findings
from auditkit.analysis.review_queue import CONCLUDED_STATES, BulkPlan, plan_bulk
from auditkit.errors import AuditkitError, ParameterError
from auditkit.explore.controls import busy, button, guarded, html_box
from auditkit.explore.review import ReviewBoard, ReviewPanel
from auditkit.render.format import count
from auditkit.render.html import message
from auditkit.review.changes import StateChange, check_change
from auditkit.vocab import ReviewVia

BATCH = 1000  # findings per transaction: progress moves every batch
CONCLUDED_WORDS = ", ".join(state.value for state in CONCLUDED_STATES)


@dataclass(frozen=True)
class Asked:
    """A question put to the reviewer: the change it names and the plan it counted."""

    state: str
    note: str
    expires: str
    include_concluded: bool
    plan: BulkPlan


class Written(NamedTuple):
    """What a bulk change wrote: findings set, and findings that held that state already."""

    set: int
    unchanged: int


def question(asked: Asked) -> str:
    """What the reviewer is asked before anything changes."""
    plan = asked.plan
    words = f"Set {count(plan.changes)} finding(s) to {asked.state}?"
    if asked.include_concluded:
        words += f" This includes {count(plan.concluded)} already concluded."
    elif plan.skipped:
        words += f" {count(plan.skipped)} already concluded ({CONCLUDED_WORDS}) will be skipped."
    if plan.not_findings:
        words += f" {count(plan.not_findings)} selected rule result(s) are not findings."
    return words


class BulkBar:
    """'Set all in selection' with a question first, a progress bar, and concluded ones skipped."""

    def __init__(
        self,
        panel: ReviewPanel,
        index: Findings,
        selection: Callable[[], np.ndarray],
        changed: Callable[[], None],
        css: str,
    ) -> None:
        self.panel, self.board, self.index = panel, panel.board, index
        self.selection, self.changed = selection, changed
        self.rule_ids = index.result.rule_ids
        self.set_all = button("Set all in selection", "ak-bulk-set-all", "warning")
        self.include = widgets.Checkbox(
            value=False,
            description=f"also change findings already concluded ({CONCLUDED_WORDS})",
            indent=False,
            layout=widgets.Layout(width="auto"),
        )
        self.include.add_class("ak-bulk-include")
        self.question = html_box("ak-bulk-question")
        self.confirm = button("Yes, set them", "ak-bulk-confirm", "danger")
        self.cancel = button("Cancel", "ak-bulk-cancel")
        self.asking = widgets.VBox([self.question, widgets.HBox([self.confirm, self.cancel])])
        self.asking.add_class("ak-bulk-asking")
        self.asking.layout.display = "none"
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="")
        self.progress.add_class("ak-bulk-progress")
        self.progress.layout.display = "none"
        self.message = html_box("ak-bulk-message")
        self.asked: Asked | None = None
        self.set_all.on_click(guarded(self.ask, self.message))
        self.confirm.on_click(guarded(self.run, self.message))
        self.cancel.on_click(guarded(self.drop, self.message))
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.set_all, self.include]),
                self.asking,
                self.progress,
                self.message,
            ]
        )
        self.widget.add_class("ak-bulk")
        self.widget.add_class(css)

    def plan(self, include_concluded: bool) -> BulkPlan:
        """The plan on the register's states as they are now (other sessions included)."""
        self.board.reload()
        return plan_bulk(self.index, self.selection(), include_concluded)

    def ask(self) -> Asked:
        """Count what would change and ask; nothing is written."""
        state, note = self.panel.state.value, self.panel.note.value
        expires = self.panel.expires.value.strip()
        plan = self.plan(self.include.value)
        if not plan.changes:
            self.drop()
            skipped = f"; {count(plan.skipped)} already concluded skipped" if plan.skipped else ""
            raise ParameterError(f"no finding in the selection to set{skipped}")
        checked(self.board.keys(plan.positions[:1]), state, note, expires, self.rule_ids)
        self.asked = Asked(state, note, expires, self.include.value, plan)
        self.question.value = message(question(self.asked))
        self.message.value = ""
        self.asking.layout.display = ""
        return self.asked

    def drop(self) -> None:
        """Forget the question; nothing changed."""
        self.asked = None
        self.asking.layout.display = "none"
        self.question.value = ""

    def run(self) -> Written:
        """Apply what was asked to the findings not concluded by now (read again first)."""
        asked = self.asked
        if asked is None:
            raise ParameterError("nothing asked: press 'Set all in selection' first")
        self.drop()
        words = f"Setting {count(asked.plan.changes)} finding(s) to {asked.state} ..."
        try:
            with busy(self.message, words, self.set_all, self.include):
                plan = self.plan(asked.include_concluded)
                keys = self.board.keys(plan.positions)
                changes = checked(keys, asked.state, asked.note, asked.expires, self.rule_ids)
                written = self._write(changes)
        finally:  # what was written shows, even when the register refused a later batch
            self.board.reload()
            self.changed()
        said = f"set {count(written.set)} finding(s) to {asked.state} (by {self.board.reviewer})"
        if written.unchanged:
            said += f"; {count(written.unchanged)} were so already"
        if plan.skipped:
            said += f"; skipped {count(plan.skipped)} already concluded"
        self.message.value = message(said)
        return written

    def _write(self, changes: list[StateChange]) -> Written:
        """Write the changes in batches, moving the progress bar."""
        self.progress.max, self.progress.value = max(1, len(changes)), 0
        self.progress.layout.display = ""
        try:
            return write_batches(self.board, changes, self.progress)
        finally:
            self.progress.layout.display = "none"


def checked(
    keys: list[tuple[str, str]], state: str, note: str, expires: str, rule_ids: list[str]
) -> list[StateChange]:
    """Each change checked before any is written (the first flaw refuses them all)."""
    changes: list[StateChange] = []
    for request_id, rule_id in keys:
        change, flaws = check_change(request_id, rule_id, state, note, expires, rule_ids)
        if change is None:
            raise ParameterError(flaws[0].sentence())
        changes.append(change)
    return changes


def write_batches(
    board: ReviewBoard, changes: list[StateChange], progress: widgets.IntProgress
) -> Written:
    """Apply `changes` BATCH at a time as the board's reviewer (one transaction each),
    skipping changes that hold already; `progress` counts the changes done."""
    written = Written(0, 0)
    try:
        for start in range(0, len(changes), BATCH):
            batch = changes[start : start + BATCH]
            applied = board.register.apply(
                batch, board.reviewer, ReviewVia.EXPLORER, skip_unchanged=True
            )
            written = Written(written.set + applied.appended, written.unchanged + applied.unchanged)
            progress.value = start + len(batch)
            progress.description = f"{count(start + len(batch))}/{count(len(changes))}"
    except AuditkitError as error:
        raise ParameterError(
            f"{count(written.set)} finding(s) were set before the register refused: {error}"
        ) from error
    return written
