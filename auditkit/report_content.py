"""What the compliance report says, section by section: frames in, escaped HTML out.

The report notebook (`notebooks/compliance_report.ipynb`) is a parameters cell
and one call per section into this module, so everything it shows is tested
here. Every value taken from the data reaches the page through pandas'
escaping `to_html` or `html.escape`: identifiers and free text (an
`enterprise_id` may hold `<script>`) are shown as text, never as markup.
Charts are static PNG images embedded in the page.
"""

from __future__ import annotations

import base64
import html
import io
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from auditkit import analysis
from auditkit.engine import STATUS_CODE, AuditResult, evaluate
from auditkit.enums import ControlException, Status, Verdict
from auditkit.errors import ParameterError
from auditkit.loading import Tables, load_tables
from auditkit.manifest import describe_run
from auditkit.params import Params
from auditkit.rules import SOURCE_DOCUMENT, catalogue_frame

MAX_LISTED = 200  # rows of a request list shown in the page; the files hold them all
VERDICT_COLUMNS = ("request_id", "verdict", "failed_rules")
SEGMENT_TITLES = {
    "channel_role": "member channel role",
    "account_source": "member account source (internal accounts by type)",
    "internal_type": "member internal type",
    "customer_tier": "member customer tier",
}


# ---- markup ------------------------------------------------------------------------


