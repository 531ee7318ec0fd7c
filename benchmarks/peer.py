"""A compact Polars implementation of the 13 rules: the floor auditkit's speed is measured against.

    python benchmarks/peer.py --data DIR --out OUT --as-of YYYY-MM-DD

It reads the columns the rules need from the four snapshot tables (CSV or Parquet),
hashes the input files, joins member and admin accounts, counts open orders and
usable vouchers per member, judges the 13 rules of contract v1.2 as integer status
codes (positions in auditkit.vocab.STATUSES) and writes results.parquet (one row per
request and rule, dictionary-encoded, no reason sentences) and verdicts.parquet. It
validates nothing. Statuses follow the contract's order of judgement: the request's
own columns, then a missing account (error), then the rule's account conditions.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

PASS, FAIL, NA, ERROR = 0, 1, 2, 3  # auditkit.vocab.STATUSES order
STATUSES = ("pass", "fail", "not_applicable", "error")
RULE_IDS = (*tuple(f"POB-J{i:02d}" for i in range(1, 11)), "POB-Q01", "POB-Q02", "POB-Q03")
VERIFIED_INTERNAL = (4, 6, 9)
OPEN = ("to_be_paid", "processing")
AGENTS = ("agent", "agent_customer")
PAYER_FORBIDDEN = (*AGENTS, "reseller", "reseller_customer")
SUB = "distributor_subcustomer"
ACCOUNT_COLUMNS = [
    "uin",
    "account_source",
    "internal_type",
    "identity_type",
    "enterprise_id",
    "channel_role",
    "distributor_id",
    "available_balance",
    "overdue_amount",
    "customer_tier",
    "channel_manager_followup",
    "credit_card_bound",
]
NEEDED = {
    "accounts": ACCOUNT_COLUMNS,
    "orders": ["uin", "status"],
    "vouchers": ["uin", "subcustomer_voucher", "status", "remaining_amount", "expires_at"],
    "requests": [
        "request_id",
        "member_uin",
        "admin_uin",
        "action",
        "payment_mode",
        "payer_uin",
        "decision",
    ],
}
TEXT = {"uin", "member_uin", "admin_uin", "payer_uin", "request_id", "enterprise_id"}
TEXT |= {"distributor_id", "internal_type"}
DECISION_CODES = {
    "FailedOperation.AuthInfoEmpty": ("POB-J01",),
    "FailedOperation.AuthNotEnterprise": ("POB-J01",),
    "FailedOperation.AuthInfoNotSame": ("POB-J01",),
    "UnsupportedOperation.MemberIsAgent": ("POB-J02",),
    "UnsupportedOperation.ExistedAgent": ("POB-J02", "POB-J09"),
    "UnsupportedOperation.ExistedClient": ("POB-J03", "POB-J04", "POB-J05"),
    "UnsupportedOperation.AgentNotSame": ("POB-J04",),
    "UnsupportedOperation.MemberIsNotClient": ("POB-J04",),
    "UnsupportedOperation.MemberHasVoucher": ("POB-J05",),
    "UnsupportedOperation.MemberAccountArrears": ("POB-J06", "POB-Q01"),
    "UnsupportedOperation.AbnormalFinancialStatusOfMember": ("POB-J06", "POB-Q01"),
    "UnsupportedOperation.OrderInProgressExisted": ("POB-J07", "POB-Q02"),
    "FailedOperation.PayUinIllegal": ("POB-J08",),
    "UnsupportedOperation.PayerArrearsAndNoCreditAccount": ("POB-J10",),
    "UnsupportedOperation.AbnormalFinancialStatusOfAdmin": ("POB-J10",),
    "UnsupportedOperation.MemberNoPayment": ("POB-Q03",),
}


def _file(data: Path, table: str) -> Path:
    parquet = data / f"{table}.parquet"
    return parquet if parquet.exists() else data / f"{table}.csv"


def read(path: Path, table: str) -> pl.DataFrame:
    """The columns the rules need; text columns as text whatever the file's types."""
    if path.suffix == ".parquet":
        names = set(pq.read_schema(path).names)
        wanted = [c for c in NEEDED[table] if c in names] + (
            ["decision_code"] if table == "requests" and "decision_code" in names else []
        )
        frame = pl.read_parquet(path, columns=wanted)
    else:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        overrides = {c: pl.String for c in header if c in TEXT or c == "decision_code"}
        frame = pl.read_csv(path, schema_overrides=overrides, try_parse_dates=True)
        frame = frame.select([c for c in header if c in NEEDED[table] or c == "decision_code"])
    casts = [pl.col(c).cast(pl.String) for c in frame.columns if c in TEXT]
    casts += [
        pl.col(c).cast(pl.Float64) for c in frame.columns if c.endswith(("balance", "amount"))
    ]
    return frame.with_columns(casts)


