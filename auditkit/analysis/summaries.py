"""Counts and breakdowns of one evaluation, shared by the CLI, the explorer and the reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.engine.result import AuditResult
from auditkit.io.tables import Tables
from auditkit.params import Params
from auditkit.vocab import STATUS_CODE, VERDICT_CODE, Status, Verdict, values

# Member attributes requests are broken down by; account_source splits internal
# accounts by internal_type, so internal_type needs no segment of its own.
SEGMENTS = ("channel_role", "account_source", "customer_tier")
SEGMENT_TITLES = {
    "channel_role": "member channel role",
    "account_source": "member account source (internal accounts by type)",
    "customer_tier": "member customer tier",
}
MISSING_MEMBER = "member not in accounts"


def failures_by_rule(result: AuditResult) -> pd.DataFrame:
    """Per rule: title, citation and how many requests pass, fail, are n/a or error, most failures first."""
    counts = result.rule_counts()
    counts.insert(1, "citation", [rule.citation for rule in result.rules])
    return counts.sort_values(["fail", "error"], ascending=False, kind="stable")


def verdicts_by_action(result: AuditResult) -> pd.DataFrame:
    """Requests per action (rows) and verdict (columns)."""
    verdicts = result.verdicts
    return pd.crosstab(verdicts["action"], verdicts["verdict"], dropna=False)


def segment_of(result: AuditResult, segment: str) -> pd.Series:
    """The member attribute used to segment requests; account_source is split by internal type."""
    cases = result.cases
    if segment == "account_source":
        source = cases["member_account_source"].astype("str")
        internal = cases["member_internal_type"].astype("str")
        label = source.where(source != "internal", "internal type " + internal)
    else:
        # internal_type is null exactly for external accounts, which are not missing ones.
        label = cases[f"member_{segment}"].astype("str").fillna("external")
    return label.mask(~cases["member_found"].to_numpy(dtype=bool), MISSING_MEMBER)


def segment_breakdown(result: AuditResult, segment: str) -> pd.DataFrame:
    """Per segment value: requests by verdict, share eligible, and failures per rule."""
    label = segment_of(result, segment).to_numpy()
    verdicts = result.verdicts["verdict"].to_numpy()
    table = pd.crosstab(pd.Series(label, name=segment), pd.Series(verdicts, name="verdict"))
    table = table.reindex(columns=values(Verdict), fill_value=0)
    table.insert(0, "requests", table.sum(axis=1))
    table["share_eligible"] = (table["eligible"] / table["requests"]).round(4)
    fails = (
        pd.DataFrame(result.status_codes == STATUS_CODE[Status.FAIL], columns=result.rule_ids)
        .groupby(label)
        .sum()
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
