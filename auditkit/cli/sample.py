"""`auditkit sample` draws an audit sample for re-performing the control by hand;
`auditkit sample evaluate FILE` reads the tested sample back and concludes."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from auditkit.cli.common import (
    EXIT_OK,
    PhaseClock,
    add_catalogue_options,
    add_params_options,
    catalogue_of,
    params_of,
)
from auditkit.errors import ParameterError

SAMPLE = "sample"
SAMPLE_MANIFEST = "sample_manifest.json"


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number between 0 and 1, got {text!r}"
        ) from None
    return value


def add_sampling_options(parser: argparse.ArgumentParser, with_tolerable: bool = True) -> None:
    parser.add_argument("--confidence", type=_rate, default=0.95, help="default 0.95")
    if with_tolerable:
        parser.add_argument("--tolerable-rate", type=_rate, default=0.05, help="default 0.05")
    parser.add_argument("--expected-rate", type=_rate, default=0.01, help="default 0.01")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--stratify", help="request columns to stratify on, e.g. verdict,action (default none)"
    )
    parser.add_argument(
        "--method",
        choices=("binomial", "hypergeometric"),
        default="binomial",
        help="sample size for an infinite population (binomial, as the AICPA tables) or for "
        "the population's actual size (hypergeometric)",
    )


def sample_options(args: argparse.Namespace):
    """The sampling options of the command line, checked."""
    from auditkit.analysis.sampling import SampleOptions

    return SampleOptions(
        confidence=args.confidence,
        tolerable_rate=args.tolerable_rate,
        expected_rate=args.expected_rate,
        seed=args.seed,
        stratify=tuple(part for part in (args.stratify or "").split(",") if part),
        method=args.method,
    )


def cmd_sample(args: argparse.Namespace) -> int:
    if args.data is None or args.out is None:
        raise ParameterError(
            "auditkit sample needs --data and --out (or: auditkit sample evaluate FILE)"
        )
    from auditkit.analysis import sampling
    from auditkit.analysis.population import Period, in_period
    from auditkit.dates import iso_seconds, utc_now
    from auditkit.engine.evaluate import evaluate
    from auditkit.io.manifest import describe_run
    from auditkit.io.tables import load_tables
    from auditkit.io.write import write_tables

    params, catalogue = params_of(args), catalogue_of(args)
    options = sample_options(args)
    clock = PhaseClock()
    tables = load_tables(args.data, progress=clock, require_history=params.at_requested)
    population = None
    if args.period:
        tables, population = in_period(tables, Period(args.period), params)
    clock("evaluate")
    result = evaluate(tables, params, catalogue)
    clock("draw")
    planned, drawn = sampling.sample_of(result, options)
    manifest = {
        **describe_run(params, catalogue, tables),
        "command": "sample",
        "written_at": iso_seconds(utc_now()),
        "population": population.to_dict() if population else {"requests": planned.population},
        "sample": {
            **options.to_dict(),
            **planned.to_dict(),
            "strata": drawn["stratum"].value_counts().sort_index().to_dict(),
        },
    }
    written = write_tables(
        {SAMPLE: drawn}, Path(args.out), "csv", documents={SAMPLE_MANIFEST: manifest}
    )
    clock.finish()
    print(
        f"{planned.size} of {planned.population} requests sampled ({planned.method}, "
        f"{planned.confidence:.0%} confidence, tolerable {planned.tolerable_rate:.2%}, "
        f"expected {planned.expected_rate:.2%}, seed {args.seed})"
    )
    for path in written.values():
        print(f"wrote {path}")
    print("fill in tested_by, tested_on, deviation (yes/no) and notes, then run:")
    print(f"  auditkit sample evaluate {written[SAMPLE]}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    import pandas as pd

    from auditkit.analysis import sampling

    path = Path(args.file)
    try:
        sample = pd.read_csv(path, dtype="str", keep_default_na=False)
    except (OSError, ValueError) as error:
        raise ParameterError(f"{path}: cannot read the sample as CSV ({error})") from None
    planned = {}
    manifest = path.with_name(SAMPLE_MANIFEST)
    if manifest.is_file():
        planned = json.loads(manifest.read_text(encoding="utf-8")).get("sample", {})
    confidence = args.confidence or planned.get("confidence") or 0.95
    tolerable = args.tolerable_rate or planned.get("tolerable_rate") or 0.05
    tested, deviations, unclear = sampling.count_deviations(sample)
    if unclear:
        shown = ", ".join(str(row) for row in unclear[:20])
        raise ParameterError(
            f"{path}: column deviation must be yes or no on every row; rows {shown}"
            + (f" and {len(unclear) - 20} more" if len(unclear) > 20 else "")
            + " are not (tested items only can be evaluated)"
        )
    evaluation = sampling.SampleEvaluation(tested, deviations, confidence, tolerable)
    print(evaluation.conclusion())
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    sample = sub.add_parser(
        "sample",
        help="draw an attribute sample to re-perform by hand; `sample evaluate FILE` concludes",
        description=(
            "Judge the requests, size an attribute sample for the confidence, tolerable and "
            "expected deviation rates (binomial, or hypergeometric on the population's size), "
            "draw it with a seed (stratified on request columns if asked) and write "
            "OUT/sample.csv with each item's evidence and empty columns for the tester."
        ),
    )
    sample.add_argument("--data", type=Path, help="folder with the input tables")
    sample.add_argument("--out", type=Path, help="folder to write sample.csv into")
    add_params_options(sample)
    add_catalogue_options(sample)
    sample.add_argument("--period", help="sample only the requests made in this month, YYYY-MM")
    add_sampling_options(sample)
    sample.set_defaults(run=cmd_sample)
    steps = sample.add_subparsers(dest="step")
    evaluate = steps.add_parser(
        "evaluate", help="deviation rate and upper deviation limit of a tested sample"
    )
    evaluate.add_argument("file", type=Path, help="the tested sample.csv")
    evaluate.add_argument("--confidence", type=_rate, help="default: the sample's, else 0.95")
    evaluate.add_argument("--tolerable-rate", type=_rate, help="default: the sample's, else 0.05")
    evaluate.set_defaults(run=cmd_evaluate)
