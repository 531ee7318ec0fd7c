"""Run parameters: every knob of the rules in one frozen value."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.errors import ParameterError
from auditkit.vocab import CustomerTier, Moment, OrderStatus, values

DEFAULT_VERIFIED_INTERNAL_TYPES = frozenset({4, 6, 9})
DEFAULT_OPEN_ORDER_STATUSES = frozenset({OrderStatus.TO_BE_PAID, OrderStatus.PROCESSING})
DEFAULT_Q03_TIERS = frozenset({CustomerTier.MID, CustomerTier.LONG_TAIL})


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def parse_date(text: str | dt.date) -> dt.date:
    """Parse an as_of value given as YYYY-MM-DD (or pass a date through)."""
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ParameterError(
            f"as_of {text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-11-01"
        ) from None


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
        object.__setattr__(self, "as_of", parse_date(self.as_of))
        object.__setattr__(
            self, "verified_internal_types", frozenset(int(t) for t in self.verified_internal_types)
        )
        statuses = frozenset(str(s) for s in self.open_order_statuses)
        _check_subset("open_order_statuses", statuses, values(OrderStatus))
        object.__setattr__(self, "open_order_statuses", statuses)
        tiers = frozenset(str(t) for t in self.q03_tiers)
        _check_subset("q03_tiers", tiers, values(CustomerTier))
        object.__setattr__(self, "q03_tiers", tiers)
        object.__setattr__(self, "j10_require_both", bool(self.j10_require_both))
        try:
            object.__setattr__(self, "at", Moment(self.at))
        except ValueError:
            raise ParameterError(
                f"at {self.at!r} is unknown; expected one of {values(Moment)}"
            ) from None

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


def _check_subset(name: str, given: Iterable[str], allowed: list[str]) -> None:
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ParameterError(f"{name} holds {unknown}; allowed values are {allowed}")


def read_params_file(path: Path | None) -> dict[str, object]:
    """The rule parameters of a JSON file (`--params`), as a dict; {} when no file is given."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ParameterError(f"--params {path}: cannot read a JSON object ({error})") from None
    if not isinstance(data, dict):
        raise ParameterError(f"--params {path}: expected a JSON object of rule parameters")
    if "as_of" in data:
        raise ParameterError("give as_of with --as-of, not in the parameters file")
    return data
