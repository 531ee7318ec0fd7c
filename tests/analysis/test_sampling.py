"""Attribute sampling by contract section 9: sizes equal the published tables and jfa's
documented results, limits by the method drawn with, rounded up, and rates checked.

Sources of the expected numbers:
- AICPA, Audit Guide: Audit Sampling (2017), Appendix A: Table A-1 (statistical sample
  sizes, 5% risk of overreliance), A-2 (10% risk), A-3 and A-4 (upper deviation limits,
  5% and 10% risk). The cells are as transcribed in R package jfa's validation test
  tests/testthat/test-aicpa-appendix-a.R (github.com/koenderks/jfa).
- jfa's documentation: the vignette "Planning a sample" (vignettes/articles/
  sample-planning.Rmd: `planning(materiality = 0.03, likelihood = "binomial", expected = 0)`
  gives n = 99, `expected = 1` gives n = 157), and the results its test suite documents
  for planning() and evaluation() (tests/testthat/test-planning.R ids f5-v0.1.0-t13..t15,
  test-evaluation.R ids f3-v0.1.0-t3 and f3-v0.6.5-t8).
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest

from auditkit.analysis.sampling import (
    SampleEvaluation,
    check_rate,
    percent,
    plan,
    round_up,
    times_rate,
    upper_limit,
)
from auditkit.errors import ParameterError

LARGE = 10**9  # a population the tables treat as infinite


# (confidence, tolerable, expected, size, expected deviations): Table A-1 at 95% confidence,
# Table A-2 at 90%, across tolerable rates 2%-20% and expected rates 0%-7%.
@pytest.mark.parametrize(
    ("confidence", "tolerable", "expected", "size", "deviations"),
    [
        (0.95, 0.02, 0.0, 149, 0),
        (0.95, 0.02, 0.0025, 236, 1),
        (0.95, 0.03, 0.005, 157, 1),
        (0.95, 0.03, 0.0075, 208, 2),
        (0.95, 0.04, 0.01, 156, 2),
        (0.95, 0.04, 0.0175, 227, 4),
        (0.95, 0.05, 0.0, 59, 0),
        (0.95, 0.05, 0.01, 93, 1),
        (0.95, 0.05, 0.02, 181, 4),
        (0.95, 0.05, 0.04, 1348, 54),
        (0.95, 0.06, 0.0275, 173, 5),
        (0.95, 0.07, 0.035, 167, 6),
        (0.95, 0.08, 0.0325, 112, 4),
        (0.95, 0.10, 0.0, 29, 0),
        (0.95, 0.10, 0.03, 61, 2),
        (0.95, 0.15, 0.07, 68, 5),
        (0.95, 0.20, 0.10, 50, 5),
        (0.90, 0.02, 0.0, 114, 0),
        (0.90, 0.03, 0.01, 176, 2),
        (0.90, 0.04, 0.02, 198, 4),
        (0.90, 0.05, 0.0, 45, 0),
        (0.90, 0.05, 0.01, 77, 1),
        (0.90, 0.05, 0.0275, 209, 6),
        (0.90, 0.06, 0.03, 132, 4),
        (0.90, 0.08, 0.03, 65, 2),
        (0.90, 0.10, 0.0, 22, 0),
        (0.90, 0.10, 0.04, 65, 3),
        (0.90, 0.15, 0.05, 34, 2),
        (0.90, 0.20, 0.125, 63, 8),
        # The float guard: 0.035 x 400 is 14 and 0.07 x 1300 is 91. jfa's notes on these two
        # cells: its float arithmetic takes ceiling(14.000000000000002) = 15 and
        # ceiling(91.000000000000014) = 92 and so gives 423 and 1,313; the guide prints 1,300.
        (0.90, 0.05, 0.035, 400, 14),
        (0.90, 0.08, 0.07, 1300, 91),
    ],
)
def test_binomial_sizes_equal_aicpa_tables_a1_and_a2(
    confidence, tolerable, expected, size, deviations
):
    planned = plan(confidence, tolerable, expected, population=LARGE)
    assert (planned.size, planned.expected_deviations) == (size, deviations)


@pytest.mark.parametrize(
    ("tolerable", "expected", "size"),
    [(0.03, 0.0, 99), (0.03, 0.005, 157)],  # one expected deviation: jfa's `expected = 1`
)
def test_binomial_sizes_equal_jfas_planning_vignette(tolerable, expected, size):
    assert plan(0.95, tolerable, expected, population=LARGE).size == size


@pytest.mark.parametrize(
    ("tolerable", "expected", "size", "deviations"),
    [(0.01, 0.0, 258, 0), (0.05, 0.0, 57, 0), (0.05, 0.025, 197, 5)],
)
def test_hypergeometric_sizes_equal_jfas_documented_planning(tolerable, expected, size, deviations):
    planned = plan(0.95, tolerable, expected, population=1000, method="hypergeometric")
    assert (planned.size, planned.expected_deviations) == (size, deviations)
    assert planned.population_deviations == math.ceil(1000 * Fraction(str(tolerable)))


@pytest.mark.parametrize(
    ("count", "rate", "product"),
    [(100, 0.07, 7), (400, 0.035, 14), (1300, 0.07, 91), (100, 0.29, 29)],
)
def test_a_rate_times_a_count_is_exact(count, rate, product):
    assert count * rate != product  # the float product is off by one ulp
    assert times_rate(count, rate) == product


def test_seven_percent_of_a_hundred_needs_34_items_not_31():
    from scipy.stats import hypergeom

    planned = plan(0.95, 0.07, 0.0, population=100, method="hypergeometric")
    assert (planned.population_deviations, planned.size) == (7, 34)
    # 31 items (D = 8, from 0.07 x 100 = 7.000000000000001) leave a real risk of 6.7%.
    assert hypergeom.cdf(0, 100, 7, 31) == pytest.approx(0.0674, abs=1e-4)
    assert hypergeom.cdf(0, 100, 7, 34) <= 0.05 < hypergeom.cdf(0, 100, 7, 33)


def test_a_population_smaller_than_the_tables_size_is_tested_whole():
    planned = plan(0.95, 0.05, 0.0, population=40)
    assert (planned.size, planned.whole_population) == (40, True)
    assert plan(0.95, 0.05, 0.0, population=40, method="hypergeometric").size <= 40


# (size, deviations, Table A-3 at 95% / A-4 at 90%, in percent rounded up to 0.1)
@pytest.mark.parametrize(
    ("confidence", "size", "deviations", "limit"),
    [
        (0.95, 20, 0, 14.0),
        (0.95, 50, 2, 12.1),
        (0.95, 100, 1, 4.7),
        (0.95, 200, 3, 3.9),
        (0.95, 500, 10, 3.4),
        (0.90, 20, 0, 10.9),
        (0.90, 60, 1, 6.4),
        (0.90, 100, 2, 5.3),
        (0.90, 400, 5, 2.4),
    ],
)
def test_binomial_limits_equal_aicpa_tables_a3_and_a4(confidence, size, deviations, limit):
    exact_limit = upper_limit(deviations, size, confidence)
    assert math.ceil(round(exact_limit * 1000, 9)) / 10 == limit


def test_binomial_limit_is_clopper_pearson_as_jfa_documents():
    # jfa f3-v0.1.0-t3: 60 items, no deviation, 95%: ub 0.04870291 (qbeta(0.95, 1, 60)).
    assert upper_limit(0, 60, 0.95) == pytest.approx(0.04870291, abs=1e-8)


@pytest.mark.parametrize(
    ("population", "size", "deviations", "limit"),
    [(10, 2, 1, Fraction(9, 10)), (20, 10, 1, Fraction(3, 10))],  # jfa f3-v0.6.5-t8
)
def test_hypergeometric_limits_equal_jfas_documented_evaluation(
    population, size, deviations, limit
):
    assert upper_limit(deviations, size, 0.95, "hypergeometric", population) == limit


def test_a_hypergeometric_sample_is_judged_on_its_population():
    # 90 of 996 with its one planned deviation: 4.92% on the population, 5.17% binomial.
    finite = SampleEvaluation(90, 1, 0.95, 0.05, "hypergeometric", 996)
    assert finite.upper_limit == Decimal("0.0492") and finite.supports_reliance
    assert "4.92%" in finite.conclusion() and "can be relied on" in finite.conclusion()
    binomial = SampleEvaluation(90, 1, 0.95, 0.05, "binomial", 996)
    assert binomial.upper_limit == Decimal("0.0517") and not binomial.supports_reliance


@pytest.mark.parametrize("method", ["binomial", "hypergeometric"])
@pytest.mark.parametrize(("deviations", "limit"), [(0, "0.0000"), (3, "0.0750")])
def test_a_whole_population_tested_has_its_rate_as_limit(method, deviations, limit):
    whole = SampleEvaluation(40, deviations, 0.95, 0.05, method, 40)
    assert whole.upper_limit == Decimal(limit) == whole.rate
    assert "whole population of 40" in whole.conclusion()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.04950760988822693, "0.0496"),  # 59 items, no deviation: 4.9508% shows as 4.96%
        (0.049993978387988317, "0.0500"),  # 93 items, one deviation
        (0.0500000000000001, "0.0500"),  # float noise on an exact step stays on it
        (Fraction(49, 996), "0.0492"),
        (Fraction(1, 20), "0.0500"),
        (Fraction(1, 3), "0.3334"),
    ],
)
def test_limits_are_rounded_up_never_to_nearest(value, shown):
    assert round_up(value) == Decimal(shown)


def test_the_printed_limit_and_the_conclusion_never_disagree():
    # 93 items with 1 deviation: 4.9994% is shown as 5.00%, within a 5% tolerable rate.
    at = SampleEvaluation(93, 1, 0.95, 0.05)
    assert at.supports_reliance and "upper limit 5.00%" in at.conclusion()
    # Just above: never "5.00% ... cannot be relied on".
    above = SampleEvaluation(93, 1, 0.95, 0.0499)
    assert not above.supports_reliance
    assert "upper limit 5.00%" in above.conclusion() and "rate of 4.99%" in above.conclusion()
    for n in range(50, 200):  # every sample size at 1 deviation
        evaluation = SampleEvaluation(n, 1, 0.95, 0.05)
        shown = Decimal(percent(evaluation.upper_limit).rstrip("%")) / 100
        assert (shown <= Decimal("0.05")) == evaluation.supports_reliance


@pytest.mark.parametrize(
    ("value", "zero"),
    [
        (95, False),
        ("95", False),
        (5, False),
        (1.0, False),
        (0, False),
        (-0.01, True),
        (float("nan"), False),
        (float("inf"), False),
        ("x", False),
        (True, False),
        (1, True),
    ],
)
def test_rates_are_fractions(value, zero):
    with pytest.raises(ParameterError, match=r"--confidence .*a rate is a fraction between 0"):
        check_rate("--confidence", value, zero=zero)


def test_rates_that_are_fractions_are_kept():
    assert check_rate("--confidence", "0.95") == 0.95
    assert check_rate("--expected-rate", "0", zero=True) == 0.0


@pytest.mark.parametrize(
    ("confidence", "tolerable", "expected", "population"),
    [(1.0, 0.05, 0.01, 100), (0.95, 0.0, 0.0, 100), (0.95, 0.05, 0.05, 100), (0.95, 0.05, 0, 0)],
)
def test_impossible_plans_are_parameter_errors(confidence, tolerable, expected, population):
    with pytest.raises(ParameterError):
        plan(confidence, tolerable, expected, population=population)


def test_percent_shows_every_digit_a_rate_has():
    assert [percent(0.05), percent(0.0525), percent(0.04999), percent(0.95, 0)] == [
        "5.00%",
        "5.25%",
        "4.999%",
        "95%",
    ]
