"""The population a report judges: the requests made in its calendar month (contract v1.1 section 5).

Requests outside the month are not judged; they are counted, before and after
the month. In snapshot mode every request is judged against the tables at
`as_of`, so requests of the month made after that moment are counted too.

The explorer judges every request once and then keeps a month's requests
(`result_in_period`): the same population as the report's, with the same
results, because no rule reads another request (each is judged on its own).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from auditkit.engine.result import AuditResult
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

    def contains(self, moments: pd.Series) -> np.ndarray:
        """Which `moments` (requested_at, UTC) fall in the month: start <= t < end."""
        return ((moments >= self.start) & (moments < self.end)).to_numpy(dtype=bool)


def months(moments: pd.Series) -> list[str]:
    """The calendar months (YYYY-MM, UTC) the `moments` fall in, oldest first."""
    stamps = pa.array(moments).cast(pa.timestamp("us")).drop_null()  # Arrow-backed or numpy
    found = np.unique(stamps.to_numpy(zero_copy_only=False).astype("datetime64[M]"))
    return [str(month) for month in found]


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


def population(requested: pd.Series, period: Period, params: Params) -> Population:
    """The counts of the population of `period` among requests made at `requested`."""
    inside = period.contains(requested)
    before = (requested < period.start).to_numpy(dtype=bool)
    after = (requested >= period.end).to_numpy(dtype=bool)
    late = inside & (requested > params.as_of_timestamp).to_numpy(dtype=bool)
    return Population(
        period=period.name,
        moment=params.at.value,
        read=len(requested),
        in_period=int(inside.sum()),
        before_period=int(before.sum()),
        after_period=int(after.sum()),
        after_as_of=0 if params.at_requested else int(late.sum()),
    )


def in_period(tables: Tables, period: Period, params: Params) -> tuple[Tables, Population]:
    """The tables with only the period's requests, and the counts of the population."""
    requested = tables.requests["requested_at"]
    scoped = tables.requests[period.contains(requested)].reset_index(drop=True)
    return tables.replace(requests=scoped), population(requested, period, params)


def result_in_period(result: AuditResult, period: Period) -> AuditResult:
    """The evaluation of the period's requests only, kept from an evaluation of all requests.

    Equal to judging the period's tables (`in_period`, then evaluate), as a report does:
    each request's results depend on the tables and on that request alone.
    """
    return result_rows(result, np.flatnonzero(period.contains(result.cases["requested_at"])))


def result_rows(result: AuditResult, rows: np.ndarray) -> AuditResult:
    """The evaluation of the requests at `rows` (positions, in order); evidence kept for them."""
    if len(rows) == len(result.cases) and np.array_equal(rows, np.arange(len(rows))):
        return result
    renumber = np.full(len(result.cases), -1, dtype=np.int64)
    renumber[rows] = np.arange(len(rows))
    evidence = {}
    for name, frame in result.evidence_rows.items():
        if "case" in frame:  # judged at requested_at: rows are by request position
            case = renumber[frame["case"].to_numpy(dtype=np.int64)]
            kept = case >= 0
            frame = frame[kept].assign(case=case[kept]).reset_index(drop=True)
        evidence[name] = frame
    return AuditResult(
        params=result.params,
        catalogue=result.catalogue,
        cases=result.cases.iloc[rows].reset_index(drop=True),
        status_codes=np.asarray(result.status_codes)[rows],
        reason_codes=np.asarray(result.reason_codes)[rows],
        reason_texts=result.reason_texts,
        evidence_rows=evidence,
    )
