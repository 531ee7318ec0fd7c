"""What the sections share: human labels, section headings, capped request lists, wide tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditkit.analysis.evidence import reason_lines
from auditkit.engine.result import AuditResult
from auditkit.render.html import html_escape_id, paragraph, table, text
from auditkit.vocab import Status

MAX_LISTED = 25  # rows of a request list in the page; the files next to it hold them all
IN_FILES = "verdicts.csv, results.parquet and report.xlsx next to this report hold them all."

# Column names as a reader says them; every table passes through `labelled`.
LABELS = {
    "rule_id": "Rule",
    "title": "What should hold",
    "citation": "Source section",
    "applies_to": "Applies to",
    "reading": "How the document is read",
    "reads": "Reads",
    "pass": "Passed",
    "fail": "Failed",
    "not_applicable": "Not applicable",
    "error": "Could not judge",
    "fail_share": "Failed, of judged",
    "request_id": "Request",
    "member_uin": "Member",
    "admin_uin": "Admin",
    "action": "Action",
    "payment_mode": "Payment mode",
    "requested_at": "Requested at",
    "decision": "Platform decision",
    "decision_code": "Platform's code",
    "decision_code_check": "Code borne out?",
    "verdict": "Verdict",
    "failed_rules": "Failed rules",
    "error_rules": "Rules not judged",
    "reasons": "Reasons",
    "reason": "Reason",
    "exposure": "At stake",
    "requests": "Requests",
    "eligible": "Eligible",
    "ineligible": "Ineligible",
    "unknown": "Unknown",
    "share_eligible": "Eligible share",
    "member_enterprise_id": "Member's enterprise id",
    "rules": "Stands for",
    "supported": "Supported",
    "unsupported": "Unsupported",
    "unmapped": "Unmapped",
    "role": "Role",
    "name": "Name",
    "date": "Date",
    "signed": "Signs",
    "state": "State",
    "findings": "Findings",
    "meaning": "Meaning",
    "status": "Status",
    "note": "Note",
    "changed_by": "By",
    "concluded": "Concluded on",
    "expires": "Expires",
    "days_left": "Days left",
}

# Each section's anchor and heading, in page order; the contents list is built from it.
CONTENTS: tuple[tuple[str, str], ...] = (
    ("conclusion", "1. Conclusion"),
    ("scope", "2. Scope and population"),
    ("methodology", "3. Methodology"),
    ("results", "4. Results by rule"),
    ("exceptions", "5. Control exceptions"),
    ("reason-codes", "6. The platform's stated reasons"),
    ("review", "7. Review status"),
    ("quality", "8. Data quality and limitations"),
    ("signoff", "9. Sign-off"),
    ("appendix-catalogue", "Appendix A. Rule catalogue"),
    ("appendix-segments", "Appendix B. Breakdown by member segment"),
    ("appendix-manifest", "Appendix C. Run manifest"),
    ("appendix-sample", "Appendix D. Audit sample"),
)
HEADINGS = dict(CONTENTS)


def section(anchor: str) -> str:
    """The heading of a section, with the anchor the contents list links to."""
    return f'<h2 id="{html_escape_id(anchor)}">{text(HEADINGS[anchor])}</h2>'


def subheading(title: str) -> str:
    return f"<h3>{text(title)}</h3>"


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with human column names."""
    return frame.rename(columns=lambda name: LABELS.get(str(name), str(name)))


def shown(frame: pd.DataFrame, table_id: str, *, wide: bool = False, index: bool = False) -> str:
    """A labelled table; a wide one gets a landscape page when printed."""
    return table(
        labelled(frame), table_id=table_id, css_class="ak-wide" if wide else "", index=index
    )


PRINTED_COLUMNS = 9  # at most this many columns in one printed table part (A4 portrait, 7pt)


def column_parts(frame: pd.DataFrame, keep: int = 1, most: int = PRINTED_COLUMNS) -> list:
    """`frame` split by columns into parts that fit a printed page, each part repeating the
    first `keep` columns (what a row is), so no column is lost and none is squeezed."""
    key, rest = list(frame.columns[:keep]), list(frame.columns[keep:])
    parts = -(-len(rest) // max(most - keep, 1))  # as few parts as fit, then evened out
    width = -(-len(rest) // max(parts, 1))
    return [frame[key + rest[at : at + width]] for at in range(0, len(rest), width)] or [frame]


def listed(frame: pd.DataFrame, table_id: str, total: int | None = None, wide: bool = True) -> str:
    """A capped list of requests, with a note pointing to the full files."""
    total = len(frame) if total is None else total
    markup = table(
        labelled(frame.head(MAX_LISTED)), table_id=table_id, css_class="ak-wide" if wide else ""
    )
    if total > MAX_LISTED:
        markup += paragraph(
            f"Showing the first {min(MAX_LISTED, len(frame)):,} of {total:,}. {text(IN_FILES)}",
            "ak-note",
        )
    return markup


def request_list(
    result: AuditResult, rows: np.ndarray, statuses: tuple[Status, ...] = (Status.FAIL,)
) -> pd.DataFrame:
    """Requests at `rows`: who, what, the decision and the reasons of rules with `statuses`."""
    verdicts = result.verdicts.iloc[rows].reset_index(drop=True)
    cases = result.cases.iloc[rows].reset_index(drop=True)
    return pd.DataFrame(
        {
            "request_id": verdicts["request_id"].astype("str"),
            "member_uin": verdicts["member_uin"].astype("str"),
            "admin_uin": verdicts["admin_uin"].astype("str"),
            "action": verdicts["action"].astype("str"),
            "decision": verdicts["decision"].astype("str"),
            "decision_code": cases["decision_code"].astype("str"),
            "verdict": verdicts["verdict"].astype("str"),
            "reasons": reason_lines(result, rows, statuses),
        }
    )
