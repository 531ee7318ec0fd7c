"""What the compliance report says, section by section: a saved run in, escaped HTML out.

The report notebook (`notebooks/compliance_report.ipynb`) is a parameters cell
and one call per section into this module, so everything it shows is tested
here. Every value reaches the page through `auditkit.render.html`, which
escapes it; charts are static PNG images embedded in the page.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from auditkit.analysis import summaries
from auditkit.analysis.compare import CHANGE_MEANING, compare_periods
from auditkit.analysis.population import Period
from auditkit.contract import TABLE_NAMES
from auditkit.engine.result import AuditResult
from auditkit.render.charts import failures_chart
from auditkit.render.format import percent
from auditkit.render.html import Html, heading, image, paragraph, table, text
from auditkit.report.content import ReportData
from auditkit.report.review import EXPIRING_DAYS
from auditkit.rules.pob import POB
from auditkit.vocab import (
    STATUS_CODE,
    Change,
    ControlException,
    ReviewState,
    SignoffRole,
    Status,
    Verdict,
)

MEMBER = "member_uin"
MAX_LISTED = 200  # rows of a request list shown in the page; the files hold them all
IN_FILES = "verdicts.csv and results.parquet next to this report hold them all."


# ---- shared pieces -----------------------------------------------------------------


def reasons(result: AuditResult, rows: np.ndarray, status: Status) -> pd.Series:
    """Per request row, 'RULE: reason' for every rule with `status`, joined by '; '."""
    codes = result.status_codes[rows]
    reason_codes = result.reason_codes[rows]
    joined = np.full(len(rows), "", dtype=object)
    for j, rule_id in enumerate(result.rule_ids):  # the 13 rules, not the rows
        hit = codes[:, j] == STATUS_CODE[status]
        piece = rule_id + ": " + result.reason_texts[reason_codes[:, j]].astype("str")
        extended = np.where(joined == "", piece, joined + "; " + piece)
        joined = np.where(hit, extended, joined)
    return pd.Series(joined, dtype="str")


def request_list(result: AuditResult, rows: np.ndarray, status: Status) -> pd.DataFrame:
    """Requests at `rows` with member/admin identity and the reasons of rules with `status`."""
    verdicts = result.verdicts.iloc[rows].reset_index(drop=True)
    cases = result.cases.iloc[rows].reset_index(drop=True)
    return pd.DataFrame(
        {
            "request_id": verdicts["request_id"].astype("str"),
            "action": verdicts["action"].astype("str"),
            "payment_mode": verdicts["payment_mode"].astype("str"),
            "decision": verdicts["decision"].astype("str"),
            "verdict": verdicts["verdict"].astype("str"),
            "member_uin": verdicts["member_uin"].astype("str"),
            "member_enterprise_id": cases["member_enterprise_id"].astype("str"),
            "admin_uin": verdicts["admin_uin"].astype("str"),
            "reasons": reasons(result, rows, status),
        }
    )


def listed(frame: pd.DataFrame, table_id: str) -> str:
    """A list of requests, capped at MAX_LISTED rows with a note pointing to the full files."""
    return table(frame, table_id=table_id, limit=MAX_LISTED, more=IN_FILES)


# ---- the sections ------------------------------------------------------------------


def title_block(report: ReportData) -> Html:
    """Which period, snapshot, data and comparison the report is about."""
    previous = (
        f"compared with the report in <code>{text(report.previous_dir)}</code>"
        if report.previous_dir
        else "no earlier period to compare with"
    )
    return Html(
        paragraph(
            f"Period <strong>{text(report.period)}</strong>, data as of "
            f"<strong>{text(report.result.params.as_of.isoformat())}</strong> (UTC), read from "
            f"<code>{text(report.data_dir)}</code>; {len(report.result.rules)} rules from "
            f"&ldquo;{text(POB.source.cite())}&rdquo;; {previous}."
        )
        + paragraph(text(scope_sentence(report)), "ak-scope")
    )


def scope_sentence(report: ReportData) -> str:
    """The population judged and the moment it was judged at, in one or two sentences."""
    population = report.population
    period = Period(population.period)
    as_of = report.result.params.as_of.isoformat()
    judged = (
        f"This report judges the {population.in_period:,} requests made in {period.name} "
        f"({period.start.date().isoformat()} to {period.last_day.isoformat()}, UTC)"
    )
    if report.result.params.at_requested:
        moment = (
            "; each is judged at the moment it was made (its requested_at), against the "
            "account, order and voucher history recorded up to then."
        )
    else:
        moment = (
            f"; every request is judged against the data as of {as_of} (00:00 UTC), not at its "
            f"own requested_at ({population.after_as_of:,} of them were made after {as_of})."
        )
    outside = (
        f" {population.before_period:,} requests made before and {population.after_period:,} "
        "made after the period are in the data but not judged here."
    )
    return judged + moment + outside


HEADLINE_MEANING = {
    "requests": "requests judged",
    "eligible": "every applicable rule passes",
    "ineligible": "at least one rule fails",
    "unknown": "no rule fails, but data a rule needs is missing",
    "share_eligible": "eligible / requests",
    ControlException.APPROVED_BUT_INELIGIBLE: "approved by the platform although a rule fails",
    ControlException.REJECTED_BUT_ELIGIBLE: "rejected by the platform although every rule passes",
}


def headline_frame(result: AuditResult) -> pd.DataFrame:
    """The headline numbers as rows: measure, value (share as a percentage), meaning."""
    numbers = summaries.headline(result)
    rows = [
        (key, percent(numbers[key]) if key == "share_eligible" else str(numbers[key]), meaning)
        for key, meaning in HEADLINE_MEANING.items()
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "meaning"])


def executive_summary(report: ReportData) -> Html:
    """Requests, verdicts, share eligible and control exceptions; the previous period's share."""
    result = report.result
    numbers = summaries.headline(result)
    parts = [
        paragraph(
            f"{numbers['requests']} requests were judged: {numbers['eligible']} eligible, "
            f"{numbers['ineligible']} ineligible and {numbers['unknown']} unknown "
            f"({percent(numbers['share_eligible'])} eligible). "
            f"{numbers[ControlException.APPROVED_BUT_INELIGIBLE]} approved requests are "
            "ineligible and "
            f"{numbers[ControlException.REJECTED_BUT_ELIGIBLE]} rejected requests are eligible."
        ),
        table(headline_frame(result), table_id="headline"),
        heading("Verdicts by action"),
        table(summaries.verdicts_by_action(result), index=True),
    ]
    if report.previous is not None:
        before = report.previous["verdict"]
        share_before = (before == Verdict.ELIGIBLE).mean() if len(before) else None
        parts.append(
            paragraph(f"Previous period: {len(before)} requests, {percent(share_before)} eligible.")
        )
    return Html("".join(parts))


