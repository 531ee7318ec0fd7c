"""What one evaluation produced: the case frame and, per request and rule, status and reason codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from auditkit.engine import tabulate
from auditkit.params import Params
from auditkit.rules.model import Catalogue, RuleText
from auditkit.vocab import (
    STATUS_CODE,
    STATUSES,
    VERDICT_CODE,
    ControlException,
    Status,
    Verdict,
    values,
)


@dataclass(frozen=True)
class AuditResult:
    """Everything one evaluation produced; `results` and `verdicts` are the contract tables.

    `status_codes` and `reason_codes` are (requests, rules) matrices: positions in
    `vocab.STATUSES` and in `reason_texts`. `evidence_rows` holds, per feature,
    the table rows behind it (open orders, usable vouchers) for drill-downs: by
    member `uin`, or by `case` (request position) when judged at requested_at.
    """

    params: Params
    catalogue: Catalogue
    cases: pd.DataFrame
    status_codes: np.ndarray
    reason_codes: np.ndarray
    reason_texts: np.ndarray
    evidence_rows: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)

    rules = property(lambda self: self.catalogue.rules, doc="The catalogue's rules.")
    rule_ids = property(lambda self: self.catalogue.rule_ids, doc="Their ids, in order.")

    @property
    def decision_code_map(self) -> dict[str, tuple[str, ...]]:
        return dict(self.catalogue.decision_codes)

    @cached_property
    def rule_texts(self) -> list[RuleText]:
        """Each rule's title and fixed sentences for this evaluation's parameters."""
        return [rule.text(self.params) for rule in self.rules]

    @cached_property
    def verdict_codes(self) -> np.ndarray:
        """Per request, the position of its verdict in `vocab.VERDICTS`."""
        any_fail = (self.status_codes == STATUS_CODE[Status.FAIL]).any(axis=1)
        any_error = (self.status_codes == STATUS_CODE[Status.ERROR]).any(axis=1)
        return np.select(
            [any_fail, any_error],
            [VERDICT_CODE[Verdict.INELIGIBLE], VERDICT_CODE[Verdict.UNKNOWN]],
            default=VERDICT_CODE[Verdict.ELIGIBLE],
        ).astype(np.int8)

    @cached_property
    def verdicts(self) -> pd.DataFrame:
        """The contract's verdicts table."""
        return tabulate.verdicts_frame(self)

    @cached_property
    def results(self) -> pd.DataFrame:
        """The contract's long results table, with categorical columns."""
        return tabulate.results_frame(self)

    def results_table(self) -> pa.Table:
        """The long results as a dictionary-encoded Arrow table, for writing."""
        return tabulate.results_arrow(self)

    def status_matrix(self) -> pd.DataFrame:
        """Status per request (rows, by request_id) and rule (columns), as categoricals."""
        frame = pd.DataFrame(
            {
                rule_id: pd.Categorical.from_codes(
                    self.status_codes[:, j], categories=values(Status)
                )
                for j, rule_id in enumerate(self.rule_ids)
            }
        )
        frame.index = pd.Index(self.cases["request_id"], name="request_id")
        return frame

    def verdict_counts(self) -> dict[str, int]:
        counts = np.bincount(self.verdict_codes, minlength=len(Verdict))
        return dict(zip(values(Verdict), map(int, counts), strict=True))

    def rule_counts(self) -> pd.DataFrame:
        """Per rule: its title and how many requests got each status."""
        counts = {
            status.value: (self.status_codes == STATUS_CODE[status]).sum(axis=0)
            for status in STATUSES
        }
        frame = pd.DataFrame(counts, index=pd.Index(self.rule_ids, name="rule_id"))
        frame.insert(0, "title", [text.title for text in self.rule_texts])
        return frame

    def exception_counts(self) -> dict[str, int]:
        column = self.verdicts["control_exception"]
        names = list(column.cat.categories)
        codes = column.cat.codes.to_numpy()
        counts = np.bincount(codes[codes >= 0], minlength=len(names))
        return {e.value: int(counts[names.index(e.value)]) for e in ControlException}

    def row_of(self, request_id: str) -> int:
        """Position of a request in the case frame; KeyError when it was not judged."""
        matches = np.flatnonzero((self.cases["request_id"] == request_id).to_numpy(dtype=bool))
        if len(matches) == 0:
            raise KeyError(f"request_id {request_id!r} is not among the evaluated requests")
        return int(matches[0])

    def evidence(self, request_id: str) -> dict[str, object]:
        """What each rule compared for one request: the case, every rule, and the feature rows."""
        i = self.row_of(request_id)
        case = self.cases.iloc[i]
        rules = pd.DataFrame(
            {
                "rule_id": self.rule_ids,
                "title": [text.title for text in self.rule_texts],
                "status": [STATUSES[c].value for c in self.status_codes[i]],
                "reason": [str(self.reason_texts[c]) for c in self.reason_codes[i]],
                "citation": [rule.citation for rule in self.rules],
            }
        )
        rows = {
            name: frame[
                (frame["case"] == i).to_numpy(dtype=bool)
                if "case" in frame
                else (frame["uin"] == case["member_uin"]).to_numpy(dtype=bool)
            ]
            for name, frame in self.evidence_rows.items()
        }
        return {"case": case, "rules": rules, **rows}
