"""`auditkit check` at scale on either engine: wall time, phases, and peak memory of all processes.

Run by hand, one size at a time (the 10M set needs ~17 GiB to build and ~4 GB of disk):

    python benchmarks/bench_scale.py --requests 200000 --engine pandas
    python benchmarks/bench_scale.py --requests 1000000 --engine dask
    python benchmarks/bench_scale.py --requests 1000000 --engine pandas --at requested --history
    python benchmarks/bench_scale.py --requests 10000000 --engine dask --memory-limit 3.5GiB

The data sets are demo data under benchmarks/data/ (built once): by default the
four snapshot tables only (`auditkit demo --snapshot-only`: 1.2 accounts, 6
orders and 0.36 vouchers per request); `--history` builds the full demo with
history and judged decisions, which `--at requested` needs. Memory is sampled
every 0.1 s as the sum of the resident memory of `auditkit` and every process
it started (a Dask cluster's scheduler, nannies and workers), so the peak is
the cluster's whole footprint. Each run appends one JSON line to
benchmarks/data/results.jsonl.

Targets (issue 13, 2 cores): pandas snapshot 200k <= 1.5 s, 1M <= 5 s with
peak <= 2 GiB; Dask 10M requests completes within 8 GiB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
AUDITKIT = Path(sys.executable).with_name("auditkit")
PHASE = re.compile(r"\[auditkit\] (.+?) done in ([0-9.]+)s")


def build(requests: int, history: bool) -> Path:
    name = f"r{requests}" + ("-history" if history else "")
    data = HERE / "data" / name
    marker = data / ".complete"
    if marker.exists():
        return data
    argv = ["demo", "--out", str(data), "--requests", str(requests), "--format", "parquet"]
    argv += [] if history else ["--snapshot-only"]
    start = time.perf_counter()
    subprocess.run([str(AUDITKIT), *argv], check=True, stdout=subprocess.DEVNULL)
    marker.touch()
    print(f"built {data} in {time.perf_counter() - start:.0f}s")
    return data


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def run(argv: list[str]) -> dict[str, object]:
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(child.pid)
    peak = [0]

    def sample() -> None:
        while child.poll() is None:
            with contextlib.suppress(psutil.Error):
                peak[0] = max(peak[0], tree_rss(watched))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    phases = {name: float(seconds) for name, seconds in PHASE.findall(err)}
    return {
        "wall": wall,
        "peak_mib": peak[0] / 2**20,
        "phases": phases,
        "code": child.returncode,
        "stdout": out,
        "stderr": err,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=("pandas", "dask"), default="pandas")
    parser.add_argument("--at", choices=("snapshot", "requested"), default="snapshot")
    parser.add_argument("--history", action="store_true", help="full demo data with history")
    parser.add_argument("--format", choices=("csv", "parquet"), default="parquet")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--memory-limit")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, help="where auditkit writes (default under data/)")
    parser.add_argument("--data", type=Path, help="an existing data folder (e.g. shapes.py's)")
    parser.add_argument("--auditkit", type=Path, default=AUDITKIT, help="the auditkit to run")
    args = parser.parse_args()
    data = args.data or build(args.requests, args.history or args.at == "requested")
    out = args.out or HERE / "data" / f"out-{args.engine}-{args.requests}"
    argv = [str(args.auditkit), "check", "--data", str(data), "--out", str(out)]
    argv += ["--as-of", "2026-11-01"]
    argv += ["--format", args.format, "--at", args.at, "--engine", args.engine]
    if args.workers:
        argv += ["--workers", str(args.workers)]
    if args.memory_limit:
        argv += ["--memory-limit", args.memory_limit]
    for _ in range(args.repeat):
        result = run(argv)
        print(result["stderr"].strip())
        print((result["stdout"] or "").splitlines()[:1])
        record = {k: v for k, v in result.items() if k not in ("stdout", "stderr")}
        record |= {
            "requests": args.requests,
            "engine": args.engine,
            "at": args.at,
            "format": args.format,
            "history": args.history,
            "data": str(data),
            "auditkit": str(args.auditkit),
        }
        print(json.dumps(record))
        with (HERE / "data" / "results.jsonl").open("a") as log:
            log.write(json.dumps(record) + "\n")
        if result["code"]:
            return int(result["code"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
