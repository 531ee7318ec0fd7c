"""A reviewer's change of a finding, checked before it reaches the register.

A change sets the review state (with its note and, for a waiver, its end
date) and may set the finding's follow-up: who owns it, when it is due,
management's response and how far remediation has come. Follow-up fields a
change does not name keep their values; a change without a state keeps the
state, its note and its end date.

The same checks serve `review set` (one change, refused with its option
named), `review import` (every row checked, all problems listed with their
row) and the explorer. Text that reaches the register is checked here too: a
name holds no control or invisible formatting character (a newline in a name
would forge lines in `review history`), and no text holds NUL (PostgreSQL
cannot store it) or any other control character but tab and line breaks.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from auditkit.dates import parse_date
from auditkit.errors import ParameterError
from auditkit.vocab import SETTABLE_STATES, Remediation, ReviewState, values

MAX_NOTE = 2000
MAX_NAME = 128
STATE_EXPECTED = "one of " + ", ".join(state.value for state in SETTABLE_STATES)
DATE_EXPECTED = "a date YYYY-MM-DD, e.g. 2026-12-31"
REMEDIATION_EXPECTED = "one of " + ", ".join(values(Remediation)) + " (empty: none)"
# The review item of a request's platform decision, kept beside its rule findings under this
# reserved rule id: a control exception or a refusal whose stated code the data does not
# bear out. A rejected-but-eligible request fails no rule, so no rule finding could hold it.
DECISION = "DECISION"
FOLLOW_UP_FIELDS = ("owner", "due", "response", "remediation")
# Unicode categories refused in names: controls, invisible formatting (bidi overrides,
# zero-width characters), surrogates, private use, unassigned, line and paragraph separators.
NAME_REFUSED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
TEXT_ALLOWED_CONTROLS = frozenset("\t\n\r")


@dataclass(frozen=True)
class FollowUp:
    """The follow-up fields a change sets: only those named in `given`; the others keep their values."""

    owner: str | None = None
    due: dt.date | None = None
    response: str | None = None
    remediation: Remediation | None = None
    given: frozenset[str] = frozenset()

    def merged(self, current: Mapping[str, object]) -> dict[str, object]:
        """The follow-up a finding holds after this change, given what it holds now."""
        return {
            name: getattr(self, name) if name in self.given else current.get(name)
            for name in FOLLOW_UP_FIELDS
        }


@dataclass(frozen=True)
class StateChange:
    """Change the finding (request_id, rule_id): its state (None keeps state, note and end date)
    and the follow-up fields named in `follow_up`. A waiver carries a note and an end date."""

    request_id: str
    rule_id: str
    state: ReviewState | None
    note: str | None = None
    expires: dt.date | None = None
    follow_up: FollowUp = field(default_factory=FollowUp)


@dataclass(frozen=True)
class Flaw:
    """What is wrong with one field of a change: its name, the value found, what was expected."""

    field: str
    value: object
    expected: str

    def sentence(self) -> str:
        return f"{self.field} {self.value!r}: {self.expected}"


def date_or_none(text: str) -> dt.date | None:
    """A strict YYYY-MM-DD date (auditkit.dates.parse_date), or None when it is not one."""
    try:
        return parse_date(text)
    except ParameterError:
        return None


def name_flaw(text: str) -> str | None:
    """Why `text` cannot be a person's name, as "name ...": empty, too long, a control character."""
    if not text or len(text) > MAX_NAME:
        return f"name is required, at most {MAX_NAME} characters"
    bad = next((c for c in text if unicodedata.category(c) in NAME_REFUSED), None)
    if bad is not None:
        return (
            "name may hold no control or invisible character (it is printed in histories "
            f"and reports); found U+{ord(bad):04X}"
        )
    return None


def text_flaw(text: str, limit: int = MAX_NOTE) -> str | None:
    """Why `text` cannot be stored as a note (too long, NUL or another control character), or None."""
    if len(text) > limit:
        return f"at most {limit} characters"
    bad = next(
        (
            c
            for c in text
            if c not in TEXT_ALLOWED_CONTROLS and unicodedata.category(c) in ("Cc", "Cs")
        ),
        None,
    )
    if bad is not None:
        what = "NUL" if bad == "\0" else f"U+{ord(bad):04X}"
        return f"text holds no control character but tab and line breaks; found {what}"
    return None