@dataclass(frozen=True)
class Html:
    """A block of markup built only from escaped parts; Jupyter displays it as HTML."""

    markup: str

    def _repr_html_(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return f"Html({len(self.markup)} characters)"


def text(value: object) -> str:
    """Any value as escaped text."""
    return html.escape(str(value))


def paragraph(content: str, css_class: str = "") -> str:
    """A paragraph around markup that is already escaped."""
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<p{attribute}>{content}</p>"


def heading(title: str) -> str:
    return f"<h3>{text(title)}</h3>"


def table(
    frame: pd.DataFrame,
    *,
    table_id: str | None = None,
    limit: int | None = None,
    index: bool = False,
    what: str = "rows",
) -> str:
    """A frame as an escaped HTML table; with `limit`, the first rows and a note."""
    shown = frame if limit is None else frame.head(limit)
    markup = shown.to_html(
        index=index,
        escape=True,
        border=0,
        na_rep="",
        table_id=table_id,
        classes="auditkit-table",
    )
    if limit is not None and len(frame) > limit:
        markup += paragraph(
            f"Showing the first {limit} of {len(frame)} {text(what)}; "
            "verdicts.csv and results.parquet next to this report hold them all.",
            "note",
        )
    return markup


def percent(share: float | None) -> str:
    """A share as a percentage with two decimals ('87.35 %'); '-' when undefined."""
    if share is None or pd.isna(share):
        return "-"
    return f"{share * 100:.2f} %"


def image(figure: Figure, alt: str) -> str:
    """A figure as an embedded static PNG."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="chart" alt="{text(alt)}" src="data:image/png;base64,{encoded}">'


# ---- the report's data -------------------------------------------------------------


@dataclass(frozen=True)
class ReportData:
    """Everything the sections show: the evaluation, the previous period and the manifest."""

    period: str
    data_dir: Path
    tables: Tables
    result: AuditResult
    previous: pd.DataFrame | None
    previous_dir: Path | None
    manifest: dict[str, object]


def report_params(as_of: str, params_json: str) -> Params:
    """Params from the notebook's parameters: JSON overrides plus as_of (empty = today in UTC)."""
    try:
        overrides = json.loads(params_json or "{}")
    except json.JSONDecodeError as error:
        raise ParameterError(f"params_json is not valid JSON ({error})") from None
    if not isinstance(overrides, dict):
        raise ParameterError("params_json must be a JSON object such as {}")
    if as_of:
        overrides = {**overrides, "as_of": as_of}
    return Params.from_dict(overrides)


def read_verdicts(folder: Path) -> pd.DataFrame:
    """A previous run's verdicts (verdicts.csv or .parquet in `folder`) as text columns."""
    folder = Path(folder)
    csv_path, parquet_path = folder / "verdicts.csv", folder / "verdicts.parquet"
    if csv_path.is_file():
        frame = pd.read_csv(csv_path, dtype="str", keep_default_na=False)
    elif parquet_path.is_file():
        frame = pd.read_parquet(parquet_path).astype("str")
    else:
        raise ParameterError(
            f"previous period folder {folder} holds no verdicts.csv or verdicts.parquet; "
            "point --previous at an earlier report folder such as reports/2026-10"
        )
    missing = [column for column in VERDICT_COLUMNS if column not in frame]
    if missing:
        raise ParameterError(f"previous verdicts in {folder} lack the column(s) {missing}")
    if frame["request_id"].duplicated().any():
        raise ParameterError(f"previous verdicts in {folder} list a request_id more than once")
    return frame


def build_report(
    *,
    data_dir: str,
    period: str,
    as_of: str = "",
    previous_dir: str = "",
    params_json: str = "{}",
    manifest_path: str = "",
) -> ReportData:
    """Load and judge the period's data, read the previous period's verdicts and the manifest."""
    params = report_params(as_of, params_json)
    tables = load_tables(data_dir)
    result = evaluate(tables, params)
    previous = read_verdicts(Path(previous_dir)) if previous_dir else None
    if manifest_path:
        manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    else:
        manifest = describe_run(
            period=period,
            tables=tables,
            params=params,
            parameters={"data_dir": data_dir, "period": period, "as_of": as_of},
            previous_dir=Path(previous_dir) if previous_dir else None,
        )
    return ReportData(
        period=period,
        data_dir=Path(data_dir),
        tables=tables,
        result=result,
        previous=previous,
        previous_dir=Path(previous_dir) if previous_dir else None,
        manifest=manifest,
    )


# ---- period over period ------------------------------------------------------------


class Change(StrEnum):
    """How one request moved between the previous period and this one."""

    NEWLY_INELIGIBLE = "newly ineligible"
    RESOLVED = "resolved"
    STILL_INELIGIBLE = "still ineligible"
    OTHER = "other verdict change"
    UNCHANGED = "unchanged"
    NEW = "new request"
    GONE = "no longer present"


CHANGE_MEANING = {
    Change.NEWLY_INELIGIBLE: "ineligible now, eligible or unknown in the previous period",
    Change.RESOLVED: "ineligible in the previous period, eligible now",
    Change.STILL_INELIGIBLE: "ineligible in both periods",
    Change.OTHER: "any other change of verdict (e.g. to or from unknown)",
    Change.UNCHANGED: "same verdict (eligible or unknown) in both periods",
    Change.NEW: "request_id not in the previous period",
    Change.GONE: "request_id only in the previous period",
}


@dataclass(frozen=True)
class PeriodChange:
    """The comparison of two periods' verdicts by request_id."""

    requests: pd.DataFrame  # request_id, previous, current, change, newly_failing, resolved_rules
    per_rule: (
        pd.DataFrame
    )  # per rule_id: failing before/now, newly failing, resolved, still failing

    def counts(self) -> dict[str, int]:
        found = self.requests["change"].value_counts()
        return {kind.value: int(found.get(kind.value, 0)) for kind in Change}

    def transitions(self) -> pd.DataFrame:
        """Requests by previous verdict (rows) and current verdict (columns)."""
        order = [*(v.value for v in Verdict), "(absent)"]
        before = self.requests["previous"].fillna("(absent)").rename("previous verdict")
        now = self.requests["current"].fillna("(absent)").rename("current verdict")
        frame = pd.crosstab(before, now)
        return frame.reindex(index=order, columns=order, fill_value=0)


def _failing(frame: pd.DataFrame, rule_ids: list[str]) -> pd.DataFrame:
    """Boolean matrix: request_id (rows) x rule (columns), True where the rule failed."""
    rules = frame.set_index("request_id")["failed_rules"].fillna("").astype("str")
    pieces = rules.str.split(";").explode()
    pieces = pieces[pieces != ""]
    matrix = pd.crosstab(pieces.index, pieces.to_numpy()) > 0
    return matrix.reindex(index=rules.index, columns=rule_ids, fill_value=False).astype(bool)


def _rules_where(mask: pd.DataFrame) -> pd.Series:
    """Per row, the column names where `mask` is True, joined by ';'."""
    joined = pd.Series("", index=mask.index, dtype="str")
    for rule_id in mask.columns:  # the rules, not the rows
        hit = mask[rule_id].to_numpy(dtype=bool)
        extended = np.where(joined == "", rule_id, joined + ";" + rule_id)
        joined = pd.Series(np.where(hit, extended, joined), index=mask.index, dtype="str")
    return joined


def compare_periods(
    current: pd.DataFrame, previous: pd.DataFrame, rule_ids: list[str]
) -> PeriodChange:
    """Compare verdicts and failed rules by request_id (frames with VERDICT_COLUMNS)."""
    now = current[list(VERDICT_COLUMNS)].astype("str")
    before = previous[list(VERDICT_COLUMNS)].astype("str")
    extra = sorted(set(before["failed_rules"].str.split(";").explode().dropna()) - {"", *rule_ids})
    all_rules = [*rule_ids, *extra]
    merged = now.merge(
        before, on="request_id", how="outer", suffixes=("_now", "_before"), indicator=True
    )
    both = (merged["_merge"] == "both").to_numpy()
    current_verdict = merged["verdict_now"].to_numpy(dtype=object)
    previous_verdict = merged["verdict_before"].to_numpy(dtype=object)
    ineligible_now = current_verdict == Verdict.INELIGIBLE
    ineligible_before = previous_verdict == Verdict.INELIGIBLE
    change = np.select(
        [
            (merged["_merge"] == "left_only").to_numpy(),
            (merged["_merge"] == "right_only").to_numpy(),
            both & ineligible_now & ~ineligible_before,
            both & ineligible_now & ineligible_before,
            both & ineligible_before & (current_verdict == Verdict.ELIGIBLE),
            both & (current_verdict == previous_verdict),
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
    )
    ids = merged["request_id"]
    fail_now = _failing(now, all_rules).reindex(ids, fill_value=False)
    fail_before = _failing(before, all_rules).reindex(ids, fill_value=False)
    shared = pd.Series(both, index=fail_now.index)
    newly = fail_now & ~fail_before & shared.to_numpy()[:, None]
    resolved = fail_before & ~fail_now & shared.to_numpy()[:, None]
    still = fail_now & fail_before
    requests = pd.DataFrame(
        {
            "request_id": ids.to_numpy(),
            "previous": merged["verdict_before"].to_numpy(),
            "current": merged["verdict_now"].to_numpy(),
            "change": pd.Categorical(change, categories=[c.value for c in Change]),
            "failed_before": merged["failed_rules_before"].to_numpy(),
            "failed_now": merged["failed_rules_now"].to_numpy(),
            "newly_failing": _rules_where(newly).to_numpy(),
            "resolved_rules": _rules_where(resolved).to_numpy(),
        }
    )
    new_requests = (merged["_merge"] == "left_only").to_numpy()
    per_rule = pd.DataFrame(
        {
            "failing_before": fail_before.sum(axis=0),
            "failing_now": fail_now.sum(axis=0),
            "newly_failing": newly.sum(axis=0),
            "resolved": resolved.sum(axis=0),
            "still_failing": still.sum(axis=0),
            "failing_in_new_requests": fail_now[new_requests].sum(axis=0),
        }
    ).astype("int64")
    per_rule.index.name = "rule_id"
    return PeriodChange(requests=requests, per_rule=per_rule)


# ---- shared pieces of the sections -------------------------------------------------


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
            f"&ldquo;{text(SOURCE_DOCUMENT)}&rdquo;; {previous}."
        )
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
    numbers = analysis.headline(result)
    rows = [
        (
            key,
            percent(numbers[key]) if key == "share_eligible" else str(numbers[key]),
            meaning,
        )
        for key, meaning in HEADLINE_MEANING.items()
    ]
    return pd.DataFrame(rows, columns=["measure", "value", "meaning"])


def executive_summary(report: ReportData) -> Html:
    """Requests, verdicts, share eligible and control exceptions; the trend against the previous period."""
    result = report.result
    numbers = analysis.headline(result)
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
        table(analysis.verdicts_by_action(result), index=True),
    ]
    if report.previous is not None:
        before = report.previous["verdict"]
        share_before = (before == Verdict.ELIGIBLE).mean() if len(before) else None
        parts.append(
            paragraph(f"Previous period: {len(before)} requests, {percent(share_before)} eligible.")
        )
    return Html("".join(parts))


