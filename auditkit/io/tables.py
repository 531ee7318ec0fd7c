"""Typed input tables: load a data directory (read once, check, type) or in-memory frames.

Files are checked by the Arrow backend (`auditkit.io.fast`), frames built in memory by
the pandera backend (`auditkit.io.validate`); both read values with `auditkit.io.normal`
and word problems with `auditkit.io.problems`, so the same data gives the same tables,
or the same refusal, whichever way it came in.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from auditkit.contract import ALL_TABLES, HISTORY_TABLES, TABLE_NAMES
from auditkit.errors import InputError, Problem, Unlisted
from auditkit.io.fast import check_table, link_problems
from auditkit.io.normal import Normalised, normalise_table
from auditkit.io.read import SourceFile, find_table_files, read_files
from auditkit.io.validate import validate_frame
from auditkit.progress import Progress

# Tables checked and typed at once (one per core of the reference machine).
CHECK_THREADS = 2


@dataclass(frozen=True)
class Tables:
    """The typed input tables. Money columns are int64 cents named `<column>_cents`.

    The four v1 tables are always there; the history tables of contract v1.1
    section 4 (`account_history`, `order_events`, `voucher_events`) are None
    when the data directory has none. `sources` describes the file each table
    was read from (empty for frames built in memory); its sha256 is of the
    very bytes that were parsed.
    """

    accounts: pd.DataFrame
    orders: pd.DataFrame
    vouchers: pd.DataFrame
    requests: pd.DataFrame
    sources: dict[str, SourceFile] = field(default_factory=dict)
    account_history: pd.DataFrame | None = None
    order_events: pd.DataFrame | None = None
    voucher_events: pd.DataFrame | None = None

    def __getitem__(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    @property
    def names(self) -> tuple[str, ...]:
        """The tables present: the four v1 tables, then the history tables there are."""
        return tuple(name for name in ALL_TABLES if self[name] is not None)

    @property
    def has_history(self) -> bool:
        return all(self[name] is not None for name in HISTORY_TABLES)

    def replace(self, **frames: pd.DataFrame | None) -> Tables:
        return Tables(
            **{name: frames.get(name, self[name]) for name in ALL_TABLES}, sources=self.sources
        )

    def row_counts(self) -> dict[str, int]:
        return {name: len(self[name]) for name in self.names}


# ---- entry points ------------------------------------------------------------------


def load_tables(
    data_dir: Path | str, progress: Progress | None = None, require_history: bool = False
) -> Tables:
    """Load, check and type the tables of `data_dir`; raise InputError listing all defects.

    Each file is read once (Arrow; its bytes hashed as they are parsed), checked by Arrow
    kernels and typed from the values read. The history tables are read, checked and
    typed when present; with `require_history` (judging at requested_at) a missing one is
    an input error.
    """
    required = TABLE_NAMES + (HISTORY_TABLES if require_history else ())
    optional = () if require_history else HISTORY_TABLES
    files = find_table_files(Path(data_dir), required, optional)
    note = progress or (lambda _: None)
    note("load")
    raw, problems = read_files(files)
    note("validate")
    unlisted: list[Unlisted] = []
    normal: dict[str, Normalised] = {}
    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        # Arrow's and numpy's kernels release the GIL: the tables are checked side by side,
        # the largest first. Problems are gathered in table order, whatever finishes first.
        largest_first = sorted(raw, key=lambda table: -raw[table].arrow.num_rows)
        checked = {
            table: pool.submit(check_table, table, raw[table].arrow, raw[table].rows)
            for table in largest_first
        }
        for table in raw:
            normal[table], found, more = checked[table].result()
            problems += found
            unlisted += more
    if not problems:
        found, more = link_problems(normal, {table: read.rows for table, read in raw.items()})
        problems += found
        unlisted += more
    if problems:
        raise InputError(problems, {table: path.name for table, path in files.items()}, unlisted)
    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        typed = dict(zip(normal, pool.map(Normalised.typed, normal.values()), strict=True))
    return Tables(**typed, sources={table: read.source for table, read in raw.items()})


def arrow_of(frame: pd.DataFrame) -> pa.Table:
    """A pandas frame as Arrow, column by column (a name may repeat); text kept as text."""
    arrays = []
    for name in frame.columns:
        values = frame[name] if isinstance(frame[name], pd.Series) else frame[name].iloc[:, 0]
        if values.dtype == object:
            values = values.astype("str")
        arrays.append(pa.array(values, from_pandas=True))
    return pa.Table.from_arrays(arrays, names=[str(name) for name in frame.columns])


def convert(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The typed frame of a raw frame known to be valid (strings as in CSV, or native types)."""
    data, problems = normalise_table(table, arrow_of(frame))
    if problems:
        raise InputError(problems)
    return data.typed()


def tables_from_frames(frames: dict[str, pd.DataFrame]) -> Tables:
    """Check and type in-memory raw frames (strings as in CSV, or native types), e.g. built in
    a notebook or test, with the pandera backend.

    The four v1 tables are required; history tables are taken when given.
    """
    problems: list[Problem] = []
    unlisted: list[Unlisted] = []
    normal: dict[str, Normalised] = {}
    for table in ALL_TABLES:
        if table in frames:
            arrow = arrow_of(frames[table].reset_index(drop=True))
            normal[table], found, more = validate_frame(table, arrow)
            problems += found
            unlisted += more
        elif table in TABLE_NAMES:
            problems.append(Problem(table, None, None, None, "table is missing"))
    if not problems:
        found, more = link_problems(normal)
        problems += found
        unlisted += more
    if problems:
        raise InputError(problems, unlisted=unlisted)
    return Tables(**{table: data.typed() for table, data in normal.items()})