def failures_by_rule_section(report: ReportData) -> Html:
    """Chart and table of failures per rule, in the same order, with titles and citations."""
    counts = summaries.failures_by_rule(report.result)
    judged = counts["pass"] + counts["fail"]
    shown = counts.assign(
        fail_share_of_judged=[
            percent(f / j) if j else "-" for f, j in zip(counts["fail"], judged, strict=True)
        ]
    ).reset_index()
    return Html(
        image(failures_chart(counts), "bar chart: requests failing each rule")
        + table(shown, table_id="failures-by-rule")
    )


def control_exceptions_section(report: ReportData) -> Html:
    """Requests whose platform decision contradicts the verdict, approved_but_ineligible first."""
    result = report.result
    exceptions = result.verdicts["control_exception"]
    counts = result.exception_counts()
    parts = [
        paragraph(
            f"{counts[ControlException.APPROVED_BUT_INELIGIBLE]} approved_but_ineligible and "
            f"{counts[ControlException.REJECTED_BUT_ELIGIBLE]} rejected_but_eligible. "
            "Requests without a recorded decision cannot be exceptions."
        )
    ]
    for kind, status in (
        (ControlException.APPROVED_BUT_INELIGIBLE, Status.FAIL),
        (ControlException.REJECTED_BUT_ELIGIBLE, Status.PASS),
    ):
        rows = np.flatnonzero((exceptions == kind).to_numpy(dtype=bool))
        parts.append(heading(f"{kind} ({len(rows)})"))
        if not len(rows):
            parts.append(paragraph("None."))
            continue
        frame = request_list(result, rows[:MAX_LISTED], status)
        if status is Status.PASS:
            frame = frame.drop(columns="reasons")
        parts.append(table(frame, table_id=kind.value))
        if len(rows) > MAX_LISTED:
            parts.append(
                paragraph(
                    f"Showing the first {MAX_LISTED} of {len(rows)} {kind} requests; filter "
                    "verdicts.csv on control_exception for all of them.",
                    "ak-note",
                )
            )
    return Html("".join(parts))


