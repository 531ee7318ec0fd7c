"""What a rule, a feature and a catalogue are: frozen declarations, nothing executed here.

A rule reads columns of the *case frame* (one row per request, built by
`auditkit.engine.cases` from the catalogue's features). `applies` returns a
boolean mask over that frame; `check` (a check kind, `auditkit.rules.checks`)
gives the mask of what must hold and the template of the sentence for the
rows where it does not. Titles, applies-to texts, fixed reasons and readings
are templates filled from `Params` (see `auditkit.rules.phrasing`), so a
sentence can never state a threshold the logic does not use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from auditkit.contract import CODE_PATTERN, REQUEST_FIELDS
from auditkit.errors import ParameterError
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.rules.checks import Check, Mask
from auditkit.rules.phrasing import render
from auditkit.vocab import Action, PaymentMode, Reads, values

Columns = dict[str, object]


@dataclass(frozen=True)
class Scope:
    """The requests a rule judges, decided by the request's own columns alone."""

    actions: frozenset[Action]
    payment_modes: frozenset[PaymentMode] = frozenset(PaymentMode)

    def action_words(self) -> str:
        """E.g. 'join', or 'join and quit'."""
        return " and ".join(a for a in values(Action) if a in self.actions)

    def mode_words(self) -> str:
        """E.g. 'pay_on_behalf', or 'pay_on_behalf or self_pay'."""
        return " or ".join(m for m in values(PaymentMode) if m in self.payment_modes)

    def describe(self) -> str:
        """E.g. 'join requests, pay_on_behalf' or 'quit requests, any payment mode'."""
        if self.payment_modes == frozenset(PaymentMode):
            modes = "any payment mode"
        else:
            modes = self.mode_words()
        return f"{self.action_words()} requests, {modes}"


@dataclass(frozen=True)
class Rule:
    """One requirement of the source document, judged per request."""

    id: str
    title: str  # template: the state that should hold
    citation: str  # the section of the source document
    scope: Scope
    reads: tuple[Reads, ...]
    check: Check  # what must hold, and the sentence when it does not
    pass_reason: str  # template
    fail_reason: str = ""  # template naming the check's slots; '' for the check's own
    applies: Mask | None = None
    applies_when: str = ""  # template: the account condition, when there is one
    not_applicable_reason: str = ""  # template: why `applies` is False
    # How the catalogue reads the document where it can be read two ways (template).
    reading: str = ""
    # The money a failing row puts at stake, in cents, and what that money is.
    exposure: Callable[[pd.DataFrame], pd.Series] | None = None
    exposure_kind: str = ""

    @property
    def compares(self) -> tuple[str, ...]:
        """The case-frame columns the check compares: what a drill-down marks when it fails."""
        return self.check.compares

    def text(self, params: Params) -> RuleText:
        """The rule's sentences with the parameters of a run filled in."""
        applies_to = self.scope.describe()
        if self.applies_when:
            applies_to += ", " + render(self.applies_when, params)
        return RuleText(
            title=render(self.title, params, capitalize=True),
            applies_to=applies_to,
            pass_reason=render(self.pass_reason, params),
            not_applicable_reason=render(
                self.not_applicable_reason or "rule does not apply to this account", params
            ),
            reading=render(self.reading, params),
        )


@dataclass(frozen=True)
class RuleText:
    """A rule's sentences for one set of parameters."""

    title: str
    applies_to: str
    pass_reason: str
    not_applicable_reason: str
    reading: str  # '' when the document reads one way only


@dataclass(frozen=True)
class Computed:
    """A feature's values: case columns, one value per request, and the rows behind them.

    `rows` (the open orders, the usable vouchers) is evidence for a drill-down: a
    frame keyed by `uin` (the same rows for every request of a member), or by
    `case`, the request's position, when the rows depend on the request's moment.
    """

    columns: Columns
    rows: pd.DataFrame | None = None


@dataclass(frozen=True)
class MemberTotals:
    """A per-member aggregate over the rows of one table that `selects` keeps (snapshot form):
    how many, their `amount_column` summed, and the smallest `id_column` as an example.

    A count, a sum and a minimum: computed per partition and combined, they give the
    same numbers whatever the row order or partitioning (the Dask engine's reduction).
    """

    table: str
    id_column: str
    amount_column: str
    selects: Callable[[pd.DataFrame, Params], np.ndarray]
    reads: tuple[str, ...]  # the input columns `selects` and the totals read


@dataclass(frozen=True)
class Feature:
    """A per-request fact the rules read, computed from the tables without a loop over rows.

    `compute(tables, params, requests)` returns the case columns named in `columns`.
    What a distributed engine needs to know to bring the right rows to each
    partition of the requests: `roles`, for the accounts' states looked up by the
    request's `<role>_uin`; `totals`, for a per-member aggregate (snapshot form).
    """

    name: str
    reads: tuple[Reads, ...]
    columns: tuple[str, ...]
    compute: Callable[[Tables, Params, pd.DataFrame], Computed]
    roles: tuple[str, ...] = ()
    totals: MemberTotals | None = None


