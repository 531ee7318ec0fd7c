"""The register's view of one report run, saved beside the run so the notebook needs no database.

The runner records the run's findings in the register and writes what the
report's sections show into the run folder: `review.parquet` (the run's
findings a reviewer changed, every platform decision of the run to be
reviewed, and the items earlier periods left open, each with its state as of
the run's as_of and its follow-up) and `review.json` (counts, the period's
sign-offs, which register and run). The report renders from these files: it
is reproducible from the folder alone, and no database URL or password
reaches the notebook.

Three populations are reviewed, each under its own name (`POPULATIONS`):
findings, control exceptions and unsupported refusals. The last two are
requests; the register keeps one review item per such request, its platform
decision (rule id DECISION), so a request that is both is concluded once.
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
from auditkit.review.changes import DECISION, FOLLOW_UP_FIELDS
from auditkit.review.register import Register
from auditkit.review.states import (
    CLOSED,
    CONCLUDED,
    NOT_A_FINDING,
    UNREVIEWED,
    decision_keys,
    shown_item_states,
    shown_states,
    state_codes,
    state_counts,
    with_review_state,
)
from auditkit.vocab import STATUSES, DecisionCodeCheck, ReviewState

REVIEW_FINDINGS = "review.parquet"
REVIEW_FACTS = "review.json"
EXPIRING_DAYS = 30  # waivers ending within this many days of as_of are listed as expiring
RUN, EARLIER = "run", "earlier"  # `scope`: an item of this run, or one an earlier period left open
REVIEW_ITEM_COLUMNS = (
    "request_id",
    "rule_id",
    "status",
    "state",
    "note",
    "expires",
    "changed_by",
    "changed_at",
    *FOLLOW_UP_FIELDS,
    "scope",
    "reported_period",
)
# The populations of the review, by the words the report uses for them.
CONTROL_EXCEPTIONS = "control exceptions"
UNSUPPORTED_REFUSALS = "unsupported refusals"
POPULATIONS = {
    "findings": "a rule that fails, or cannot be judged, for a request",
    CONTROL_EXCEPTIONS: "requests whose platform decision contradicts their verdict (section 5)",
    UNSUPPORTED_REFUSALS: "refusals whose stated code the data does not bear out (section 6)",
}
# How a population's states are counted: concluded states first, open work last.
COUNT_ORDER = (
    ReviewState.CONFIRMED,
    ReviewState.FALSE_POSITIVE,
    ReviewState.WAIVED,
    ReviewState.REMEDIATED,
    ReviewState.UNDER_REVIEW,
    ReviewState.WAIVER_EXPIRED,
    ReviewState.OPEN,
)


@dataclass(frozen=True)
class ReviewSnapshot:
    """A run's review items (REVIEW_ITEM_COLUMNS): `findings` the run's findings a reviewer changed,
    `decisions` every platform decision of the run to be reviewed, `carried` what earlier
    periods left open; and the facts around them."""

    findings: pd.DataFrame
    counts: dict[str, int]
    signoffs: list[dict[str, object]]
    register: str
    run_id: int
    as_of: dt.date
    decisions: pd.DataFrame
    carried: pd.DataFrame

    @property
    def total(self) -> int:
        return int(sum(self.counts.values()))

    def followed(self) -> pd.DataFrame:
        """Items of this run with a follow-up (owner, due, response or remediation)."""
        items = pd.concat([self.decisions, self.findings], ignore_index=True)
        return items[items[list(FOLLOW_UP_FIELDS)].notna().any(axis=1)]

    def overdue(self) -> pd.DataFrame:
        """Items of this run or carried forward that are due before as_of and not closed."""
        items = pd.concat([self.followed(), self.carried], ignore_index=True)
        due = pd.to_datetime(items["due"], errors="coerce")
        late = (due < pd.Timestamp(self.as_of)) & ~items["state"].isin(sorted(CLOSED))
        return items[late.to_numpy()].sort_values(["due", "request_id", "rule_id"], kind="stable")


def outstanding(states: pd.Series) -> pd.Series:
    """Whether each shown state is still open or under review (not concluded)."""
    return ~states.isin(sorted(CONCLUDED))


def record_and_snapshot(
    register: Register, result: AuditResult, period: str, folder: Path
) -> tuple[dict[str, object], pd.DataFrame]:
    """Record the run in the register, write the snapshot into `folder`.

    Returns the manifest's `review` entry and the verdicts with review_state.
    """
    recorded = register.record_run(result, "report", period, decisions=True)
    as_of = result.params.as_of
    codes = state_codes(result, recorded.reviewed)
    items = pd.concat(
        [
            _findings(result, codes, recorded.reviewed),
            _decisions(result, recorded.reviewed, as_of),
            _carried(register, result, period, as_of),
        ],
        ignore_index=True,
    )
    _write_items(items.fillna({"reported_period": period}), folder / REVIEW_FINDINGS)
    signoffs = register.signoffs(period)
    facts = {
        "register": register.label,
        "run_id": recorded.run_id,
        "findings": recorded.findings,
        "new": recorded.new,
        "decisions": recorded.decisions,
    }
    write_json(
        folder / REVIEW_FACTS,
        {
            **facts,
            "as_of": as_of.isoformat(),
            "counts": state_counts(codes),
            "signoffs": signoffs.to_dict("records"),  # a handful of rows
        },
    )
    return facts, with_review_state(result.verdicts, codes, result.rule_ids)


def _findings(result: AuditResult, codes: np.ndarray, reviewed: pd.DataFrame) -> pd.DataFrame:
    """The run's findings a reviewer changed, with their state as of as_of."""
    request, rule = np.nonzero((codes != NOT_A_FINDING) & (codes != UNREVIEWED))
    ids = result.cases["request_id"].astype("str").to_numpy()[request]
    rule_ids = np.asarray(result.rule_ids, dtype=object)[rule]
    details = _details(reviewed, ids, rule_ids)
    return details.assign(
        status=[STATUSES[c].value for c in result.status_codes[request, rule]],
        state=shown_states(codes[request, rule]),
        scope=RUN,
    )