def failure_chart(counts: pd.DataFrame) -> Figure:
    """Horizontal bars of failing and error requests per rule."""
    ordered = counts.sort_index(ascending=False)
    figure = Figure(figsize=(8, 4.2))
    axes = figure.subplots()
    positions = np.arange(len(ordered))
    axes.barh(positions, ordered["fail"], color="#c0392b", label="fail")
    axes.barh(positions, ordered["error"], left=ordered["fail"], color="#7f8c8d", label="error")
    axes.set_yticks(positions, ordered.index.astype("str"))
    axes.set_xlabel("requests")
    axes.set_title("Requests failing each rule")
    axes.legend(loc="lower right")
    axes.grid(axis="x", alpha=0.3)
    return figure


def failures_by_rule_section(report: ReportData) -> Html:
    """Chart and table of failures per rule, with titles and citations."""
    counts = analysis.failures_by_rule(report.result)
    judged = counts["pass"] + counts["fail"]
    shown = counts.assign(
        fail_share_of_judged=[
            percent(f / j) if j else "-" for f, j in zip(counts["fail"], judged, strict=True)
        ]
    ).reset_index()
    return Html(
        image(failure_chart(counts), "bar chart: requests failing each rule")
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
        listed = request_list(result, rows[:MAX_LISTED], status)
        if status is Status.PASS:
            listed = listed.drop(columns="reasons")
        parts.append(table(listed, table_id=kind.value))
        if len(rows) > MAX_LISTED:
            parts.append(
                paragraph(
                    f"Showing the first {MAX_LISTED} of {len(rows)} {kind} requests; filter "
                    "verdicts.csv on control_exception for all of them.",
                    "note",
                )
            )
    return Html("".join(parts))


def segments_section(report: ReportData) -> Html:
    """Verdicts and failures per rule by member segment (rules that never fail are left out)."""
    parts = []
    for segment in analysis.SEGMENTS:
        frame = analysis.segment_breakdown(report.result, segment)
        rule_columns = [c for c in report.result.rule_ids if c in frame]
        silent = [c for c in rule_columns if not frame[c].any()]
        frame = frame.drop(columns=silent)
        frame["share_eligible"] = frame["share_eligible"].map(percent)
        parts.append(heading(f"By {SEGMENT_TITLES.get(segment, segment)}"))
        parts.append(table(frame.reset_index(), table_id=f"segment-{segment}"))
    return Html("".join(parts))


def data_quality_section(report: ReportData) -> Html:
    """Unknown verdicts and why, accounts missing, orphan orders/vouchers, row counts per table."""
    result, tables = report.result, report.tables
    cases = result.cases
    unknown = np.flatnonzero(result.verdict_codes == list(Verdict).index(Verdict.UNKNOWN))
    errors = result.rule_counts()
    errors = errors.loc[errors["error"] > 0, ["title", "error"]].reset_index()
    orphans = analysis.orphans(tables)
    sources = {name: Path(path).name for name, path in tables.sources.items()}
    rows = pd.DataFrame(
        {
            "table": list(tables.row_counts()),
            "file": [sources.get(name, "") for name in tables.row_counts()],
            "rows": list(tables.row_counts().values()),
        }
    )
    missing = pd.DataFrame(
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
        table(missing, table_id="data-quality"),
        heading("Rules that could not be judged (status error)"),
        table(errors, table_id="error-rules") if len(errors) else paragraph("None."),
        heading(f"Requests with verdict unknown ({len(unknown)})"),
        table(
            request_list(result, unknown[:MAX_LISTED], Status.ERROR),
            table_id="unknown-requests",
        )
        if len(unknown)
        else paragraph("None."),
    ]
    if len(unknown) > MAX_LISTED:
        parts.append(
            paragraph(f"Showing the first {MAX_LISTED} of {len(unknown)} unknown requests.", "note")
        )
    parts += [heading("Rows read per table"), table(rows, table_id="row-counts")]
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
    titles = {rule.id: rule.title for rule in result.rules}
    per_rule = change.per_rule.reset_index()
    per_rule.insert(1, "title", per_rule["rule_id"].map(titles).fillna("(not in this catalogue)"))
    listed = change.requests
    parts = [
        paragraph(
            f"Compared by request_id with the verdicts in <code>{text(report.previous_dir)}</code>: "
            f"{counts[Change.NEWLY_INELIGIBLE]} newly ineligible, {counts[Change.RESOLVED]} "
            f"resolved, {counts[Change.STILL_INELIGIBLE]} still ineligible, "
            f"{counts[Change.NEW]} new requests, {counts[Change.GONE]} no longer present."
        ),
        table(summary, table_id="change-summary"),
        heading("Verdict transitions (previous period in rows, this period in columns)"),
        table(change.transitions(), index=True, table_id="change-transitions"),
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
        selected = listed.loc[listed["change"] == kind, columns].astype("str")
        parts.append(heading(f"{kind.capitalize()} ({len(selected)})"))
        parts.append(
            table(
                selected,
                table_id=f"change-{kind.value.replace(' ', '-')}",
                limit=MAX_LISTED,
                what="requests",
            )
            if len(selected)
            else paragraph("None.")
        )
    return Html("".join(parts))


def catalogue_section(report: ReportData) -> Html:
    """The rule catalogue with citations of the source document."""
    return Html(
        paragraph(f"Source: &ldquo;{text(SOURCE_DOCUMENT)}&rdquo;. Rules are paraphrased.")
        + table(catalogue_frame(report.result.rules), table_id="rule-catalogue")
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
    inputs = pd.DataFrame.from_dict(manifest.get("inputs", {}), orient="index")
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
