"""The population a report judges: the requests made in its calendar month (contract v1.1 section 5).

Requests outside the month are not judged; they are counted, before and after
the month. In snapshot mode every request is judged against the tables at
`as_of`, so requests of the month made after that moment are counted too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from auditkit.errors import ParameterError
from auditkit.io.tables import Tables
from auditkit.params import Params

PERIOD_PATTERN = re.compile(r"\A[0-9]{4}-(0[1-9]|1[0-2])\Z", re.ASCII)


@dataclass(frozen=True)
class Period:
    """A calendar month in UTC: [start, end)."""

    name: str  # YYYY-MM

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and PERIOD_PATTERN.match(self.name)):
            raise ParameterError(
                f"period {self.name!r} is not a month; expected YYYY-MM, e.g. 2026-11"
            )

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(f"{self.name}-01")

    @property
    def end(self) -> pd.Timestamp:
        return self.start + pd.offsets.MonthBegin(1)

    @property
    def last_day(self) -> dt.date:
        return (self.end - pd.Timedelta(days=1)).date()


@dataclass(frozen=True)
class Population:
    """How many requests were read, judged (in the period) and left out, and why."""

    period: str
    moment: str
    read: int
    in_period: int
    before_period: int
    after_period: int
    after_as_of: int  # of the period's requests; counted in snapshot mode only

    def to_dict(self) -> dict[str, object]:
        return {
            "period": self.period,
            "moment": self.moment,
            "requests_read": self.read,
            "requests_in_period": self.in_period,
            "requests_before_period": self.before_period,
            "requests_after_period": self.after_period,
            "requests_after_as_of": self.after_as_of,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Population:
        return cls(
            period=str(data["period"]),
            moment=str(data["moment"]),
            read=int(data["requests_read"]),
            in_period=int(data["requests_in_period"]),
            before_period=int(data["requests_before_period"]),
            after_period=int(data["requests_after_period"]),
            after_as_of=int(data["requests_after_as_of"]),
        )


def in_period(tables: Tables, period: Period, params: Params) -> tuple[Tables, Population]:
    """The tables with only the period's requests, and the counts of the population."""
    requested = tables.requests["requested_at"]
    before = (requested < period.start).to_numpy(dtype=bool)
    after = (requested >= period.end).to_numpy(dtype=bool)
    inside = ~before & ~after
    late = inside & (requested > params.as_of_timestamp).to_numpy(dtype=bool)
    population = Population(
        period=period.name,
        moment=params.at.value,
        read=len(requested),
        in_period=int(inside.sum()),
        before_period=int(before.sum()),
        after_period=int(after.sum()),
        after_as_of=0 if params.at_requested else int(late.sum()),
    )
    scoped = tables.requests[inside].reset_index(drop=True)
    return tables.replace(requests=scoped), population