def segments_section(report: ReportData) -> Html:
    """Verdicts and failures per rule by member segment (rules that never fail are left out)."""
    parts = []
    for segment in summaries.SEGMENTS:
        frame = summaries.segment_breakdown(report.result, segment)
        rule_columns = [c for c in report.result.rule_ids if c in frame]
        frame = frame.drop(columns=[c for c in rule_columns if not frame[c].any()])
        frame["share_eligible"] = frame["share_eligible"].map(percent)
        parts.append(heading(f"By {summaries.SEGMENT_TITLES.get(segment, segment)}"))
        parts.append(table(frame.reset_index(), table_id=f"segment-{segment}"))
    return Html("".join(parts))


def data_quality_section(report: ReportData) -> Html:
    """Unknown verdicts and why, accounts missing, orphan orders/vouchers, row counts per table."""
    result = report.result
    cases = result.cases
    unknown = summaries.verdict_rows(result, Verdict.UNKNOWN)
    errors = result.rule_counts()
    errors = errors.loc[errors["error"] > 0, ["title", "error"]].reset_index()
    orphans = report.orphans
    inputs = report.inputs
    tables = [name for name in TABLE_NAMES if name in inputs]
    rows = pd.DataFrame(
        {
            "table": tables,
            "file": [inputs[name].get("file", "") for name in tables],
            "rows": [report.row_counts[name] for name in tables],
        }
    )
    population = report.population
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
        "orders whose uin is not in accounts (orphans)": orphans["orders"],
        "vouchers whose uin is not in accounts (orphans)": orphans["vouchers"],
    }
    if not result.params.at_requested:
        as_of = result.params.as_of.isoformat()
        counts[f"requests of the period made after as_of {as_of}"] = population.after_as_of
    checks = pd.DataFrame({"check": list(counts), "count": list(counts.values())})
    parts = [
        paragraph(
            f"{len(unknown)} requests have the verdict unknown: no rule fails, but a rule "
            "needs an account that is missing from accounts (status error, never a silent pass)."
        ),
        table(checks, table_id="data-quality"),
        heading("Rules that could not be judged (status error)"),
        table(errors, table_id="error-rules") if len(errors) else paragraph("None."),
        heading(f"Requests with verdict unknown ({len(unknown)})"),
        listed(request_list(result, unknown, Status.ERROR), "unknown-requests")
        if len(unknown)
        else paragraph("None."),
        heading("Rows read per table"),
        table(rows, table_id="row-counts"),
    ]
    return Html("".join(parts))


MEMBER_CHANGE_MEANING = CHANGE_MEANING | {
    Change.NEW: "member with requests in this period only",
    Change.GONE: "member with requests in the previous period only",
}


def change_section(report: ReportData) -> Html:
    """Newly ineligible, resolved and still failing requests, and the same per rule."""
    if report.previous is None:
        return Html(
            paragraph(
                "No earlier period was found, so there is nothing to compare with. "
                "The next period's report will compare against this one."
            )
        )
    result = report.result
    change = compare_periods(result.verdicts, report.previous, result.rule_ids, by=MEMBER)
    counts = change.counts()
    summary = pd.DataFrame(
        {
            "change": list(counts),
            "requests": list(counts.values()),
            "meaning": [MEMBER_CHANGE_MEANING[Change(kind)] for kind in counts],
        }
    )
    titles = dict(zip(result.rule_ids, [t.title for t in result.rule_texts], strict=True))
    per_rule = change.per_rule.reset_index()
    per_rule.insert(1, "title", per_rule["rule_id"].map(titles).fillna("(not in this catalogue)"))
    requests = change.requests.rename(columns={"request_id": MEMBER})
    parts = [
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
        table(summary, table_id="change-summary"),
        heading("Verdict transitions (previous period in rows, this period in columns)"),
        table(
            change.transitions().rename_axis(index="previous verdict"),
            index=True,
            table_id="change-transitions",
        ),
        heading(
            "Per rule (newly failing, resolved and still failing count requests in both periods)"
        ),
        table(per_rule, table_id="change-by-rule"),
    ]
    for kind, columns in (
        (Change.NEWLY_INELIGIBLE, [MEMBER, "previous", "current", "newly_failing"]),
        (Change.RESOLVED, [MEMBER, "previous", "current", "resolved_rules"]),
        (Change.STILL_INELIGIBLE, [MEMBER, "failed_before", "failed_now"]),
    ):
        selected = requests.loc[requests["change"] == kind, columns].astype("str")
        parts.append(heading(f"{kind.capitalize()} ({len(selected)})"))
        parts.append(
            listed(selected, f"change-{kind.value.replace(' ', '-')}")
            if len(selected)
            else paragraph("None.")
        )
    return Html("".join(parts))


