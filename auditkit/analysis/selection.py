"""Drawing an audit sample a reviewer can re-perform, and reading the tested sample back.

The selection (contract section 9), written into every sample_manifest.json:
the population's requests are ordered by request_id, each gets its 1-based
position in that order, numpy's PCG64 generator seeded with the plan's seed
gives one number per position (`default_rng(seed).random(N)`), and the sample
is the items with the smallest numbers (in each stratum, its share of them).
sample.csv lists each item's position, so anyone can draw the numbers again
and check that these are the positions they pick.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditkit.analysis.sampling import (
    SampleEvaluation,
    SampleOptions,
    SamplePlan,
    SamplingMethod,
    check_rate,
    plan,
)
from auditkit.errors import ParameterError

SAMPLE_FILE = "sample.csv"
SAMPLE_MANIFEST = "sample_manifest.json"
POSITION = "position"
DEVIATION = "deviation"
TESTER_COLUMNS = (DEVIATION, "tickmark", "tested_by", "tested_on", "notes")
DEVIATION_WORDS = frozenset({"yes", "y", "true", "1"})
NO_DEVIATION_WORDS = frozenset({"no", "n", "false", "0"})
UNTESTED_CHOICES = ("refuse", "deviation")
ORDER = "request_id ascending, compared character by character (ids are ASCII)"
GENERATOR = "numpy.random.default_rng(seed): PCG64; one number per position, random(N)"


def procedure(seed: int, population: int, size: int, stratified: bool) -> list[str]:
    """How to re-perform the selection by hand, with this sample's numbers filled in."""
    last = (
        f"Each stratum's share of the {size:,} items is proportional to its size (largest "
        "remainders, ties to the stratum named first); a stratum's items are those of it with "
        "the smallest keys."
        if stratified
        else f"The sample is the {size:,} positions with the smallest keys: in Python, "
        f"numpy.sort(numpy.argsort(keys, kind='stable')[:{size}]) + 1."
    )
    return [
        f"Order the population's {population:,} requests by request_id (ascending, character "
        f"by character) and number them 1 to {population:,}: each item's position (column "
        "position of sample.csv).",
        f"Draw one number per position with numpy: keys = numpy.random.default_rng({seed})"
        f".random({population}); position p gets keys[p - 1].",
        last,
    ]


def sorted_ids(ids: pd.Series) -> np.ndarray:
    """The population's request ids in selection order."""
    return np.sort(ids.astype("str").to_numpy(dtype=object))


def ids_sha256(ids: np.ndarray) -> str:
    """sha256 of the ids one per line (LF after each), UTF-8: recomputable from verdicts.csv."""
    text = "\n".join(ids.tolist()) + "\n" if len(ids) else ""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def allocate(strata: pd.Series, size: int) -> pd.Series:
    """Items per stratum, proportional to its size (largest remainders), summing to `size`."""
    counts = strata.value_counts().sort_index()
    quota = counts / counts.sum() * size
    given = np.floor(quota).astype(np.int64)
    remainder = (quota - given).sort_values(ascending=False, kind="stable")
    extra = size - int(given.sum())
    given[remainder.index[:extra]] += 1
    return given.clip(upper=counts)


def draw_positions(strata: pd.Series, size: int, seed: int) -> np.ndarray:
    """0-based positions of the sample in the ordered population (`strata` in that order)."""
    keys = np.random.default_rng(seed).random(len(strata))
    codes, names = pd.factorize(strata, sort=True)
    quota = allocate(strata, size).reindex(names).to_numpy()
    order = np.lexsort((np.arange(len(keys)), keys, codes))  # by stratum, then key
    sorted_codes = codes[order]
    starts = np.searchsorted(sorted_codes, np.arange(len(names)))
    rank = np.arange(len(order)) - starts[sorted_codes]
    return np.sort(order[rank < quota[sorted_codes]])


