"""report.xlsx: the audit workpaper beside the report page, in typed cells.

Sheets: Summary (the headline numbers and what the run was), one sheet per rule
with the requests that fail it or could not be judged and why, Control
exceptions (with money at stake and the tester's columns), Sample (when one was
drawn, with the tester's columns), Manifest (the run's manifest, with its final
status). Numbers, amounts and moments are cells of their type; text is
spreadsheet-safe (`auditkit.report.workbook` writes them).

Lists are capped so that the workpaper of a million requests is written in
seconds: a rule sheet holds the `RULE_SHEET_ROWS` requests with the most money
at stake, the exceptions sheet the `EXCEPTION_ROWS` largest of each kind; each
capped sheet says so and where every row is (results.parquet, verdicts.csv).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from auditkit.analysis.evidence import reason_lines
from auditkit.analysis.exposure import exposure_matrix
from auditkit.analysis.selection import POSITION
from auditkit.analysis.summaries import headline
from auditkit.engine.result import AuditResult
from auditkit.report.currency import Currency
from auditkit.report.review import ReviewSnapshot, review_cells, review_sheets, review_summary
from auditkit.report.sections.sample import sample_plan_facts
from auditkit.report.workbook import (
    COUNT,
    DATE,
    MOMENT,
    MONEY,
    SHARE,
    TEXT,
    Column,
    Fact,
    Formats,
    Table,
    as_cents,
    choice_rule,
    date_rule,
    open_book,
    write_facts,
    write_table,
)
from auditkit.vocab import STATUS_CODE, ControlException, Status

WORKPAPER = "report.xlsx"
RULE_SHEET_ROWS = 1_000  # per rule, the most money at stake first; results.parquet has all
EXCEPTION_ROWS = 10_000  # per kind of exception, likewise; verdicts.csv has all
# The tester's columns, on the exceptions and sample sheets (the sample file's own names).
TESTER_COLUMNS = (
    Column("tickmark", "Tickmark", TEXT, 10),
    Column("tested_by", "Tested by", TEXT, 14),
    Column("tested_on", "Date tested", DATE, 12),
    Column("notes", "Notes", TEXT, 40),
)
TESTER_RULES = {"tested_on": date_rule()}
REQUEST_COLUMNS = (
    Column("request_id", "Request"),
    Column("member_uin", "Member"),
    Column("admin_uin", "Admin"),
    Column("action", "Action"),
    Column("requested_at", "Requested at", MOMENT),
)


def summary_facts(
    result: AuditResult, manifest: dict[str, object], by_request: np.ndarray
) -> list[Fact]:
    """The headline numbers, each of its type, and what the run was."""
    numbers = headline(result)
    currency = Currency.from_manifest(manifest)
    approved_wrong = (
        result.verdicts["control_exception"] == ControlException.APPROVED_BUT_INELIGIBLE
    ).to_numpy(dtype=bool)
    at_stake = int(by_request[approved_wrong].sum())
    return [
        Fact("report id", manifest.get("report_id", "")),
        Fact("period", manifest.get("period", "")),
        Fact("run status", str(manifest.get("status", ""))),
        Fact("moment judged", moment_judged(result)),
        Fact("data as of", pd.Timestamp(result.params.as_of), DATE),
        Fact("requests", numbers["requests"], COUNT),
        *(Fact(k, numbers[k], COUNT) for k in ("eligible", "ineligible", "unknown")),
        Fact("share eligible", numbers["share_eligible"], SHARE),
        Fact("approved but ineligible", numbers["approved_but_ineligible"], COUNT),
        Fact("rejected but eligible", numbers["rejected_but_eligible"], COUNT),
        Fact("currency", f"{currency.code} ({currency.source})"),
        Fact("money at stake in approved-but-ineligible requests", at_stake, MONEY),
        Fact(
            "rule sheets",
            f"the requests failing each rule or not judged by it, at most {RULE_SHEET_ROWS:,} "
            "per rule (the most money at stake first); results.parquet holds every result",
        ),
    ]


def moment_judged(result: AuditResult) -> str:
    if result.params.at_requested:
        return "each request at its requested_at"
    return f"snapshot as of {result.params.as_of.isoformat()}"


def rule_table(result: AuditResult, j: int, at_stake: np.ndarray) -> Table:
    """The requests rule j fails or cannot judge, the most money at stake first."""
    rule_id, title = result.rule_ids[j], result.rule_texts[j].title
    status = result.status_codes[:, j]
    found = np.flatnonzero(
        (status == STATUS_CODE[Status.FAIL]) | (status == STATUS_CODE[Status.ERROR])
    )
    rows = found[np.argsort(-at_stake[found, j], kind="stable")][:RULE_SHEET_ROWS]
    frame = request_frame(result, rows).assign(
        status=np.where(status[rows] == STATUS_CODE[Status.FAIL], "fail", "error"),
        reason=result.reason_texts[result.reason_codes[rows, j]].astype("str"),
        at_stake=as_cents(at_stake[rows, j]),
    )
    shown = f"all {len(found):,}" if len(rows) == len(found) else f"{len(rows):,} of {len(found):,}"
    return Table(
        name=rule_id,
        title=f"{rule_id} {title}",
        notes=(
            f"Requests that fail this rule or that it could not judge: {shown}, the most money "
            "at stake first. results.parquet next to this workpaper holds every request's "
            f"result (rule_id {rule_id}).",
        ),
        columns=(
            *REQUEST_COLUMNS,
            Column("status", "Status"),
            Column("reason", "Reason", width=70),
            Column("at_stake", "At stake", MONEY),
            Column("verdict", "Verdict"),
            Column("decision", "Platform decision"),
            Column("control_exception", "Control exception"),
        ),
        frame=frame,
        totals=("at_stake",),
    )


def request_frame(result: AuditResult, rows: np.ndarray) -> pd.DataFrame:
    """Who and what of the requests at `rows`, with their verdict and decision."""
    verdicts = result.verdicts.iloc[rows].reset_index(drop=True)
    cases = result.cases.iloc[rows].reset_index(drop=True)
    return pd.DataFrame(
        {
            **{c: verdicts[c].astype("str") for c in ("request_id", "member_uin", "admin_uin")},
            "action": verdicts["action"].astype("str"),
            "requested_at": cases["requested_at"],
            "decision_code": cases["decision_code"].astype("str"),
            **{c: verdicts[c].astype("str") for c in ("verdict", "decision", "failed_rules")},
            "control_exception": verdicts["control_exception"].astype("str"),
        }
    )


def exceptions_table(result: AuditResult, currency: Currency, at_stake: np.ndarray) -> Table:
    """Control exceptions, each kind the most money at stake first, with the tester's columns.

    `at_stake`: cents per request. Seam: a review-state column goes into `columns` (and
    the frame) beside failed_rules.
    """
    exception = result.verdicts["control_exception"].astype("str").to_numpy()
    kept, counts = [], {}
    for kind in ControlException:  # two kinds, not rows
        found = np.flatnonzero(exception == kind)
        counts[kind] = len(found)
        kept.append(found[np.argsort(-at_stake[found], kind="stable")][:EXCEPTION_ROWS])
    rows = np.concatenate(kept)
    frame = request_frame(result, rows).assign(
        at_stake=as_cents(at_stake[rows]),
        reasons=reason_lines(result, rows).to_numpy(),
        **{c.name: pd.Series([None] * len(rows), dtype="object") for c in TESTER_COLUMNS},
    )
    listed = "; ".join(
        f"{kind.value.replace('_', ' ')}: {min(n, EXCEPTION_ROWS):,} of {n:,}"
        for kind, n in counts.items()
    )
    total = int(at_stake[exception == ControlException.APPROVED_BUT_INELIGIBLE].sum())
    return Table(
        name="Control exceptions",
        title="Control exceptions: platform decisions that contradict the verdict",
        notes=(
            f"Listed, each kind the most money at stake first: {listed}. verdicts.csv holds "
            "every request with its control_exception.",
            f"{currency.note} Approved-but-ineligible requests put "
            f"{total / 100:,.2f} {currency.code} at stake in all.",
            "Tester: fill in Tickmark, Tested by, Date tested and Notes for each item you test.",
        ),
        columns=(
            Column("control_exception", "Control exception"),
            *REQUEST_COLUMNS,
            Column("decision_code", "Platform's code"),
            Column("failed_rules", "Failed rules"),
            Column("at_stake", "At stake", MONEY),
            Column("reasons", "Reasons", width=70),
            *TESTER_COLUMNS,
        ),
        frame=frame,
        totals=("at_stake",),
        validations=TESTER_RULES,
    )


def sample_table(sample: pd.DataFrame) -> Table:
    """The audit sample as drawn (sample.csv), typed, with the tester's columns."""
    frame = sample.copy()
    for column in ("item", POSITION):  # read back from a tested sample.csv as text
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    if "tickmark" not in frame:
        frame.insert(
            frame.columns.get_loc("tested_by") if "tested_by" in frame else len(frame.columns),
            "tickmark",
            None,
        )
    tester = {c.name: c for c in TESTER_COLUMNS}
    columns = tuple(tester.get(name) or sample_column(frame[name], name) for name in frame)
    rules = {**TESTER_RULES}
    if "deviation" in frame:
        rules["deviation"] = choice_rule(("yes", "no"), "Deviation found?")
    return Table(
        name="Sample",
        title="Audit sample: items to re-perform by hand",
        notes=(
            "The same items as sample.csv. Fill in the tester's columns; "
            "auditkit sample evaluate reads sample.csv.",
        ),
        columns=columns,
        frame=frame,
        validations={k: v for k, v in rules.items() if k in frame},
    )


