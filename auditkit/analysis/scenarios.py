"""What-if scenarios as values: named, written as JSON-ready data, and compared side by side.

A `Scenario` is a name, the `Params` it judges with and its edits. Once applied
it has an `Outcome`: verdicts before and after, how many requests changed
verdict, failures per rule, and the key of the data it was computed on (an
outcome computed on other data says so instead of passing for current). Where
scenarios are kept (the review register or a JSON file) is
`auditkit.review.scenarios`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from auditkit.analysis.edits import BindCard, ClearVouchers, Edit, SettleOpenOrders, TopUpBalances
from auditkit.analysis.whatif import WhatIfDiff
from auditkit.errors import ParameterError
from auditkit.params import Params
from auditkit.vocab import Verdict, values

NAME_MAX = 128
MAX_SAVED_UINS = 100_000
EDIT_KINDS: dict[str, type] = {
    "settle_open_orders": SettleOpenOrders,
    "top_up_balances": TopUpBalances,
    "clear_vouchers": ClearVouchers,
    "bind_card": BindCard,
}
KIND_OF = {kind: name for name, kind in EDIT_KINDS.items()}


def edit_to_dict(edit: Edit) -> dict[str, object]:
    """An edit as data: {"edit": kind, "uins": [...] or None, "how": ... for vouchers}."""
    uins = getattr(edit, "uins", None)
    if uins is not None and len(uins) > MAX_SAVED_UINS:
        raise ParameterError(
            f"a saved scenario lists at most {MAX_SAVED_UINS:,} uins; this edit names "
            f"{len(uins):,}: scope it to fewer accounts"
        )
    data: dict[str, object] = {
        "edit": KIND_OF[type(edit)],
        "uins": None if uins is None else sorted(uins),
    }
    if isinstance(edit, ClearVouchers):
        data["how"] = edit.how.value
    return data


def edit_from_dict(data: dict[str, object]) -> Edit:
    kind = EDIT_KINDS.get(str(data.get("edit")))
    if kind is None:
        raise ParameterError(
            f"unknown edit {data.get('edit')!r}; expected one of {list(EDIT_KINDS)}"
        )
    extra = {"how": data["how"]} if kind is ClearVouchers and "how" in data else {}
    return kind(uins=data.get("uins"), **extra)


@dataclass(frozen=True)
class Scenario:
    """A named what-if: the parameters it judges with and the edits it makes to the data."""

    name: str
    params: Params
    edits: tuple[Edit, ...] = ()

    def __post_init__(self) -> None:
        name = str(self.name).strip()
        if not name or len(name) > NAME_MAX or not name.isprintable():
            raise ParameterError(
                f"a scenario needs a name of 1 to {NAME_MAX} printable characters, got {self.name!r}"
            )
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "edits", tuple(self.edits))

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "params": self.params.to_dict(),
            "edits": [edit_to_dict(edit) for edit in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Scenario:
        return cls(
            name=str(data["name"]),
            params=Params.from_dict(dict(data["params"])),  # type: ignore[arg-type]
            edits=tuple(edit_from_dict(e) for e in data.get("edits", ())),  # type: ignore[union-attr]
        )


@dataclass(frozen=True)
class Outcome:
    """What a scenario did to one evaluation (`data_key` names the evaluation)."""

    data_key: str
    before: dict[str, int]  # verdict -> requests, baseline
    after: dict[str, int]  # verdict -> requests, scenario
    changed: int  # requests whose verdict changed
    failures: dict[str, list[int]]  # rule id -> [failing before, after, gained, lost]
    computed_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    @classmethod
    def of(cls, diff: WhatIfDiff, data_key: str) -> Outcome:
        by_rule = diff.by_rule
        return cls(
            data_key=data_key,
            before={k: int(v) for k, v in diff.verdicts_before.items()},
            after={k: int(v) for k, v in diff.verdicts_after.items()},
            changed=len(diff.changed),
            failures=dict(
                zip(
                    by_rule.index.astype("str"),
                    by_rule[["fail_before", "fail_after", "gained", "lost"]]
                    .astype("int64")
                    .to_numpy()
                    .tolist(),
                    strict=True,
                )
            ),
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "data_key": self.data_key,
            "before": self.before,
            "after": self.after,
            "changed": self.changed,
            "failures": self.failures,
            "computed_at": self.computed_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Outcome:
        return cls(**data)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SavedScenario:
    """A scenario as kept: with its last outcome, who saved it and when."""

    scenario: Scenario
    outcome: Outcome | None
    saved_by: str
    saved_at: str

    @property
    def name(self) -> str:
        return self.scenario.name

    def describe(self) -> str:
        """One line: what the scenario changes."""
        before = Params(as_of=self.scenario.params.as_of).to_dict()
        changes = [
            f"{k}={v}" for k, v in self.scenario.params.to_dict().items() if before.get(k) != v
        ]
        changes += [edit.describe() for edit in self.scenario.edits]
        return "; ".join(changes) or "no change"


def comparison(saved: list[SavedScenario], data_key: str) -> pd.DataFrame:
    """Scenarios side by side: one column each (after the baseline), one row per measure.

    Outcomes computed on other data than `data_key` are left empty and say so.
    """
    current = [s for s in saved if s.outcome is not None and s.outcome.data_key == data_key]
    if not current:
        return pd.DataFrame()
    first = current[0].outcome
    assert first is not None
    rows = ["requests changing verdict", *values(Verdict)] + [
        f"{rule_id} failures" for rule_id in first.failures
    ]
    columns: dict[str, list[object]] = {
        "baseline": [0, *(first.before[v] for v in values(Verdict))]
        + [failures[0] for failures in first.failures.values()]
    }
    for item in current:
        outcome = item.outcome
        assert outcome is not None
        columns[item.name] = [outcome.changed, *(outcome.after[v] for v in values(Verdict))] + [
            outcome.failures.get(rule_id, [0, 0])[1] for rule_id in first.failures
        ]
    return pd.DataFrame(columns, index=pd.Index(rows, name="measure"))