def _strata(frame: pd.DataFrame, stratify: tuple[str, ...]) -> pd.Series:
    missing = [column for column in stratify if column not in frame]
    if missing:
        columns = [column for column in frame if not str(column).startswith("_")]
        raise ParameterError(f"cannot stratify by {missing}; columns are {columns}")
    stratum = pd.Series("all", index=frame.index, dtype="str")
    for i, column in enumerate(stratify):  # the stratifying columns, not the rows
        text = frame[column].astype("str").fillna("")
        stratum = text if i == 0 else stratum + " / " + text
    return stratum


def draw(
    population: pd.DataFrame, size: int, seed: int, stratify: tuple[str, ...] = ()
) -> pd.DataFrame:
    """The seeded sample of `size` rows, the same for the same rows whatever their order.

    `population` has a unique `request_id`. The result has `item` (1..size),
    `position` (1-based, in request_id order) and `stratum`, in position order.
    """
    if size > len(population):
        raise ParameterError(f"a sample of {size} from {len(population)} requests is not possible")
    ordered = population.sort_values("request_id", kind="stable").reset_index(drop=True)
    stratum = _strata(ordered, stratify)
    rows = draw_positions(stratum, size, seed)
    sample = ordered.iloc[rows].reset_index(drop=True)
    sample.insert(0, "stratum", stratum.iloc[rows].to_numpy())
    sample.insert(0, POSITION, rows + 1)
    sample.insert(0, "item", np.arange(1, len(sample) + 1))
    return sample


def request_columns(result) -> pd.DataFrame:
    """Every judged request's verdict row with its requested_at and decision_code."""
    from auditkit.rules.phrasing import timestamp

    cases, verdicts = result.cases, result.verdicts
    frame = verdicts.astype({"verdict": "str"}).copy()
    frame.insert(5, "requested_at", timestamp(cases["requested_at"]).to_numpy())
    frame.insert(frame.columns.get_loc("decision") + 1, "decision_code", cases["decision_code"])
    return frame


def sample_of(result, options: SampleOptions) -> tuple[SamplePlan, pd.DataFrame, dict]:
    """Plan and draw the sample of an evaluation's requests: the plan, the sample (with each
    item's evidence and empty tester columns) and its sample_manifest.json document."""
    from auditkit.analysis.evidence import reason_lines

    frame = request_columns(result)
    frame["_row"] = np.arange(len(frame))
    planned = plan(
        options.confidence,
        options.tolerable_rate,
        options.expected_rate,
        len(frame),
        options.method,
    )
    drawn = draw(frame, planned.size, options.seed, options.stratify)
    drawn["reasons"] = reason_lines(result, drawn.pop("_row").to_numpy()).to_numpy()
    ids = sorted_ids(frame["request_id"])
    return planned, with_tester_columns(drawn), plan_document(options, planned, ids, drawn)


def plan_document(
    options: SampleOptions, planned: SamplePlan, ids: np.ndarray, drawn: pd.DataFrame
) -> dict[str, object]:
    """The plan written beside the sample: method, rates, seed, population, selection."""
    items = drawn[POSITION].astype("str") + "," + drawn["request_id"].astype("str")
    return {
        "sample": {
            **options.to_dict(),
            **planned.to_dict(),
            "strata": drawn["stratum"].value_counts().sort_index().to_dict(),
        },
        "population_sha256": ids_sha256(ids),
        "selection": {
            "order": ORDER,
            "generator": GENERATOR,
            "numpy": np.__version__,
            "procedure": procedure(
                options.seed, planned.population, planned.size, bool(options.stratify)
            ),
            "positions": drawn[POSITION].astype(int).tolist(),
            "items_sha256": ids_sha256(np.sort(items.to_numpy(dtype=object))),
        },
    }


def with_tester_columns(sample: pd.DataFrame) -> pd.DataFrame:
    """The sample with empty columns for the tester's result."""
    return sample.assign(**{column: "" for column in TESTER_COLUMNS})


@dataclass(frozen=True)
class Answers:
    """The tester's answers read from a sample: spreadsheet rows (header is row 1)."""

    items: int
    deviations: int  # answered yes
    untested: list[int]  # left blank
    unclear: list[int]  # neither yes, no nor blank


