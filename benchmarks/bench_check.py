"""End-to-end benchmark of `auditkit check --format parquet` on a large demo set, in both modes.

Run by hand: `make bench` or `python benchmarks/bench_check.py --requests 1000000`.
The demo set has ~1.2 accounts, 6 orders and 0.36 vouchers per request, with
history: 2 states per account, ~2 events per order and ~1.5 per voucher.
Targets on a 2-core machine for 1M requests: snapshot end to end <= 12 s,
evaluation <= 4 s, peak RSS <= 3 GiB; judging at requested_at (`--at
requested`) at most 1.5x the snapshot run on the same data.
Prints each run's per-phase wall time and peak RSS, then a side-by-side table.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUDITKIT = Path(sys.executable).with_name("auditkit")
PHASE = re.compile(r"\[auditkit\] (\w+) done in ([0-9.]+)s \(peak RSS ([0-9]+) MiB\)")


def build(requests: int, data: Path) -> None:
    marker = data / f".requests-{requests}-history"
    if marker.exists():
        print(f"reusing {data}")
        return
    start = time.perf_counter()
    argv = ["demo", "--out", str(data), "--requests", str(requests), "--format", "parquet"]
    subprocess.run([str(AUDITKIT), *argv], check=True)
    for old in data.glob(".requests-*"):
        old.unlink()
    marker.touch()
    print(f"built demo set in {time.perf_counter() - start:.1f}s")


def run_check(data: Path, out: Path, at: str) -> dict[str, object]:
    """One `auditkit check` run: wall time, peak RSS of that process, phases."""
    argv = [str(AUDITKIT), "check", "--data", str(data), "--out", str(out)]
    argv += ["--format", "parquet", "--as-of", "2026-11-01", "--at", at]
    start = time.perf_counter()
    process = subprocess.run(argv, capture_output=True, text=True)
    stdout, stderr = process.stdout, process.stderr
    wall = time.perf_counter() - start
    phases = {name: float(seconds) for name, seconds, _ in PHASE.findall(stderr)}
    peak = max((int(mib) for *_, mib in PHASE.findall(stderr)), default=0)
    print(f"--- --at {at} (exit {process.returncode})")
    print(stderr.strip())
    print(stdout.splitlines()[0] if stdout else "")
    return {"wall": wall, "peak": peak, "phases": phases, "code": process.returncode}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "check")
    parser.add_argument("--out", type=Path, default=HERE / "data" / "check-out")
    parser.add_argument("--at", choices=("snapshot", "requested", "both"), default="both")
    args = parser.parse_args()
    build(args.requests, args.data)
    modes = ("snapshot", "requested") if args.at == "both" else (args.at,)
    runs = {at: run_check(args.data, args.out / at, at) for at in modes}
    names = list(dict.fromkeys(name for run in runs.values() for name in run["phases"]))
    print("\nphase        " + "".join(f"{at:>12}" for at in modes))
    for name in names:
        cells = "".join(f"{runs[at]['phases'].get(name, 0):>11.2f}s" for at in modes)
        print(f"{name:<12} {cells}")
    print("end to end   " + "".join(f"{runs[at]['wall']:>11.2f}s" for at in modes))
    print("peak RSS     " + "".join(f"{runs[at]['peak']:>8} MiB" for at in modes))
    if len(runs) == 2:
        ratio = runs["requested"]["wall"] / runs["snapshot"]["wall"]
        print(f"requested / snapshot: {ratio:.2f}x (target <= 1.5x)")
    return max(run["code"] for run in runs.values())


if __name__ == "__main__":
    sys.exit(main())
