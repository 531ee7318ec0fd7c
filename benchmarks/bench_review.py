"""Benchmark of the review register on SQLite with a large demo set.

Run by hand: `make bench` or `python benchmarks/bench_review.py --requests 1000000`.
Measures, on a new register file: recording a run's findings (first time:
all inserts), recording the same run again (all conflicts: last run moved),
a bulk import of reviewed states (a tenth of the findings), and building the
review_state column after reading the reviewed findings back.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(label: str, work):
    start = time.perf_counter()
    value = work()
    print(f"{label:<48} {time.perf_counter() - start:7.2f} s", flush=True)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "check")
    args = parser.parse_args()

    import auditkit.demo as demo
    from auditkit import POB, Params, evaluate, load_tables
    from auditkit.review.changes import StateChange
    from auditkit.review.register import Register
    from auditkit.review.states import finding_keys, state_codes, with_review_state
    from auditkit.vocab import ReviewState, ReviewVia

    marker = args.data / f".requests-{args.requests}"
    if marker.exists():
        tables = timed(f"load {args.data}", lambda: load_tables(args.data))
    else:
        tables = timed(f"generate {args.requests} requests", lambda: demo.tables(args.requests))
    result = timed("evaluate", lambda: evaluate(tables, Params(as_of=demo.DEFAULT_AS_OF), POB))
    keys = finding_keys(result)
    print(f"{len(result.cases)} requests, {len(keys)} findings")

    folder = Path(tempfile.mkdtemp(prefix="auditkit-bench-review-"))
    try:
        with Register.open(folder / "review.db") as register:
            first = timed(
                "record the run (new findings)", lambda: register.record_run(result, "check")
            )
            timed(
                "record the same run again (findings known)",
                lambda: register.record_run(result, "check"),
            )
            sample = keys.iloc[::10]
            changes = [
                StateChange(r, u, ReviewState.CONFIRMED)
                for r, u in zip(sample["request_id"], sample["rule_id"], strict=True)
            ]
            timed(
                f"import {len(changes)} reviewed states",
                lambda: register.apply(changes, "bench", ReviewVia.IMPORT),
            )
            reviewed = timed("read the reviewed findings back", register.reviewed)
            codes = timed("state codes", lambda: state_codes(result, reviewed))
            timed(
                "review_state column",
                lambda: with_review_state(result.verdicts, codes, result.rule_ids),
            )
        size = (folder / "review.db").stat().st_size
        print(f"register file {size / 2**20:.0f} MiB after run {first.run_id + 1}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
