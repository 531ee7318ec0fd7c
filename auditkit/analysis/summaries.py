"""Counts and breakdowns of one evaluation, shared by the CLI, the explorer and the reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.engine.result import AuditResult
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.vocab import STATUS_CODE, VERDICT_CODE, VERDICTS, Status, Verdict, values

# Member attributes requests are broken down by; account_source splits internal
# accounts by internal_type, so internal_type needs no segment of its own.
SEGMENTS = ("channel_role", "account_source", "customer_tier")
SEGMENT_TITLES = {
    "channel_role": "member channel role",
    "account_source": "member account source (internal accounts by type)",
    "customer_tier": "member customer tier",
}
MISSING_MEMBER = "member not in accounts"


def failures_by_rule(result: AuditResult, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per rule: title, citation and how many requests pass, fail, are n/a or error, most failures
    first (from `counts`, `result.rule_counts()`, when already counted)."""
    counts = (result.rule_counts() if counts is None else counts).copy()
    counts.insert(1, "citation", [rule.citation for rule in result.rules])
    return counts.sort_values(["fail", "error"], ascending=False, kind="stable")


def _categories(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """A categorical column's codes (-1 for null) and categories."""
    return column.cat.codes.to_numpy(), column.cat.categories


def verdicts_by_action(result: AuditResult) -> pd.DataFrame:
    """Requests per action (rows) and verdict (columns); counted on codes, not on text."""
    verdicts = result.verdicts
    rows, actions = _categories(verdicts["action"])
    columns, names = _categories(verdicts["verdict"])
    known = (rows >= 0) & (columns >= 0)
    counts = np.bincount(
        rows[known].astype(np.int64) * len(names) + columns[known],
        minlength=len(actions) * len(names),
    ).reshape(len(actions), len(names))
    return pd.DataFrame(
        counts,
        index=pd.CategoricalIndex(actions, categories=actions, name="action"),
        columns=pd.CategoricalIndex(names, categories=names, name="verdict"),
    )


def _labelled(codes: np.ndarray, labels: list[str]) -> pd.Series:
    """Codes into `labels` as a categorical Series (labels that repeat are merged)."""
    names = list(dict.fromkeys(labels))
    remap = np.asarray([names.index(label) for label in labels], dtype=np.int64)
    return pd.Series(pd.Categorical.from_codes(remap[codes], categories=names))


def segment_of(result: AuditResult, segment: str) -> pd.Series:
    """The member attribute used to segment requests, as a categorical of labels;
    account_source is split by internal type. Built from the few distinct values, not per row."""
    cases = result.cases
    codes, labels = _segment_codes(cases, segment)
    found = cases["member_found"].to_numpy(dtype=bool)
    return _labelled(np.where(found, codes, len(labels)), [*labels, MISSING_MEMBER])


def _segment_codes(cases: pd.DataFrame, segment: str) -> tuple[np.ndarray, list[str]]:
    """Per request, a code into the labels; internal_type is null exactly for external accounts."""
    if segment != "account_source":
        codes, uniques = pd.factorize(cases[f"member_{segment}"], use_na_sentinel=True)
        labels = [str(u) for u in uniques] + ["external"]
        return np.where(codes >= 0, codes, len(labels) - 1), labels
    source, sources = pd.factorize(cases["member_account_source"], use_na_sentinel=True)
    kind, kinds = pd.factorize(cases["member_internal_type"], use_na_sentinel=True)
    pair, pairs = pd.factorize(source.astype(np.int64) * (len(kinds) + 1) + (kind + 1))
    labels = []
    for value in pairs:
        s, k = divmod(int(value), len(kinds) + 1)
        name = str(sources[s]) if s >= 0 else "external"
        labels.append(f"internal type {kinds[k - 1]}" if name == "internal" and k else name)
    return pair, labels


def segment_breakdown(result: AuditResult, segment: str) -> pd.DataFrame:
    """Per segment value: requests by verdict, share eligible, and failures per rule."""
    label = segment_of(result, segment).array
    codes, names = label.codes.astype(np.int64), list(label.categories)
    present = np.unique(codes)
    order = sorted(present, key=lambda c: names[c])  # as crosstab orders its index
    n = len(names)
    by_verdict = np.bincount(
        codes * len(VERDICTS) + result.verdict_codes, minlength=n * len(VERDICTS)
    ).reshape(n, len(VERDICTS))
    table = pd.DataFrame(
        by_verdict[order],
        index=pd.Index([names[c] for c in order], name=segment),
        columns=pd.Index(values(Verdict), name="verdict"),
    )
    table.insert(0, "requests", table.sum(axis=1))
    table["share_eligible"] = (table["eligible"] / table["requests"]).round(4)
    failing = result.status_codes == STATUS_CODE[Status.FAIL]
    fails = pd.DataFrame(
        {
            rule_id: np.bincount(codes, weights=failing[:, j], minlength=n)[order].astype(np.int64)
            for j, rule_id in enumerate(result.rule_ids)
        },
        index=table.index,
    )
    return table.join(fails).sort_values("requests", ascending=False)


def headline(result: AuditResult) -> dict[str, object]:
    """The numbers a summary leads with."""
    counts = result.verdict_counts()
    total = int(sum(counts.values()))
    return {
        "as_of": result.params.as_of.isoformat(),
        "requests": total,
        **counts,
        "share_eligible": round(counts[Verdict.ELIGIBLE] / total, 4) if total else None,
        **result.exception_counts(),
    }


def run_summary(result: AuditResult) -> dict[str, object]:
    """What a manifest and the reports index keep of one run: the headline and failures per rule."""
    counts = result.rule_counts()
    return {
        **headline(result),
        "failures_by_rule": {rule_id: int(n) for rule_id, n in counts["fail"].items()},
    }


def orphans(tables: Tables) -> dict[str, int]:
    """Orders and vouchers whose uin is not an account (data quality)."""
    known = pd.Index(tables.accounts["uin"])
    return {
        "orders": int((known.get_indexer(tables.orders["uin"]) < 0).sum()),
        "vouchers": int((known.get_indexer(tables.vouchers["uin"]) < 0).sum()),
    }


def requests_after(tables: Tables, params: Params) -> str:
    """A warning when requests are dated after the snapshot moment (as_of, 00:00 UTC), else ''."""
    requested = tables.requests["requested_at"]
    late = requested > params.as_of_timestamp
    return late_warning(int(late.sum()), requested.max() if late.any() else None, params)


def late_warning(late: int, latest: pd.Timestamp | None, params: Params) -> str:
    """The warning for `late` requests dated after as_of, the latest at `latest`; '' for none."""
    if not late:
        return ""
    judged = (
        "their state after the extract date may be incomplete"
        if params.at_requested
        else "they are judged against a snapshot taken before they were made"
    )
    return (
        f"{late} request(s) are dated after as_of {params.as_of.isoformat()} "
        f"(the latest at {latest.isoformat()}); {judged}"
    )


def summary_text(result: AuditResult) -> str:
    """A plain-text summary for the terminal: verdicts, failures per rule, control exceptions."""
    return format_summary(
        result.params, result.verdict_counts(), result.rule_counts(), result.exception_counts()
    )


def format_summary(
    params: Params,
    verdicts: dict[str, int],
    counts: pd.DataFrame,
    exceptions: dict[str, int],
) -> str:
    """The terminal summary from counts (also those a Dask run adds up over its partitions)."""
    total = sum(verdicts.values())
    moment = "each at its requested_at" if params.at_requested else "against the snapshot"
    lines = [f"as_of {params.as_of.isoformat()}: {total} requests, judged {moment}"]
    lines += [f"  {name:<11} {count:>10}" for name, count in verdicts.items()]
    failing = counts[(counts["fail"] > 0) | (counts["error"] > 0)]
    if len(failing):
        lines.append("failures by rule (fail / error):")
        lines += [
            f"  {rule_id}  {int(fail):>9} / {int(error):<7} {title}"
            for rule_id, fail, error, title in zip(
                failing.index, failing["fail"], failing["error"], failing["title"], strict=True
            )
        ]
    lines.append("control exceptions: " + ", ".join(f"{k} {v}" for k, v in exceptions.items()))
    return "\n".join(lines)


def verdict_rows(result: AuditResult, verdict: Verdict) -> np.ndarray:
    """Positions of the requests with `verdict`."""
    return np.flatnonzero(result.verdict_codes == VERDICT_CODE[verdict])
