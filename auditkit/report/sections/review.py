"""Review status and sign-off: what reviewers concluded, read from the run's register snapshot."""

from __future__ import annotations

import pandas as pd

from auditkit.render.html import Html, paragraph, text
from auditkit.report.content import ReportData
from auditkit.report.review import EXPIRING_DAYS
from auditkit.report.sections.common import listed, section, shown, subheading
from auditkit.vocab import ReviewState, SignoffRole

NO_REGISTER = (
    "This report was made without a review register, so it says nothing about what "
    "reviewers concluded. Run auditkit report with --db to record the findings and show their "
    "review states here."
)
# The order findings are listed by state: real exceptions first, open work next.
STATE_ORDER = (
    ReviewState.CONFIRMED,
    ReviewState.WAIVER_EXPIRED,
    ReviewState.WAIVED,
    ReviewState.UNDER_REVIEW,
    ReviewState.OPEN,
    ReviewState.FALSE_POSITIVE,
    ReviewState.REMEDIATED,
)
STATE_MEANING = {
    ReviewState.CONFIRMED: "a real exception",
    ReviewState.WAIVER_EXPIRED: "a waiver that ended before as_of: counts as open again",
    ReviewState.WAIVED: "accepted risk until the waiver's end date",
    ReviewState.UNDER_REVIEW: "a reviewer is working on it",
    ReviewState.OPEN: "reviewed and left open",
    ReviewState.FALSE_POSITIVE: "the data misleads; not an exception",
    ReviewState.REMEDIATED: "fixed since",
    "unreviewed": "no reviewer has concluded yet (counts as open)",
}
BLANK = "_" * 28


def _with_reasons(report: ReportData, findings: pd.DataFrame) -> pd.DataFrame:
    """Reviewed findings with the rule's reason for the request, as text."""
    result = report.result
    rows = pd.Index(result.cases["request_id"].astype("str")).get_indexer(findings["request_id"])
    rules = pd.Index(result.rule_ids).get_indexer(findings["rule_id"])
    reasons = result.reason_texts[result.reason_codes[rows, rules]] if len(findings) else []
    return findings.assign(reason=pd.Series(reasons, index=findings.index, dtype="str"))


def _date(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)[:10]


def review_section(report: ReportData) -> Html:
    """Findings by review state: confirmed exceptions first, waivers and their end dates, unreviewed."""
    review = report.review
    if review is None:
        return Html(section("review") + paragraph(NO_REGISTER))
    counts = review.counts
    as_of = review.as_of
    findings = _with_reasons(report, review.findings)
    by_state = pd.DataFrame(
        {
            "state": [s.value for s in STATE_ORDER] + ["unreviewed"],
            "findings": [counts.get(s.value, 0) for s in STATE_ORDER] + [counts["unreviewed"]],
            "meaning": [STATE_MEANING[s] for s in (*STATE_ORDER, "unreviewed")],
        }
    )
    parts = [
        section("review"),
        paragraph(
            f"{review.total} findings (a rule that fails, or cannot be judged, for a request): "
            f"<strong>{counts['unreviewed']} not reviewed yet</strong>, "
            f"{counts.get(ReviewState.CONFIRMED, 0)} confirmed exception(s), "
            f"{counts.get(ReviewState.WAIVED, 0)} waived and "
            f"{counts.get(ReviewState.WAIVER_EXPIRED, 0)} expired waiver(s). States are those "
            f"recorded in the review register as of {text(as_of.isoformat())} (run "
            f"{review.run_id}); a finding keeps its state from one period to the next."
        ),
        shown(by_state, "review-states"),
    ]
    confirmed = findings[findings["state"] == ReviewState.CONFIRMED]
    parts += [
        subheading(f"Confirmed exceptions ({len(confirmed)})"),
        listed(
            confirmed[["request_id", "rule_id", "status", "reason", "note", "changed_by"]].assign(
                concluded=confirmed["changed_at"].map(_date)
            ),
            "review-confirmed",
        )
        if len(confirmed)
        else paragraph("None."),
    ]
    waived = findings[findings["state"] == ReviewState.WAIVED].copy()
    waived["days_left"] = [(expires - as_of).days for expires in waived["expires"]]
    waived = waived.sort_values(["expires", "request_id", "rule_id"], kind="stable")
    expiring = waived[waived["days_left"] <= EXPIRING_DAYS]
    waiver_columns = ["request_id", "rule_id", "expires", "days_left", "note", "changed_by"]
    parts += [
        subheading(f"Waivers expiring within {EXPIRING_DAYS} days of as_of ({len(expiring)})"),
        shown(expiring[waiver_columns].astype("str"), "review-expiring")
        if len(expiring)
        else paragraph("None."),
        subheading(f"All waivers, by end date ({len(waived)})"),
        listed(waived[waiver_columns].astype("str"), "review-waivers")
        if len(waived)
        else paragraph("None."),
    ]
    lapsed = findings[findings["state"] == ReviewState.WAIVER_EXPIRED]
    parts += [
        subheading(f"Expired waivers, counted as open ({len(lapsed)})"),
        listed(
            lapsed[["request_id", "rule_id", "expires", "note", "changed_by"]].astype("str"),
            "review-expired",
        )
        if len(lapsed)
        else paragraph("None."),
    ]
    others = findings[
        findings["state"].isin(
            [
                ReviewState.UNDER_REVIEW,
                ReviewState.OPEN,
                ReviewState.FALSE_POSITIVE,
                ReviewState.REMEDIATED,
            ]
        )
    ]
    parts += [
        subheading(f"Other reviewed findings ({len(others)})"),
        listed(
            others[["request_id", "rule_id", "state", "note", "changed_by"]].assign(
                concluded=others["changed_at"].map(_date)
            ),
            "review-others",
        )
        if len(others)
        else paragraph("None."),
    ]
    return Html("".join(parts))


def signoff_section(report: ReportData) -> Html:
    """Who prepared and who reviewed this report, with dates; blank lines until it is signed."""
    review = report.review
    signed = list(review.signoffs) if review is not None else []
    rows = []
    for role in SignoffRole:
        rows.append((role.value.capitalize(), BLANK, BLANK, "this report"))
    earlier = [
        (
            str(s.get("role", "")).capitalize(),
            str(s.get("signed_by", "")),
            _date(s.get("signed_at")),
            f"an earlier version (manifest sha256 {str(s.get('manifest_sha256', ''))[:12]}...)",
        )
        for s in signed
    ]
    frame = pd.DataFrame(earlier + rows, columns=["role", "name", "date", "signed"])
    note = (
        "A report is signed after it is made: <code>auditkit review signoff --period "
        f"{text(report.period)} --role preparer|reviewer --by NAME</code> records the signer, "
        "the date and the sha256 of this report's manifest.json in the review register. "
        "Re-running a signed period needs --supersede and keeps the signed version beside the new one."
    )
    if earlier:
        note += (
            " The rows marked as signing an earlier version are the sign-offs recorded for this "
            "period before this report was made; they do not cover this version."
        )
    return Html(section("signoff") + shown(frame, "signoff") + paragraph(note, "ak-note"))
