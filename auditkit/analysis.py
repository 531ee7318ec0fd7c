"""Summaries of one evaluation shared by the explorer and the reports: frames in, frames out."""

from __future__ import annotations

import pandas as pd

from auditkit.engine import STATUS_CODE, AuditResult
from auditkit.enums import Status

SEGMENTS = ("channel_role", "account_source", "internal_type", "customer_tier")


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
    return label.mask(~cases["member_found"].to_numpy(dtype=bool), "member not in accounts")


def segment_breakdown(result: AuditResult, segment: str) -> pd.DataFrame:
    """Per segment value: requests by verdict, share eligible, and failures per rule."""
    label = segment_of(result, segment).to_numpy()
    verdicts = result.verdicts["verdict"].to_numpy()
    table = pd.crosstab(pd.Series(label, name=segment), pd.Series(verdicts, name="verdict"))
    for column in ("eligible", "ineligible", "unknown"):
        if column not in table:
            table[column] = 0
    table = table[["eligible", "ineligible", "unknown"]]
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
        "share_eligible": round(counts["eligible"] / total, 4) if total else None,
        **result.exception_counts(),
    }


def orphans(tables) -> dict[str, int]:
    """Orders and vouchers whose uin is not an account (data quality)."""
    known = pd.Index(tables.accounts["uin"])
    return {
        "orders": int((known.get_indexer(tables.orders["uin"]) < 0).sum()),
        "vouchers": int((known.get_indexer(tables.vouchers["uin"]) < 0).sum()),
    }