def judge(t: dict[str, pl.DataFrame], as_of: dt.datetime) -> pl.DataFrame:
    """One row per request: its columns and one Int8 status column per rule."""
    acc = t["accounts"].with_columns(
        verified=(pl.col("account_source") == "external")
        | (
            (pl.col("account_source") == "internal")
            & pl.col("internal_type").cast(pl.Int64, strict=False).is_in(VERIFIED_INTERNAL)
        ),
        present=pl.lit(True),
    )
    opened = t["orders"].filter(pl.col("status").is_in(OPEN)).group_by("uin").len("open_orders")
    v = t["vouchers"]
    usable = (
        v.filter(
            pl.col("subcustomer_voucher")
            & (pl.col("status") == "valid")
            & (pl.col("remaining_amount") > 0)
            & (pl.col("expires_at").is_null() | (pl.col("expires_at") > as_of))
        )
        .group_by("uin")
        .len("usable_vouchers")
    )
    f = (
        t["requests"]
        .join(acc.rename(lambda c: f"m_{c}"), left_on="member_uin", right_on="m_uin", how="left")
        .join(acc.rename(lambda c: f"a_{c}"), left_on="admin_uin", right_on="a_uin", how="left")
        .join(opened, left_on="member_uin", right_on="uin", how="left")
        .join(usable, left_on="member_uin", right_on="uin", how="left")
    )
    m_ok, a_ok = pl.col("m_present").fill_null(False), pl.col("a_present").fill_null(False)
    join_pob = (pl.col("action") == "join") & (pl.col("payment_mode") == "pay_on_behalf")
    quit_pob = (pl.col("action") == "quit") & (pl.col("payment_mode") == "pay_on_behalf")
    m_sub, a_sub = pl.col("m_channel_role") == SUB, pl.col("a_channel_role") == SUB

    def status(scope, reads_ok, applies, passes) -> pl.Expr:
        out = pl.when(~scope).then(NA)
        if reads_ok is not None:
            out = out.when(~reads_ok).then(ERROR)
        if applies is not None:
            out = out.when(~applies.fill_null(False)).then(NA)
        return out.when(passes.fill_null(False)).then(PASS).otherwise(FAIL).cast(pl.Int8)

    rules = {
        "POB-J01": status(
            join_pob,
            m_ok & a_ok,
            None,
            (pl.col("m_identity_type") == "enterprise")
            & (pl.col("a_identity_type") == "enterprise")
            & (pl.col("m_enterprise_id") == pl.col("a_enterprise_id")),
        ),
        "POB-J02": status(join_pob, m_ok, None, ~pl.col("m_channel_role").is_in(AGENTS)),
        "POB-J03": status(
            pl.col("action") == "join", m_ok, m_sub, pl.col("payment_mode") == "pay_on_behalf"
        ),
        "POB-J04": status(
            join_pob,
            m_ok & a_ok,
            m_sub | a_sub,
            pl.col("a_distributor_id") == pl.col("m_distributor_id"),
        ),
        "POB-J05": status(join_pob, m_ok, m_sub, pl.col("usable_vouchers").is_null()),
        "POB-J06": status(join_pob, m_ok, pl.col("m_verified"), pl.col("m_available_balance") >= 0),
        "POB-J07": status(join_pob, None, None, pl.col("open_orders").is_null()),
        "POB-J08": status(
            join_pob,
            None,
            None,
            pl.col("payer_uin").is_null() | (pl.col("payer_uin") == pl.col("admin_uin")),
        ),
        "POB-J09": status(join_pob, a_ok, None, ~pl.col("a_channel_role").is_in(PAYER_FORBIDDEN)),
        "POB-J10": status(
            join_pob,
            a_ok,
            pl.col("a_verified"),
            (pl.col("a_overdue_amount") == 0) | (pl.col("a_available_balance") >= 0),
        ),
        "POB-Q01": status(quit_pob, m_ok, pl.col("m_verified"), pl.col("m_available_balance") >= 0),
        "POB-Q02": status(quit_pob, None, None, pl.col("open_orders").is_null()),
        "POB-Q03": status(
            quit_pob,
            m_ok,
            pl.col("m_customer_tier").is_in(("mid", "long_tail"))
            & ~pl.col("m_channel_manager_followup"),
            pl.col("m_credit_card_bound"),
        ),
    }
    keep = [c for c in t["requests"].columns]
    return f.select([*keep, *(expr.alias(rule) for rule, expr in rules.items())])


