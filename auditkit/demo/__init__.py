"""A deterministic synthetic data set that exercises every branch of every rule.

`generate` builds the snapshot at as_of (`snapshot`), a history consistent with
it (`history`), and platform decisions that follow each request's verdict at
its requested_at with a few mistakes (`decisions`); `write` saves it as CSV or
Parquet and `tables` returns it validated, as if written to CSV and loaded.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from auditkit.demo.decisions import decide
from auditkit.demo.files import as_csv_text, write
from auditkit.demo.history import with_history
from auditkit.demo.snapshot import DEFAULT_AS_OF, TRICKY_TEXT, evolve, first_request_day, snapshot
from auditkit.errors import ParameterError
from auditkit.io.tables import Tables, tables_from_frames


def check_options(requests: int, seed: int, months: int, request_months: int = 1) -> None:
    """Refuse sizes the generator would otherwise silently change (or crash on)."""
    for name, value, least in (
        ("requests", requests, 1),
        ("seed", seed, 0),
        ("months", months, 0),
        ("request-months", request_months, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ParameterError(f"--{name} must be at least {least}, got {value!r}")


def generate(
    requests: int = 2000,
    seed: int = 7,
    as_of: dt.date = DEFAULT_AS_OF,
    months: int = 0,
    request_months: int = 1,
    history: bool = True,
) -> dict[str, pd.DataFrame]:
    """Raw tables: text columns as strings, money as int64 cents in `<name>_cents`.

    Requests fall in the `request_months` calendar months before as_of. `months` > 0
    gives the same population that many months later: the snapshot 30 days
    earlier per month, then evolved month by month (see `snapshot.evolve`).
    Without `history`, only the four snapshot tables, with decisions drawn at
    random instead of judged (fast: for benchmarks of tens of millions of requests).
    """
    check_options(requests, seed, months, request_months)
    if months > 0:
        raw = snapshot(requests, seed, as_of - dt.timedelta(days=30 * months), request_months)
        for step in range(months):
            step_as_of = as_of - dt.timedelta(days=30 * (months - step - 1))
            raw = evolve(raw, seed * 1000 + step, step_as_of)
    else:
        raw = snapshot(requests, seed, as_of, request_months)
    if not history:
        return raw
    raw = with_history(raw, seed, as_of)
    decided = decide(raw["requests"], tables_from_frames(as_csv_text(raw)), as_of, seed)
    return raw | {"requests": decided}


def tables(
    requests: int = 2000,
    seed: int = 7,
    as_of: dt.date = DEFAULT_AS_OF,
    months: int = 0,
    request_months: int = 1,
) -> Tables:
    """The demo data set as validated, typed Tables in memory, exactly as if written to CSV and loaded."""
    raw = generate(requests, seed, as_of, months, request_months)
    return tables_from_frames(as_csv_text(raw))


__all__ = [
    "DEFAULT_AS_OF",
    "TRICKY_TEXT",
    "first_request_day",
    "generate",
    "tables",
    "write",
]
