"""The demo month `make report` shows reads like a real month and still exercises every
rule's branches, every status and every decision_code_check value (issue 17, item 7).

Every expected count here is computed from the generated data; the bounds are what a
plausible month is (most requests eligible and approved, refusals a few percent, control
exceptions around 1-2%, no rule failing more than about 5% of the requests it judges).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import auditkit.demo as demo
from auditkit.demo.files import as_csv_text
from auditkit.engine.evaluate import evaluate
from auditkit.io.tables import tables_from_frames
from auditkit.params import Params
from auditkit.rules.pob import POB

AS_OF = dt.date(2026, 12, 1)
# Rules that read only orders or the request itself: no account can be missing for them.
NEVER_IN_ERROR = {"POB-J07", "POB-J08", "POB-Q02"}


@pytest.fixture(scope="module")
def month():
    """The extract `make report` writes (Makefile DEMO_ARGS), judged at requested_at."""
    raw = demo.generate(requests=2000, seed=7, as_of=AS_OF, request_months=2)
    tables = tables_from_frames(as_csv_text(raw))
    return raw, evaluate(tables, Params(as_of=AS_OF, at="requested"), POB)


def test_most_requests_are_eligible_and_approved(month):
    _, result = month
    verdicts = result.verdicts
    shares = verdicts["verdict"].astype("str").value_counts(normalize=True)
    decisions = verdicts["decision"].astype("str").value_counts(normalize=True)
    assert shares["eligible"] >= 0.88 and 0 < shares["unknown"] <= 0.01
    assert decisions["approved"] >= 0.85
    assert 0.02 <= decisions["rejected"] <= 0.10  # platform refusals: a few percent
    exceptions = (verdicts["control_exception"].astype("str") != "").mean()
    assert 0.005 <= exceptions <= 0.025


def test_each_rule_fails_at_a_believable_rate_and_hits_every_branch(month):
    _, result = month
    counts = result.rule_counts()
    for rule_id in POB.rule_ids:
        row = counts.loc[rule_id]
        judged = row["pass"] + row["fail"]
        assert row["fail"] >= 1 and row["not_applicable"] >= 1, rule_id
        assert row["fail"] / judged <= 0.05, (rule_id, row["fail"], judged)
        assert bool(row["error"] >= 1) is (rule_id not in NEVER_IN_ERROR), rule_id


def test_every_status_and_decision_code_check_value_appears(month):
    _, result = month
    verdicts = result.verdicts
    assert set(verdicts["verdict"].astype("str")) == {"eligible", "ineligible", "unknown"}
    assert set(verdicts["control_exception"].astype("str")) == {
        "",
        "approved_but_ineligible",
        "rejected_but_eligible",
    }
    assert set(verdicts["decision_code_check"].astype("str")) == {
        "",
        "supported",
        "unsupported",
        "unmapped",
    }


def test_the_history_holds_no_identical_consecutive_rows(month):
    raw, _ = month
    history = raw["account_history"].sort_values(["uin", "valid_from"], kind="stable")
    state = history.drop(columns="valid_from").astype("str")
    repeated = (state == state.shift()).all(axis=1)
    assert not repeated.any(), history[repeated].head()


def test_free_text_with_markup_and_leading_zero_uins_are_still_there(month):
    raw, _ = month
    accounts, requests = raw["accounts"], raw["requests"]
    texts = pd.concat([accounts["enterprise_id"], accounts["distributor_id"]]).dropna()
    assert set(demo.TRICKY_TEXT) <= set(texts)
    asked = pd.concat([requests["member_uin"], requests["admin_uin"]])
    assert asked.str.startswith("0").any()
