"""report.xlsx: the audit workpaper beside the report page.

Sheets: Summary (the headline numbers and what the run was), one sheet per
rule with the requests that fail it or could not be judged and why, Control
exceptions (with money at stake), Sample (when one was drawn), Manifest. Every
sheet has a frozen header row and filters; every text cell is spreadsheet-safe
(`io.write.write_workbook`). A rule sheet is capped below Excel's row limit and
says so; results.parquet holds every row.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from auditkit.analysis.evidence import reason_lines
from auditkit.analysis.exposure import exposure_by_request, exposure_matrix
from auditkit.analysis.summaries import headline
from auditkit.engine.result import AuditResult
from auditkit.io.write import write_workbook
from auditkit.render.format import money
from auditkit.report.review import ReviewSnapshot, workpaper_sheets
from auditkit.vocab import STATUS_CODE, ControlException, Status

WORKPAPER = "report.xlsx"
MAX_ROWS_PER_SHEET = 200_000  # Excel holds 1,048,576; a workpaper past this size is not read


def summary_sheet(result: AuditResult, manifest: dict[str, object]) -> pd.DataFrame:
    numbers = headline(result)
    facts = {
        "report id": manifest.get("report_id", ""),
        "period": manifest.get("period", ""),
        "moment judged": "each request at its requested_at"
        if result.params.at_requested
        else f"snapshot as of {result.params.as_of.isoformat()}",
        "data as of": result.params.as_of.isoformat(),
        **{str(k).replace("_", " "): v for k, v in numbers.items() if k != "as_of"},
        "rule sheets": "the requests that fail each rule or could not be judged, the first "
        f"{MAX_ROWS_PER_SHEET:,} of each rule at most; results.parquet holds every result",
        "money at stake in approved-but-ineligible requests": money(
            exposure_by_request(result)[
                (
                    result.verdicts["control_exception"] == ControlException.APPROVED_BUT_INELIGIBLE
                ).to_numpy(dtype=bool)
            ].sum()
        ),
    }
    return pd.DataFrame({"item": list(facts), "value": [str(v) for v in facts.values()]})


def rule_sheet(result: AuditResult, j: int) -> pd.DataFrame:
    """The requests rule j fails or cannot judge, with the reason and what is at stake."""
    status = result.status_codes[:, j]
    rows = np.flatnonzero(
        (status == STATUS_CODE[Status.FAIL]) | (status == STATUS_CODE[Status.ERROR])
    )[:MAX_ROWS_PER_SHEET]
    verdicts = result.verdicts.iloc[rows]
    return pd.DataFrame(
        {
            "request_id": verdicts["request_id"].astype("str").to_numpy(),
            "member_uin": verdicts["member_uin"].astype("str").to_numpy(),
            "admin_uin": verdicts["admin_uin"].astype("str").to_numpy(),
            "action": verdicts["action"].astype("str").to_numpy(),
            "status": np.where(status[rows] == STATUS_CODE[Status.FAIL], "fail", "error"),
            "reason": result.reason_texts[result.reason_codes[rows, j]].astype("str"),
            "at_stake": [money(c) for c in exposure_matrix(result)[rows, j]],
            "verdict": verdicts["verdict"].astype("str").to_numpy(),
            "decision": verdicts["decision"].astype("str").to_numpy(),
            "control_exception": verdicts["control_exception"].astype("str").to_numpy(),
        }
    )


def exceptions_sheet(result: AuditResult) -> pd.DataFrame:
    exception = result.verdicts["control_exception"].astype("str").to_numpy()
    rows = np.flatnonzero(exception != "")
    verdicts = result.verdicts.iloc[rows]
    at_stake = exposure_by_request(result).to_numpy()[rows]
    frame = pd.DataFrame(
        {
            "control_exception": exception[rows],
            "request_id": verdicts["request_id"].astype("str").to_numpy(),
            "member_uin": verdicts["member_uin"].astype("str").to_numpy(),
            "admin_uin": verdicts["admin_uin"].astype("str").to_numpy(),
            "action": verdicts["action"].astype("str").to_numpy(),
            "decision_code": result.cases["decision_code"].astype("str").to_numpy()[rows],
            "failed_rules": verdicts["failed_rules"].astype("str").to_numpy(),
            "at_stake": [money(c) for c in at_stake],
            "reasons": reason_lines(result, rows).to_numpy(),
            "_order": -at_stake,
        }
    )
    return frame.sort_values(["control_exception", "_order"], kind="stable").drop(columns="_order")


def manifest_sheet(manifest: dict[str, object]) -> pd.DataFrame:
    flat = {key: json.dumps(value, sort_keys=True, default=str) for key, value in manifest.items()}
    return pd.DataFrame({"item": list(flat), "value": list(flat.values())})


def write_workpaper(
    path: Path,
    result: AuditResult,
    manifest: dict[str, object],
    sample: pd.DataFrame | None = None,
    review: ReviewSnapshot | None = None,
) -> Path:
    """Write the workpaper (the caller writes into a staging folder); with the run's `review`,
    the review's sheets too (`auditkit.report.review.workpaper_sheets`)."""
    sheets: dict[str, pd.DataFrame] = {"Summary": summary_sheet(result, manifest)}
    for j, rule_id in enumerate(result.rule_ids):
        sheets[rule_id] = rule_sheet(result, j)
    sheets["Control exceptions"] = exceptions_sheet(result)
    sheets = workpaper_sheets(sheets, review, result.verdicts)
    if sample is not None:
        sheets["Sample"] = sample
    sheets["Manifest"] = manifest_sheet(manifest)
    return write_workbook(path, sheets)
