"""Attribute sampling for re-performing the control by hand: plan a size, draw, evaluate.

The size is the smallest n for which finding the expected number of deviations
(n x expected rate, rounded up) would still let the auditor conclude, at the
chosen confidence, that the population deviation rate is below the tolerable
rate: binomial (an infinite population, as the AICPA Audit Sampling guide's
tables A-1 and A-2) or hypergeometric (the population's actual size). The
evaluation gives the one-sided upper limit of the deviation rate (exact
binomial, Clopper-Pearson). The draw is seeded and reproducible, proportional
over strata (largest remainders), and independent of the input's row order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from auditkit.errors import ParameterError

MAX_SIZE = 100_000


class SamplingMethod(StrEnum):
    BINOMIAL = "binomial"
    HYPERGEOMETRIC = "hypergeometric"


@dataclass(frozen=True)
class SampleOptions:
    """How to draw an audit sample: the risk accepted, the seed, the strata."""

    confidence: float = 0.95
    tolerable_rate: float = 0.05
    expected_rate: float = 0.01
    seed: int = 1
    stratify: tuple[str, ...] = ()
    method: str = "binomial"

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

    def to_dict(self) -> dict[str, object]:
        return {
            "confidence": self.confidence,
            "tolerable_rate": self.tolerable_rate,
            "expected_rate": self.expected_rate,
            "method": self.method.value,
            "population": self.population,
            "size": self.size,
            "expected_deviations": self.expected_deviations,
        }


def _check_rates(confidence: float, tolerable: float, expected: float) -> None:
    for name, value in (("confidence", confidence), ("tolerable rate", tolerable)):
        if not 0 < value < 1:
            raise ParameterError(f"the {name} must be between 0 and 1 (exclusive), got {value}")
    if not 0 <= expected < tolerable:
        raise ParameterError(
            f"the expected rate must be at least 0 and below the tolerable rate {tolerable}, "
            f"got {expected}"
        )


def plan(
    confidence: float,
    tolerable_rate: float,
    expected_rate: float,
    population: int,
    method: SamplingMethod | str = SamplingMethod.BINOMIAL,
) -> SamplePlan:
    """The smallest sample size for the risk accepted (capped at the population)."""
    from scipy.stats import binom, hypergeom

    _check_rates(confidence, tolerable_rate, expected_rate)
    method = SamplingMethod(method)
    risk = 1 - confidence
    tolerable_in_population = math.ceil(tolerable_rate * population)
    for n in range(1, MAX_SIZE + 1):
        k = math.ceil(n * expected_rate - 1e-12)
        if method is SamplingMethod.BINOMIAL:
            chance = binom.cdf(k, n, tolerable_rate)
        else:
            if n > population:
                break
            chance = hypergeom.cdf(k, population, tolerable_in_population, n)
        if chance <= risk + 1e-12:
            size = min(n, population) if population else n
            return SamplePlan(
                confidence, tolerable_rate, expected_rate, method, population, size, k
            )
    if method is SamplingMethod.HYPERGEOMETRIC:
        k = math.ceil(population * expected_rate)
        return SamplePlan(
            confidence, tolerable_rate, expected_rate, method, population, population, k
        )
    raise ParameterError(f"no sample of at most {MAX_SIZE} items reaches that confidence")


def allocate(strata: pd.Series, size: int) -> pd.Series:
    """Items per stratum, proportional to its size (largest remainders), summing to `size`."""
    counts = strata.value_counts().sort_index()
    quota = counts / counts.sum() * size
    given = np.floor(quota).astype(np.int64)
    remainder = (quota - given).sort_values(ascending=False, kind="stable")
    extra = size - int(given.sum())
    given[remainder.index[:extra]] += 1
    return given.clip(upper=counts)


def draw(
    population: pd.DataFrame, size: int, seed: int, stratify: tuple[str, ...] = ()
) -> pd.DataFrame:
    """A seeded random sample of `size` rows, the same for the same rows whatever their order.

    `population` must have a unique `request_id`. With `stratify` columns the size is
    shared out over the strata they make; the result has a `stratum` column and a
    1-based `item` number, in stratum then request_id order.
    """
    if size > len(population):
        raise ParameterError(f"a sample of {size} from {len(population)} requests is not possible")
    ordered = population.sort_values("request_id", kind="stable").reset_index(drop=True)
    missing = [column for column in stratify if column not in ordered]
    if missing:
        raise ParameterError(f"cannot stratify by {missing}; columns are {list(ordered)}")
    stratum = pd.Series("all", index=ordered.index, dtype="str")
    for i, column in enumerate(stratify):  # the stratifying columns, not the rows
        text = ordered[column].astype("str").fillna("")
        stratum = text if i == 0 else stratum + " / " + text
    rng = np.random.default_rng(seed)
    chosen: list[np.ndarray] = []
    for name, items in allocate(stratum, size).items():  # strata: a handful
        members = np.flatnonzero((stratum == name).to_numpy())
        chosen.append(np.sort(rng.choice(members, size=int(items), replace=False)))
    rows = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)
    sample = ordered.iloc[rows].reset_index(drop=True)
    sample.insert(0, "stratum", stratum.iloc[rows].to_numpy())
    sample.insert(0, "item", np.arange(1, len(sample) + 1))
    return sample


@dataclass(frozen=True)
class SampleEvaluation:
    """What the tested sample says about the population."""

    tested: int
    deviations: int
    confidence: float
    tolerable_rate: float

    @property
    def rate(self) -> float:
        return self.deviations / self.tested if self.tested else 0.0

    @property
    def upper_limit(self) -> float:
        """One-sided upper limit of the deviation rate at the confidence (exact binomial)."""
        from scipy.stats import beta

        if self.deviations >= self.tested:
            return 1.0
        return float(beta.ppf(self.confidence, self.deviations + 1, self.tested - self.deviations))

    @property
    def supports_reliance(self) -> bool:
        return self.upper_limit <= self.tolerable_rate

    def conclusion(self) -> str:
        verdict = (
            "the control can be relied on"
            if self.supports_reliance
            else "the control cannot be relied on as planned"
        )
        return (
            f"{self.deviations} deviation(s) in {self.tested} items tested: deviation rate "
            f"{self.rate:.2%}, upper limit {self.upper_limit:.2%} at {self.confidence:.0%} "
            f"confidence against a tolerable rate of {self.tolerable_rate:.2%}; {verdict}."
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "tested": self.tested,
            "deviations": self.deviations,
            "deviation_rate": self.rate,
            "upper_limit": self.upper_limit,
            "confidence": self.confidence,
            "tolerable_rate": self.tolerable_rate,
            "supports_reliance": self.supports_reliance,
        }


TESTER_COLUMNS = ("tested_by", "tested_on", "deviation", "notes")
DEVIATION_WORDS = {"yes": True, "y": True, "true": True, "1": True}
NO_DEVIATION_WORDS = {"no": False, "n": False, "false": False, "0": False}


def sample_of(result, options: SampleOptions) -> tuple[SamplePlan, pd.DataFrame]:
    """Plan and draw the sample of an evaluation's requests, with empty tester columns."""
    frame = population_frame(result)
    planned = plan(
        options.confidence,
        options.tolerable_rate,
        options.expected_rate,
        len(frame),
        options.method,
    )
    drawn = draw(frame, planned.size, options.seed, options.stratify)
    return planned, with_tester_columns(drawn)


