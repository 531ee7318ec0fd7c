"""Evaluation: one case frame per request, every rule as vectorized masks, long results.

No loop here runs over rows: the only Python loop is over the 13 rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditkit.enums import Action, ControlException, Decision, PaymentMode, Status, Verdict, values
from auditkit.loading import Tables
from auditkit.params import Params
from auditkit.rules import RULES, Reads, Rule

ACCOUNT_FIELDS = (
    "uin",
    "account_source",
    "internal_type",
    "identity_type",
    "enterprise_id",
    "channel_role",
    "distributor_id",
    "available_balance_cents",
    "overdue_amount_cents",
    "customer_tier",
    "channel_manager_followup",
    "credit_card_bound",
)
REQUEST_FIELDS = (
    "request_id",
    "member_uin",
    "admin_uin",
    "action",
    "payment_mode",
    "payer_uin",
    "requested_at",
    "decision",
)
ROLES = ("member", "admin")
STATUSES: tuple[Status, ...] = tuple(Status)
STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
RESULT_COLUMNS = ("request_id", "member_uin", "admin_uin", "action", "rule_id", "status", "reason")
VERDICT_COLUMNS = (
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
)


# ---- the case frame ----------------------------------------------------------------


def _take(column: pd.Series, positions: np.ndarray, found: np.ndarray) -> object:
    """column[positions] as a nullable array; rows not found become null."""
    safe = np.where(found, positions, 0)
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = np.where(found, column.cat.codes.to_numpy()[safe] if len(column) else -1, -1)
        return pd.Categorical.from_codes(codes, dtype=column.dtype)
    if column.dtype == np.int64:
        return pd.arrays.IntegerArray(
            column.to_numpy()[safe] if len(column) else np.zeros(len(safe), np.int64), ~found
        )
    if column.dtype == bool:
        return pd.arrays.BooleanArray(
            column.to_numpy()[safe] if len(column) else np.zeros(len(safe), bool), ~found
        )
    if len(column) == 0:
        return pd.Series(pd.NA, index=range(len(safe)), dtype=column.dtype).array
    taken = column.take(safe).reset_index(drop=True)
    return taken.where(found).array


def open_order_mask(tables: Tables, params: Params) -> np.ndarray:
    """Per order: is its status in the blocking set."""
    return tables.orders["status"].isin(sorted(params.open_order_statuses)).to_numpy(dtype=bool)


def open_orders(tables: Tables, params: Params) -> pd.DataFrame:
    """Orders whose status is in the blocking set."""
    return tables.orders[open_order_mask(tables, params)]


def usable_voucher_mask(tables: Tables, params: Params) -> np.ndarray:
    """Per voucher: sub-customer, valid, money left and not expired at as_of."""
    v = tables.vouchers
    return (
        v["subcustomer_voucher"].to_numpy(dtype=bool)
        & (v["status"] == "valid").to_numpy()
        & (v["remaining_amount_cents"].to_numpy() > 0)
        & (v["expires_at"].isna() | (v["expires_at"] > params.as_of_timestamp)).to_numpy()
    )


def usable_vouchers(tables: Tables, params: Params) -> pd.DataFrame:
    """Sub-customer vouchers that are valid, have money left and have not expired at as_of."""
    return tables.vouchers[usable_voucher_mask(tables, params)]


def _per_member(
    rows: pd.DataFrame, id_column: str, amount_column: str, member_uin: pd.Series
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(count, total cents, first id) of `rows` per member uin of each request."""
    grouped = rows.groupby("uin", sort=False, observed=True).agg(
        count=(id_column, "size"), cents=(amount_column, "sum"), first=(id_column, "first")
    )
    positions = lookup(member_uin, grouped.index)
    hit = positions >= 0
    safe = np.where(hit, positions, 0)
    if len(grouped):
        count = np.where(hit, grouped["count"].to_numpy()[safe], 0)
        cents = np.where(hit, grouped["cents"].to_numpy()[safe], 0)
        first = grouped["first"].take(safe).reset_index(drop=True).where(hit)
    else:
        count = np.zeros(len(member_uin), np.int64)
        cents = np.zeros(len(member_uin), np.int64)
        first = pd.Series(pd.NA, index=range(len(member_uin)), dtype="str")
    return count.astype(np.int64), cents.astype(np.int64), first


