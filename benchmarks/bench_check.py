"""End-to-end benchmark of `auditkit check --format parquet` on a large demo set.

Run by hand: `make bench` or `python benchmarks/bench_check.py --requests 1000000`.
Targets on a 2-core machine for 1M requests (~1.2M accounts, 6M orders,
360k vouchers): end to end <= 12 s, evaluation <= 4 s, peak RSS <= 3 GiB.
Prints the CLI's per-phase wall time and peak RSS, and the overall figures.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUDITKIT = Path(sys.executable).with_name("auditkit")


def build(requests: int, data: Path) -> None:
    marker = data / f".requests-{requests}"
    if marker.exists():
        print(f"reusing {data}")
        return
    start = time.perf_counter()
    subprocess.run(
        [
            str(AUDITKIT),
            "demo",
            "--out",
            str(data),
            "--requests",
            str(requests),
            "--format",
            "parquet",
        ],
        check=True,
    )
    for old in data.glob(".requests-*"):
        old.unlink()
    marker.touch()
    print(f"built demo set in {time.perf_counter() - start:.1f}s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "check")
    parser.add_argument("--out", type=Path, default=HERE / "data" / "check-out")
    args = parser.parse_args()
    build(args.requests, args.data)
    start = time.perf_counter()
    run = subprocess.run(
        [
            str(AUDITKIT),
            "check",
            "--data",
            str(args.data),
            "--out",
            str(args.out),
            "--format",
            "parquet",
            "--as-of",
            "2026-11-01",
        ],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(run.stderr)
    print(run.stdout.splitlines()[0] if run.stdout else "")
    print(f"end to end: {wall:.2f}s (target <= 12 s)")
    print(f"peak RSS of the check process: {peak_mib:.0f} MiB (target <= 3072 MiB)")
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