def _rule_lists(bits: pl.Series) -> pl.Series:
    """Rule ids joined by ';' for each bitmask (built once per distinct mask)."""
    distinct = bits.unique().to_list()
    words = {m: ";".join(r for i, r in enumerate(RULE_IDS) if m >> i & 1) for m in distinct}
    return bits.replace_strict(words, return_dtype=pl.String)


def verdicts(judged: pl.DataFrame) -> pl.DataFrame:
    """The contract's verdict columns from the status columns."""

    def bits(code: int) -> pl.Expr:
        return pl.sum_horizontal(
            (pl.col(r) == code).cast(pl.Int32) * (1 << i) for i, r in enumerate(RULE_IDS)
        )

    v = judged.with_columns(fail_bits=bits(FAIL), error_bits=bits(ERROR))
    verdict = (
        pl.when(pl.col("fail_bits") > 0)
        .then(pl.lit("ineligible"))
        .when(pl.col("error_bits") > 0)
        .then(pl.lit("unknown"))
        .otherwise(pl.lit("eligible"))
    )
    v = v.with_columns(
        verdict=verdict,
        failed_rules=_rule_lists(v["fail_bits"]),
        error_rules=_rule_lists(v["error_bits"]),
    )
    exception = (
        pl.when((pl.col("decision") == "approved") & (pl.col("verdict") == "ineligible"))
        .then(pl.lit("approved_but_ineligible"))
        .when((pl.col("decision") == "rejected") & (pl.col("verdict") == "eligible"))
        .then(pl.lit("rejected_but_eligible"))
        .otherwise(pl.lit(""))
    )
    v = v.with_columns(control_exception=exception)
    v = v.with_columns(decision_code_check=_code_check(v))
    return v.select(
        [
            "request_id",
            "member_uin",
            "admin_uin",
            "action",
            "payment_mode",
            "verdict",
            "failed_rules",
            "error_rules",
            "decision",
            "control_exception",
            "decision_code_check",
        ]
    )


def _code_check(v: pl.DataFrame) -> pl.Series:
    if "decision_code" not in v.columns:
        return pl.repeat("", len(v), eager=True)
    mask = {
        code: sum(1 << RULE_IDS.index(r) for r in rules) for code, rules in DECISION_CODES.items()
    }
    code = pl.col("decision_code")
    bits = code.replace_strict(mask, default=-1, return_dtype=pl.Int32)
    check = (
        pl.when((pl.col("decision") != "rejected") | code.is_null() | (code == ""))
        .then(pl.lit(""))
        .when(bits == -1)
        .then(pl.lit("unmapped"))
        .when((bits & pl.col("fail_bits")) > 0)
        .then(pl.lit("supported"))
        .otherwise(pl.lit("unsupported"))
    )
    return v.select(check.fill_null("")).to_series()


def results(judged: pl.DataFrame) -> pa.Table:
    """One row per (request, rule), request-major, every column dictionary-encoded."""
    n, k = judged.height, len(RULE_IDS)
    row = np.repeat(np.arange(n, dtype=np.int32), k)

    def repeated(name: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(row, judged[name].to_arrow())

    codes = judged.select(RULE_IDS).to_numpy().astype(np.int8).reshape(-1)
    rule = np.tile(np.arange(k, dtype=np.int8), n)
    return pa.table(
        {
            "request_id": repeated("request_id"),
            "member_uin": repeated("member_uin"),
            "admin_uin": repeated("admin_uin"),
            "action": judged["action"].cast(pl.Categorical).to_arrow().take(row),
            "rule_id": pa.DictionaryArray.from_arrays(rule, pa.array(RULE_IDS)),
            "status": pa.DictionaryArray.from_arrays(codes, pa.array(STATUSES)),
        }
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def run(data: Path, out: Path, as_of: dt.date) -> dict[str, int]:
    files = {table: _file(data, table) for table in NEEDED}
    with ThreadPoolExecutor(2) as pool:
        hashes = pool.map(sha256, files.values())
        tables = {table: read(path, table) for table, path in files.items()}
        hashed = dict(zip(files, hashes, strict=True))
    judged = judge(tables, dt.datetime.combine(as_of, dt.time()))
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(2) as pool:
        done = [
            pool.submit(pq.write_table, results(judged), out / "results.parquet"),
            pool.submit(verdicts(judged).write_parquet, out / "verdicts.parquet"),
        ]
        for future in done:
            future.result()
    return {"requests": judged.height, "inputs": len(hashed)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    args = parser.parse_args()
    print(run(args.data, args.out, args.as_of), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
