"""Reviewing in the explorer: the register's states beside the findings, and a panel to change them.

`ReviewBoard` records the explorer's evaluation in the register (so every
finding on screen can be reviewed), keeps a state code per (request, rule) and
the state of each request's platform decision to be reviewed (a control
exception or an unsupported refusal, rule id DECISION), and applies changes as
the reviewer it was given (`--user`, $AUDITKIT_USER or the OS user; the server
may name one per reviewer). `ReviewPanel` is the widget the Findings and
Drill-down tabs show: a finding to act on, state, note and end date, buttons
to set one finding or every finding of the current selection (a bulk change
keeps concluded findings as they are), the finding's follow-up (owner, due
date, management's response, remediation) and its history. Everything shown
is escaped.
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
from auditkit.review.bulk import set_many
from auditkit.review.changes import DECISION, FOLLOW_UP_FIELDS, check_name
from auditkit.review.register import Register
from auditkit.review.states import (
    CONCLUDED,
    SHOWN,
    STATE_CODE,
    UNREVIEWED,
    decision_mask,
    shown_item_states,
    state_codes,
)
from auditkit.review.transitions import Applied, BatchProgress
from auditkit.vocab import SETTABLE_STATES, Remediation, ReviewState, ReviewVia, values

Key = tuple[str, str]  # (request_id, rule_id)
CONCLUDED_CODES = [STATE_CODE[ReviewState(state)] for state in sorted(CONCLUDED)]


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


class Decisions:
    """The review state of each request's platform decision, where it is to be reviewed (a
    control exception or an unsupported refusal; rule id DECISION), as of the run's as_of."""

    def __init__(self, result: AuditResult) -> None:
        self.as_of = result.params.as_of
        self.ids = result.cases["request_id"].astype("str").to_numpy(dtype=object)
        self.rows = pd.Index(self.ids)
        self.reviewable = decision_mask(result)
        self.states = np.full(len(self.ids), "", dtype=object)

    def read(self, reviewed: pd.DataFrame) -> None:
        """Take the states of the register's reviewed rows (REVIEWED_COLUMNS)."""
        self.states[:] = ""
        self.states[self.reviewable] = ReviewState.OPEN.value
        mine = reviewed[reviewed["rule_id"] == DECISION]
        rows = self.rows.get_indexer(mine["request_id"].astype("str"))
        keep = rows >= 0
        shown, rows = shown_item_states(mine, self.as_of)[keep], rows[keep]
        keep = self.reviewable[rows]
        self.states[rows[keep]] = shown[keep]

    def state(self, row: int) -> str:
        return str(self.states[row])

    def added_to(self, keys: list[Key], requests: object = ()) -> list[Key]:
        """`keys` with each reviewable request's decision after that request's findings."""
        order = list(dict.fromkeys([*(r for r, _ in keys), *np.asarray(requests, dtype=object)]))
        rows = self.rows.get_indexer(pd.Index(order, dtype=object))
        reviewable = {r for r, i in zip(order, rows, strict=True) if i >= 0 and self.reviewable[i]}
        by_request: dict[str, list[Key]] = {r: [] for r in order}
        for key in keys:
            by_request[key[0]].append(key)
        decision = {r: [(r, DECISION)] if r in reviewable else [] for r in order}
        return [key for r in order for key in [*by_request[r], *decision[r]]]


def held_follow_up(register: Register, key: Key | None) -> dict[str, str]:
    """The follow-up a finding holds now, as text ('' when not set, or no finding is picked)."""
    found = (
        register.items(pd.DataFrame([key], columns=["request_id", "rule_id"]))
        if key is not None
        else pd.DataFrame()
    )
    if found.empty:
        return dict.fromkeys(FOLLOW_UP_FIELDS, "")
    row = found.iloc[0]
    return {
        name: "" if row[name] is None or pd.isna(row[name]) else str(row[name])
        for name in FOLLOW_UP_FIELDS
    }


