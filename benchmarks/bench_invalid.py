"""Refusing invalid input stays as fast as checking valid input.

Run by hand: `python benchmarks/bench_invalid.py` (400k requests: 2.4M order rows).
Builds a CSV demo set once, then a copy in which every order row is invalid (one
kind of defect per run, see DEFECTS), and times `auditkit check` on both,
alternating, `--repeat` times each. Target: refusing the invalid set takes at most
twice the wall time of checking the valid one. Prints wall time and peak RSS of
every run and the ratio of the medians.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AUDITKIT = Path(sys.executable).with_name("auditkit")
TABLES = ("accounts", "orders", "vouchers", "requests")
# column position in orders.csv -> the value every row gets
DEFECTS = {
    "amount": (4, "1.005"),  # money with three decimals
    "status": (3, "paid"),  # not one of the statuses
    "uin": (1, ""),  # a required value left empty
}


def build(requests: int, data: Path) -> None:
    marker = data / f".requests-{requests}"
    if marker.exists():
        print(f"reusing {data}")
        return
    subprocess.run(
        [str(AUDITKIT), "demo", "--out", str(data), "--requests", str(requests)],
        check=True,
        capture_output=True,
    )
    for old in data.glob(".requests-*"):
        old.unlink()
    marker.touch()


def spoil(valid: Path, invalid: Path, defect: str) -> None:
    """A copy of `valid` whose every order row carries `defect`."""
    invalid.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        if table != "orders":
            (invalid / f"{table}.csv").write_bytes((valid / f"{table}.csv").read_bytes())
    position, value = DEFECTS[defect]
    field = r'("[^"]*"|[^,\n]*)'
    pattern = re.compile(rf"^((?:{field},){{{position}}}){field}", re.M)
    header, body = (valid / "orders.csv").read_text("utf-8").split("\n", 1)
    body = pattern.sub(lambda m: m.group(1) + value, body)
    (invalid / "orders.csv").write_text(header + "\n" + body, "utf-8")


def run_check(data: Path, out: Path) -> tuple[float, float, int, str]:
    """(wall seconds, peak RSS MiB, exit status, first stderr line) of one check."""
    command = [
        "/usr/bin/time",
        "-f",
        "%M",
        str(AUDITKIT),
        "check",
        "--data",
        str(data),
        "--out",
        str(out),
        "--as-of",
        "2026-11-01",
    ]
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    *lines, peak_kib = run.stderr.strip().splitlines()  # /usr/bin/time -f %M prints last
    first = next((line for line in lines if not line.startswith("[auditkit]")), "")
    peak_mib = int(peak_kib) / 1024
    return wall, peak_mib, run.returncode, first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400_000)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "invalid")
    parser.add_argument("--defect", choices=sorted(DEFECTS), default="amount")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    valid, invalid = args.data / "valid", args.data / f"invalid-{args.defect}"
    build(args.requests, valid)
    spoil(valid, invalid, args.defect)
    times: dict[str, list[float]] = {"valid": [], "invalid": []}
    for _ in range(args.repeat):
        for kind, data in (("valid", valid), ("invalid", invalid)):
            wall, peak, status, first = run_check(data, args.data / f"out-{kind}")
            times[kind].append(wall)
            print(f"{kind:8} exit {status}  {wall:6.2f}s  peak RSS {peak:6.0f} MiB  {first[:90]}")
    ratio = statistics.median(times["invalid"]) / statistics.median(times["valid"])
    print(
        f"median: valid {statistics.median(times['valid']):.2f}s, "
        f"invalid {statistics.median(times['invalid']):.2f}s, ratio {ratio:.2f} (target <= 2)"
    )
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