def read_answers(sample: pd.DataFrame) -> Answers:
    if DEVIATION not in sample:
        raise ParameterError("the sample file has no `deviation` column to evaluate")
    answers = sample[DEVIATION].fillna("").astype("str").str.strip().str.lower()
    blank = (answers == "").to_numpy()
    known = answers.isin(list(DEVIATION_WORDS | NO_DEVIATION_WORDS)).to_numpy()
    return Answers(
        items=len(sample),
        deviations=int(answers.isin(list(DEVIATION_WORDS)).sum()),
        untested=(np.flatnonzero(blank) + 2).tolist(),
        unclear=(np.flatnonzero(~blank & ~known) + 2).tolist(),
    )


def listed(rows: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(row) for row in rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def check_items(sample: pd.DataFrame, document: dict, source: str) -> None:
    """Refuse a tested file whose items are not the ones the plan drew."""
    selection = document.get("selection") or {}
    positions = selection.get("positions")
    if positions is None:
        return  # a plan written before positions were recorded
    if POSITION not in sample or "request_id" not in sample:
        raise ParameterError(f"{source}: the sample needs its position and request_id columns")
    found = pd.to_numeric(sample[POSITION], errors="coerce")
    missing = np.setdiff1d(positions, found.dropna().astype(np.int64)).tolist()
    extra = np.flatnonzero(~found.isin(positions).to_numpy()) + 2
    if missing or len(extra) or len(sample) != len(positions):
        raise ParameterError(
            f"{source}: the sample holds {len(sample)} items, the plan drew {len(positions)}"
            + (f"; positions {listed(missing)} are missing" if missing else "")
            + (f"; rows {listed(extra.tolist())} are not items drawn" if len(extra) else "")
            + " (evaluate the sample as drawn: every item, once)"
        )
    items = sample[POSITION].astype("str").str.strip() + "," + sample["request_id"].astype("str")
    if ids_sha256(np.sort(items.to_numpy(dtype=object))) != selection.get("items_sha256"):
        raise ParameterError(
            f"{source}: the request ids at the drawn positions are not the ones the plan drew"
        )


def evaluate_sample(
    sample: pd.DataFrame,
    document: dict | None,
    source: str,
    *,
    untested: str = "refuse",
    confidence: float | None = None,
    tolerable_rate: float | None = None,
) -> SampleEvaluation:
    """Evaluate a tested sample by its plan (`document`, a sample_manifest.json), by the
    method it was drawn with. Rates given here replace the plan's; without a plan both
    are required and the sample is evaluated as binomial."""
    planned = dict((document or {}).get("sample") or {})
    if document is None and (confidence is None or tolerable_rate is None):
        raise ParameterError(
            f"{source}: no {SAMPLE_MANIFEST} beside the sample, so its plan is unknown; "
            "give --confidence and --tolerable-rate, or evaluate the sample where it was drawn"
        )
    if document is not None:
        check_items(sample, document, source)
    confidence = check_rate(
        "confidence", planned.get("confidence") if confidence is None else confidence
    )
    tolerable_rate = check_rate(
        "tolerable rate",
        planned.get("tolerable_rate") if tolerable_rate is None else tolerable_rate,
    )
    answers = read_answers(sample)
    if answers.unclear:
        raise ParameterError(
            f"{source}: column deviation must be yes or no (or blank for untested) on every row; "
            f"rows {listed(answers.unclear)} are not"
        )
    if untested not in UNTESTED_CHOICES:
        raise ParameterError(f"--untested must be one of {', '.join(UNTESTED_CHOICES)}")
    if answers.untested and untested == "refuse":
        raise ParameterError(
            f"{source}: {len(answers.untested)} item(s) not tested (deviation left blank): "
            f"rows {listed(answers.untested)}; test them, or count them as deviations with "
            "--untested deviation"
        )
    counted = tuple(answers.untested) if untested == "deviation" else ()
    return SampleEvaluation(
        tested=answers.items,
        deviations=answers.deviations + len(counted),
        confidence=confidence,
        tolerable_rate=tolerable_rate,
        method=SamplingMethod(planned.get("method", SamplingMethod.BINOMIAL)),
        population=planned.get("population"),
        untested_rows=counted,
    )