class ReviewBoard:
    """One evaluation's findings as the register sees them, and the reviewer who changes them."""

    def __init__(self, register: Register, result: AuditResult, reviewer: str) -> None:
        self.register = register
        self.result = result
        self.reviewer = check_name(reviewer, "reviewer")
        recorded = register.record_run(result, "explore", decisions=True)
        self.run_id = recorded.run_id
        self.codes = state_codes(result, recorded.reviewed)
        self._ids = result.cases["request_id"].astype("str").to_numpy(dtype=object)
        self._rows = pd.Index(self._ids)  # request_id -> row, built once (request ids are unique)
        self.decisions = Decisions(result)
        self.decisions.read(recorded.reviewed)

    def sign_in(self, reviewer: str) -> None:
        """The reviewer of the page this session serves, once the page has been asked for."""
        self.reviewer = check_name(reviewer, "reviewer")

    @property
    def labels(self) -> tuple[str, ...]:
        return SHOWN

    def reload(self) -> None:
        """Read the states again (other sessions may have changed some); updated in place."""
        reviewed = self.register.reviewed()
        self.codes[...] = state_codes(self.result, reviewed)
        self.decisions.read(reviewed)

    def keys(self, positions: np.ndarray) -> list[Key]:
        """(request_id, rule_id) of the findings among `positions` (request * rules + rule)."""
        positions = np.asarray(positions, dtype=np.int64)
        request, rule = np.divmod(positions, len(self.result.rule_ids))
        found = self.codes[request, rule] >= 0
        rule_ids = np.asarray(self.result.rule_ids, dtype=object)
        return list(zip(self._ids[request[found]], rule_ids[rule[found]], strict=True))

    def page_keys(self, positions: np.ndarray) -> list[Key]:
        """The findings among `positions`, each request's platform decision after its findings
        when it is to be reviewed (a control exception or an unsupported refusal)."""
        positions = np.asarray(positions, dtype=np.int64)
        return self.decisions.added_to(self.keys(positions), self._ids[positions // self._rules])

    @property
    def _rules(self) -> int:
        return len(self.result.rule_ids)

    def state(self, key: Key) -> str:
        """The state shown for a (request_id, rule_id); '' when it is not a review item."""
        row = self._rows.get_loc(key[0])
        if key[1] == DECISION:
            return self.decisions.state(row)
        code = int(self.codes[row, self.result.rule_ids.index(key[1])])
        return "" if code < 0 else SHOWN[code]

    def concluded(self, positions: np.ndarray) -> int:
        """How many findings among `positions` a reviewer has concluded on, as this session
        last read them (e.g. for a bulk action's confirmation; the change itself decides on the
        register's locked rows)."""
        positions = np.asarray(positions, dtype=np.int64)
        request, rule = np.divmod(positions, self._rules)
        return int(np.isin(self.codes[request, rule], CONCLUDED_CODES).sum())

    def set_states(
        self,
        keys: list[Key],
        state: str,
        note: str,
        expires: str,
        *,
        overwrite_concluded: bool = True,
        progress: BatchProgress | None = None,
    ) -> Applied:
        """Set every finding in `keys` to `state` as this reviewer; checked first, all or nothing.

        With `overwrite_concluded=False` (a bulk action), findings a reviewer has
        concluded on keep their state and come back in `Applied.kept`.
        """
        applied = set_many(
            self.register,
            keys,
            state,
            self.reviewer,
            ReviewVia.EXPLORER,
            self.result.rule_ids,
            note=note,
            expires=expires,
            overwrite_concluded=overwrite_concluded,
            as_of=self.result.params.as_of,
            progress=progress,
        )
        self.reload()
        return applied

    def set_follow_up(self, key: Key, follow_up: dict[str, str]) -> Applied:
        """Set a finding's follow-up (owner, due, response, remediation; empty clears one)."""
        rule_ids = self.result.rule_ids
        applied = set_many(
            self.register,
            [key],
            None,
            self.reviewer,
            ReviewVia.EXPLORER,
            rule_ids,
            follow_up=follow_up,
        )
        self.reload()
        return applied

    def history(self, key: Key) -> pd.DataFrame:
        frame = self.register.history(*key).drop(columns=["request_id", "rule_id"])
        frame["changed_at"] = [f"{moment:%Y-%m-%d %H:%M:%S} UTC" for moment in frame["changed_at"]]
        return frame


class FollowUpForm:
    """A finding's follow-up as the panel edits it: owner, due date, remediation, response."""

    def __init__(self) -> None:
        self.owner = widgets.Text(description="Owner", placeholder="who follows it up")
        self.owner.add_class("ak-review-owner")
        self.due = widgets.Text(description="Due", placeholder="YYYY-MM-DD")
        self.due.add_class("ak-review-due")
        self.remediation = dropdown(
            "Remediation",
            [("(none)", ""), *((v, v) for v in values(Remediation))],
            "",
            "ak-review-remediation",
        )
        self.response = widgets.Textarea(
            description="Response", placeholder="management's response"
        )
        self.response.add_class("ak-review-response")
        self.save = button("Save follow-up", "ak-review-follow-up")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.owner, self.due, self.remediation]),
                widgets.HBox([self.response, self.save]),
            ]
        )

    def fill(self, held: dict[str, str]) -> None:
        self.owner.value, self.due.value = held["owner"], held["due"]
        self.response.value, self.remediation.value = held["response"], held["remediation"]

    def fields(self) -> dict[str, str]:
        """What the form says; an emptied field clears that follow-up field."""
        return {
            "owner": self.owner.value,
            "due": self.due.value.strip(),
            "response": self.response.value,
            "remediation": self.remediation.value,
        }


