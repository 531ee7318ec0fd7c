"""What the judging found: results by rule, control exceptions with money at stake, reason codes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.analysis import summaries
from auditkit.analysis.compare import CHANGE_MEANING, compare_periods
from auditkit.render.charts import failures_chart
from auditkit.render.format import count, money, percent
from auditkit.render.html import Html, image, paragraph, text
from auditkit.report.content import ReportData
from auditkit.report.review import review_columns
from auditkit.report.sections.common import (
    MAX_LISTED,
    listed,
    request_list,
    section,
    shown,
    subheading,
)
from auditkit.report.sections.front import exception_rows
from auditkit.vocab import STATUS_CODE, Change, ControlException, DecisionCodeCheck, Status

MEMBER = "member_uin"


def results_by_rule(report: ReportData) -> Html:
    """Chart and table of every rule in the same order (most failures first), then the change."""
    counts = summaries.failures_by_rule(report.result)
    judged = counts["pass"] + counts["fail"]
    table_ = pd.DataFrame(
        {
            "rule_id": counts.index,
            "title": counts["title"],
            "pass": counts["pass"].map(count),
            "fail": counts["fail"].map(count),
            "not_applicable": counts["not_applicable"].map(count),
            "error": counts["error"].map(count),
            "fail_share": [
                percent(f / j) if j else "-" for f, j in zip(counts["fail"], judged, strict=True)
            ],
            "citation": counts["citation"],
        }
    )
    return Html(
        section("results")
        + paragraph(
            "How many requests each rule passed and failed, and could not judge because an "
            "account or its state is missing. A request can fail several rules. The chart and "
            "the table list the rules in the same order, most failures first."
        )
        + image(failures_chart(counts), "bar chart: requests failing each rule")
        + shown(table_, "failures-by-rule", wide=True)
        + change(report)
    )


MEMBER_CHANGE_MEANING = CHANGE_MEANING | {
    Change.NEW: "member with requests in this period only",
    Change.GONE: "member with requests in the previous period only",
}


def change(report: ReportData) -> str:
    """Members compared with the previous period (each period holds its own requests)."""
    parts = [subheading("Change since the previous period")]
    if report.previous is None:
        return parts[0] + paragraph(
            "No earlier period was found, so there is nothing to compare with. The next "
            "period's report will compare against this one."
        )
    result = report.result
    comparison = compare_periods(result.verdicts, report.previous, result.rule_ids, by=MEMBER)
    counts = comparison.counts()
    summary = pd.DataFrame(
        {
            "Change": list(counts),
            "Members": [count(n) for n in counts.values()],
            "Meaning": [MEMBER_CHANGE_MEANING[Change(kind)] for kind in counts],
        }
    )
    titles = dict(zip(result.rule_ids, [t.title for t in result.rule_texts], strict=True))
    per_rule = comparison.per_rule.reset_index()
    per_rule.insert(1, "title", per_rule["rule_id"].map(titles).fillna("(not in this catalogue)"))
    requests = comparison.requests.rename(columns={"request_id": MEMBER})
    parts += [
        paragraph(
            "Compared member by member with the verdicts in "
            f"<code>{text(report.previous_dir)}</code>. A member's verdict in a period is the "
            "most severe verdict of its requests there (ineligible, then unknown, then "
            "eligible), and it fails every rule any of those requests failed: "
            f"{counts[Change.NEWLY_INELIGIBLE]} members newly ineligible, "
            f"{counts[Change.RESOLVED]} resolved, {counts[Change.STILL_INELIGIBLE]} still "
            f"ineligible, {counts[Change.NEW]} new (requests in this period only), "
            f"{counts[Change.GONE]} no longer present (requests in the previous period only)."
        ),
        shown(summary, "change-summary"),
        shown(
            comparison.transitions().rename_axis(index="previous verdict"),
            "change-transitions",
            index=True,
        ),
        shown(per_rule, "change-by-rule", wide=True),
    ]
    for kind, columns in (
        (Change.NEWLY_INELIGIBLE, [MEMBER, "previous", "current", "newly_failing"]),
        (Change.RESOLVED, [MEMBER, "previous", "current", "resolved_rules"]),
        (Change.STILL_INELIGIBLE, [MEMBER, "failed_before", "failed_now"]),
    ):
        selected = requests.loc[requests["change"] == kind, columns].astype("str")
        parts.append(f"<h4>{text(kind.capitalize())} ({count(len(selected))})</h4>")
        parts.append(
            listed(selected, f"change-{kind.value.replace(' ', '-')}")
            if len(selected)
            else paragraph("None.")
        )
    return "".join(parts)


# ---- 5. control exceptions -------------------------------------------------------------


def control_exceptions(report: ReportData) -> Html:
    """Approved-but-ineligible requests grouped by the rule they fail, largest money first;
    then the rejected-but-eligible ones."""
    result, currency = report.result, report.currency.code
    approved = exception_rows(report, ControlException.APPROVED_BUT_INELIGIBLE)
    rejected = exception_rows(report, ControlException.REJECTED_BUT_ELIGIBLE)
    failing = result.status_codes == STATUS_CODE[Status.FAIL]
    at_stake = report.at_stake
    by_rule = pd.DataFrame(
        {
            "rule_id": result.rule_ids,
            "title": [t.title for t in result.rule_texts],
            "requests": failing[approved].sum(axis=0),
            "exposure": at_stake[approved].sum(axis=0),
        }
    )
    by_rule = by_rule[by_rule["requests"] > 0].sort_values(
        ["exposure", "requests"], ascending=False, kind="stable"
    )
    parts = [
        section("exceptions"),
        paragraph(
            f"Approved although a rule fails: {count(len(approved))}. Rejected although every "
            f"applicable rule passes: {count(len(rejected))}. Approved exceptions are grouped by the rule they fail (a request failing two rules "
            "is in both groups), the rules with the most money at stake first, and within a rule "
            f"the requests with the most at stake first. {text(report.currency.note)}"
        ),
        subheading("Approved although ineligible, by rule"),
        shown(
            by_rule.assign(
                exposure=by_rule["exposure"].map(lambda cents: money(cents, currency)),
                requests=by_rule["requests"].map(count),
            ),
            "exceptions-by-rule",
        )
        if len(by_rule)
        else paragraph("None."),
    ]
    for j in pd.Index(result.rule_ids).get_indexer(by_rule["rule_id"]):
        rows = approved[failing[approved, j]]
        order = np.argsort(-at_stake[rows, j], kind="stable")
        top = rows[order][:MAX_LISTED]  # only the rows shown are built; the files hold all
        frame = request_list(result, top, (Status.FAIL,)).assign(
            exposure=[money(c, currency) for c in at_stake[top, j]]
        )
        frame = frame.assign(**review_columns(report.review, frame["request_id"]))
        rule_id = result.rule_ids[j]
        parts.append(
            f"<h4>{text(rule_id)} {text(result.rule_texts[j].title)} ({count(len(rows))})</h4>"
        )
        parts.append(listed(frame, f"exceptions-{rule_id.lower()}", total=len(rows)))
    parts.append(subheading("Rejected although eligible"))
    frame = request_list(result, rejected[:MAX_LISTED], (Status.ERROR,)).drop(columns="reasons")
    frame = frame.assign(**review_columns(report.review, frame["request_id"]))
    parts.append(
        listed(frame, "exceptions-rejected", total=len(rejected))
        if len(rejected)
        else paragraph("None.")
    )
    return Html("".join(parts))


# ---- 6. the platform's stated reasons -----------------------------------------------------

CHECK_MEANING = {
    DecisionCodeCheck.SUPPORTED: "a rule the code stands for fails: the stated reason is borne out",
    DecisionCodeCheck.UNSUPPORTED: "none of the code's rules fails: the data does not show the reason",
    DecisionCodeCheck.UNMAPPED: "the rule catalogue does not know the code",
}


def reason_codes(report: ReportData) -> Html:
    """Refusals by whether the platform's error code is borne out by the rules; the unsupported ones."""
    result = report.result
    verdicts = result.verdicts
    checks = verdicts["decision_code_check"].astype("str")
    codes = result.cases["decision_code"].astype("str")
    summary = pd.DataFrame(
        {
            "Platform's code": [c.value for c in DecisionCodeCheck],
            "Refusals": [count((checks == c).sum()) for c in DecisionCodeCheck],
            "Meaning": [CHECK_MEANING[c] for c in DecisionCodeCheck],
        }
    )
    coded = checks != ""
    per_code = (
        pd.DataFrame({"code": codes[coded], "check": checks[coded]})
        .groupby(["code", "check"], observed=True)
        .size()
        .unstack(fill_value=0)
        .reindex(columns=[c.value for c in DecisionCodeCheck], fill_value=0)
    )
    mapping = result.decision_code_map
    per_code.insert(
        0, "rules", [", ".join(mapping.get(code, ())) or "(unmapped)" for code in per_code.index]
    )
    unsupported = np.flatnonzero((checks == DecisionCodeCheck.UNSUPPORTED).to_numpy())
    frame = request_list(result, unsupported[:MAX_LISTED], (Status.FAIL, Status.ERROR))
    frame = frame.assign(**review_columns(report.review, frame["request_id"]))
    parts = [
        section("reason-codes"),
        paragraph(
            f"{count(coded.sum())} refusals state an error code of the platform. Each code "
            "stands for some rules (Appendix A); the stated reason is borne out when one of "
            "those rules fails for the request."
        ),
        shown(summary, "reason-code-summary"),
        shown(
            per_code.rename_axis("Platform's code").reset_index(), "reason-codes-by-code", wide=True
        )
        if len(per_code)
        else paragraph("No refusal states a code."),
        subheading(
            f"Refusals whose stated reason the data does not show ({count(len(unsupported))})"
        ),
        listed(frame, "reason-codes-unsupported", total=len(unsupported))
        if len(unsupported)
        else paragraph("None."),
    ]
    return Html("".join(parts))