def population_frame(result) -> pd.DataFrame:
    """Every judged request with what a tester needs to re-perform it: the request, the verdict,
    the platform's decision and code, and the reasons of every failing or error rule."""
    from auditkit.analysis.evidence import reason_lines
    from auditkit.rules.phrasing import timestamp

    cases, verdicts = result.cases, result.verdicts
    frame = verdicts.astype({"verdict": "str"}).copy()
    frame.insert(5, "requested_at", timestamp(cases["requested_at"]).to_numpy())
    frame.insert(frame.columns.get_loc("decision") + 1, "decision_code", cases["decision_code"])
    frame["reasons"] = reason_lines(result, np.arange(len(cases)))
    return frame


def with_tester_columns(sample: pd.DataFrame) -> pd.DataFrame:
    """The sample with empty columns for the tester's result."""
    return sample.assign(**{column: "" for column in TESTER_COLUMNS})


def count_deviations(sample: pd.DataFrame) -> tuple[int, int, list[int]]:
    """(items tested, deviations, spreadsheet rows whose `deviation` is neither yes nor no)."""
    if "deviation" not in sample:
        raise ParameterError("the sample file has no `deviation` column to evaluate")
    answers = sample["deviation"].fillna("").astype("str").str.strip().str.lower()
    words = DEVIATION_WORDS | NO_DEVIATION_WORDS
    unclear = [int(i) + 2 for i in np.flatnonzero(~answers.isin(list(words)).to_numpy())]
    deviations = int(answers.isin(list(DEVIATION_WORDS)).sum())
    return len(sample) - len(unclear), deviations, unclear
