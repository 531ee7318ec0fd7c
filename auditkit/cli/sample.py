"""`auditkit sample` draws an audit sample for re-performing the control by hand;
`auditkit sample evaluate [FILE] [--report DIR]` reads the tested sample back and concludes.

Rates are fractions: `--confidence 95` or `--tolerable-rate 5` is refused
(exit 2), never read as 9500% or 500%.
"""

from __future__ import annotations

import argparse
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
DEFAULTS = {"confidence": 0.95, "tolerable_rate": 0.05, "expected_rate": 0.01, "seed": 1}
UNTESTED_HELP = (
    "items whose deviation is left blank: refuse the file (default), or count each as a "
    "deviation (the output says which rows)"
)


def add_sampling_options(parser: argparse.ArgumentParser, with_tolerable: bool = True) -> None:
    """The sampling options of `sample` (and of `report --sample`, which has its own
    --tolerable-rate); defaults are applied by `sample_options`, so a given one is known."""
    parser.add_argument("--confidence", help="a fraction, default 0.95 (95%%)")
    if with_tolerable:
        parser.add_argument("--tolerable-rate", help="a fraction, default 0.05 (5%%)")
    parser.add_argument("--expected-rate", help="a fraction, default 0.01 (1%%)")
    parser.add_argument("--seed", type=int, help="random seed (default 1)")
    parser.add_argument(
        "--stratify", help="request columns to stratify on, e.g. verdict,action (default none)"
    )
    parser.add_argument(
        "--method",
        choices=("binomial", "hypergeometric"),
        help="sample size for an infinite population (binomial, as the AICPA tables; the "
        "default) or for the population's actual size (hypergeometric); the sample is "
        "evaluated by the same method",
    )
    if not with_tolerable:  # report: evaluate a sample tested since an earlier run
        parser.add_argument(
            "--sample-results",
            type=Path,
            help="a tested sample.csv (with the sample_manifest.json it was drawn with beside "
            "it): the report shows its plan and evaluation; implies --sample",
        )
        parser.add_argument(
            "--untested", choices=("refuse", "deviation"), default="refuse", help=UNTESTED_HELP
        )


def _rate(args: argparse.Namespace, name: str, *, zero: bool = False) -> float:
    from auditkit.analysis.sampling import check_rate

    value = getattr(args, name, None)
    option = "--" + name.replace("_", "-")
    return DEFAULTS[name] if value is None else check_rate(option, value, zero=zero)


def sample_options(args: argparse.Namespace):
    """The sampling options of the command line, checked (rates are fractions in (0, 1))."""
    from auditkit.analysis.sampling import SampleOptions, check_rates

    options = SampleOptions(
        confidence=_rate(args, "confidence"),
        tolerable_rate=_rate(args, "tolerable_rate"),
        expected_rate=_rate(args, "expected_rate", zero=True),
        seed=DEFAULTS["seed"] if args.seed is None else args.seed,
        stratify=tuple(part for part in (args.stratify or "").split(",") if part),
        method=args.method or "binomial",
    )
    if options.seed < 0:
        raise ParameterError(f"--seed must be at least 0, got {options.seed}")
    check_rates(options.confidence, options.tolerable_rate, options.expected_rate)
    return options


def report_sample_options(args: argparse.Namespace):
    """`report`'s sample: drawn by the options (--sample), or a tested one (--sample-results)
    whose plan is its own manifest's; checked now, before any data is judged."""
    from dataclasses import replace

    from auditkit.report.sample import plan_of_tested

    if args.sample_results is None:
        return sample_options(args) if args.sample else None
    given = [
        "--" + name.replace("_", "-")
        for name in ("confidence", "expected_rate", "seed", "stratify", "method")
        if getattr(args, name) is not None
    ]
    if given:
        raise ParameterError(
            f"--sample-results evaluates a sample by the plan it was drawn with (its "
            f"sample_manifest.json); drop {', '.join(given)}"
        )
    options = replace(sample_options(args), tested=str(args.sample_results), untested=args.untested)
    plan_of_tested(options)
    return options