def check_change(
    request_id: object,
    rule_id: object,
    state: object,
    note: object,
    expires: object,
    rule_ids: list[str],
    follow_up: Mapping[str, object] | None = None,
) -> tuple[StateChange | None, list[Flaw]]:
    """The change these fields describe, or None and every flaw found (empty text = not given).

    `state` None keeps the finding's state, note and end date (then `note` and
    `expires` must be empty). `follow_up` maps the follow-up fields the change
    sets to their text; an empty text clears that field.
    """
    flaws: list[Flaw] = []
    request_text = _text(request_id)
    rule_text = _text(rule_id)
    note_text = _text(note)
    expires_text = _text(expires)
    if not request_text:
        flaws.append(Flaw("request_id", request_text, "a request id is required"))
    if rule_text not in rule_ids and rule_text != DECISION:
        flaws.append(
            Flaw(
                "rule_id",
                rule_text,
                "unknown rule; the catalogue's rules are "
                + ", ".join(rule_ids)
                + f" ({DECISION}: the platform's decision on the request)",
            )
        )
    fixed = _follow_up(dict(follow_up or {}), flaws)
    if state is None:
        if not fixed.given:
            flaws.append(Flaw("state", "", "nothing to change: give a state or a follow-up field"))
        for name, given in (("note", note_text), ("expires", expires_text)):
            if given:
                flaws.append(
                    Flaw(name, given, "a note and an end date go with a state: give the state too")
                )
        chosen = None
    else:
        chosen = _state(_text(state), note_text, expires_text, flaws)
    if flaws:
        return None, flaws
    change = StateChange(
        request_id=request_text,
        rule_id=rule_text,
        state=chosen,
        note=note_text or None,
        expires=date_or_none(expires_text) if expires_text else None,
        follow_up=fixed,
    )
    return change, []


def _state(
    state_text: str, note_text: str, expires_text: str, flaws: list[Flaw]
) -> ReviewState | None:
    """The state asked for (None if unknown), checking its note and end date; flaws appended."""
    known = state_text in values(ReviewState) and state_text != ReviewState.WAIVER_EXPIRED
    if not known:
        flaws.append(Flaw("state", state_text, f"unknown review state; expected {STATE_EXPECTED}"))
    wrong = text_flaw(note_text)
    if wrong:
        flaws.append(Flaw("note", _cut(note_text), wrong))
    if expires_text:
        if date_or_none(expires_text) is None:
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
    return ReviewState(state_text) if known else None


def _follow_up(given: dict[str, object], flaws: list[Flaw]) -> FollowUp:
    """The follow-up fields given as text, checked; flaws appended to `flaws`."""
    unknown = sorted(set(given) - set(FOLLOW_UP_FIELDS))
    if unknown:
        raise ValueError(f"not follow-up fields: {unknown}")
    texts = {name: _text(value) for name, value in given.items()}
    owner = texts.get("owner", "")
    if owner and (wrong := name_flaw(owner)):
        flaws.append(Flaw("owner", _cut(owner), f"the owner's {wrong}"))
    due = None
    if texts.get("due"):
        due = date_or_none(texts["due"])
        if due is None:
            flaws.append(Flaw("due", texts["due"], DATE_EXPECTED))
    response = texts.get("response", "")
    if wrong := text_flaw(response):
        flaws.append(Flaw("response", _cut(response), wrong))
    remediation = texts.get("remediation", "")
    if remediation and remediation not in values(Remediation):
        flaws.append(Flaw("remediation", remediation, REMEDIATION_EXPECTED))
    return FollowUp(
        owner=owner or None,
        due=due,
        response=response or None,
        remediation=Remediation(remediation) if remediation in values(Remediation) else None,
        given=frozenset(given),
    )


def check_name(name: object, option: str = "--by") -> str:
    """A reviewer's name: not empty, at most MAX_NAME characters, no control character."""
    text = _text(name)
    wrong = name_flaw(text)
    if wrong:
        raise ParameterError(f"{option} {_cut(text)!r}: the reviewer's {wrong}")
    return text


def check_text(value: object, option: str, limit: int = MAX_NOTE) -> str:
    """Free text for the register (a note, an override's reason); refused naming `option`."""
    text = _text(value)
    wrong = text_flaw(text, limit)
    if wrong:
        raise ParameterError(f"{option} {_cut(text)!r}: {wrong}")
    return text


OPTION_OF_FIELD = {"request_id": "--request", "rule_id": "--rule"}


def one_change(
    request_id: str,
    rule_id: str,
    state: str | None,
    note: str | None,
    expires: str | None,
    rule_ids: list[str],
    follow_up: Mapping[str, object] | None = None,
) -> StateChange:
    """A single change from command-line options; the first flaw is refused naming its option."""
    change, flaws = check_change(request_id, rule_id, state, note, expires, rule_ids, follow_up)
    if change is None:
        flaw = flaws[0]
        option = OPTION_OF_FIELD.get(flaw.field, f"--{flaw.field}")
        raise ParameterError(f"{option} {flaw.value!r}: {flaw.expected}")
    return change


def _cut(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "..."


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()