def sample_column(values: pd.Series, name: str) -> Column:
    """A sample file's column, its kind read from its type; a `*_at` column of ISO moments
    is a moment."""
    kind = TEXT
    if pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        kind = COUNT
    elif pd.api.types.is_datetime64_any_dtype(values.dtype) or (
        name.endswith("_at") and is_moments(values)
    ):
        kind = MOMENT
    return Column(name, name.replace("_", " ").capitalize(), kind)


def is_moments(values: pd.Series) -> bool:
    """Whether every non-empty value is an ISO moment (so none is lost as a date cell)."""
    given = values[values.notna() & (values.astype("str") != "")].astype("str")
    parsed = pd.to_datetime(given, errors="coerce", format="ISO8601")
    return bool(len(given)) and bool(parsed.notna().all())


def manifest_facts(manifest: dict[str, object]) -> list[Fact]:
    return [
        Fact(key, json.dumps(value, sort_keys=True, default=str)) for key, value in manifest.items()
    ]


class Workpaper:
    """report.xlsx written in two steps, so that the long one can run beside the notebook.

    `write_body` writes every sheet the run's outcome does not change (one per rule,
    control exceptions, review, sample); `finish` writes the Summary (first tab) and
    the Manifest once the run's final status is known, and only then creates the file.
    Until then rows wait in a scratch folder beside the file, which `abandon` (or
    `finish`) removes: a run that fails leaves no workbook and no scratch files.
    """

    def __init__(
        self,
        path: Path,
        result: AuditResult,
        manifest: dict[str, object],
        sample: pd.DataFrame | None = None,
        review: ReviewSnapshot | None = None,
    ) -> None:
        self.path, self.result, self.sample, self.review = path, result, sample, review
        self.label = f"Pay-on-behalf compliance workpaper {manifest.get('report_id', '')}"
        self.currency = Currency.from_manifest(manifest)
        self.sample_plan = sample_plan_facts(manifest)
        self.at_stake = exposure_matrix(result)
        self.by_request = self.at_stake.sum(axis=1)
        # Beside the file (in a report's staging folder), so that a killed run leaves
        # nothing in the system's temporary folder.
        self._scratch = tempfile.TemporaryDirectory(prefix=".workpaper-rows-", dir=path.parent)
        self.book = open_book(path, tmpdir=self._scratch.name)
        self.formats = Formats(self.book, self.currency.code)
        self.summary = self.book.add_worksheet("Summary")  # the first tab, written last

    def write_body(self, stopped: Callable[[], bool] = lambda: False) -> None:
        """Every sheet between Summary and Manifest; `stopped` is asked before each one
        (the run failed: nothing more is written, and `write_body` returns)."""
        result, book, formats, label = self.result, self.book, self.formats, self.label
        for j in range(len(result.rule_ids)):
            if stopped():
                return
            write_table(book, formats, rule_table(result, j, self.at_stake), label)
        exceptions = exceptions_table(result, self.currency, self.by_request)
        if self.review is not None:
            exceptions = with_review(exceptions, self.review)
        write_table(book, formats, exceptions, label)
        if self.review is not None:
            for name, frame in review_sheets(self.review, result.verdicts).items():
                if stopped():
                    return
                write_table(book, formats, text_table(name, REVIEW_TITLES[name], frame), label)
        if self.sample is not None:
            write_table(book, formats, sample_table(self.sample), label)
            plan = [Fact(item, value, kind) for item, value, kind in self.sample_plan]
            if plan:
                write_facts(book, formats, "Sample plan", "Audit sample plan", plan, label)

    def finish(self, manifest: dict[str, object]) -> Path:
        """The Summary and Manifest sheets from the final `manifest`; the file is written."""
        try:
            summary = summary_facts(self.result, manifest, self.by_request)
            if self.review is not None:
                summary += [
                    Fact(item, value, COUNT if isinstance(value, int) else TEXT)
                    for item, value in review_summary(self.review, self.result.verdicts).items()
                ]
            write_facts(
                self.book, self.formats, "Summary", self.label, summary, self.label, self.summary
            )
            write_facts(
                self.book,
                self.formats,
                "Manifest",
                "Run manifest",
                manifest_facts(manifest),
                self.label,
            )
            self.book.close()
        finally:
            self._scratch.cleanup()
        return self.path

    def abandon(self) -> None:
        """Drop the workpaper unwritten (its rows waiting in the scratch folder)."""
        self._scratch.cleanup()


