"""One comparison of two judgements, by request_id: what-if against baseline, or a period against the last.

Each side is a `Judged`: per request its verdict and which rules failed. The
comparison aligns both sides on request_id (an outer join; the same ids in
the same order skip the join) and keeps boolean (request, rule) matrices;
per-request sentences are built only when asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from auditkit.engine.result import AuditResult
from auditkit.vocab import STATUS_CODE, Change, Status, Verdict, values

ABSENT = "(absent)"
CHANGE_MEANING = {
    Change.NEWLY_INELIGIBLE: "ineligible now, eligible or unknown before",
    Change.RESOLVED: "ineligible before, eligible now",
    Change.STILL_INELIGIBLE: "ineligible in both",
    Change.OTHER: "any other change of verdict (e.g. to or from unknown)",
    Change.UNCHANGED: "same verdict (eligible or unknown) in both",
    Change.NEW: "only in the newer judgement",
    Change.GONE: "only in the older judgement",
}
# When one key (a member) has several requests, its verdict is the most severe of theirs.
SEVERITY = (Verdict.ELIGIBLE, Verdict.UNKNOWN, Verdict.INELIGIBLE)


@dataclass(frozen=True)
class Judged:
    """One side of a comparison: request ids, their verdicts and a failing-rule matrix."""

    request_ids: np.ndarray  # str, unique
    verdicts: np.ndarray  # str
    failing: np.ndarray  # bool (requests, rules)
    rule_ids: list[str]

    @classmethod
    def of_result(cls, result: AuditResult) -> Judged:
        return cls(
            request_ids=result.cases["request_id"].astype("str").to_numpy(dtype=object),
            verdicts=np.asarray(values(Verdict), dtype=object)[result.verdict_codes],
            failing=result.status_codes == STATUS_CODE[Status.FAIL],
            rule_ids=list(result.rule_ids),
        )

    @classmethod
    def of_verdicts(
        cls, frame: pd.DataFrame, rule_ids: list[str], by: str = "request_id"
    ) -> Judged:
        """From a verdicts table (`by`, verdict, failed_rules as 'A;B').

        With `by="member_uin"` each member is one row: its most severe verdict and
        every rule any of its requests failed. Rule ids that `rule_ids` does not
        know (a rule of an older catalogue) are kept.
        """
        frame = frame[[by, "verdict", "failed_rules"]].astype("str").reset_index(drop=True)
        failed = frame["failed_rules"].replace("nan", "").str.split(";")
        pieces = failed.explode()
        pieces = pieces[pieces.notna() & (pieces != "")]
        extra = sorted(set(pieces) - set(rule_ids))
        known = [*rule_ids, *extra]
        failing = np.zeros((len(frame), len(known)), dtype=bool)
        failing[pieces.index.to_numpy(), pd.Index(known).get_indexer(pieces.to_numpy())] = True
        keys, verdicts = frame[by].to_numpy(dtype=object), frame["verdict"].to_numpy(dtype=object)
        if not pd.Index(keys).is_unique:
            keys, verdicts, failing = _worst_per_key(keys, verdicts, failing)
        return cls(request_ids=keys, verdicts=verdicts, failing=failing, rule_ids=known)

    def with_rules(self, rule_ids: list[str]) -> np.ndarray:
        """The failing matrix with columns in `rule_ids` order (False for rules it lacks)."""
        at = pd.Index(self.rule_ids).get_indexer(rule_ids)
        padded = np.concatenate([self.failing, np.zeros((len(self.failing), 1), bool)], axis=1)
        return padded[:, np.where(at >= 0, at, self.failing.shape[1])]


def _worst_per_key(
    keys: np.ndarray, verdicts: np.ndarray, failing: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per key: the most severe verdict, and a rule failing if any row fails it."""
    codes, unique = pd.factorize(pd.Series(keys, dtype="str"), sort=True)
    severity = pd.Index([v.value for v in SEVERITY]).get_indexer(verdicts)
    worst = np.full(len(unique), -1, dtype=np.int64)
    np.maximum.at(worst, codes, severity)
    any_failing = np.zeros((len(unique), failing.shape[1]), dtype=bool)
    np.logical_or.at(any_failing, codes, failing)
    names = np.asarray([v.value for v in SEVERITY] + [""], dtype=object)
    return np.asarray(unique, dtype=object), names[worst], any_failing


def _joined(matrix: np.ndarray, rule_ids: list[str]) -> np.ndarray:
    """Per row, the rule ids where `matrix` is True, joined by ';'."""
    joined = np.full(len(matrix), "", dtype=object)
    for j, rule_id in enumerate(rule_ids):  # the rules, not the rows
        extended = np.where(joined == "", rule_id, joined + ";" + rule_id)
        joined = np.where(matrix[:, j], extended, joined)
    return joined


