"""Drawing a sample a reviewer can re-perform, and reading the tested sample back."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from auditkit.analysis.sampling import SampleOptions, SamplePlan, SamplingMethod
from auditkit.analysis.selection import (
    allocate,
    draw,
    evaluate_sample,
    ids_sha256,
    plan_document,
    read_answers,
    sorted_ids,
    with_tester_columns,
)
from auditkit.errors import ParameterError


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


@pytest.mark.parametrize(("seed", "size"), [(1, 93), (7, 1), (123, 500)])
def test_the_selection_is_re_performed_by_the_documented_procedure(seed, size):
    rows = population(500).sample(frac=1, random_state=seed)  # any input order
    sample = draw(rows, size, seed=seed)
    # The procedure as the manifest and docs/reports.md write it, step by step.
    ordered = sorted(rows["request_id"])  # 1. order by request_id; position = index + 1
    keys = np.random.default_rng(seed).random(len(ordered))  # 2. one number per position
    positions = np.sort(np.argsort(keys, kind="stable")[:size]) + 1  # 3. the smallest keys
    assert sample["position"].tolist() == positions.tolist()
    assert sample["request_id"].tolist() == [ordered[p - 1] for p in positions]


def test_strata_get_their_proportional_share_of_the_smallest_keys():
    rows = population(300)
    sample = draw(rows, 30, seed=1, stratify=("verdict", "action"))
    strata = rows["verdict"] + " / " + rows["action"]
    expected = allocate(strata, 30).to_dict()
    assert sample["stratum"].value_counts().to_dict() == expected
    keys = np.random.default_rng(1).random(300)  # rows are already in request_id order
    for name, share in expected.items():  # four strata
        members = np.flatnonzero((strata == name).to_numpy())
        chosen = np.sort(members[np.argsort(keys[members], kind="stable")[:share]]) + 1
        in_sample = sample.loc[sample["stratum"] == name, "position"].tolist()
        assert in_sample == chosen.tolist()


def test_the_population_hash_is_of_the_ordered_ids_one_per_line():
    ids = sorted_ids(pd.Series(["R2", "R10", "R1"]))
    assert ids.tolist() == ["R1", "R10", "R2"]
    assert ids_sha256(ids) == hashlib.sha256(b"R1\nR10\nR2\n").hexdigest()


def a_tested_sample(answers: list[str], n: int = 200, seed: int = 3):
    """A drawn sample of `len(answers)` items with those deviation answers, and its plan."""
    rows = population(n)
    options = SampleOptions(seed=seed, tolerable_rate=0.10, expected_rate=0.0)
    planned = SamplePlan(0.95, 0.10, 0.0, SamplingMethod.BINOMIAL, n, len(answers), 0)
    drawn = with_tester_columns(draw(rows, len(answers), seed))
    drawn["deviation"] = answers
    document = plan_document(options, planned, sorted_ids(rows["request_id"]), drawn)
    return drawn.astype("str"), document


def test_untested_items_are_refused_naming_their_rows():
    sample, document = a_tested_sample(["no", "", "yes", "", "no"])
    with pytest.raises(ParameterError, match=r"2 item\(s\) not tested .*rows 3, 5; .*--untested"):
        evaluate_sample(sample, document, "s.csv")


def test_untested_items_counted_as_deviations_are_said_so():
    sample, document = a_tested_sample(["no", "", "yes", "", "no"])
    evaluation = evaluate_sample(sample, document, "s.csv", untested="deviation")
    assert (evaluation.deviations, evaluation.untested_rows) == (3, (3, 5))
    assert "of which 2 item(s) left untested and counted as deviations: rows 3, 5" in (
        evaluation.conclusion()
    )


def test_answers_are_read_strictly():
    sample = pd.DataFrame({"deviation": ["yes", "No", "", "maybe", "Y", "0"]})
    answers = read_answers(sample)
    assert (answers.deviations, answers.untested, answers.unclear) == (2, [4], [5])
    sample, document = a_tested_sample(["no", "maybe", "no"])
    with pytest.raises(ParameterError, match=r"must be yes or no .*rows 3 are not"):
        evaluate_sample(sample, document, "s.csv", untested="deviation")


def test_a_sample_without_its_plan_needs_both_rates():
    sample, _ = a_tested_sample(["no"] * 29)
    with pytest.raises(ParameterError, match=r"no sample_manifest\.json .*--confidence and"):
        evaluate_sample(sample, None, "s.csv", confidence=0.95)
    evaluation = evaluate_sample(sample, None, "s.csv", confidence=0.95, tolerable_rate=0.1)
    assert (evaluation.method, evaluation.population) == ("binomial", None)


def test_the_plan_gives_the_rates_method_and_population():
    sample, document = a_tested_sample(["no"] * 29)
    evaluation = evaluate_sample(sample, document, "s.csv")
    assert (evaluation.confidence, evaluation.tolerable_rate, evaluation.population) == (
        0.95,
        0.10,
        200,
    )


def test_items_not_drawn_or_missing_are_refused():
    sample, document = a_tested_sample(["no"] * 29)
    with pytest.raises(ParameterError, match=r"holds 28 items, the plan drew 29; positions \d+"):
        evaluate_sample(sample.iloc[1:], document, "s.csv")
    changed = sample.copy()
    changed.loc[0, "request_id"] = "R9999"
    with pytest.raises(ParameterError, match="request ids at the drawn positions are not"):
        evaluate_sample(changed, document, "s.csv")


def test_an_unknown_stratifying_column_is_refused_naming_the_columns():
    rows = population(10).assign(_row=range(10))
    with pytest.raises(ParameterError, match=r"columns are \['request_id', 'verdict', 'action'\]"):
        draw(rows, 2, seed=1, stratify=("nope",))
