"""Check kinds: what must hold, and the sentence when it does not, from the same arguments.

Like pandera's built-in checks (`greater_than(min_value)` fails with
"greater_than({min_value})"), a kind takes its arguments once and gives both
the boolean mask over the case frame and the template of the reason. A
threshold, a set of roles or a parameter word in a sentence is the one the
mask used: they cannot drift apart. A rule may word its sentence in its own
template, which names the same slots.

Slots every kind offers: {subject} ('member 0042 available_balance'),
{value} (the observed value), {member} and {admin} (their uins). Templates
may also name tense verbs ({is}, {has}), {at} and parameter words (see
`auditkit.rules.phrasing.parts`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.money import format_cents
from auditkit.params import Params
from auditkit.rules.phrasing import MONEY, PLAIN, TEXT, Part, Slots, Value


def one_of(values: pd.Series, choices: object) -> np.ndarray:
    """Per row, whether the value is among `choices` (null: False), as a boolean array.

    On a categorical it compares the integer codes: pandas' `isin` hashes every row,
    which cost about 2 s a run over the rules at a million requests.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        wanted = values.cat.categories.get_indexer(list(choices))  # type: ignore[call-overload]
        table = np.zeros(len(values.cat.categories) + 1, dtype=bool)  # code -1 (null): last
        table[wanted[wanted >= 0]] = True
        return table[values.cat.codes.to_numpy()]
    return values.isin(list(choices)).to_numpy(dtype=bool, na_value=False)  # type: ignore[call-overload]


def truth(values: object) -> np.ndarray:
    """A mask as a boolean array; null (unknown) is False."""
    if isinstance(values, np.ndarray) and values.dtype == bool:
        return values
    return pd.Series(values).fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class Field:
    """An attribute a check reads: an account's (`role` member or admin) or the request's own."""

    name: str  # as the contract names it: available_balance
    role: str | None = None
    form: str = TEXT

    @property
    def column(self) -> str:
        """The case-frame column: member_available_balance_cents, payment_mode."""
        suffix = "_cents" if self.form == MONEY else ""
        return f"{self.role}_{self.name}{suffix}" if self.role else self.name + suffix

    @property
    def subject(self) -> tuple[Part, ...]:
        """'member <uin> available_balance', or 'payer_uin' for the request's own column."""
        if self.role is None:
            return (self.name,)
        return (f"{self.role} ", Value(f"{self.role}_uin", PLAIN), f" {self.name}")

    @property
    def value(self) -> Value:
        return Value(self.column, self.form)


def member(name: str, form: str = TEXT) -> Field:
    return Field(name, "member", form)


def admin(name: str, form: str = TEXT) -> Field:
    return Field(name, "admin", form)


def request(name: str, form: str = TEXT) -> Field:
    return Field(name, None, form)


UINS: dict[str, Part] = {"member": Value("member_uin", PLAIN), "admin": Value("admin_uin", PLAIN)}


def _common(field: Field) -> dict[str, tuple[Part, ...] | Part]:
    return {"subject": field.subject, "value": field.value, **UINS}


@dataclass(frozen=True)
class Check(ABC):
    """A kind of check: `holds` (the mask), `slots` (the values its sentence may name),
    `compares` (the case columns a drill-down marks) and a default `template`."""

    @abstractmethod
    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        """Per case, whether the check holds (unknown values do not)."""

    @abstractmethod
    def slots(self) -> Slots:
        """The values and words the sentence of a failing case may name."""

    @property
    def compares(self) -> tuple[str, ...]:
        return ()

    def explained(
        self, cases: pd.DataFrame, params: Params, template: str
    ) -> list[tuple[np.ndarray | None, str, Slots]]:
        """(rows it explains or None for all, template, slots): the first that applies to a
        failing row gives its sentence."""
        return [(None, template or self.template, self.slots())]

    def describe(self) -> dict[str, object]:
        """The kind and its arguments, JSON-ready (part of the catalogue's fingerprint)."""
        args = {k: _plain(v) for k, v in self.__dict__.items()}
        return {"kind": type(self).__name__, **args}

    template = ""


def _plain(value: object) -> object:
    if isinstance(value, Check):
        return value.describe()
    if isinstance(value, Field):
        return value.column
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, bool, type(None))) else str(value)


@dataclass(frozen=True)
class AtLeast(Check):
    """A money value is at least `bound` cents."""

    field: Field
    bound: int = 0
    template = "{subject} {is} {value}{at}, must be >= {bound}"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        return truth(cases[self.field.column] >= self.bound)

    def slots(self) -> Slots:
        return _common(self.field) | {"bound": format_cents(self.bound)}

    @property
    def compares(self) -> tuple[str, ...]:
        return (self.field.column,)

    def passed(self) -> str:
        """The pass sentence: 'member available_balance is >= 0.00'."""
        return f"{self.field.role} {self.field.name} is >= {format_cents(self.bound)}"