@dataclass(frozen=True)
class Comparison:
    """Two judgements aligned on request_id: verdicts, change kinds and failure matrices."""

    request_ids: np.ndarray
    before: np.ndarray  # verdict or None where the request is absent
    after: np.ndarray
    in_before: np.ndarray
    in_after: np.ndarray
    fail_before: np.ndarray  # bool (requests, rules)
    fail_after: np.ndarray
    rule_ids: list[str]

    @cached_property
    def change(self) -> np.ndarray:
        """Per request, its `Change` (as a string)."""
        both = self.in_before & self.in_after
        was_ineligible = self.before == Verdict.INELIGIBLE
        now_ineligible = self.after == Verdict.INELIGIBLE
        return np.select(
            [
                ~self.in_before,
                ~self.in_after,
                both & now_ineligible & ~was_ineligible,
                both & now_ineligible & was_ineligible,
                both & was_ineligible & (self.after == Verdict.ELIGIBLE),
                both & (self.after == self.before),
            ],
            [
                Change.NEW,
                Change.GONE,
                Change.NEWLY_INELIGIBLE,
                Change.STILL_INELIGIBLE,
                Change.RESOLVED,
                Change.UNCHANGED,
            ],
            default=Change.OTHER,
        ).astype(object)

    @property
    def both(self) -> np.ndarray:
        return self.in_before & self.in_after

    @property
    def gained(self) -> np.ndarray:
        """(request, rule) failing after but not before, among requests on both sides."""
        return self.fail_after & ~self.fail_before & self.both[:, None]

    @property
    def lost(self) -> np.ndarray:
        """(request, rule) failing before but not after, among requests on both sides."""
        return self.fail_before & ~self.fail_after & self.both[:, None]

    def counts(self) -> dict[str, int]:
        found = pd.Series(self.change).value_counts()
        return {kind.value: int(found.get(kind.value, 0)) for kind in Change}

    def transitions(self) -> pd.DataFrame:
        """Requests by earlier verdict (rows) and later verdict (columns), absent included."""
        order = [*values(Verdict), ABSENT]
        before = pd.Series(np.where(self.in_before, self.before, ABSENT), name="from")
        after = pd.Series(np.where(self.in_after, self.after, ABSENT), name="to")
        return pd.crosstab(before, after).reindex(index=order, columns=order, fill_value=0)

    @cached_property
    def per_rule(self) -> pd.DataFrame:
        """Per rule: failing before and after, newly failing, resolved, still failing, in new requests."""
        frame = pd.DataFrame(
            {
                "failing_before": self.fail_before.sum(axis=0),
                "failing_now": self.fail_after.sum(axis=0),
                "newly_failing": self.gained.sum(axis=0),
                "resolved": self.lost.sum(axis=0),
                "still_failing": (self.fail_after & self.fail_before).sum(axis=0),
                "failing_in_new_requests": self.fail_after[~self.in_before].sum(axis=0),
            },
            index=pd.Index(self.rule_ids, name="rule_id"),
        )
        return frame.astype("int64")

    @cached_property
    def requests(self) -> pd.DataFrame:
        """Per request: verdicts, change, failing rules on each side, rules gained and lost."""
        return pd.DataFrame(
            {
                "request_id": self.request_ids,
                "previous": self.before,
                "current": self.after,
                "change": pd.Categorical(self.change, categories=values(Change)),
                "failed_before": np.where(
                    self.in_before, _joined(self.fail_before, self.rule_ids), None
                ),
                "failed_now": np.where(
                    self.in_after, _joined(self.fail_after, self.rule_ids), None
                ),
                "newly_failing": _joined(self.gained, self.rule_ids),
                "resolved_rules": _joined(self.lost, self.rule_ids),
            }
        )


def compare(before: Judged, after: Judged) -> Comparison:
    """Align two judgements on request_id and compare them rule by rule."""
    rule_ids = [*after.rule_ids, *(r for r in before.rule_ids if r not in after.rule_ids)]
    if len(before.request_ids) == len(after.request_ids) and np.array_equal(
        before.request_ids, after.request_ids
    ):
        n = len(after.request_ids)
        present = np.ones(n, dtype=bool)
        return Comparison(
            request_ids=after.request_ids,
            before=before.verdicts,
            after=after.verdicts,
            in_before=present,
            in_after=present,
            fail_before=before.with_rules(rule_ids),
            fail_after=after.with_rules(rule_ids),
            rule_ids=rule_ids,
        )
    ids = pd.Index(after.request_ids).union(pd.Index(before.request_ids)).sort_values()
    at_before = pd.Index(before.request_ids).get_indexer(ids)
    at_after = pd.Index(after.request_ids).get_indexer(ids)
    in_before, in_after = at_before >= 0, at_after >= 0

    def spread(values_: np.ndarray, at: np.ndarray) -> np.ndarray:
        out = np.full(len(at), None, dtype=object)
        out[at >= 0] = values_[at[at >= 0]]
        return out

    def rows(matrix: np.ndarray, at: np.ndarray) -> np.ndarray:
        out = np.zeros((len(at), matrix.shape[1]), dtype=bool)
        out[at >= 0] = matrix[at[at >= 0]]
        return out

    return Comparison(
        request_ids=ids.to_numpy(dtype=object),
        before=spread(before.verdicts, at_before),
        after=spread(after.verdicts, at_after),
        in_before=in_before,
        in_after=in_after,
        fail_before=rows(before.with_rules(rule_ids), at_before),
        fail_after=rows(after.with_rules(rule_ids), at_after),
        rule_ids=rule_ids,
    )


def compare_periods(
    current: pd.DataFrame, previous: pd.DataFrame, rule_ids: list[str], by: str = "request_id"
) -> Comparison:
    """Compare two verdicts tables (`by`, verdict, failed_rules), by request or by member."""
    return compare(
        Judged.of_verdicts(previous, rule_ids, by), Judged.of_verdicts(current, rule_ids, by)
    )
