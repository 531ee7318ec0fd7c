"""The register's view of one report run, saved beside the run so the notebook needs no database.

The runner records the run's findings in the register and writes what the
report's review and sign-off sections show into the run folder:
`review.parquet` (every finding of the run a reviewer concluded on, with its
state as of the run's as_of) and `review.json` (counts per state, the
period's sign-offs, which register and run). The report renders from these
files: it is reproducible from the folder alone, and no database URL or
password reaches the notebook.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from auditkit.engine.result import AuditResult
from auditkit.io.write import write_json
from auditkit.review.register import Register
from auditkit.review.states import (
    NOT_A_FINDING,
    UNREVIEWED,
    shown_states,
    state_codes,
    state_counts,
    with_review_state,
)
from auditkit.vocab import STATUSES

REVIEW_FINDINGS = "review.parquet"
REVIEW_FACTS = "review.json"
EXPIRING_DAYS = 30  # waivers ending within this many days of as_of are listed as expiring
FINDING_COLUMNS = (
    "request_id",
    "rule_id",
    "status",
    "state",
    "note",
    "expires",
    "changed_by",
    "changed_at",
)


@dataclass(frozen=True)
class ReviewSnapshot:
    """The reviewed findings of a run (FINDING_COLUMNS) and the facts around them."""

    findings: pd.DataFrame
    counts: dict[str, int]
    signoffs: list[dict[str, object]]
    register: str
    run_id: int
    as_of: dt.date

    @property
    def total(self) -> int:
        return int(sum(self.counts.values()))


def record_and_snapshot(
    register: Register, result: AuditResult, period: str, folder: Path
) -> tuple[dict[str, object], pd.DataFrame]:
    """Record the run in the register, write the snapshot into `folder`.

    Returns the manifest's `review` entry and the verdicts with review_state.
    """
    recorded = register.record_run(result, "report", period)
    codes = state_codes(result, recorded.reviewed)
    request, rule = np.nonzero((codes != NOT_A_FINDING) & (codes != UNREVIEWED))
    found = recorded.reviewed.set_index(["request_id", "rule_id"])
    ids = result.cases["request_id"].astype("str").to_numpy()[request]
    rule_ids = np.asarray(result.rule_ids, dtype=object)[rule]
    details = found.reindex(pd.MultiIndex.from_arrays([ids, rule_ids]))
    findings = pd.DataFrame(
        {
            "request_id": ids,
            "rule_id": rule_ids,
            "status": [STATUSES[c].value for c in result.status_codes[request, rule]],
            "state": shown_states(codes[request, rule]),
            "note": details["note"].to_numpy(dtype=object),
            "expires": details["expires"].to_numpy(dtype=object),
            "changed_by": details["changed_by"].to_numpy(dtype=object),
            "changed_at": details["changed_at"].to_numpy(dtype=object),
        },
        columns=list(FINDING_COLUMNS),
    )
    schema = pa.schema(
        [
            *(pa.field(name, pa.string()) for name in FINDING_COLUMNS[:5]),
            pa.field("expires", pa.date32()),
            pa.field("changed_by", pa.string()),
            pa.field("changed_at", pa.timestamp("us", tz="UTC")),
        ]
    )
    pq.write_table(
        pa.Table.from_pandas(findings, schema=schema, preserve_index=False),
        folder / REVIEW_FINDINGS,
    )
    signoffs = register.signoffs(period)
    facts = {
        "register": register.label,
        "run_id": recorded.run_id,
        "findings": recorded.findings,
        "new": recorded.new,
    }
    write_json(
        folder / REVIEW_FACTS,
        {
            **facts,
            "as_of": result.params.as_of.isoformat(),
            "counts": state_counts(codes),
            "signoffs": signoffs.to_dict("records"),  # a handful of rows
        },
    )
    return facts, with_review_state(result.verdicts, codes, result.rule_ids)


def load_snapshot(folder: Path) -> ReviewSnapshot | None:
    """The review snapshot saved in a run folder, or None when the run used no register."""
    folder = Path(folder)
    if not (folder / REVIEW_FACTS).is_file():
        return None
    facts = json.loads((folder / REVIEW_FACTS).read_text(encoding="utf-8"))
    findings = pq.read_table(folder / REVIEW_FINDINGS).to_pandas()
    findings["expires"] = findings["expires"].map(
        lambda d: d if d is None or not pd.isna(d) else None
    )
    return ReviewSnapshot(
        findings=findings,
        counts={str(k): int(v) for k, v in dict(facts["counts"]).items()},
        signoffs=list(facts.get("signoffs") or []),
        register=str(facts.get("register", "")),
        run_id=int(facts["run_id"]),
        as_of=dt.date.fromisoformat(str(facts["as_of"])),
    )
