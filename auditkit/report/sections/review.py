"""Review status and sign-off: what reviewers concluded, read from the run's register snapshot."""

from __future__ import annotations

import pandas as pd

from auditkit.render.html import Html, link, paragraph, text
from auditkit.report.content import ReportData
from auditkit.report.review import (
    EXPIRING_DAYS,
    POPULATIONS,
    decision_populations,
    decision_states,
    outstanding,
    population_sentences,
)
from auditkit.report.sections.common import listed, section, shown, subheading
from auditkit.report.signoff import SIGNOFF_PAGE
from auditkit.vocab import ReviewState, SignoffRole

NO_REGISTER = (
    "This report was made without a review register, so it says nothing about what "
    "reviewers concluded. Run auditkit report with --db to record the findings and show their "
    "review states here."
)
# The order findings are listed by state: confirmed findings first, open work next.
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
    ReviewState.CONFIRMED: "a real exception to the rule",
    ReviewState.WAIVER_EXPIRED: "a waiver that ended before as_of: counts as open again",
    ReviewState.WAIVED: "accepted risk until the waiver's end date",
    ReviewState.UNDER_REVIEW: "a reviewer is working on it",
    ReviewState.OPEN: "reviewed and left open",
    ReviewState.FALSE_POSITIVE: "the data misleads; not an exception",
    ReviewState.REMEDIATED: "fixed since",
    "unreviewed": "no reviewer has concluded yet (counts as open)",
}
# Control exceptions and unsupported refusals are listed open work first.
DECISION_ORDER = {
    state.value: i
    for i, state in enumerate(
        dict.fromkeys(
            (ReviewState.OPEN, ReviewState.UNDER_REVIEW, ReviewState.WAIVER_EXPIRED, *STATE_ORDER)
        )
    )
}
BLANK = "_" * 28
FOLLOW_UP_COLUMNS = ["owner", "due", "remediation", "response"]
FOLLOW_UP_LABELS = {
    "owner": "Owner",
    "due": "Due",
    "remediation": "Remediation",
    "response": "Management response",
    "review_state": "Review state",
    "populations": "Population",
    "reported_period": "Last reported in",
}


def _with_reasons(report: ReportData, findings: pd.DataFrame) -> pd.DataFrame:
    """Reviewed findings with the rule's reason for the request, as text."""
    result = report.result
    rows = pd.Index(result.cases["request_id"].astype("str")).get_indexer(findings["request_id"])
    rules = pd.Index(result.rule_ids).get_indexer(findings["rule_id"])
    reasons = result.reason_texts[result.reason_codes[rows, rules]] if len(findings) else []
    return findings.assign(reason=pd.Series(reasons, index=findings.index, dtype="str"))


def _date(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)[:10]


