"""Run parameters: every knob of the rules in one frozen value."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.dates import parse_date
from auditkit.errors import ParameterError
from auditkit.json_input import parse_json, read_json_file
from auditkit.vocab import CustomerTier, Moment, OrderStatus, values

DEFAULT_VERIFIED_INTERNAL_TYPES = frozenset({4, 6, 9})
DEFAULT_OPEN_ORDER_STATUSES = frozenset({OrderStatus.TO_BE_PAID, OrderStatus.PROCESSING})
DEFAULT_Q03_TIERS = frozenset({CustomerTier.MID, CustomerTier.LONG_TAIL})


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


MAX_INTERNAL_TYPE = 2**63 - 1


def json_kind(value: object) -> str:
    """How a value reads in JSON terms, for messages: 'the string "469"', 'the number 4'."""
    if isinstance(value, bool):
        return f"the boolean {json.dumps(value)}"
    if isinstance(value, str):
        return f"the string {json.dumps(value)}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    return f"{value!r}"


def _collection(name: str, value: object, example: str) -> list[object]:
    """The items of a set-like parameter; a string, number or object is never read as a set."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    raise ParameterError(f"{name} must be a JSON array such as {example}; got {json_kind(value)}")


def int_set(name: str, value: object) -> frozenset[int]:
    """A set of integers, each given as an integer (no booleans, floats or digit strings)."""
    import numpy as np  # imported here: the command line starts without numpy

    items = _collection(name, value, "[4, 6, 9]")
    for item in items:
        is_int = isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))
        if not is_int or not -MAX_INTERNAL_TYPE - 1 <= int(item) <= MAX_INTERNAL_TYPE:
            raise ParameterError(
                f"{name} must hold integers such as [4, 6, 9]; {json_kind(item)} is not one"
            )
    return frozenset(int(item) for item in items)


def choice_set(name: str, value: object, allowed: list[str]) -> frozenset[str]:
    """A set of strings, each one of `allowed`."""
    items = _collection(name, value, json.dumps(allowed[:2]))
    for item in items:
        if not isinstance(item, str) or item not in allowed:
            raise ParameterError(
                f"{name} must hold values among {allowed}; {json_kind(item)} is not one"
            )
    return frozenset(str(item) for item in items)


def moment(value: object) -> Moment:
    """The moment requests are judged at: "snapshot" or "requested" (a string, or a Moment)."""
    if isinstance(value, str) and value in values(Moment):
        return Moment(value)
    raise ParameterError(f"at must be one of {values(Moment)}; got {json_kind(value)}")


def flag(name: str, value: object) -> bool:
    """A boolean given as a boolean: the string "false" or the number 0 is not one."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ParameterError(f"{name} must be true or false (a JSON boolean); got {json_kind(value)}")


@dataclass(frozen=True)
class Params:
    """Parameters of one evaluation, with the contract's defaults.

    as_of is a date; the snapshot moment is its start (00:00 UTC), so a voucher
    expiring at 2026-11-01T10:00 is still usable as of 2026-11-01. `at` says
    whether requests are judged against that snapshot or each at its own
    requested_at (contract v1.1 section 4).
    """

    as_of: dt.date = field(default_factory=today_utc)
    verified_internal_types: frozenset[int] = DEFAULT_VERIFIED_INTERNAL_TYPES
    open_order_statuses: frozenset[str] = DEFAULT_OPEN_ORDER_STATUSES
    j10_require_both: bool = False
    q03_tiers: frozenset[str] = DEFAULT_Q03_TIERS
    at: Moment = Moment.SNAPSHOT

    def __post_init__(self) -> None:
        # Every value is checked for its exact type, never coerced: bool("false") is True,
        # and set("469") is {"4", "6", "9"}.
        object.__setattr__(self, "as_of", parse_date(self.as_of))
        object.__setattr__(
            self,
            "verified_internal_types",
            int_set("verified_internal_types", self.verified_internal_types),
        )
        object.__setattr__(
            self,
            "open_order_statuses",
            choice_set("open_order_statuses", self.open_order_statuses, values(OrderStatus)),
        )
        object.__setattr__(
            self, "q03_tiers", choice_set("q03_tiers", self.q03_tiers, values(CustomerTier))
        )
        object.__setattr__(
            self, "j10_require_both", flag("j10_require_both", self.j10_require_both)
        )
        object.__setattr__(self, "at", moment(self.at))

    @property
    def as_of_timestamp(self):  # pandas.Timestamp; pandas is imported only when it is needed
        import pandas as pd

        return pd.Timestamp(self.as_of)

    @property
    def at_requested(self) -> bool:
        """Judge each request at its requested_at (else: the snapshot at as_of)."""
        return self.at is Moment.REQUESTED

    def replace(self, **changes: object) -> Params:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict with sorted sets, for manifests and hashes."""
        return {
            "as_of": self.as_of.isoformat(),
            "verified_internal_types": sorted(self.verified_internal_types),
            "open_order_statuses": sorted(self.open_order_statuses),
            "j10_require_both": self.j10_require_both,
            "q03_tiers": sorted(self.q03_tiers),
            "at": self.at.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Params:
        """Params from a JSON-ready dict such as `to_dict()` returns; unknown names are refused."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParameterError(
                f"unknown parameter(s) {sorted(unknown)}; known parameters are {sorted(known)}"
            )
        return cls(**data)  # type: ignore[arg-type]

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def read_params_file(source: Path | str | None) -> dict[str, object]:
    """The rule parameters given with `--params`, as a dict; {} when none are given.

    `source` is a JSON file, or the JSON object itself when it starts with `{`.
    The values are checked for their exact JSON types when `Params` is built.
    """
    if source is None:
        return {}
    inline = str(source).lstrip().startswith("{")
    where = "--params" if inline else f"--params {source}"
    data = parse_json(str(source), where) if inline else read_json_file(source, where)
    if not isinstance(data, dict):
        raise ParameterError(f"{where}: expected a JSON object of rule parameters")
    if "as_of" in data:
        raise ParameterError("give as_of with --as-of, not in the parameters file")
    return data
