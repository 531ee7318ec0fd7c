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
from auditkit.contract import TABLE_NAMES
from auditkit.engine.result import AuditResult
from auditkit.render.charts import failures_chart
from auditkit.render.format import percent
from auditkit.render.html import Html, heading, image, paragraph, table, text
from auditkit.report.content import ReportData
from auditkit.rules.pob import POB
from auditkit.vocab import STATUS_CODE, Change, ControlException, Status, Verdict

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
    skipped = [str(note) for note in report.manifest.get("previous_skipped") or []]
    return Html(
        paragraph(
            f"Period <strong>{text(report.period)}</strong>, data as of "
            f"<strong>{text(report.result.params.as_of.isoformat())}</strong> (UTC), read from "
            f"<code>{text(report.data_dir)}</code>; {len(report.result.rules)} rules from "
            f"&ldquo;{text(POB.source.cite())}&rdquo;; {previous}."
        )
        + "".join(paragraph(f"Note: {text(note)}.") for note in skipped)
    )


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
    checks = pd.DataFrame(
        {
            "check": [
                "requests whose member is not in accounts",
                "requests whose admin is not in accounts",
                "requests without a recorded decision",
                "orders whose uin is not in accounts (orphans)",
                "vouchers whose uin is not in accounts (orphans)",
            ],
            "count": [
                int((~cases["member_found"]).sum()),
                int((~cases["admin_found"]).sum()),
                int(cases["decision"].isna().sum()),
                orphans["orders"],
                orphans["vouchers"],
            ],
        }
    )
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
    change = compare_periods(result.verdicts, report.previous, result.rule_ids)
    counts = change.counts()
    summary = pd.DataFrame(
        {
            "change": list(counts),
            "requests": list(counts.values()),
            "meaning": [CHANGE_MEANING[Change(kind)] for kind in counts],
        }
    )
    titles = dict(zip(result.rule_ids, [t.title for t in result.rule_texts], strict=True))
    per_rule = change.per_rule.reset_index()
    per_rule.insert(1, "title", per_rule["rule_id"].map(titles).fillna("(not in this catalogue)"))
    requests = change.requests
    parts = [
        paragraph(
            f"Compared by request_id with the verdicts in <code>{text(report.previous_dir)}</code>: "
            f"{counts[Change.NEWLY_INELIGIBLE]} newly ineligible, {counts[Change.RESOLVED]} "
            f"resolved, {counts[Change.STILL_INELIGIBLE]} still ineligible, "
            f"{counts[Change.NEW]} new requests, {counts[Change.GONE]} no longer present."
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
        (Change.NEWLY_INELIGIBLE, ["request_id", "previous", "current", "newly_failing"]),
        (Change.RESOLVED, ["request_id", "previous", "current", "resolved_rules"]),
        (Change.STILL_INELIGIBLE, ["request_id", "failed_before", "failed_now"]),
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
