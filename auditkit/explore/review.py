"""Reviewing in the explorer: the register's states beside the findings, and a panel to change them.

`ReviewBoard` records the explorer's evaluation in the register (so every
finding on screen can be reviewed), keeps a state code per (request, rule) and
applies changes as the reviewer named at launch (`--user`, $AUDITKIT_USER or
the OS user). `ReviewPanel` is the widget the Findings and Drill-down tabs
show: a finding to act on, state, note and end date, buttons to set one
finding or every finding of the current selection, and the finding's history.
Everything shown is escaped.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets
import numpy as np
import pandas as pd

from auditkit.engine.result import AuditResult
from auditkit.errors import ParameterError
from auditkit.explore.controls import ANY_OPTION, button, dropdown, guarded, html_box
from auditkit.render.html import heading, message, table, text
from auditkit.review.changes import check_change, check_name
from auditkit.review.register import Register
from auditkit.review.states import SHOWN, STATE_CODE, UNREVIEWED, state_codes
from auditkit.review.transitions import Applied
from auditkit.vocab import SETTABLE_STATES, ReviewState, ReviewVia

Key = tuple[str, str]  # (request_id, rule_id)


def review_filter_options() -> list[tuple[str, object]]:
    """Choices of the review-state filter: (label, codes); 'open' includes never reviewed."""
    options: list[tuple[str, object]] = [
        ANY_OPTION,
        ("never reviewed", (UNREVIEWED,)),
        ("open (incl. never reviewed)", (STATE_CODE[ReviewState.OPEN], UNREVIEWED)),
    ]
    options += [
        (state.value, (STATE_CODE[state],)) for state in ReviewState if state != ReviewState.OPEN
    ]
    return options


class ReviewBoard:
    """One evaluation's findings as the register sees them, and the reviewer who changes them."""

    def __init__(self, register: Register, result: AuditResult, reviewer: str) -> None:
        self.register = register
        self.result = result
        self.reviewer = check_name(reviewer, "reviewer")
        recorded = register.record_run(result, "explore")
        self.run_id = recorded.run_id
        self.codes = state_codes(result, recorded.reviewed)
        self._ids = result.cases["request_id"].astype("str").to_numpy(dtype=object)
        self._rows = pd.Index(self._ids)  # request_id -> row, built once (request ids are unique)

    def sign_in(self, reviewer: str) -> None:
        """The reviewer of the page this session serves, once the page has been asked for."""
        self.reviewer = check_name(reviewer, "reviewer")

    @property
    def labels(self) -> tuple[str, ...]:
        return SHOWN

    def reload(self) -> None:
        """Read the states again (other sessions may have changed some); updated in place."""
        self.codes[...] = state_codes(self.result, self.register.reviewed())

    def keys(self, positions: np.ndarray) -> list[Key]:
        """(request_id, rule_id) of the findings among `positions` (request * rules + rule)."""
        positions = np.asarray(positions, dtype=np.int64)
        request, rule = np.divmod(positions, len(self.result.rule_ids))
        found = self.codes[request, rule] >= 0
        rule_ids = np.asarray(self.result.rule_ids, dtype=object)
        return list(zip(self._ids[request[found]], rule_ids[rule[found]], strict=True))

    def state(self, key: Key) -> str:
        """The state shown for a (request_id, rule_id); '' when it is not a finding."""
        row = self._rows.get_loc(key[0])
        code = int(self.codes[row, self.result.rule_ids.index(key[1])])
        return "" if code < 0 else SHOWN[code]

    def set_states(self, keys: list[Key], state: str, note: str, expires: str) -> Applied:
        """Set every finding in `keys` to `state` as this reviewer; checked first, all or nothing."""
        if not keys:
            raise ParameterError("no finding to set: choose a finding (a rule that fails or errs)")
        changes = []
        for request_id, rule_id in keys:
            change, flaws = check_change(
                request_id, rule_id, state, note, expires, self.result.rule_ids
            )
            if change is None:
                raise ParameterError(flaws[0].sentence())
            changes.append(change)
        applied = self.register.apply(changes, self.reviewer, ReviewVia.EXPLORER)
        self.reload()
        return applied

    def history(self, key: Key) -> pd.DataFrame:
        frame = self.register.history(*key).drop(columns=["request_id", "rule_id"])
        frame["changed_at"] = [f"{moment:%Y-%m-%d %H:%M:%S} UTC" for moment in frame["changed_at"]]
        return frame