def lookup(keys: pd.Series, universe: pd.Series | pd.Index) -> np.ndarray:
    """Position of each key in `universe` (unique values), -1 where absent; hashed in Arrow."""
    found = pc.index_in(_arrow(keys), value_set=_arrow(universe))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _arrow(values: pd.Series | pd.Index) -> pa.Array:
    array = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def build_cases(tables: Tables, params: Params) -> pd.DataFrame:
    """One row per request: its columns, member_* and admin_* attributes, order/voucher aggregates."""
    requests = tables.requests.reset_index(drop=True)
    accounts = tables.accounts
    data: dict[str, object] = {name: requests[name].array for name in REQUEST_FIELDS}
    for role in ROLES:
        positions = lookup(requests[f"{role}_uin"], accounts["uin"])
        found = positions >= 0
        data[f"{role}_found"] = found
        for name in ACCOUNT_FIELDS:
            if name != "uin":
                data[f"{role}_{name}"] = _take(accounts[name], positions, found)
    member = requests["member_uin"]
    count, cents, first = _per_member(
        open_orders(tables, params), "order_id", "amount_cents", member
    )
    data |= {"open_orders": count, "open_order_cents": cents, "first_open_order": first.array}
    count, cents, first = _per_member(
        usable_vouchers(tables, params), "voucher_id", "remaining_amount_cents", member
    )
    data |= {
        "usable_vouchers": count,
        "usable_voucher_cents": cents,
        "first_usable_voucher": first.array,
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(requests)))


# ---- judging one rule --------------------------------------------------------------

# Why a row got its status; the reason text is chosen from the same code.
NA_ACTION, NA_MODE, ERROR, NA_ACCOUNT, PASS, FAIL = range(6)
CAUSE_STATUS = np.array(
    [
        STATUS_CODE[s]
        for s in (
            Status.NOT_APPLICABLE,
            Status.NOT_APPLICABLE,
            Status.ERROR,
            Status.NOT_APPLICABLE,
            Status.PASS,
            Status.FAIL,
        )
    ],
    dtype=np.int8,
)


def _mask(values_: object, length: int) -> np.ndarray:
    if values_ is None:
        return np.zeros(length, dtype=bool)
    series = pd.Series(values_) if not isinstance(values_, pd.Series) else values_
    return series.fillna(False).to_numpy(dtype=bool)


@dataclass(frozen=True)
class Judgement:
    """Status codes and reasons of one rule over all requests."""

    cause: np.ndarray
    status: np.ndarray
    reason_codes: np.ndarray
    reasons: np.ndarray


