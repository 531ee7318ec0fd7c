"""Benchmark data in the shapes users hand to auditkit, built from `auditkit demo` output.

- `demo`: `auditkit demo --format parquet` as written (money `decimal128(18,2)`, ids sorted);
- `pandas`: the same tables as a user's plain `pandas.DataFrame.to_parquet` writes them
  (`write_pandas_export`): money as float64, ids as `large_string`, rows shuffled, one
  extra column;
- `csv`: `auditkit demo --format csv` with the same seed (the same rows as text).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
AUDITKIT = Path(sys.executable).with_name("auditkit")
SHAPES = ("pandas", "demo", "csv")
MONEY = {
    "accounts": ("available_balance", "overdue_amount"),
    "orders": ("amount",),
    "vouchers": ("remaining_amount",),
    "account_history": ("available_balance", "overdue_amount"),
    "voucher_events": ("remaining_amount",),
}


def write_pandas_export(src: Path, dst: Path, seed: int) -> None:
    """Rewrite every Parquet table of `src` into `dst` the way plain pandas writes it.

    Money becomes float64 (the double nearest to each decimal value), text columns
    `large_string` (pandas 3's default string dtype), rows are shuffled, and each table
    gains one extra column (`exported_by`), which the contract carries through.
    """
    dst.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for path in sorted(Path(src).glob("*.parquet")):
        frame = pq.read_table(path).to_pandas(types_mapper=_pandas_types)
        for column in MONEY.get(path.stem, ()):
            frame[column] = frame[column].astype("float64")
        frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
        frame["exported_by"] = "finance-extract"
        frame.to_parquet(dst / path.name, index=False)


def _pandas_types(arrow_type: pa.DataType):
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow")
    if pa.types.is_decimal(arrow_type):
        return None  # Decimal objects, turned to float64 above
    return None


def build(requests: int, shape: str, seed: int = 7, history: bool = False) -> Path:
    """The data folder of `shape` at `requests` requests under benchmarks/data/ (built once)."""
    name = f"peer-r{requests}-s{seed}" + ("-history" if history else "")
    folder = HERE / "data" / name / shape
    if (folder / ".complete").exists():
        return folder
    if shape == "pandas":
        source = build(requests, "demo", seed, history)
        started = time.perf_counter()
        write_pandas_export(source, folder, seed)
    else:
        started = time.perf_counter()
        argv = [str(AUDITKIT), "demo", "--out", str(folder), "--requests", str(requests)]
        argv += ["--seed", str(seed), "--format", "parquet" if shape == "demo" else "csv"]
        argv += [] if history else ["--snapshot-only"]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (folder / ".complete").touch()
    print(f"built {folder} in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    return folder