class ReviewPanel:
    """Set the state of a finding (or of all findings in a selection) and see its history."""

    def __init__(
        self,
        board: ReviewBoard,
        changed: Callable[[], None],
        selection: Callable[[], list[Key]] | None = None,
        css: str = "",
    ) -> None:
        self.board = board
        self.changed = changed
        self.selection = selection
        self.header = html_box("ak-review-header")
        self.show_reviewer()
        self.finding = dropdown("Finding", [], None, "ak-review-finding", "360px")
        self.state = dropdown(
            "State",
            [(s.value, s.value) for s in SETTABLE_STATES],
            ReviewState.UNDER_REVIEW.value,
            "ak-review-state",
        )
        self.note = widgets.Text(description="Note", placeholder="why (required for waived)")
        self.note.add_class("ak-review-note")
        self.expires = widgets.Text(description="Expires", placeholder="YYYY-MM-DD (waived)")
        self.expires.add_class("ak-review-expires")
        self.set_one = button("Set this finding", "ak-review-set", "primary")
        self.set_all = button("Set all in selection", "ak-review-set-all", "warning")
        self.show_history = button("History", "ak-review-history-button")
        self.message = html_box("ak-review-message")
        self.history = html_box("ak-review-history")
        self.set_one.on_click(guarded(self.apply_one, self.message))
        self.set_all.on_click(guarded(self.apply_selection, self.message))
        self.show_history.on_click(guarded(self.show, self.message))
        actions = [self.set_one] + ([self.set_all] if selection is not None else [])
        self.widget = widgets.VBox(
            [
                self.header,
                widgets.HBox([self.finding, self.show_history]),
                widgets.HBox([self.state, self.note, self.expires]),
                widgets.HBox(actions),
                self.message,
                self.history,
            ]
        )
        self.widget.add_class("ak-review")
        if css:
            self.widget.add_class(css)  # which tab's panel, for the page and its tests

    def show_reviewer(self) -> None:
        self.header.value = heading("Review", 4) + message(
            f"Reviewer: {self.board.reviewer}; register: {self.board.register.label}"
        )

    def offer(self, keys: list[Key]) -> None:
        """The findings the reviewer may pick from (e.g. those on the page, or of one request)."""
        options = [(f"{r} · {u} ({self.board.state((r, u))})", (r, u)) for r, u in keys]
        current = self.finding.value
        self.finding.options = options
        values_ = [value for _, value in options]
        self.finding.value = current if current in values_ else (values_[0] if values_ else None)
        if self.selection is not None:
            self.set_all.description = "Set all in selection"

    def apply_one(self) -> Applied:
        if self.finding.value is None:
            raise ParameterError("no finding chosen: pick one in the Finding list")
        return self._apply([self.finding.value])

    def apply_selection(self) -> Applied:
        assert self.selection is not None
        return self._apply(self.selection())

    def _apply(self, keys: list[Key]) -> Applied:
        applied = self.board.set_states(
            keys, self.state.value, self.note.value, self.expires.value.strip()
        )
        if applied.appended == 1:
            request_id, rule_id, before, after = applied.transitions[0]
            words = f"{request_id} {rule_id}: {before} -> {after} (by {self.board.reviewer})"
        else:
            words = f"set {applied.appended} finding(s) to {self.state.value} (by {self.board.reviewer})"
        self.changed()
        self.message.value = message(words)
        if self.finding.value is not None:
            self.show()
        return applied

    def show(self) -> None:
        """The history of the chosen finding, oldest first."""
        key = self.finding.value
        if key is None:
            raise ParameterError("no finding chosen: pick one in the Finding list")
        frame = self.board.history(key)
        title = f"History of {key[0]} {key[1]} (now {self.board.state(key) or 'not a finding'})"
        body = (
            table(frame.astype("str").replace({"None": "", "NaT": ""}), css_class="ak-review-log")
            if len(frame)
            else f"<p>{text('No review recorded yet: the finding is open.')}</p>"
        )
        self.history.value = heading(title, 4) + body
