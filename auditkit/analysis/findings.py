"""Filter, sort, page and export the (request, rule) findings of one evaluation.

Works on the status and reason matrices with numpy: a finding is addressed by
its position `request * rules + rule` in the request-major long table, so a
filter over 1M requests (13M findings) never builds that table; only the rows
of the page shown, or of an export, are materialized. Text is searched and
ranked by Arrow kernels on the case frame's own columns, never as Python strings.

A search names one request id (in any case) or one uin exactly, or else is
looked for inside request ids and uins; `Findings.hidden` says how many of the
searched requests' rule results the other filters hide. A period keeps the
requests made in one calendar month (UTC), as a report's population does
(`analysis.population.Period`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.analysis.population import Period
from auditkit.analysis.summaries import SEGMENTS, segment_of
from auditkit.engine import tabulate
from auditkit.engine.result import AuditResult
from auditkit.errors import ParameterError
from auditkit.vocab import (
    STATUS_CODE,
    STATUSES,
    VERDICT_CODE,
    ControlException,
    Status,
    Verdict,
    values,
)

FINDING_COLUMNS = (
    "request_id",
    "member_uin",
    "admin_uin",
    "action",
    "payment_mode",
    "rule_id",
    "status",
    "reason",
    "verdict",
    "decision",
    "control_exception",
    "decision_code_check",
)
REQUEST_COLUMNS = ("request_id", "member_uin", "admin_uin", "action", "payment_mode", "decision")
REVIEW_COLUMN = "review_state"  # added when review states are attached (`Findings.set_review`)
SEARCHED = ("request_id", "member_uin", "admin_uin")


@dataclass(frozen=True)
class FindingsFilter:
    """Which findings to keep; None (or an empty search) keeps everything on that axis.

    `statuses` and `control_exceptions` accept any of the listed values; the
    control exception of a request without one is the empty string.
    """

    rule_id: str | None = None
    statuses: tuple[str, ...] | None = None
    verdict: str | None = None
    action: str | None = None
    payment_mode: str | None = None
    segment: str = SEGMENTS[0]
    segment_value: str | None = None
    control_exceptions: tuple[str, ...] | None = None
    decision_code_checks: tuple[str, ...] | None = None
    search: str = ""
    review_codes: tuple[int, ...] | None = None  # codes into the attached review labels
    period: str | None = None  # YYYY-MM: requests made in that month (UTC)

    def __post_init__(self) -> None:
        if self.period is not None:
            Period(self.period)  # refuses anything but YYYY-MM
        if self.segment not in SEGMENTS:
            raise ParameterError(f"segment {self.segment!r} is unknown; expected one of {SEGMENTS}")
        if self.statuses is not None:
            unknown = sorted(set(self.statuses) - set(values(Status)))
            if unknown:
                raise ParameterError(
                    f"status filter holds {unknown}; allowed values are {values(Status)}"
                )


def _arrow(values_: object) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow text without copying Arrow-backed strings (categoricals decoded)."""
    values_ = pd.Series(values_) if not isinstance(values_, pd.Series) else values_
    if not pd.api.types.is_string_dtype(values_.dtype):
        values_ = values_.astype("str")
    return pa.array(values_)


def _dense_rank(values_: object) -> np.ndarray:
    """Sort rank of each value by its text (nulls first, as ''), computed by Arrow."""
    text = pc.fill_null(_arrow(values_), "")
    ranked = pc.rank(text, sort_keys="ascending", tiebreaker="dense")
    return ranked.to_numpy(zero_copy_only=False).astype(np.int64)


def _codes(column: pd.Series, wanted: tuple[str, ...]) -> tuple[np.ndarray, list[int]]:
    """A categorical column's codes and the codes of the `wanted` values ('' included)."""
    categories = list(column.cat.categories)
    return column.cat.codes.to_numpy(), [categories.index(w) for w in wanted if w in categories]


@dataclass(frozen=True)
class Hidden:
    """What a search found before the other filters: requests, their rule results, and how many show."""

    requests: int
    results: int
    shown: int

    @property
    def hidden(self) -> int:
        return self.results - self.shown


class Search:
    """Requests by what a person types: one request id (any case) or uin exactly, else a part."""

    def __init__(self, cases: pd.DataFrame) -> None:
        self.columns = {column: _arrow(cases[column]) for column in SEARCHED}
        self.requests = len(cases)

    def __call__(self, text: str) -> np.ndarray:
        needle = text.strip()
        if not needle:
            return np.ones(self.requests, dtype=bool)
        exact = pc.equal(pc.ascii_lower(self.columns["request_id"]), needle.lower())
        for column in SEARCHED[1:]:
            exact = pc.or_(exact, pc.equal(self.columns[column], needle))
        found = _mask(exact)
        if found.any():
            return found
        for column in self.columns.values():
            found |= _mask(pc.match_substring(column, needle, ignore_case=True))
        return found


