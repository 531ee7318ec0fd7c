"""Benchmark of what-if recompute + diff on an in-memory demo set.

Run by hand: `python benchmarks/bench_whatif.py [--requests 100000] [--repeat 3]`.
Target: every scenario (edits applied, full re-evaluation, diff against the
baseline) under 1 s for 100,000 requests. Building the data set and the
baseline is not timed. Prints the best and median seconds per scenario.
"""

from __future__ import annotations

import argparse
import statistics
import time

import auditkit.demo as demo
from auditkit.analysis.whatif import (
    BindCard,
    ClearVouchers,
    SettleOpenOrders,
    TopUpBalances,
    whatif,
)
from auditkit.engine.evaluate import evaluate
from auditkit.params import Params
from auditkit.rules.pob import POB

TARGET_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    tables = demo.tables(requests=args.requests)
    params = Params(as_of=demo.DEFAULT_AS_OF)
    baseline = evaluate(tables, params, POB)
    print(
        f"built {args.requests} requests and the baseline in {time.perf_counter() - start:.1f}s "
        f"(not timed below)"
    )
    some_members = frozenset(tables.requests["member_uin"].iloc[: args.requests // 10])
    scenarios = {
        "no change": {},
        "J10 requires both": {"params": params.replace(j10_require_both=True)},
        "internal types 1-9 verified": {
            "params": params.replace(verified_internal_types=frozenset(range(1, 10)))
        },
        "as_of + 30 days": {"params": params.replace(as_of=params.as_of.replace(day=1, month=12))},
        "settle all open orders": {"edits": [SettleOpenOrders()]},
        "settle orders of 10% of members": {"edits": [SettleOpenOrders(some_members)]},
        "all four edits": {
            "edits": [SettleOpenOrders(), TopUpBalances(), ClearVouchers("void"), BindCard()]
        },
    }
    worst = 0.0
    for name, scenario in scenarios.items():
        seconds = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = whatif(tables, baseline, **scenario)
            seconds.append(time.perf_counter() - start)
        worst = max(worst, statistics.median(seconds))
        print(
            f"{name:<32} best {min(seconds):.3f}s  median {statistics.median(seconds):.3f}s  "
            f"({len(result.changed)} verdicts changed)"
        )
    verdict = "OK" if worst < TARGET_SECONDS else "SLOWER THAN TARGET"
    print(
        f"worst median {worst:.3f}s for {args.requests} requests (target < {TARGET_SECONDS} s): {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