def _decisions(result: AuditResult, reviewed: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Every platform decision of the run to be reviewed, reviewed or not."""
    ids = decision_keys(result)["request_id"].astype("str").to_numpy()
    details = _details(reviewed, ids, np.full(len(ids), DECISION, dtype=object))
    state = shown_item_states(details.assign(state=details["state"].fillna("open")), as_of)
    return details.assign(status="decision", state=state, scope=RUN)


def _carried(register: Register, result: AuditResult, period: str, as_of: dt.date) -> pd.DataFrame:
    """Decisions and followed-up findings of earlier periods that are still open for follow-up."""
    earlier = register.carried(period)
    mine = set(result.cases["request_id"].astype("str"))
    earlier = earlier[~earlier["request_id"].astype("str").isin(mine)]
    shown = shown_item_states(earlier, as_of)
    earlier = earlier.assign(
        state=shown,
        status=np.where(earlier["rule_id"] == DECISION, "decision", "finding"),
        scope=EARLIER,
    )
    return earlier[~earlier["state"].isin(sorted(CLOSED))]


def _details(reviewed: pd.DataFrame, ids: np.ndarray, rule_ids: np.ndarray) -> pd.DataFrame:
    """The register's row of each (id, rule id), as REVIEW_ITEM_COLUMNS; missing ones empty."""
    found = reviewed.set_index(["request_id", "rule_id"])
    details = found.reindex(pd.MultiIndex.from_arrays([ids, rule_ids]))
    return pd.DataFrame(
        {
            "request_id": ids,
            "rule_id": rule_ids,
            **{
                name: details[name].to_numpy(dtype=object)
                for name in ("state", "note", "expires", "changed_by", "changed_at")
            },
            **{name: details[name].to_numpy(dtype=object) for name in FOLLOW_UP_FIELDS},
        }
    )


SCHEMA = pa.schema(
    [
        *(pa.field(name, pa.string()) for name in REVIEW_ITEM_COLUMNS[:5]),
        pa.field("expires", pa.date32()),
        pa.field("changed_by", pa.string()),
        pa.field("changed_at", pa.timestamp("us", tz="UTC")),
        pa.field("owner", pa.string()),
        pa.field("due", pa.date32()),
        pa.field("response", pa.string()),
        pa.field("remediation", pa.string()),
        pa.field("scope", pa.string()),
        pa.field("reported_period", pa.string()),
    ]
)


def _write_items(items: pd.DataFrame, path: Path) -> None:
    frame = pd.DataFrame({name: items.get(name) for name in REVIEW_ITEM_COLUMNS})
    for name in ("changed_at",):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    frame = frame.astype(object).where(frame.notna(), None)
    pq.write_table(pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False), path)


