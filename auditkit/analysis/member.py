"""The member view: everything about one uin, its requests and the account, orders and vouchers
the rules saw.

The requests and the account state each was judged against come from the
evaluation's case frame (at each requested_at when judging at the moment of
decision, else the snapshot); the account's recorded history, orders and
vouchers come from `rows_of(table, uin)`: in-memory tables (`table_rows`) or
a cached evaluation's uin-sorted files (`CachedRun.rows_of`). Frames in,
frames out: the explorer only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.contract import ACCOUNT_FIELDS, EVENTS
from auditkit.engine.result import AuditResult
from auditkit.io.tables import Tables
from auditkit.money import format_cents

RowsOf = Callable[[str, str], pd.DataFrame]  # (table, uin) -> that uin's rows
REQUEST_COLUMNS = ("request_id", "role", "action", "payment_mode", "requested_at", "verdict")
STATE_FIELDS = tuple(name for name in ACCOUNT_FIELDS if name != "uin")


@dataclass(frozen=True)
class MemberView:
    """One uin: its requests (as member or admin), the state each was judged at, its data."""

    uin: str
    judged_at_request: bool
    requests: pd.DataFrame  # REQUEST_COLUMNS, then failed_rules, decision, control_exception
    rows: np.ndarray  # positions of those requests in the evaluation
    states: pd.DataFrame  # per request as member: the member's account state judged
    history: pd.DataFrame  # account_history rows (empty without history)
    orders: pd.DataFrame
    vouchers: pd.DataFrame

    @property
    def verdicts(self) -> dict[str, int]:
        return self.requests["verdict"].astype("str").value_counts().to_dict()


def table_rows(tables: Tables) -> RowsOf:
    """`rows_of` over in-memory tables: rows by uin, events by their order's or voucher's uin."""
    parents = {link.table: link for link in EVENTS}

    def rows_of(table: str, uin: str) -> pd.DataFrame:
        frame = tables[table]
        if frame is None:
            return pd.DataFrame()
        if table in parents:
            link = parents[table]
            owned = tables[link.parent][link.column][tables[link.parent]["uin"] == uin]
            return frame[frame[link.column].isin(owned.tolist())]
        return frame[frame["uin"] == uin]

    return rows_of


def member_view(result: AuditResult, uin: str, rows_of: RowsOf) -> MemberView:
    """Every request of `uin` and what the rules read about it; KeyError when it is unknown."""
    uin = uin.strip()
    cases = result.cases
    as_member = (cases["member_uin"] == uin).to_numpy(dtype=bool)
    as_admin = (cases["admin_uin"] == uin).to_numpy(dtype=bool)
    rows = np.flatnonzero(as_member | as_admin)
    account = rows_of("accounts", uin)
    if not len(rows) and account.empty:
        raise KeyError(f"uin {uin!r} made no request, administers none, and is not in accounts")
    verdicts = result.verdicts.iloc[rows].reset_index(drop=True)
    requests = pd.DataFrame(
        {
            "request_id": verdicts["request_id"],
            "role": np.where(as_member[rows], "member", "admin"),
            "action": verdicts["action"],
            "payment_mode": verdicts["payment_mode"],
            "requested_at": cases["requested_at"].iloc[rows].reset_index(drop=True),
            "verdict": verdicts["verdict"],
            "failed_rules": verdicts["failed_rules"],
            "decision": verdicts["decision"],
            "control_exception": verdicts["control_exception"],
        }
    )
    return MemberView(
        uin=uin,
        judged_at_request=result.params.at_requested,
        requests=requests,
        rows=rows,
        states=_states(cases, np.flatnonzero(as_member)),
        history=_money(rows_of("account_history", uin)),
        orders=_with_events(_money(rows_of("orders", uin)), rows_of, uin, EVENTS[0]),
        vouchers=_with_events(_money(rows_of("vouchers", uin)), rows_of, uin, EVENTS[1]),
    )


def _states(cases: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The member's account state each of its requests was judged against."""
    taken = cases.iloc[rows].reset_index(drop=True)
    data: dict[str, object] = {
        "request_id": taken["request_id"],
        "requested_at": taken["requested_at"],
        "state_from": taken["member_valid_from"],
        "found": taken["member_found"],
    }
    for name in STATE_FIELDS:
        data[name.removesuffix("_cents")] = _shown_money(taken[f"member_{name}"], name)
    data["open_orders"] = taken["open_orders"]
    data["usable_vouchers"] = taken["usable_vouchers"]
    return pd.DataFrame(data)


def _shown_money(values: pd.Series, name: str) -> pd.Series:
    return format_cents(values) if name.endswith("_cents") else values


def _money(frame: pd.DataFrame) -> pd.DataFrame:
    """Money columns (`*_cents`) as the decimals the reasons show, under their contract name."""
    money = [c for c in frame.columns if str(c).endswith("_cents")]
    shown = frame.assign(**{c: format_cents(frame[c]) for c in money})
    return shown.rename(columns={c: c.removesuffix("_cents") for c in money}).reset_index(drop=True)


def _with_events(frame: pd.DataFrame, rows_of: RowsOf, uin: str, link: object) -> pd.DataFrame:
    """Orders or vouchers with their recorded history, one line each: 'status at; status at'."""
    events = rows_of(link.table, uin)  # type: ignore[attr-defined]
    if events.empty or frame.empty:
        return frame
    key = link.column  # type: ignore[attr-defined]
    events = events.sort_values([key, "at"], kind="stable")
    steps = events["status"].astype("str") + " " + events["at"].dt.strftime("%Y-%m-%d %H:%M")
    history = steps.groupby(events[key].to_numpy()).agg("; ".join)
    return frame.assign(history=frame[key].map(history).fillna(""))
