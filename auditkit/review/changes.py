"""A reviewer's change of a finding's state, checked before it reaches the register.

The same checks serve `review set` (one change, refused with its option
named), `review import` (every row checked, all problems listed with their
row) and the explorer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from auditkit.dates import parse_date
from auditkit.errors import ParameterError
from auditkit.vocab import SETTABLE_STATES, ReviewState, values

MAX_NOTE = 2000
MAX_NAME = 128
STATE_EXPECTED = "one of " + ", ".join(state.value for state in SETTABLE_STATES)
DATE_EXPECTED = "a date YYYY-MM-DD, e.g. 2026-12-31"


@dataclass(frozen=True)
class StateChange:
    """Set the finding (request_id, rule_id) to `state`; a waiver carries a note and an end date."""

    request_id: str
    rule_id: str
    state: ReviewState
    note: str | None = None
    expires: dt.date | None = None


@dataclass(frozen=True)
class Flaw:
    """What is wrong with one field of a change: its name, the value found, what was expected."""

    field: str
    value: object
    expected: str

    def sentence(self) -> str:
        return f"{self.field} {self.value!r}: {self.expected}"


def check_change(
    request_id: object,
    rule_id: object,
    state: object,
    note: object,
    expires: object,
    rule_ids: list[str],
) -> tuple[StateChange | None, list[Flaw]]:
    """The change these fields describe, or None and every flaw found (empty text = not given)."""
    flaws: list[Flaw] = []
    request_text = _text(request_id)
    rule_text = _text(rule_id)
    state_text = _text(state)
    note_text = _text(note)
    expires_text = _text(expires)
    if not request_text:
        flaws.append(Flaw("request_id", request_text, "a request id is required"))
    if rule_text not in rule_ids:
        flaws.append(
            Flaw(
                "rule_id",
                rule_text,
                "unknown rule; the catalogue's rules are " + ", ".join(rule_ids),
            )
        )
    if state_text not in values(ReviewState) or state_text == ReviewState.WAIVER_EXPIRED:
        flaws.append(Flaw("state", state_text, f"unknown review state; expected {STATE_EXPECTED}"))
    if len(note_text) > MAX_NOTE:
        flaws.append(Flaw("note", note_text[:40] + "...", f"at most {MAX_NOTE} characters"))
    expires_date = None
    if expires_text:
        try:
            expires_date = parse_date(expires_text, "expires")
        except ParameterError:
            expires_date = None
        if expires_date is None:
            flaws.append(Flaw("expires", expires_text, DATE_EXPECTED))
        elif state_text != ReviewState.WAIVED:
            flaws.append(
                Flaw("expires", expires_text, "an end date belongs to a waiver (state waived) only")
            )
    if state_text == ReviewState.WAIVED:
        if not note_text:
            flaws.append(Flaw("note", "", "a waiver needs a note saying why the risk is accepted"))
        if not expires_text:
            flaws.append(Flaw("expires", "", f"a waiver needs an end date: {DATE_EXPECTED}"))
    if flaws:
        return None, flaws
    change = StateChange(
        request_id=request_text,
        rule_id=rule_text,
        state=ReviewState(state_text),
        note=note_text or None,
        expires=expires_date,
    )
    return change, []


def check_name(name: object, option: str = "--by") -> str:
    """A reviewer's name: not empty, at most MAX_NAME characters."""
    text = _text(name)
    if not text or len(text) > MAX_NAME:
        raise ParameterError(
            f"{option} {text!r}: the reviewer's name is required, at most {MAX_NAME} characters"
        )
    return text


def one_change(
    request_id: str,
    rule_id: str,
    state: str,
    note: str | None,
    expires: str | None,
    rule_ids: list[str],
) -> StateChange:
    """A single change from command-line options; the first flaw is refused naming its option."""
    change, flaws = check_change(request_id, rule_id, state, note, expires, rule_ids)
    if change is None:
        flaw = flaws[0]
        option = {"request_id": "--request", "rule_id": "--rule"}.get(flaw.field, f"--{flaw.field}")
        raise ParameterError(f"{option} {flaw.value!r}: {flaw.expected}")
    return change


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()