@dataclass(frozen=True)
class Equal(Check):
    """A value equals `expected`, a word or an amount in cents (null never does)."""

    field: Field
    expected: str | int
    why: str = ""
    template = "{subject} {is} {value}{at}, must be {expected} {why}"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        if isinstance(self.expected, int):
            return truth(cases[self.field.column] == self.expected)
        return one_of(cases[self.field.column], (self.expected,))

    def slots(self) -> Slots:
        expected = self.expected
        words = format_cents(expected) if isinstance(expected, int) else expected
        return _common(self.field) | {"expected": str(words), "why": self.why}

    @property
    def compares(self) -> tuple[str, ...]:
        return (self.field.column,)


@dataclass(frozen=True)
class NotIn(Check):
    """A value is none of `forbidden` (a null is none of them)."""

    field: Field
    forbidden: tuple[str, ...]
    why: str
    template = "{subject} {is} {value}{at}; {why}"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        return ~one_of(cases[self.field.column], self.forbidden)

    def slots(self) -> Slots:
        return _common(self.field) | {"why": self.why}

    @property
    def compares(self) -> tuple[str, ...]:
        return (self.field.column,)


@dataclass(frozen=True)
class Same(Check):
    """Two values are equal; a null equals nothing, not even another null."""

    field: Field
    other: Field
    why: str = ""
    template = "{subject} {is} {value} but {other_subject} {is} {other}{at}; {why}"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        left, right = cases[self.field.column], cases[self.other.column]
        return truth(left.notna() & (left == right))

    def slots(self) -> Slots:
        return _common(self.field) | {
            "other_subject": self.other.subject,
            "other": self.other.value,
            "why": self.why,
        }

    @property
    def compares(self) -> tuple[str, ...]:
        return (self.field.column, self.other.column)


@dataclass(frozen=True)
class EmptyOrSame(Check):
    """A value is null or equals another (e.g. the payer is the admin or not named)."""

    field: Field
    other: Field
    template = "{subject} is {value} but {other_subject} is {other}"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        left = cases[self.field.column]
        return truth(left.isna() | (left == cases[self.other.column]))

    def slots(self) -> Slots:
        return _common(self.field) | {
            "other_subject": self.other.subject,
            "other": Value(self.other.column, PLAIN),
        }

    @property
    def compares(self) -> tuple[str, ...]:
        return (self.field.column,)


@dataclass(frozen=True)
class NoneHeld(Check):
    """A per-member count is zero (no open order, no usable voucher); the sentence names the
    count, the money behind it and the smallest id as an example."""

    count: str
    cents: str
    example: str
    why: str
    template = "member {member} {has} {count} ({cents}), e.g. {example}{at}; {why}"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        return truth(cases[self.count] == 0)

    def slots(self) -> Slots:
        return _common(Field(self.count, "member")) | {
            "count": Value(self.count, TEXT),
            "cents": Value(self.cents, MONEY),
            "example": Value(self.example, PLAIN),
            "why": self.why,
        }

    @property
    def compares(self) -> tuple[str, ...]:
        return (self.count, self.cents)


@dataclass(frozen=True)
class IsTrue(Check):
    """A flag is set (null is not)."""

    field: Field
    template = "{subject} {is} {value}{at}, must be true"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        return truth(cases[self.field.column])

    def slots(self) -> Slots:
        return _common(self.field)

    @property
    def compares(self) -> tuple[str, ...]:
        return (self.field.column,)


@dataclass(frozen=True)
class Either(Check):
    """`first` or `second` holds; both must when the flag parameter `both` is set. Slots of
    each are offered prefixed: {first_value}, {second_bound}, ..."""

    first: Check
    second: Check
    both: str  # the Params flag that asks for both
    template = "{first_subject} {is} {first_value} and {second_subject} {is} {second_value}{at}"

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        first, second = self.first.holds(cases, params), self.second.holds(cases, params)
        return (first & second) if getattr(params, self.both) else (first | second)

    def slots(self) -> Slots:
        slots: dict[str, tuple[Part, ...] | Part] = {}
        for prefix, check in (("first", self.first), ("second", self.second)):
            slots |= {f"{prefix}_{name}": part for name, part in check.slots().items()}
        return UINS | slots

    @property
    def compares(self) -> tuple[str, ...]:
        return self.first.compares + self.second.compares


@dataclass(frozen=True)
class AllOf(Check):
    """Every check holds; a failing row is explained by the first check it fails, in its own
    template (`templates`, one per check, '' for the check's default)."""

    checks: tuple[Check, ...]
    templates: tuple[str, ...] = ()

    def holds(self, cases: pd.DataFrame, params: Params) -> np.ndarray:
        return np.logical_and.reduce([check.holds(cases, params) for check in self.checks])

    def explained(
        self, cases: pd.DataFrame, params: Params, template: str
    ) -> list[tuple[np.ndarray | None, str, Slots]]:
        wording = self.templates or ("",) * len(self.checks)
        return [
            (~check.holds(cases, params), words or check.template, check.slots())
            for check, words in zip(self.checks, wording, strict=True)
        ]

    def slots(self) -> Slots:
        return UINS

    @property
    def compares(self) -> tuple[str, ...]:
        return tuple(c for check in self.checks for c in check.compares)


Mask = Callable[[pd.DataFrame, Params], np.ndarray]