def load_snapshot(folder: Path) -> ReviewSnapshot | None:
    """The review snapshot saved in a run folder, or None when the run used no register."""
    folder = Path(folder)
    if not (folder / REVIEW_FACTS).is_file():
        return None
    facts = json.loads((folder / REVIEW_FACTS).read_text(encoding="utf-8"))
    items = pq.read_table(folder / REVIEW_FINDINGS).to_pandas()
    for name in REVIEW_ITEM_COLUMNS:  # a snapshot written before the follow-up existed lacks some
        if name not in items:
            items[name] = RUN if name == "scope" else None
    for name in ("expires", "due"):
        items[name] = items[name].astype(object).where(items[name].notna(), None)
    run = items["scope"] == RUN
    decision = items["rule_id"] == DECISION
    return ReviewSnapshot(
        findings=items[run & ~decision].reset_index(drop=True),
        counts={str(k): int(v) for k, v in dict(facts["counts"]).items()},
        signoffs=list(facts.get("signoffs") or []),
        register=str(facts.get("register", "")),
        run_id=int(facts["run_id"]),
        as_of=dt.date.fromisoformat(str(facts["as_of"])),
        decisions=items[run & decision].reset_index(drop=True),
        carried=items[~run].reset_index(drop=True),
    )


def decision_populations(verdicts: pd.DataFrame) -> pd.DataFrame:
    """request_id and membership of each request in the two request populations."""
    exception = verdicts["control_exception"].astype("str")
    unsupported = verdicts["decision_code_check"].astype("str") == DecisionCodeCheck.UNSUPPORTED
    keep = ((exception != "") | unsupported).to_numpy()
    return pd.DataFrame(
        {
            "request_id": verdicts["request_id"].astype("str").to_numpy()[keep],
            "control_exception": exception.to_numpy()[keep],
            "unsupported": unsupported.to_numpy()[keep],
        }
    )


def decision_states(review: ReviewSnapshot | None, request_ids: object) -> pd.DataFrame:
    """For each request id, its platform decision's review (state, changed_by, note, changed_at
    and the follow-up); `open` when no register was used or nobody reviewed it."""
    ids = pd.Index(pd.Series(request_ids, dtype="str"))
    columns = ["state", "changed_by", "note", "changed_at", *FOLLOW_UP_FIELDS]
    if review is None or review.decisions.empty:
        found = pd.DataFrame(index=ids, columns=columns, dtype=object)
    else:
        found = review.decisions.set_index(review.decisions["request_id"].astype("str"))
        found = found[columns].reindex(ids)
    found["state"] = found["state"].fillna(ReviewState.OPEN.value)
    return found.reset_index(drop=True)


def review_columns(review: ReviewSnapshot | None, request_ids: object) -> dict[str, list[str]]:
    """Columns a request list gains when the report has a register: each request's platform
    decision as reviewed (state, who, note); none without a register."""
    if review is None:
        return {}
    found = decision_states(review, request_ids)
    return {
        "Review state": found["state"].astype("str").tolist(),
        "Reviewed by": [_text(v) for v in found["changed_by"]],
        "Review note": [_text(v) for v in found["note"]],
    }