def request_verdicts(result: AuditResult) -> pd.DataFrame:
    """The verdicts columns a finding shows, per request (REQUEST_COLUMNS, verdict,
    control_exception, decision_code_check): the contract's verdicts without the joined rule
    lists, which no finding shows and which take the longest to build at a million requests."""
    if "verdicts" in vars(result):  # built already (a cached_property): take it
        return result.verdicts
    cases, decision = result.cases, result.cases["decision"]
    exceptions = tabulate.exception_codes(decision, result.verdict_codes)
    columns = {name: cases[name] for name in REQUEST_COLUMNS}
    columns["verdict"] = pd.Categorical.from_codes(result.verdict_codes, values(Verdict))
    columns["control_exception"] = pd.Categorical.from_codes(
        exceptions, ["", *values(ControlException)]
    )
    columns["decision_code_check"] = tabulate.decision_code_checks(
        decision,
        cases["decision_code"],
        result.status_codes,
        result.rule_ids,
        result.decision_code_map,
    )
    return pd.DataFrame(columns)


class Findings:
    """Per-request arrays of one AuditResult, built once, to select findings quickly."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
        self.requests, self.rules = result.status_codes.shape
        self._verdicts = request_verdicts(result)
        self._search = Search(result.cases)
        self._segments: dict[str, pd.Categorical] = {}
        self._periods: dict[str, np.ndarray] = {}
        self.review_codes: np.ndarray | None = None
        self.review_labels: np.ndarray = np.asarray([""], dtype=object)

    @property
    def verdicts(self) -> pd.DataFrame:
        """Per request: its columns, verdict, control exception and decision code check."""
        return self._verdicts

    def set_review(self, codes: np.ndarray, labels: tuple[str, ...]) -> None:
        """Attach a review state code per (request, rule); code c shows labels[c], -1 shows ''."""
        self.review_codes = codes
        self.review_labels = np.asarray(("", *labels), dtype=object)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of `frame`: FINDING_COLUMNS, then review_state when states are attached."""
        return FINDING_COLUMNS + ((REVIEW_COLUMN,) if self.review_codes is not None else ())

    # ---- selecting --------------------------------------------------------------------

    def segment_labels(self, segment: str) -> pd.Categorical:
        """Each request's segment label, as codes over the few labels there are."""
        if segment not in self._segments:
            self._segments[segment] = pd.Categorical(segment_of(self.result, segment))
        return self._segments[segment]

    def segment_values(self, segment: str) -> list[str]:
        labels = self.segment_labels(segment)
        return sorted(str(v) for v in labels.categories[np.unique(labels.codes[labels.codes >= 0])])

    def in_period(self, period: str) -> np.ndarray:
        """Which requests were made in `period` (YYYY-MM, UTC), as a report of it counts them."""
        if period not in self._periods:
            self._periods[period] = Period(period).contains(self.result.cases["requested_at"])
        return self._periods[period]

    def request_mask(self, f: FindingsFilter) -> np.ndarray:
        """Requests whose own attributes pass the filter."""
        cases = self.result.cases
        keep = np.ones(self.requests, dtype=bool)
        if f.period is not None:
            keep &= self.in_period(f.period)
        if f.verdict is not None:
            keep &= self.result.verdict_codes == VERDICT_CODE[Verdict(f.verdict)]
        if f.action is not None:
            keep &= (cases["action"] == f.action).to_numpy(dtype=bool)
        if f.payment_mode is not None:
            keep &= (cases["payment_mode"] == f.payment_mode).to_numpy(dtype=bool)
        if f.segment_value is not None:
            keep &= np.asarray(self.segment_labels(f.segment) == f.segment_value, dtype=bool)
        for column, wanted in (
            ("control_exception", f.control_exceptions),
            ("decision_code_check", f.decision_code_checks),
        ):
            if wanted is not None:
                codes, wanted_codes = _codes(self._verdicts[column], wanted)
                keep &= np.isin(codes, wanted_codes)
        if f.search.strip():
            keep &= self.search(f.search)
        return keep

    def search(self, text: str) -> np.ndarray:
        """Requests a search names (see `Search`)."""
        return self._search(text)

    def hidden(self, f: FindingsFilter, shown: int) -> Hidden:
        """The searched requests and all their rule results, against the `shown` that pass `f`."""
        requests = int(self.search(f.search).sum()) if f.search.strip() else self.requests
        return Hidden(requests=requests, results=requests * self.rules, shown=shown)

    def select(self, f: FindingsFilter) -> np.ndarray:
        """Positions (request * rules + rule) of the findings that pass, in request-major order."""
        status = self.result.status_codes
        keep = np.broadcast_to(self.request_mask(f)[:, None], status.shape)
        if f.rule_id is not None:
            if f.rule_id not in self.result.rule_ids:
                raise ParameterError(f"rule {f.rule_id!r} is not in the catalogue")
            keep = keep & (np.arange(self.rules) == self.result.rule_ids.index(f.rule_id))
        if f.statuses is not None:
            keep = keep & _among(status, [STATUS_CODE[Status(s)] for s in f.statuses])
        if f.review_codes is not None and self.review_codes is not None:
            keep = keep & _among(self.review_codes, list(f.review_codes))
        return np.flatnonzero(keep)

    # ---- sorting ----------------------------------------------------------------------

    def sort(
        self, positions: np.ndarray, column: str | None, descending: bool = False
    ) -> np.ndarray:
        """The positions ordered by `column` (stable: ties keep request-major order)."""
        if column is None:
            return positions[::-1] if descending else positions
        if column not in self.columns:
            raise ParameterError(f"cannot sort by {column!r}; expected one of {self.columns}")
        key = _sort_key(self, positions, column)
        order = np.argsort(-key if descending else key, kind="stable")
        return positions[order]

    # ---- materializing ----------------------------------------------------------------

    def frame(self, positions: np.ndarray) -> pd.DataFrame:
        """The findings at `positions` as a table with FINDING_COLUMNS."""
        return _frame(self, np.asarray(positions, dtype=np.int64))

    def member_uins(self, positions: np.ndarray) -> frozenset[str]:
        """Member uins of the requests the findings belong to."""
        requests = np.unique(np.asarray(positions, dtype=np.int64) // self.rules)
        return frozenset(self.result.cases["member_uin"].iloc[requests].astype("str"))


def _sort_key(index: Findings, positions: np.ndarray, column: str) -> np.ndarray:
    """Each finding's rank by `column` (one of `index.columns`)."""
    result = index.result
    request, rule = np.divmod(positions, index.rules)
    if column == REVIEW_COLUMN:
        rank = _dense_rank(index.review_labels)
        return rank[index.review_codes[request, rule].astype(np.int64) + 1]
    if column == "rule_id":
        return rule
    if column == "status":
        return _dense_rank(values(Status))[result.status_codes[request, rule]]
    if column == "reason":
        return _dense_rank(result.reason_texts)[result.reason_codes[request, rule]]
    return _dense_rank(index.verdicts[column])[request]


def _frame(index: Findings, positions: np.ndarray) -> pd.DataFrame:
    """The findings at `positions` as a table with `index.columns`."""
    request, rule = np.divmod(positions, index.rules)
    result, cases, verdicts = index.result, index.result.cases, index.verdicts
    data: dict[str, object] = {
        name: cases[name].iloc[request].reset_index(drop=True)
        for name in REQUEST_COLUMNS
        if name != "decision"
    }
    data["rule_id"] = pd.Categorical.from_codes(rule, categories=result.rule_ids)
    data["status"] = pd.Categorical.from_codes(
        result.status_codes[request, rule], categories=[s.value for s in STATUSES]
    )
    data["reason"] = pd.Series(result.reason_texts[result.reason_codes[request, rule]], dtype="str")
    for name in ("verdict", "decision", "control_exception", "decision_code_check"):
        data[name] = verdicts[name].iloc[request].reset_index(drop=True)
    if index.review_codes is not None:
        shown = index.review_labels[index.review_codes[request, rule].astype(np.int64) + 1]
        data[REVIEW_COLUMN] = pd.Series(shown, dtype="str")
    return pd.DataFrame(data, columns=list(index.columns))


def _among(codes: np.ndarray, wanted: list[int]) -> np.ndarray:
    """`np.isin(codes, wanted)` for a few wanted codes (statuses, review states): one
    comparison per code over a (requests, rules) matrix is ten times faster than a set test."""
    found = np.zeros(np.shape(codes), dtype=bool)
    for value in sorted(set(wanted)):
        found |= codes == value
    return found


def _mask(found: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