def judge(rule: Rule, cases: pd.DataFrame, params: Params) -> Judgement:
    """Status and reason of `rule` for every case, in the contract's order of judgement."""
    n = len(cases)
    wrong_action = (cases["action"] != rule.action).to_numpy(dtype=bool)
    wrong_mode = np.zeros(n, bool)
    if rule.pob_only:
        wrong_mode = (cases["payment_mode"] != PaymentMode.PAY_ON_BEHALF).to_numpy(dtype=bool)
    missing = {role: np.zeros(n, bool) for role in ROLES}
    for role, reads in ((Reads.MEMBER.value, Reads.MEMBER), (Reads.ADMIN.value, Reads.ADMIN)):
        if reads in rule.reads:
            missing[role] = ~cases[f"{role}_found"].to_numpy()
    any_missing = missing["member"] | missing["admin"]
    outside = ~_mask(rule.applies(cases, params), n) if rule.applies else np.zeros(n, bool)
    holds = _mask(rule.passes(cases, params), n)
    cause = np.select(
        [wrong_action, wrong_mode, any_missing, outside, holds],
        [NA_ACTION, NA_MODE, ERROR, NA_ACCOUNT, PASS],
        default=FAIL,
    ).astype(np.int8)

    other = Action.QUIT if rule.action is Action.JOIN else Action.JOIN
    fixed = [
        f"applies to {rule.action} requests only; this request is a {other}",
        "applies to pay_on_behalf requests only; payment_mode is self_pay",
        rule.not_applicable_reason or "rule does not apply to this account",
        rule.pass_reason,
    ]
    codes = np.select(
        [cause == NA_ACTION, cause == NA_MODE, cause == NA_ACCOUNT, cause == PASS],
        [0, 1, 2, 3],
        default=-1,
    ).astype(np.int32)
    reasons = [np.asarray(fixed, dtype=object)]
    for selected, render in (
        (cause == FAIL, rule.fail_reason),
        (cause == ERROR, _error_reason(missing)),
    ):
        if not selected.any():
            continue
        subset = cases[selected]
        text = render(subset, params).fillna(f"{rule.id} does not hold").astype("str")
        local_codes, uniques = pd.factorize(text)
        codes[selected] = local_codes + sum(len(chunk) for chunk in reasons)
        reasons.append(np.asarray(uniques, dtype=object))
    return Judgement(cause, CAUSE_STATUS[cause], codes, np.concatenate(reasons))


def _error_reason(missing: dict[str, np.ndarray]):
    def render(subset: pd.DataFrame, params: Params) -> pd.Series:
        member = missing["member"][subset.index.to_numpy()]
        admin = missing["admin"][subset.index.to_numpy()]
        m_text = "member " + subset["member_uin"] + " is not in accounts"
        a_text = "admin " + subset["admin_uin"] + " is not in accounts"
        both = m_text + " and " + a_text.str.slice(0)
        out = a_text.where(~member, m_text)
        return out.where(~(member & admin), both)

    return render


def _categorical(codes: np.ndarray, categories: pd.Index) -> pd.Categorical:
    """Categorical over categories already known to be unique (from factorize).

    pandas re-checks uniqueness of categories on every construction, which costs
    about 0.5 s per million categories; the fast path skips that check.
    """
    try:
        dtype = pd.CategoricalDtype._from_fastpath(categories, False)
    except AttributeError:  # private API gone in a future pandas: take the checked path
        dtype = pd.CategoricalDtype(categories, ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype)


# ---- the whole evaluation -----------------------------------------------------------


