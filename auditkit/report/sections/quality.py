"""Data quality and the limits of what the report can say."""

from __future__ import annotations

import pandas as pd

from auditkit.analysis import summaries
from auditkit.render.format import count
from auditkit.render.html import Html, paragraph, text
from auditkit.report.content import ReportData
from auditkit.report.sections.common import listed, request_list, section, shown, subheading
from auditkit.vocab import DecisionCodeCheck, Status, Verdict


def quality_counts(report: ReportData) -> dict[str, int]:
    """Every data-quality count of the report, by what it counts."""
    result, population = report.result, report.population
    cases = result.cases
    missing = (
        "with no state recorded at or before requested_at"
        if result.params.at_requested
        else "not in accounts"
    )
    counts = {
        "requests read": population.read,
        f"requests made before {population.period} (not judged)": population.before_period,
        f"requests made after {population.period} (not judged)": population.after_period,
        f"requests of the period whose member is {missing}": int((~cases["member_found"]).sum()),
        f"requests of the period whose admin is {missing}": int((~cases["admin_found"]).sum()),
        "requests of the period without a recorded decision": int(cases["decision"].isna().sum()),
        "orders whose uin is not in accounts (orphans)": report.orphans["orders"],
        "vouchers whose uin is not in accounts (orphans)": report.orphans["vouchers"],
    }
    if not result.params.at_requested:
        as_of = result.params.as_of.isoformat()
        counts[f"requests of the period made after as_of {as_of}"] = population.after_as_of
    return counts


def limitations(report: ReportData) -> list[str]:
    """What a reader must keep in mind, each said only when it applies."""
    result = report.result
    verdicts = result.verdicts
    items = [
        "The rules paraphrase the source document; which rules a platform error code stands "
        "for is our reading of the Organization API's error codes."
    ]
    if not result.params.at_requested:
        items.append(
            "Requests are judged against the data as of the extract date, not at the moment "
            "they were decided; a change between the two can make a correct decision look "
            "wrong (judge with --at requested when the history is available)."
        )
    undecided = int(verdicts["decision"].isna().sum())
    if undecided:
        items.append(
            f"{count(undecided)} requests have no recorded decision and cannot be control "
            "exceptions."
        )
    unknown = int((verdicts["verdict"] == Verdict.UNKNOWN).sum())
    if unknown:
        items.append(
            f"{count(unknown)} requests are unknown: an account the rules need is missing, so "
            "no rule could fail for the missing part (never counted as a pass)."
        )
    unmapped = int((verdicts["decision_code_check"] == DecisionCodeCheck.UNMAPPED).sum())
    if unmapped:
        items.append(f"{count(unmapped)} refusals state a code the rule catalogue does not map.")
    orphans = report.orphans["orders"] + report.orphans["vouchers"]
    if orphans:
        items.append(
            f"{count(orphans)} orders and vouchers belong to no known account; they are kept "
            "and can only matter to requests of that uin."
        )
    if report.review is None:
        items.append("No review register was used: the findings' review status is not shown.")
    return items


def data_quality(report: ReportData) -> Html:
    result = report.result
    counts = quality_counts(report)
    checks = pd.DataFrame({"Check": list(counts), "Count": [count(n) for n in counts.values()]})
    errors = summaries.failures_by_rule(result)
    errors = errors.loc[errors["error"] > 0, ["title", "error"]].reset_index()
    unknown = summaries.verdict_rows(result, Verdict.UNKNOWN)
    items = "".join(f"<li>{text(item)}</li>" for item in limitations(report))
    parts = [
        section("quality"),
        shown(checks, "data-quality"),
        subheading("Rules that could not be judged"),
        shown(errors, "error-rules") if len(errors) else paragraph("None."),
        subheading(f"Requests with verdict unknown ({count(len(unknown))})"),
        listed(request_list(result, unknown, (Status.ERROR,)), "unknown-requests")
        if len(unknown)
        else paragraph("None."),
        subheading("Limitations"),
        f'<ul class="ak-limitations">{items}</ul>',
    ]
    return Html("".join(parts))