@dataclass(frozen=True)
class SourceDocument:
    """The document a catalogue implements."""

    publisher: str
    title: str
    revision: dt.date  # the document's "last updated" date

    @property
    def label(self) -> str:
        return f"{self.publisher}, {self.title}"

    def cite(self) -> str:
        return f"{self.label} (last updated {self.revision.isoformat()})"


@dataclass(frozen=True)
class Catalogue:
    """Rules, the features they read, their source and the platform's decision codes.

    `decision_codes` maps an error code the platform returns when it refuses a
    request to the ids of the rules that code stands for (contract v1.1 §6).
    A second source document is a second catalogue, not new engine code.
    """

    name: str
    source: SourceDocument
    rules: tuple[Rule, ...]
    features: tuple[Feature, ...]
    decision_codes: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def __post_init__(self) -> None:
        ids = self.rule_ids
        if len(set(ids)) != len(ids):
            raise ValueError(f"catalogue {self.name}: rule ids repeat: {ids}")
        provided = {read for feature in self.features for read in feature.reads} | {Reads.REQUEST}
        columns = {c for feature in self.features for c in feature.columns} | set(REQUEST_FIELDS)
        for rule in self.rules:
            unread = sorted(set(rule.reads) - provided)
            if unread:
                raise ValueError(f"rule {rule.id} reads {unread}, which no feature provides")
            unknown = sorted(set(rule.compares) - columns)
            if unknown:
                raise ValueError(f"rule {rule.id} compares {unknown}, which no feature computes")
        for code, rule_ids in self.decision_codes:
            unknown = sorted(set(rule_ids) - set(ids))
            if unknown:
                raise ValueError(f"decision code {code} maps to unknown rules {unknown}")

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"rule {rule_id!r} is not in the catalogue {self.name}")

    def decision_code_map(self) -> Mapping[str, tuple[str, ...]]:
        return dict(self.decision_codes)

    def with_decision_codes(self, mapping: object) -> Catalogue:
        """This catalogue with another decision-code map, e.g. read from a JSON file:
        {"Code.Name": ["POB-J07", ...], ...}. Anything else is a ParameterError."""
        if not isinstance(mapping, dict) or not mapping:
            raise ParameterError("decision codes: expected a JSON object of code -> [rule ids]")
        codes = []
        for code, rule_ids in mapping.items():
            if not re.fullmatch(CODE_PATTERN, code):
                raise ParameterError(
                    f"decision code {code!r}: expected 1-128 ASCII letters, digits or ._-"
                )
            if (
                not isinstance(rule_ids, list)
                or not rule_ids
                or not all(isinstance(r, str) and r in self.rule_ids for r in rule_ids)
            ):
                raise ParameterError(
                    f"decision code {code!r} maps to {rule_ids!r}; expected a non-empty list of "
                    f"rule ids among {self.rule_ids}"
                )
            codes.append((code, tuple(rule_ids)))
        return self.replace(decision_codes=tuple(codes))

    def replace(self, **changes: object) -> Catalogue:
        return dataclasses.replace(self, **changes)

    def describe(self, params: Params) -> pd.DataFrame:
        """The catalogue as a table for `params`: rule_id, title, applies_to, reads, citation,
        and the reading taken where the document can be read two ways."""
        texts = [rule.text(params) for rule in self.rules]
        return pd.DataFrame(
            {
                "rule_id": self.rule_ids,
                "title": [t.title for t in texts],
                "applies_to": [t.applies_to for t in texts],
                "reads": [", ".join(rule.reads) for rule in self.rules],
                "citation": [rule.citation for rule in self.rules],
                "reading": [t.reading for t in texts],
            }
        )

    def to_dict(self) -> dict[str, object]:
        """The declarations as JSON-ready data: templates unfilled, so independent of Params."""
        return {
            "name": self.name,
            "source": {
                "publisher": self.source.publisher,
                "title": self.source.title,
                "revision": self.source.revision.isoformat(),
            },
            "rules": [
                {
                    "id": rule.id,
                    "title": rule.title,
                    "citation": rule.citation,
                    "scope": rule.scope.describe(),
                    "reads": list(rule.reads),
                    "applies_when": rule.applies_when,
                    "check": rule.check.describe(),
                    "fail_reason": rule.fail_reason or rule.check.template,
                    "pass_reason": rule.pass_reason,
                    "not_applicable_reason": rule.not_applicable_reason,
                    "reading": rule.reading,
                    "exposure": rule.exposure_kind,
                }
                for rule in self.rules
            ],
            "features": [feature.name for feature in self.features],
            "decision_codes": {code: list(ids) for code, ids in self.decision_codes},
        }

    def fingerprint(self) -> str:
        """sha256 of `to_dict()`: changes whenever a rule, text, source or code map changes."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