@dataclass(frozen=True)
class AuditResult:
    """Everything one evaluation produced; `results` and `verdicts` are the contract tables."""

    params: Params
    rules: tuple[Rule, ...]
    cases: pd.DataFrame
    status_codes: np.ndarray  # (requests, rules) int8 codes into STATUSES
    reason_codes: np.ndarray  # (requests, rules) int32 codes into reason_texts
    reason_texts: np.ndarray
    open_orders: pd.DataFrame = field(repr=False)
    usable_vouchers: pd.DataFrame = field(repr=False)

    @property
    def rule_ids(self) -> list[str]:
        return [rule.id for rule in self.rules]

    def status_matrix(self) -> pd.DataFrame:
        """Status per request (rows, by request_id) and rule (columns), as categoricals."""
        frame = pd.DataFrame(
            {
                rule_id: pd.Categorical.from_codes(
                    self.status_codes[:, j], categories=values(Status)
                )
                for j, rule_id in enumerate(self.rule_ids)
            }
        )
        frame.index = pd.Index(self.cases["request_id"], name="request_id")
        return frame

    @cached_property
    def verdict_codes(self) -> np.ndarray:
        """Per request: 0 eligible, 1 ineligible, 2 unknown (order of Verdict)."""
        any_fail = (self.status_codes == STATUS_CODE[Status.FAIL]).any(axis=1)
        any_error = (self.status_codes == STATUS_CODE[Status.ERROR]).any(axis=1)
        return np.select([any_fail, any_error], [1, 2], default=0).astype(np.int8)

    @cached_property
    def verdicts(self) -> pd.DataFrame:
        cases = self.cases
        verdict = pd.Categorical.from_codes(self.verdict_codes, categories=values(Verdict))
        decision = cases["decision"]
        exception = np.select(
            [
                (decision == Decision.APPROVED).to_numpy(dtype=bool) & (self.verdict_codes == 1),
                (decision == Decision.REJECTED).to_numpy(dtype=bool) & (self.verdict_codes == 0),
            ],
            [1, 2],
            default=0,
        )
        exceptions = pd.Categorical.from_codes(
            exception, categories=["", *values(ControlException)]
        )
        return pd.DataFrame(
            {
                "request_id": cases["request_id"],
                "member_uin": cases["member_uin"],
                "admin_uin": cases["admin_uin"],
                "action": cases["action"],
                "payment_mode": cases["payment_mode"],
                "verdict": verdict,
                "failed_rules": self._joined_rule_ids(Status.FAIL),
                "error_rules": self._joined_rule_ids(Status.ERROR),
                "decision": decision,
                "control_exception": exceptions,
            }
        )

    def _joined_rule_ids(self, status: Status) -> pd.Categorical:
        hit = self.status_codes == STATUS_CODE[status]
        # One integer per request whose bit j says "rule j has this status".
        packed = np.packbits(hit, axis=1, bitorder="little").astype(np.int64)
        bits = (packed << (8 * np.arange(packed.shape[1], dtype=np.int64))).sum(axis=1)
        patterns, uniques = pd.factorize(bits)
        labels = [
            ";".join(rule_id for j, rule_id in enumerate(self.rule_ids) if int(pattern) >> j & 1)
            for pattern in uniques  # distinct patterns only: at most 2**13
        ]
        if not labels:
            return pd.Categorical([], categories=[""])
        categories = pd.Index(labels)
        return pd.Categorical.from_codes(patterns, categories=categories)

    @cached_property
    def results(self) -> pd.DataFrame:
        """Long table: one row per (request, rule), request-major, categorical columns."""
        n, r = self.status_codes.shape
        row_of = np.repeat(np.arange(n, dtype=np.int32), r)

        def repeated(column: str) -> pd.Categorical:
            codes, uniques = pd.factorize(self.cases[column], use_na_sentinel=True)
            return _categorical(codes.astype(np.int32)[row_of], pd.Index(uniques, dtype="str"))

        # request_id is unique (validated), so row_of already codes it.
        request_ids = pd.Index(self.cases["request_id"], dtype="str")
        return pd.DataFrame(
            {
                "request_id": _categorical(row_of, request_ids),
                "member_uin": repeated("member_uin"),
                "admin_uin": repeated("admin_uin"),
                "action": pd.Categorical.from_codes(
                    self.cases["action"].cat.codes.to_numpy()[row_of],
                    dtype=self.cases["action"].dtype,
                ),
                "rule_id": pd.Categorical.from_codes(
                    np.tile(np.arange(r, dtype=np.int8), n), categories=self.rule_ids
                ),
                "status": pd.Categorical.from_codes(
                    self.status_codes.ravel(), categories=values(Status)
                ),
                "reason": _categorical(
                    self.reason_codes.ravel(), pd.Index(self.reason_texts, dtype="str")
                ),
            }
        )

    def results_table(self) -> pa.Table:
        """The long results as an Arrow table built straight from the codes, for writing.

        Same rows and columns as `results`, with dictionary-encoded columns; skips the
        pandas categoricals and their conversion, which cost seconds at 13M rows.
        """
        n, r = self.status_codes.shape
        row_of = np.repeat(np.arange(n, dtype=np.int32), r)

        def encoded(indices: np.ndarray, dictionary: object) -> pa.DictionaryArray:
            values = pa.array(dictionary, type=pa.large_string(), from_pandas=True)
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            return pa.DictionaryArray.from_arrays(pa.array(indices), values)

        def repeated(column: str) -> pa.DictionaryArray:
            codes, uniques = pd.factorize(self.cases[column])
            return encoded(codes.astype(np.int32)[row_of], uniques)

        action = self.cases["action"]
        return pa.table(
            {
                "request_id": encoded(row_of, self.cases["request_id"].array),
                "member_uin": repeated("member_uin"),
                "admin_uin": repeated("admin_uin"),
                "action": encoded(
                    action.cat.codes.to_numpy().astype(np.int8)[row_of],
                    list(action.cat.categories),
                ),
                "rule_id": encoded(np.tile(np.arange(r, dtype=np.int8), n), self.rule_ids),
                "status": encoded(self.status_codes.ravel(), values(Status)),
                "reason": encoded(self.reason_codes.ravel(), self.reason_texts),
            }
        )

    def verdict_counts(self) -> dict[str, int]:
        counts = np.bincount(self.verdict_codes, minlength=len(Verdict))
        return {verdict.value: int(count) for verdict, count in zip(Verdict, counts, strict=True)}

    def rule_counts(self) -> pd.DataFrame:
        """Per rule: how many requests got each status."""
        counts = {
            status.value: (self.status_codes == STATUS_CODE[status]).sum(axis=0)
            for status in STATUSES
        }
        frame = pd.DataFrame(counts, index=pd.Index(self.rule_ids, name="rule_id"))
        frame.insert(0, "title", [rule.title for rule in self.rules])
        return frame

    def exception_counts(self) -> dict[str, int]:
        column = self.verdicts["control_exception"]
        return {e.value: int((column == e.value).sum()) for e in ControlException}

    def evidence(self, request_id: str) -> dict[str, object]:
        """What each rule compared for one request: attributes, open orders, usable vouchers, results."""
        matches = np.flatnonzero((self.cases["request_id"] == request_id).to_numpy(dtype=bool))
        if len(matches) == 0:
            raise KeyError(f"request_id {request_id!r} is not among the evaluated requests")
        i = int(matches[0])
        case = self.cases.iloc[i]
        member = case["member_uin"]
        rules = pd.DataFrame(
            {
                "rule_id": self.rule_ids,
                "title": [rule.title for rule in self.rules],
                "status": [STATUSES[c].value for c in self.status_codes[i]],
                "reason": [str(self.reason_texts[c]) for c in self.reason_codes[i]],
                "citation": [rule.citation for rule in self.rules],
            }
        )
        return {
            "case": case,
            "rules": rules,
            "open_orders": self.open_orders[(self.open_orders["uin"] == member).to_numpy()],
            "usable_vouchers": self.usable_vouchers[
                (self.usable_vouchers["uin"] == member).to_numpy()
            ],
        }


def evaluate(
    tables: Tables, params: Params | None = None, rules: tuple[Rule, ...] = RULES
) -> AuditResult:
    """Judge every request against every rule."""
    params = params or Params()
    cases = build_cases(tables, params)
    n = len(cases)
    status = np.empty((n, len(rules)), dtype=np.int8)
    reason_codes = np.empty((n, len(rules)), dtype=np.int32)
    texts: list[np.ndarray] = []
    offset = 0
    for j, rule in enumerate(rules):
        judgement = judge(rule, cases, params)
        status[:, j] = judgement.status
        reason_codes[:, j] = judgement.reason_codes + offset
        texts.append(judgement.reasons)
        offset += len(judgement.reasons)
    # Two rules may word a reason identically; categories must be unique.
    remap, unique_texts = pd.factorize(np.concatenate(texts))
    reason_codes = remap[reason_codes].astype(np.int32)
    return AuditResult(
        params=params,
        rules=rules,
        cases=cases,
        status_codes=status,
        reason_codes=reason_codes,
        reason_texts=np.asarray(unique_texts, dtype=object),
        open_orders=open_orders(tables, params),
        usable_vouchers=usable_vouchers(tables, params),
    )