def population_counts(states: pd.Series) -> dict[str, int]:
    """How many of a population are in each state, in COUNT_ORDER, zeros left out."""
    counts = states.astype("str").value_counts()
    return {s.value: int(counts[s.value]) for s in COUNT_ORDER if counts.get(s.value, 0)}


def counted(noun: str, total: int, counts: dict[str, int]) -> str:
    """`16 control exceptions: 12 confirmed, 3 false positive, 1 open`."""
    parts = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in counts.items())
    return f"{total} {noun}" + (f": {parts}" if parts else "")


def population_sentences(review: ReviewSnapshot | None, verdicts: pd.DataFrame) -> list[str]:
    """`16 control exceptions: 12 confirmed, ...` and the same for the unsupported refusals."""
    populations = decision_populations(verdicts)
    states = decision_states(review, populations["request_id"])["state"]
    exceptions = (populations["control_exception"] != "").to_numpy()
    unsupported = populations["unsupported"].to_numpy()
    return [
        counted(CONTROL_EXCEPTIONS, int(exceptions.sum()), population_counts(states[exceptions])),
        counted(
            UNSUPPORTED_REFUSALS, int(unsupported.sum()), population_counts(states[unsupported])
        ),
    ]


def review_conclusion(review: ReviewSnapshot | None, verdicts: pd.DataFrame) -> str:
    """What the review concluded about the control exceptions and unsupported refusals."""
    if decision_populations(verdicts).empty:
        return ""
    if review is None:
        return (
            "No review register was used for this report, so what reviewers concluded about "
            "its control exceptions and unsupported refusals is not recorded here."
        )
    said = population_sentences(review, verdicts)
    late = len(review.overdue())
    tail = f" {late} followed-up item(s) are overdue (section 7)." if late else ""
    return f"Review as of {review.as_of.isoformat()}: {'; '.join(said)}.{tail}"


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def review_summary(review: ReviewSnapshot, verdicts: pd.DataFrame) -> dict[str, object]:
    """What the workpaper's Summary adds about the review (counts as numbers)."""
    said = population_sentences(review, verdicts)
    return {
        "review of control exceptions": said[0],
        "review of unsupported refusals": said[1],
        "review states as of": review.as_of.isoformat(),
        "overdue follow-up items": len(review.overdue()),
        "items still open from earlier periods": len(review.carried),
    }


def review_sheets(review: ReviewSnapshot, verdicts: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The workpaper's Review sheet (every control exception and unsupported refusal with its
    review) and Follow-up sheet (followed-up items, overdue ones flagged, and those earlier
    periods left open), as text frames."""
    populations = decision_populations(verdicts)
    listed = pd.DataFrame(
        {
            "request_id": populations["request_id"],
            "control_exception": populations["control_exception"],
            "unsupported_refusal": np.where(populations["unsupported"], "yes", ""),
            **review_cells(review, populations["request_id"]),
        }
    )
    followed = pd.concat(
        [review.followed().assign(scope="this period"), review.carried.assign(scope=EARLIER)],
        ignore_index=True,
    )
    late = review.overdue()
    overdue = pd.MultiIndex.from_frame(followed[["request_id", "rule_id"]]).isin(
        pd.MultiIndex.from_frame(late[["request_id", "rule_id"]])
    )
    follow_up = pd.DataFrame(
        {
            name: followed[name].map(_text)
            for name in ("scope", "reported_period", "request_id", "rule_id", "state")
        }
        | {name: followed[name].map(_text) for name in FOLLOW_UP_FIELDS}
        | {"overdue": np.where(overdue, "yes", "")}
    )
    return {"Review": listed, "Follow-up": follow_up}


def review_cells(review: ReviewSnapshot, request_ids: object) -> dict[str, list[str]]:
    found = decision_states(review, request_ids)
    return {
        "review_state": found["state"].astype("str").tolist(),
        "reviewed_by": [_text(v) for v in found["changed_by"]],
        "review_note": [_text(v) for v in found["note"]],
        **{name: [_text(v) for v in found[name]] for name in FOLLOW_UP_FIELDS},
    }