def cmd_sample(args: argparse.Namespace) -> int:
    if args.data is None or args.out is None:
        raise ParameterError(
            "auditkit sample needs --data and --out (or: auditkit sample evaluate FILE)"
        )
    from auditkit.analysis.population import Period, in_period
    from auditkit.analysis.sampling import percent
    from auditkit.analysis.selection import SAMPLE_MANIFEST, sample_of
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
    planned, drawn, document = sample_of(result, options)
    manifest = {
        **describe_run(params, catalogue, tables),
        "command": "sample",
        "written_at": iso_seconds(utc_now()),
        "population": {
            **(population.to_dict() if population else {}),
            "requests": planned.population,
            "sha256": document["population_sha256"],
        },
        **document,
    }
    written = write_tables(
        {SAMPLE: drawn}, Path(args.out), "csv", documents={SAMPLE_MANIFEST: manifest}
    )
    clock.finish()
    whole = " (the whole population)" if planned.whole_population else ""
    print(
        f"{planned.size} of {planned.population} requests sampled{whole} ({planned.method}, "
        f"{percent(planned.confidence, 0)} confidence, tolerable "
        f"{percent(planned.tolerable_rate)}, expected {percent(planned.expected_rate)}, "
        f"seed {options.seed})"
    )
    print(f"wrote {written[SAMPLE]} (each item's position in request_id order: column position)")
    print(f"wrote {written[SAMPLE_MANIFEST]} (the plan, and how to re-perform the selection)")
    print("fill in deviation (yes/no), tickmark, tested_by, tested_on and notes, then run:")
    print(f"  auditkit sample evaluate {written[SAMPLE]}")
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from auditkit.analysis.selection import SAMPLE_FILE, SAMPLE_MANIFEST
    from auditkit.report.sample import evaluate_tested, read_tested

    if args.file is None and args.report is None:
        raise ParameterError("auditkit sample evaluate needs the tested FILE, or --report DIR")
    path = Path(args.file) if args.file else Path(args.report) / SAMPLE_FILE
    tested = read_tested(path, plan_from=args.report)
    rates = {
        name: _rate(args, name)
        for name in ("confidence", "tolerable_rate")
        if getattr(args, name) is not None
    }
    evaluation = evaluate_tested(tested, args.untested, **rates)
    plan_source = (Path(args.report) if args.report else path.parent) / SAMPLE_MANIFEST
    if tested.document is None:
        print(f"plan: none found ({plan_source}); rates as given, evaluated as binomial")
    else:
        planned = tested.document["sample"]
        print(
            f"plan: {plan_source}: {planned['size']} of {planned['population']} requests, "
            f"{planned['method']}, seed {planned['seed']}"
            + (f"; given on the command line: {', '.join(rates)}" if rates else "")
        )
    print(
        "untested items: "
        + (
            "none"
            if not evaluation.untested_rows
            else f"{evaluation.untested_as_deviations} counted as deviations (--untested deviation)"
        )
    )
    print(evaluation.conclusion())
    if args.report:
        print(f"to show this evaluation in the report, run it again with --sample-results {path}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    sample = sub.add_parser(
        "sample",
        help="draw an attribute sample to re-perform by hand; `sample evaluate FILE` concludes",
        description=(
            "Judge the requests, size an attribute sample for the confidence, tolerable and "
            "expected deviation rates (binomial, or hypergeometric on the population's size), "
            "draw it with a seed (stratified on request columns if asked) and write "
            "OUT/sample.csv with each item's position and evidence and empty columns for the "
            "tester, and OUT/sample_manifest.json with the plan and how to re-perform the draw."
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
        "evaluate",
        help="deviation rate and upper deviation limit of a tested sample, by its plan",
        description=(
            "Evaluate a tested sample by the plan in the sample_manifest.json beside it, with "
            "the method it was drawn with. Without a manifest, --confidence and "
            "--tolerable-rate are required and the sample is evaluated as binomial."
        ),
    )
    evaluate.add_argument("file", nargs="?", type=Path, help="the tested sample.csv")
    evaluate.add_argument(
        "--report",
        type=Path,
        help="a report folder made with --sample: its plan, and its sample.csv if FILE is not given",
    )
    evaluate.add_argument("--confidence", help="a fraction; default: the plan's")
    evaluate.add_argument("--tolerable-rate", help="a fraction; default: the plan's")
    evaluate.add_argument(
        "--untested", choices=("refuse", "deviation"), default="refuse", help=UNTESTED_HELP
    )
    evaluate.set_defaults(run=cmd_evaluate)
