"""Shared summaries: segments label missing accounts apart from empty attributes."""

from __future__ import annotations

import pandas as pd

from auditkit import POB, Params, evaluate, tables_from_frames
from auditkit.analysis.summaries import segment_of
from auditkit.io.tables import Tables


def tables() -> Tables:
    """An external member, an internal member of type 4, and a member missing from accounts."""
    account = {
        "uin": "1",
        "account_source": "external",
        "internal_type": None,
        "identity_type": "enterprise",
        "enterprise_id": "E1",
        "channel_role": "direct",
        "distributor_id": None,
        "available_balance": "1.00",
        "overdue_amount": "0.00",
        "customer_tier": "key",
        "channel_manager_followup": "false",
        "credit_card_bound": "true",
    }
    accounts = [
        account,
        account | {"uin": "2", "account_source": "internal", "internal_type": "4"},
        account | {"uin": "9"},
    ]
    requests = [
        {
            "request_id": f"R{member}",
            "member_uin": member,
            "admin_uin": "9",
            "action": "join",
            "payment_mode": "pay_on_behalf",
            "payer_uin": None,
            "requested_at": "2026-10-01",
            "decision": None,
        }
        for member in ("1", "2", "3")
    ]

    def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=columns, dtype="str")

    return tables_from_frames(
        {
            "accounts": frame(accounts, list(account)),
            "orders": frame(
                [], ["order_id", "uin", "order_type", "status", "amount", "created_at"]
            ),
            "vouchers": frame(
                [],
                [
                    "voucher_id",
                    "uin",
                    "subcustomer_voucher",
                    "status",
                    "remaining_amount",
                    "expires_at",
                ],
            ),
            "requests": frame(requests, list(requests[0])),
        }
    )


def test_segments_tell_external_accounts_from_missing_ones():
    result = evaluate(tables(), Params(as_of="2026-11-01"), POB)
    assert segment_of(result, "internal_type").tolist() == [
        "external",
        "4",
        "member not in accounts",
    ]
    assert segment_of(result, "account_source").tolist() == [
        "external",
        "internal type 4",
        "member not in accounts",
    ]
    assert segment_of(result, "channel_role").tolist() == [
        "direct",
        "direct",
        "member not in accounts",
    ]