class ReviewPanel:
    """Set the state of a finding (or of all findings in a selection), its follow-up, and see
    its history."""

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
        self.follow_up = FollowUpForm()
        self.message = html_box("ak-review-message")
        self.history = html_box("ak-review-history")
        self.set_one.on_click(guarded(self.apply_one, self.message))
        self.set_all.on_click(guarded(self.apply_selection, self.message))
        self.show_history.on_click(guarded(self.show, self.message))
        self.follow_up.save.on_click(guarded(self.apply_follow_up, self.message))
        self.finding.observe(lambda _: self.load_follow_up(), names="value")
        actions = [self.set_one] + ([self.set_all] if selection is not None else [])
        self.widget = widgets.VBox(
            [
                self.header,
                widgets.HBox([self.finding, self.show_history]),
                widgets.HBox([self.state, self.note, self.expires]),
                widgets.HBox(actions),
                self.follow_up.widget,
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

    def offer(self, keys: list[Key], requests: object = ()) -> None:
        """The items the reviewer may pick from (e.g. those on the page, or of one request); the
        platform decision of each request among them, or in `requests`, is offered too when it
        is to be reviewed."""
        keys = self.board.decisions.added_to(keys, requests)
        options = [(f"{r} · {u} ({self.board.state((r, u))})", (r, u)) for r, u in keys]
        current = self.finding.value
        self.finding.options = options
        values_ = [value for _, value in options]
        self.finding.value = current if current in values_ else (values_[0] if values_ else None)
        if self.selection is not None:
            self.set_all.description = "Set all in selection"

    def chosen(self) -> Key:
        if self.finding.value is None:
            raise ParameterError("no finding chosen: pick one in the Finding list")
        return self.finding.value

    def apply_one(self) -> Applied:
        return self._apply([self.chosen()], overwrite_concluded=True)

    def apply_selection(self) -> Applied:
        assert self.selection is not None
        return self._apply(self.selection(), overwrite_concluded=False)

    def _apply(self, keys: list[Key], overwrite_concluded: bool) -> Applied:
        applied = self.board.set_states(
            keys,
            self.state.value,
            self.note.value,
            self.expires.value.strip(),
            overwrite_concluded=overwrite_concluded,
        )
        self.changed()
        self.message.value = message(said(applied, self.state.value, self.board.reviewer))
        if self.finding.value is not None:
            self.show()
        return applied

    def load_follow_up(self) -> None:
        """Fill the follow-up fields with what the chosen finding holds."""
        key = self.finding.value
        self.follow_up.fill(held_follow_up(self.board.register, key))

    def apply_follow_up(self) -> Applied:
        """Save the follow-up fields on the chosen finding (an emptied field is cleared)."""
        key = self.chosen()
        applied = self.board.set_follow_up(key, self.follow_up.fields())
        self.changed()
        self.message.value = message(
            f"{key[0]} {key[1]}: follow-up saved (by {self.board.reviewer})"
        )
        self.show()
        return applied

    def show(self) -> None:
        """The history of the chosen finding, oldest first."""
        self.history.value = history_html(self.board, self.chosen())


def said(applied: Applied, state: str, reviewer: str) -> str:
    """What a change of state did, in one line."""
    if applied.appended == 1 and not applied.kept:
        request_id, rule_id, before, after = applied.transitions[0]
        words = f"{request_id} {rule_id}: {before} -> {after} (by {reviewer})"
    else:
        words = f"set {applied.appended} finding(s) to {state} (by {reviewer})"
    if applied.kept:
        words += f"; kept {len(applied.kept)} concluded finding(s) as they were"
    return words


def history_html(board: ReviewBoard, key: Key) -> str:
    """The history of a finding as a heading and a table, oldest first, every value escaped."""
    frame = board.history(key)
    title = f"History of {key[0]} {key[1]} (now {board.state(key) or 'not a finding'})"
    body = (
        table(
            frame.astype("str").replace({"None": "", "NaT": "", "nan": ""}),
            css_class="ak-review-log",
        )
        if len(frame)
        else f"<p>{text('No review recorded yet: the finding is open.')}</p>"
    )
    return heading(title, 4) + body