def _texts(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text, missing values blank; dates as YYYY-MM-DD."""
    out = frame.copy()
    for name in out.columns:
        if name in ("changed_at", "due", "expires"):
            out[name] = out[name].map(_date)
        else:
            out[name] = out[name].map(lambda v: "" if v is None or pd.isna(v) else str(v))
    return out


def _none_or(frame: pd.DataFrame, table_id: str) -> str:
    shown_ = _texts(frame).rename(columns=FOLLOW_UP_LABELS)
    return listed(shown_, table_id) if len(frame) else paragraph("None.")


def _populations_text(findings: int) -> str:
    words = "; ".join(
        f"<strong>{text(word)}</strong>: {text(means)}" for word, means in POPULATIONS.items()
    )
    return (
        f"The review covers three populations, each under its own name: {words}. This report "
        f"has {findings} findings. A request that is both a control exception and an "
        "unsupported refusal is concluded once: the review item is its platform decision. A "
        "finding confirmed by a reviewer is a <em>confirmed finding</em>, never a control "
        "exception."
    )


def decision_table(report: ReportData) -> pd.DataFrame:
    """Each control exception and unsupported refusal with its review and follow-up."""
    populations = decision_populations(report.result.verdicts)
    states = decision_states(report.review, populations["request_id"])
    kinds = [
        "; ".join(
            [
                *([exception.replace("_", " ")] if exception else []),
                *(["unsupported refusal"] if unsupported else []),
            ]
        )
        for exception, unsupported in zip(
            populations["control_exception"], populations["unsupported"], strict=True
        )
    ]
    table_ = pd.DataFrame(
        {
            "request_id": populations["request_id"],
            "populations": kinds,
            "state": states["state"],
            "changed_by": states["changed_by"],
            "concluded": states["changed_at"],
            "note": states["note"],
            **{name: states[name] for name in FOLLOW_UP_COLUMNS},
        }
    )
    table_["_order"] = table_["state"].map(DECISION_ORDER)
    return table_.sort_values(["_order", "request_id"], kind="stable").drop(columns="_order")


def review_section(report: ReportData) -> Html:
    """The review: populations defined, control exceptions and unsupported refusals with their
    states, findings by state, follow-up (overdue, carried forward), waivers."""
    review = report.review
    if review is None:
        return Html(section("review") + paragraph(NO_REGISTER))
    counts = review.counts
    decisions = decision_table(report)
    said = population_sentences(review, report.result.verdicts)
    parts = [
        section("review"),
        paragraph(_populations_text(review.total)),
        paragraph(
            text(
                f"{said[0]}. {said[1]}. States are those recorded in the review register as of "
                f"{review.as_of.isoformat()} (run {review.run_id}); an item keeps its state from "
                "one period to the next."
            ),
            "ak-review-summary",
        ),
        subheading(
            f"Control exceptions and unsupported refusals ({len(decisions)}), open ones first"
        ),
        _none_or(decisions.assign(concluded=decisions["concluded"].map(_date)), "review-decisions"),
    ]
    parts += _findings_parts(report, counts)
    parts += _follow_up_parts(report)
    parts += _waiver_parts(report)
    return Html("".join(parts))


def _findings_parts(report: ReportData, counts: dict[str, int]) -> list[str]:
    review = report.review
    assert review is not None
    findings = _with_reasons(report, review.findings)
    by_state = pd.DataFrame(
        {
            "state": [s.value for s in STATE_ORDER] + ["unreviewed"],
            "findings": [counts.get(s.value, 0) for s in STATE_ORDER] + [counts["unreviewed"]],
            "meaning": [STATE_MEANING[s] for s in (*STATE_ORDER, "unreviewed")],
        }
    )
    confirmed = findings[findings["state"] == ReviewState.CONFIRMED]
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
    return [
        subheading(f"Findings by review state ({review.total})"),
        paragraph(
            f"{review.total} findings: <strong>{counts['unreviewed']} not reviewed yet</strong>, "
            f"{counts.get(ReviewState.CONFIRMED, 0)} confirmed finding(s), "
            f"{counts.get(ReviewState.WAIVED, 0)} waived and "
            f"{counts.get(ReviewState.WAIVER_EXPIRED, 0)} expired waiver(s)."
        ),
        shown(by_state, "review-states"),
        subheading(f"Confirmed findings ({len(confirmed)})"),
        listed(
            confirmed[["request_id", "rule_id", "status", "reason", "note", "changed_by"]].assign(
                concluded=confirmed["changed_at"].map(_date)
            ),
            "review-confirmed",
        )
        if len(confirmed)
        else paragraph("None."),
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


def _follow_up_parts(report: ReportData) -> list[str]:
    """Followed-up items of this report, the overdue ones, and what earlier periods left open."""
    review = report.review
    assert review is not None
    columns = ["request_id", "rule_id", "state", *FOLLOW_UP_COLUMNS, "changed_by"]
    followed = review.followed()
    overdue = review.overdue()
    carried = review.carried.sort_values(
        ["reported_period", "request_id", "rule_id"], kind="stable"
    )
    return [
        subheading(
            f"Follow-up: owner, due date, management response, remediation ({len(followed)})"
        ),
        paragraph(
            "An item is closed when a reviewer concludes it is a false positive, accepts it "
            "with a waiver that has not ended, or verifies its fix (state remediated). A "
            "confirmed item stays open for follow-up until then, whatever its remediation "
            "status says."
        ),
        _none_or(followed[columns], "review-follow-up"),
        subheading(f"Overdue: due before as_of and not closed ({len(overdue)})"),
        _none_or(overdue[["reported_period", *columns]], "review-overdue"),
        subheading(f"Still open from earlier periods ({len(carried)})"),
        paragraph(
            f"Control exceptions, unsupported refusals (rule {text('DECISION')}) and "
            "followed-up findings reported in an earlier period, not part of this one, that "
            "are not closed."
        ),
        _none_or(carried[["reported_period", *columns]], "review-carried"),
    ]


def _waiver_parts(report: ReportData) -> list[str]:
    review = report.review
    assert review is not None
    as_of = review.as_of
    findings = review.findings
    waived = findings[findings["state"] == ReviewState.WAIVED].copy()
    waived["days_left"] = [(expires - as_of).days for expires in waived["expires"]]
    waived = waived.sort_values(["expires", "request_id", "rule_id"], kind="stable")
    expiring = waived[waived["days_left"] <= EXPIRING_DAYS]
    waiver_columns = ["request_id", "rule_id", "expires", "days_left", "note", "changed_by"]
    lapsed = findings[findings["state"] == ReviewState.WAIVER_EXPIRED]
    return [
        subheading(f"Waivers expiring within {EXPIRING_DAYS} days of as_of ({len(expiring)})"),
        shown(expiring[waiver_columns].astype("str"), "review-expiring")
        if len(expiring)
        else paragraph("None."),
        subheading(f"All waivers, by end date ({len(waived)})"),
        listed(waived[waiver_columns].astype("str"), "review-waivers")
        if len(waived)
        else paragraph("None."),
        subheading(f"Expired waivers, counted as open ({len(lapsed)})"),
        listed(
            lapsed[["request_id", "rule_id", "expires", "note", "changed_by"]].astype("str"),
            "review-expired",
        )
        if len(lapsed)
        else paragraph("None."),
    ]


def signoff_section(report: ReportData) -> Html:
    """Who prepared and who reviewed this report: blank lines until it is signed, what signing
    it needs, and the sign-offs of earlier versions with any override."""
    review = report.review
    signed = list(review.signoffs) if review is not None else []
    rows = [(role.value.capitalize(), BLANK, BLANK, "this report", "") for role in SignoffRole]
    earlier = [
        (
            str(s.get("role", "")).capitalize(),
            str(s.get("signed_by", "")),
            _date(s.get("signed_at")),
            f"an earlier version (manifest sha256 {str(s.get('manifest_sha256', ''))[:12]}...)",
            _override(s),
        )
        for s in signed
    ]
    frame = pd.DataFrame(earlier + rows, columns=["role", "name", "date", "signed", "Override"])
    populations = decision_populations(report.result.verdicts)
    states = decision_states(review, populations["request_id"])["state"]
    still_open = int(outstanding(states).sum())
    needs = (
        f"When this report was made, {still_open} control exception(s) or unsupported "
        "refusal(s) were still open or under review: it is signed only once they are "
        "concluded, or with <code>--override REASON</code>, which is recorded with the "
        "sign-off and shown with it."
        if still_open
        else "When this report was made, no control exception or unsupported refusal was open."
    )
    note = (
        "A report is signed after it is made, by its preparer first and then by a reviewer "
        "who is someone else, once each: <code>auditkit review signoff --period "
        f"{text(report.period)} --role preparer|reviewer --by NAME</code> records the signer, "
        "the date, the report id and the sha256 of this report's manifest.json in the review "
        f"register. {needs} Signing does not change this page (its sha256 is in the manifest "
        f"the signers sign); the sign-offs of this version are listed in "
        f"{link(SIGNOFF_PAGE, SIGNOFF_PAGE)} beside it. Re-running a signed period needs "
        "--supersede and keeps the signed version beside the new one."
    )
    if earlier:
        note += (
            " The rows marked as signing an earlier version are the sign-offs recorded for this "
            "period before this report was made; they do not cover this version."
        )
    return Html(section("signoff") + shown(frame, "signoff") + paragraph(note, "ak-note"))


def _override(signoff: dict[str, object]) -> str:
    reason = signoff.get("override")
    if reason is None or (not isinstance(reason, str) and pd.isna(reason)) or not reason:
        return ""
    return f"{reason} ({signoff.get('outstanding', 0)} open when signed)"