def catalogue_section(report: ReportData) -> Html:
    """The rule catalogue with citations of the source document."""
    return Html(
        paragraph(f"Source: &ldquo;{text(POB.source.cite())}&rdquo;. Rules are paraphrased.")
        + table(report.result.catalogue.describe(report.result.params), table_id="rule-catalogue")
    )


def manifest_section(report: ReportData) -> Html:
    """Parameters, hashes of rules and inputs, and library versions of this run."""
    manifest = report.manifest
    facts = pd.DataFrame(
        [
            ("period", manifest.get("period")),
            ("as_of", manifest.get("as_of")),
            ("started_at", manifest.get("started_at")),
            ("auditkit_version", manifest.get("auditkit_version")),
            ("rule_catalogue_sha256", manifest.get("rule_catalogue_sha256")),
            ("params_sha256", manifest.get("params_sha256")),
            ("params", json.dumps(manifest.get("params"), sort_keys=True)),
            ("previous_dir", manifest.get("previous_dir") or ""),
        ],
        columns=["item", "value"],
    )
    inputs = pd.DataFrame.from_dict(report.inputs, orient="index")
    inputs = inputs.reindex([name for name in TABLE_NAMES if name in report.inputs])
    inputs.index.name = "table"
    libraries = pd.DataFrame(
        list(dict(manifest.get("libraries", {})).items()), columns=["library", "version"]
    )
    return Html(
        paragraph(
            "The same facts, with the run's status, end time and output hashes, are in "
            "manifest.json next to this report."
        )
        + table(facts, table_id="manifest")
        + heading("Input files")
        + table(inputs.reset_index(), table_id="manifest-inputs")
        + heading("Libraries")
        + table(libraries, table_id="manifest-libraries")
    )


# ---- review and sign-off -----------------------------------------------------------

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
        return Html(paragraph(NO_REGISTER))
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
        paragraph(
            f"{review.total} findings (a rule that fails, or cannot be judged, for a request): "
            f"<strong>{counts['unreviewed']} not reviewed yet</strong>, "
            f"{counts.get(ReviewState.CONFIRMED, 0)} confirmed exception(s), "
            f"{counts.get(ReviewState.WAIVED, 0)} waived and "
            f"{counts.get(ReviewState.WAIVER_EXPIRED, 0)} expired waiver(s). States are those "
            f"recorded in the review register as of {text(as_of.isoformat())} (run "
            f"{review.run_id}); a finding keeps its state from one period to the next."
        ),
        table(by_state, table_id="review-states"),
    ]
    confirmed = findings[findings["state"] == ReviewState.CONFIRMED]
    parts += [
        heading(f"Confirmed exceptions ({len(confirmed)})"),
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
        heading(f"Waivers expiring within {EXPIRING_DAYS} days of as_of ({len(expiring)})"),
        table(expiring[waiver_columns].astype("str"), table_id="review-expiring")
        if len(expiring)
        else paragraph("None."),
        heading(f"All waivers, by end date ({len(waived)})"),
        listed(waived[waiver_columns].astype("str"), "review-waivers")
        if len(waived)
        else paragraph("None."),
    ]
    lapsed = findings[findings["state"] == ReviewState.WAIVER_EXPIRED]
    parts += [
        heading(f"Expired waivers, counted as open ({len(lapsed)})"),
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
        heading(f"Other reviewed findings ({len(others)})"),
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
    return Html(
        table(frame, table_id="signoff", css_class="ak-signoff") + paragraph(note, "ak-note")
    )
