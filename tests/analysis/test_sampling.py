"""Attribute sampling: sizes equal the published tables, draws are reproducible, evaluation."""

from __future__ import annotations

import pandas as pd
import pytest

from auditkit.analysis.sampling import SampleEvaluation, allocate, count_deviations, draw, plan
from auditkit.errors import ParameterError


# AICPA Audit Sampling guide, tables A-1 (5% risk of overreliance) and A-2 (10%): sample size
# and, in brackets there, the expected number of deviations.
@pytest.mark.parametrize(
    ("confidence", "tolerable", "expected", "size", "deviations"),
    [
        (0.95, 0.05, 0.00, 59, 0),
        (0.95, 0.05, 0.01, 93, 1),
        (0.95, 0.10, 0.00, 29, 0),
        (0.95, 0.10, 0.01, 46, 1),
        (0.95, 0.05, 0.02, 181, 4),
        (0.95, 0.04, 0.01, 156, 2),
        (0.95, 0.02, 0.00, 149, 0),
        (0.90, 0.05, 0.00, 45, 0),
        (0.90, 0.10, 0.00, 22, 0),
    ],
)
def test_binomial_sizes_equal_the_published_tables(
    confidence, tolerable, expected, size, deviations
):
    planned = plan(confidence, tolerable, expected, population=1_000_000)
    assert (planned.size, planned.expected_deviations) == (size, deviations)


def test_hypergeometric_sizes_are_smaller_for_small_populations_and_never_exceed_them():
    small = plan(0.95, 0.05, 0.01, population=500, method="hypergeometric")
    large = plan(0.95, 0.05, 0.01, population=1_000_000, method="hypergeometric")
    assert small.size < 93 <= large.size + 1
    assert plan(0.95, 0.05, 0.0, population=20, method="hypergeometric").size <= 20


@pytest.mark.parametrize(
    ("confidence", "tolerable", "expected"),
    [(1.0, 0.05, 0.01), (0.95, 0.0, 0.0), (0.95, 0.05, 0.05), (0.95, 0.05, -0.01)],
)
def test_impossible_plans_are_parameter_errors(confidence, tolerable, expected):
    with pytest.raises(ParameterError):
        plan(confidence, tolerable, expected, population=100)


def population(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": [f"R{i:04d}" for i in range(n)],
            "verdict": ["eligible" if i % 3 else "ineligible" for i in range(n)],
            "action": ["join" if i % 2 else "quit" for i in range(n)],
        }
    )


def test_the_same_seed_draws_the_same_sample_whatever_the_row_order():
    rows = population(500)
    first = draw(rows, 40, seed=9, stratify=("verdict",))
    again = draw(rows.sample(frac=1, random_state=4), 40, seed=9, stratify=("verdict",))
    other = draw(rows, 40, seed=10, stratify=("verdict",))
    pd.testing.assert_frame_equal(first, again)
    assert set(first["request_id"]) != set(other["request_id"])
    assert first["item"].tolist() == list(range(1, 41))
    assert first["request_id"].is_unique


def test_strata_get_their_proportional_share():
    rows = population(300)
    sample = draw(rows, 30, seed=1, stratify=("verdict", "action"))
    shares = sample["stratum"].value_counts().to_dict()
    expected = allocate(rows["verdict"] + " / " + rows["action"], 30).to_dict()
    assert shares == expected and sum(shares.values()) == 30
    assert set(shares) == {
        "eligible / join",
        "eligible / quit",
        "ineligible / join",
        "ineligible / quit",
    }


def test_evaluation_gives_the_upper_deviation_limit():
    # AICPA table A-3: 59 items, no deviation -> upper limit 5.0% at 5% risk.
    clean = SampleEvaluation(59, 0, 0.95, 0.05)
    assert clean.upper_limit == pytest.approx(0.0495, abs=5e-4) and clean.supports_reliance
    one = SampleEvaluation(93, 1, 0.95, 0.05)
    assert one.upper_limit == pytest.approx(0.0500, abs=5e-4)
    two = SampleEvaluation(93, 2, 0.95, 0.05)
    assert not two.supports_reliance
    assert "cannot be relied on" in two.conclusion()


def test_deviation_answers_are_read_strictly():
    sample = pd.DataFrame({"deviation": ["yes", "No", "", "maybe", "Y", "0"]})
    tested, deviations, unclear = count_deviations(sample)
    assert (tested, deviations, unclear) == (4, 2, [4, 5])
