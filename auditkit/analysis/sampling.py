"""Attribute sampling by contract section 9: sample sizes, upper deviation limits, conclusions.

Size: the smallest n for which finding the expected number of deviations
k = ceil(n x expected rate) still gives P(X <= k) <= 1 - confidence when the
population deviates at the tolerable rate: X binomial (an infinite population,
as the AICPA Audit Sampling guide's tables A-1 and A-2), or hypergeometric over
the population's N items holding D = ceil(N x tolerable rate) deviations.

Evaluation uses the method the sample was drawn with: the one-sided
Clopper-Pearson limit (binomial), or the finite-population limit (the largest
share D/N of deviating items under which finding k or fewer in n items still
has a probability above 1 - confidence). A whole population tested has a limit
equal to its rate. Limits are shown rounded **up** to 0.01 percentage point,
and the conclusion compares the limit as shown, so the two never disagree.

Every "rate x count, rounded up" reads the rate as the decimal it was written
as (0.07 x 100 is 7, not 7.000000000000001), so a float never moves a size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import StrEnum
from fractions import Fraction

import numpy as np

from auditkit.errors import ParameterError

MAX_SIZE = 100_000
LIMIT_STEP = Decimal("0.0001")  # limits and rates are shown to 0.01 percentage point
FLOAT_DIGITS = 12  # a computed limit within 1e-12 of a display step counts as on it
SEARCH_CHUNK = 1024  # candidate sizes tried at once


class SamplingMethod(StrEnum):
    BINOMIAL = "binomial"
    HYPERGEOMETRIC = "hypergeometric"


def exact(rate: float) -> Fraction:
    """The rate as the decimal it was written as: exact(0.07) is 7/100."""
    return Fraction(repr(float(rate)))


def times_rate(count: int, rate: float) -> int:
    """ceil(count x rate), exactly (the float guard of contract section 9)."""
    return math.ceil(count * exact(rate))


def check_rate(name: str, value: object, *, zero: bool = False) -> float:
    """`value` as a rate, a fraction in (0, 1) ([0, 1) with `zero`); else a ParameterError naming it."""
    low = "0 (inclusive)" if zero else "0"
    number: float | None = None
    if not isinstance(value, bool):
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = None
    lowest = 0.0 if zero else math.nextafter(0.0, 1.0)
    if number is None or not math.isfinite(number) or not (lowest <= number < 1):
        example = "e.g. 0.95 for 95%" if "confidence" in name else "e.g. 0.05 for 5%"
        raise ParameterError(
            f"{name} {value}: a rate is a fraction between {low} and 1 (exclusive), {example}"
        )
    return number


@dataclass(frozen=True)
class SampleOptions:
    """How to draw an audit sample: the risk accepted, the seed, the strata, the method.

    `tested`: a tested sample.csv to evaluate instead (its plan is the
    sample_manifest.json beside it); `untested`: what its blank rows are,
    "refuse" or "deviation".
    """

    confidence: float = 0.95
    tolerable_rate: float = 0.05
    expected_rate: float = 0.01
    seed: int = 1
    stratify: tuple[str, ...] = ()
    method: str = "binomial"
    tested: str | None = None
    untested: str = "refuse"

    def to_dict(self) -> dict[str, object]:
        return {
            "confidence": self.confidence,
            "tolerable_rate": self.tolerable_rate,
            "expected_rate": self.expected_rate,
            "seed": self.seed,
            "stratify": list(self.stratify),
            "method": self.method,
        }


@dataclass(frozen=True)
class SamplePlan:
    """What to sample: the risk accepted and the size that follows from it."""

    confidence: float
    tolerable_rate: float
    expected_rate: float
    method: SamplingMethod
    population: int
    size: int
    expected_deviations: int
    population_deviations: int | None = None  # D, for a hypergeometric plan

    @property
    def whole_population(self) -> bool:
        return self.size >= self.population

    def to_dict(self) -> dict[str, object]:
        return {
            "confidence": self.confidence,
            "tolerable_rate": self.tolerable_rate,
            "expected_rate": self.expected_rate,
            "method": self.method.value,
            "population": self.population,
            "size": self.size,
            "expected_deviations": self.expected_deviations,
            "population_deviations": self.population_deviations,
            "whole_population": self.whole_population,
        }


def check_rates(confidence: float, tolerable: float, expected: float) -> None:
    """Refuse rates that are not fractions, and an expected rate not below the tolerable one."""
    check_rate("confidence", confidence)
    check_rate("tolerable rate", tolerable)
    check_rate("expected rate", expected, zero=True)
    if exact(expected) >= exact(tolerable):
        raise ParameterError(
            f"the expected rate {expected} must be below the tolerable rate {tolerable}"
        )


def risk_of(confidence: float) -> float:
    """1 - confidence, exactly as written (1 - 0.95 is 0.05)."""
    return float(1 - exact(confidence))


def plan(
    confidence: float,
    tolerable_rate: float,
    expected_rate: float,
    population: int,
    method: SamplingMethod | str = SamplingMethod.BINOMIAL,
) -> SamplePlan:
    """The smallest sample size for the risk accepted; the whole population when it is smaller."""
    check_rates(confidence, tolerable_rate, expected_rate)
    if population < 1:
        raise ParameterError("the population holds no requests: there is nothing to sample")
    method = SamplingMethod(method)
    limit = min(population, MAX_SIZE)  # a larger sample is the whole population, or too large
    found = (
        _binomial_size(confidence, tolerable_rate, expected_rate, limit)
        if method is SamplingMethod.BINOMIAL
        else _hypergeometric_size(confidence, tolerable_rate, expected_rate, population, limit)
    )
    if found is None and population > MAX_SIZE:
        raise ParameterError(f"no sample of at most {MAX_SIZE:,} items reaches that confidence")
    # No smaller sample suffices: the whole population is tested (its limit is its rate).
    size = population if found is None else min(found, population)
    deviations = (
        times_rate(population, tolerable_rate) if method is SamplingMethod.HYPERGEOMETRIC else None
    )
    return SamplePlan(
        confidence,
        tolerable_rate,
        expected_rate,
        method,
        population,
        size,
        times_rate(size, expected_rate),
        deviations,
    )


def _expected_counts(sizes: np.ndarray, expected_rate: float) -> np.ndarray:
    """k = ceil(n x expected rate) for each n, in exact integer arithmetic."""
    rate = exact(expected_rate)
    whole = sizes.astype(object) * rate.numerator
    return np.asarray(-(-whole // rate.denominator), dtype=np.int64)


def _smallest(limit: int, risk_at) -> int | None:
    """The smallest n in 1..limit whose risk_at(sizes) is at most the risk, by chunks."""
    for start in range(1, limit + 1, SEARCH_CHUNK):  # chunks of candidate sizes, not rows
        sizes = np.arange(start, min(start + SEARCH_CHUNK, limit + 1), dtype=np.int64)
        hits = np.flatnonzero(risk_at(sizes))
        if len(hits):
            return int(sizes[hits[0]])
    return None


def _binomial_size(confidence: float, tolerable: float, expected: float, limit: int) -> int | None:
    from scipy.stats import binom

    risk = risk_of(confidence)
    return _smallest(
        limit,
        lambda n: binom.cdf(_expected_counts(n, expected), n, tolerable) <= risk,
    )


def _hypergeometric_size(
    confidence: float, tolerable: float, expected: float, population: int, limit: int
) -> int | None:
    from scipy.stats import hypergeom

    risk = risk_of(confidence)
    deviating = times_rate(population, tolerable)
    return _smallest(
        limit,
        lambda n: hypergeom.cdf(_expected_counts(n, expected), population, deviating, n) <= risk,
    )


def upper_limit(
    deviations: int,
    tested: int,
    confidence: float,
    method: SamplingMethod | str = SamplingMethod.BINOMIAL,
    population: int | None = None,
) -> Fraction | float:
    """The one-sided upper limit of the population's deviation rate, unrounded.

    A whole population tested: its rate. Binomial: Clopper-Pearson. Hypergeometric:
    the largest D/N with P(X <= deviations | N, D, tested) > 1 - confidence.
    """
    method = SamplingMethod(method)
    if population is not None and tested >= population:
        return Fraction(deviations, max(tested, 1))
    if deviations >= tested:
        return Fraction(1)
    risk = risk_of(confidence)
    if method is SamplingMethod.BINOMIAL:
        from scipy.stats import beta

        return float(beta.ppf(1 - risk, deviations + 1, tested - deviations))
    if population is None:
        raise ParameterError("a hypergeometric sample is evaluated on its population's size")
    from scipy.stats import hypergeom

    # P(X <= k) falls as D grows: the last D above the risk, by bisection.
    low, high = deviations, population - (tested - deviations)
    while low < high:
        middle = (low + high + 1) // 2
        if hypergeom.cdf(deviations, population, middle, tested) > risk:
            low = middle
        else:
            high = middle - 1
    return Fraction(low, population)


def round_up(value: Fraction | float) -> Decimal:
    """A rate rounded up to the display step (0.0001, i.e. 0.01 percentage point)."""
    if isinstance(value, Fraction):
        steps = math.ceil(value / Fraction(LIMIT_STEP))
        return Decimal(steps) * LIMIT_STEP
    near = Decimal(repr(round(float(value), FLOAT_DIGITS)))
    return near.quantize(LIMIT_STEP, rounding=ROUND_CEILING)


def percent(rate: Decimal | float, places: int = 2) -> str:
    """A rate as a percentage with at least `places` decimals and every digit it has:
    0.05 is "5.00%", 0.0525 "5.25%", 0.04999 "4.999%", 0.95 with places=0 "95%"."""
    value = (rate if isinstance(rate, Decimal) else Decimal(repr(float(rate)))) * 100
    digits = max(places, -value.normalize().as_tuple().exponent)
    return f"{value:.{digits}f}%"


@dataclass(frozen=True)
class SampleEvaluation:
    """What the tested sample says about the population."""

    tested: int  # items evaluated (untested ones counted as deviations included)
    deviations: int
    confidence: float
    tolerable_rate: float
    method: SamplingMethod = SamplingMethod.BINOMIAL
    population: int | None = None
    untested_rows: tuple[int, ...] = ()  # sample rows left untested, counted as deviations

    @property
    def untested_as_deviations(self) -> int:
        return len(self.untested_rows)

    @property
    def whole_population(self) -> bool:
        return self.population is not None and self.tested >= self.population

    @property
    def rate(self) -> Decimal:
        """The sample's deviation rate, rounded up like the limit."""
        return round_up(Fraction(self.deviations, self.tested)) if self.tested else Decimal(0)

    @property
    def exact_limit(self) -> Fraction | float:
        return upper_limit(
            self.deviations, self.tested, self.confidence, self.method, self.population
        )

    @property
    def upper_limit(self) -> Decimal:
        """The upper deviation limit as shown: rounded up, never to nearest."""
        return round_up(self.exact_limit)

    @property
    def supports_reliance(self) -> bool:
        return self.upper_limit <= Decimal(repr(float(self.tolerable_rate)))

    @property
    def basis(self) -> str:
        if self.whole_population:
            return f"the whole population of {self.population:,} tested: the limit is its rate"
        if SamplingMethod(self.method) is SamplingMethod.HYPERGEOMETRIC:
            return f"hypergeometric, on the population of {self.population:,}"
        return "binomial (Clopper-Pearson), one-sided"

    def conclusion(self) -> str:
        verdict = (
            "the control can be relied on"
            if self.supports_reliance
            else "the control cannot be relied on as planned"
        )
        counted = ""
        if self.untested_rows:
            rows = ", ".join(str(row) for row in self.untested_rows[:20])
            more = len(self.untested_rows) - 20
            counted = (
                f" (of which {self.untested_as_deviations} item(s) left untested and counted as "
                f"deviations: rows {rows}{f' and {more} more' if more > 0 else ''})"
            )
        return (
            f"{self.deviations} deviation(s){counted} in {self.tested} items: deviation rate "
            f"{percent(self.rate)}, upper limit {percent(self.upper_limit)} at "
            f"{percent(self.confidence, 0)} confidence ({self.basis}; rounded up to 0.01%) "
            f"against a tolerable rate of {percent(self.tolerable_rate)}; {verdict}."
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "tested": self.tested,
            "deviations": self.deviations,
            "untested_as_deviations": self.untested_as_deviations,
            "untested_rows": list(self.untested_rows),
            "deviation_rate": str(self.rate),
            "upper_limit": str(self.upper_limit),
            "upper_limit_unrounded": float(self.exact_limit),
            "confidence": self.confidence,
            "tolerable_rate": self.tolerable_rate,
            "method": SamplingMethod(self.method).value,
            "population": self.population,
            "basis": self.basis,
            "supports_reliance": self.supports_reliance,
            "conclusion": self.conclusion(),
        }
