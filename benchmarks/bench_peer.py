"""auditkit against a compact Polars peer, on the same data, in the same run, alternating.

    python benchmarks/bench_peer.py                      # 200k and 1M, three shapes, 3 rounds
    python benchmarks/bench_peer.py --requests 200000 --shape pandas --rounds 5

For each data shape (see shapes.py: `pandas`-written Parquet with float money and
shuffled ids, `demo` Parquet, `csv`) and size, each round runs `auditkit check
--format parquet` and `benchmarks/peer.py` (benchmarks/peer.py: reads, hashes, joins,
judges the 13 rules as codes, writes dictionary-encoded results and verdicts; no
validation, no reason sentences) one after the other, in alternating order, as child
processes of this one. The machine's absolute speed drifts with load, so what counts is
the ratio auditkit / peer within a round; the table shows the median ratio over rounds,
both medians in seconds, and peak memory (resident memory of the process tree, sampled
every 0.1 s). After the rounds, the two outputs are compared: every (request, rule)
status and every verdict column must agree (the peer follows contract v1.2). Each
result is appended to benchmarks/data/peer.jsonl.

Targets (issue 21): auditkit within 1.5x of the peer at 200k and 1M in every shape, at
most 2 GiB peak.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import run
from shapes import AUDITKIT, HERE, SHAPES, build

AS_OF = "2026-11-01"
VERDICT_COLUMNS = [
    "verdict",
    "failed_rules",
    "error_rules",
    "control_exception",
    "decision_code_check",
]


def commands(data: Path, shape: str) -> dict[str, list[str]]:
    out = HERE / "data" / "peer-out"
    auditkit = [
        str(AUDITKIT),
        "check",
        "--data",
        str(data),
        "--out",
        str(out / f"auditkit-{shape}"),
    ]
    auditkit += ["--as-of", AS_OF, "--format", "parquet"]
    peer = [sys.executable, str(HERE / "peer.py"), "--data", str(data)]
    peer += ["--out", str(out / f"peer-{shape}"), "--as-of", AS_OF]
    return {"auditkit": auditkit, "peer": peer}


def disagreements(shape: str) -> dict[str, int]:
    """Rows where auditkit and the peer differ: statuses per rule, then each verdict column."""
    out = HERE / "data" / "peer-out"
    key = ["request_id", "rule_id"]
    ours = pl.read_parquet(out / f"auditkit-{shape}" / "results.parquet", columns=[*key, "status"])
    peer = pl.read_parquet(out / f"peer-{shape}" / "results.parquet", columns=[*key, "status"])
    cast = [pl.col(c).cast(pl.String) for c in (*key, "status")]
    joined = ours.with_columns(cast).join(peer.with_columns(cast), on=key, how="full")
    found = {"results": int((joined["status"] != joined["status_right"]).fill_null(True).sum())}
    columns = ["request_id", *VERDICT_COLUMNS]
    a = pl.read_parquet(out / f"auditkit-{shape}" / "verdicts.parquet", columns=columns)
    b = pl.read_parquet(out / f"peer-{shape}" / "verdicts.parquet", columns=columns)
    strings = [pl.col(c).cast(pl.String).fill_null("") for c in columns]
    both = a.with_columns(strings).join(b.with_columns(strings), on="request_id", how="full")
    for column in VERDICT_COLUMNS:
        found[column] = int((both[column] != both[f"{column}_right"]).fill_null(True).sum())
    return found


def measure(requests: int, shape: str, rounds: int) -> dict[str, object]:
    data = build(requests, shape)
    argv = commands(data, shape)
    times: dict[str, list[float]] = {"auditkit": [], "peer": []}
    peaks: dict[str, list[float]] = {"auditkit": [], "peer": []}
    ratios = []
    for round_ in range(rounds):
        order = ("auditkit", "peer") if round_ % 2 == 0 else ("peer", "auditkit")
        for name in order:
            result = run(argv[name])
            if result["code"]:
                sys.exit(f"{name} failed on {data}:\n{result['stderr'][-2000:]}")
            times[name].append(result["wall"])
            peaks[name].append(result["peak_mib"])
        ratios.append(times["auditkit"][-1] / times["peer"][-1])
    return {
        "requests": requests,
        "shape": shape,
        "rounds": rounds,
        "ratio": statistics.median(ratios),
        "ratios": [round(r, 2) for r in ratios],
        "auditkit_s": statistics.median(times["auditkit"]),
        "peer_s": statistics.median(times["peer"]),
        "auditkit_peak_mib": max(peaks["auditkit"]),
        "peer_peak_mib": max(peaks["peer"]),
        "load": os.getloadavg()[0],
        "disagreements": disagreements(shape),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, action="append")
    parser.add_argument("--shape", choices=SHAPES, action="append")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for requests in args.requests or [200_000, 1_000_000]:
        for shape in args.shape or SHAPES:
            row = measure(requests, shape, args.rounds)
            rows.append(row)
            with (HERE / "data" / "peer.jsonl").open("a") as log:
                log.write(json.dumps(row) + "\n")
            print(json.dumps(row), file=sys.stderr)
    print(
        f"{'requests':>9} {'shape':<7} {'ratio':>6} {'auditkit s':>10} {'peer s':>7} "
        f"{'auditkit MiB':>12} {'peer MiB':>8} {'load':>5}  disagreements"
    )
    for r in rows:
        wrong = {k: v for k, v in r["disagreements"].items() if v} or "none"
        print(
            f"{r['requests']:>9} {r['shape']:<7} {r['ratio']:>6.2f} {r['auditkit_s']:>10.2f} "
            f"{r['peer_s']:>7.2f} {r['auditkit_peak_mib']:>12.0f} {r['peer_peak_mib']:>8.0f} "
            f"{r['load']:>5.1f}  {wrong}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