def write_workpaper(
    path: Path,
    result: AuditResult,
    manifest: dict[str, object],
    sample: pd.DataFrame | None = None,
    review: ReviewSnapshot | None = None,
) -> Path:
    """Write the workpaper (the caller writes into a staging folder); with the run's `review`,
    the review's conclusion in the Summary, each control exception's review, and the Review
    and Follow-up sheets."""
    workpaper = Workpaper(path, result, manifest, sample, review)
    try:
        workpaper.write_body()
    except BaseException:
        workpaper.abandon()
        raise
    return workpaper.finish(manifest)


REVIEW_TITLES = {
    "Review": "Review: every control exception and unsupported refusal, as concluded",
    "Follow-up": "Follow-up: items followed up (overdue flagged) and earlier periods' open items",
}


def header_of(name: str) -> str:
    return name.replace("_", " ").capitalize()


def with_review(table: Table, review: ReviewSnapshot) -> Table:
    """The control exceptions with each request's review and follow-up, before the tester's
    columns."""
    cells = review_cells(review, table.frame["request_id"])
    split = len(table.columns) - len(TESTER_COLUMNS)
    columns = (
        *table.columns[:split],
        *(Column(name, header_of(name)) for name in cells),
        *table.columns[split:],
    )
    return dataclasses.replace(table, columns=columns, frame=table.frame.assign(**cells))


def text_table(name: str, title: str, frame: pd.DataFrame) -> Table:
    """A sheet of text columns, headed by their names in words."""
    columns = tuple(Column(str(c), header_of(str(c))) for c in frame.columns)
    return Table(name=name, title=title, notes=(), columns=columns, frame=frame)
