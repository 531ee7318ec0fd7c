"""What the explorer opens: the data directory, snapshot date and export folder.

`auditkit explore` passes them to the notebook's kernel as environment
variables (`vocab.EnvVar`); a notebook may also pass them directly.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import NamedTuple

from auditkit.io.tables import Tables, load_tables
from auditkit.params import Params
from auditkit.vocab import EnvVar, Moment

DEFAULT_DEMO_REQUESTS = 2000
DEFAULT_EXPORTS = "auditkit-exports"
DEMO_SOURCE = "the built-in demo data"


class Opened(NamedTuple):
    """Tables and params to explore, and a label saying where they came from."""

    tables: Tables
    params: Params
    source: str


def export_dir() -> Path:
    """Where exports are written: $AUDITKIT_EXPLORE_EXPORTS, else ./auditkit-exports."""
    return Path(os.environ.get(EnvVar.EXPORTS) or Path.cwd() / DEFAULT_EXPORTS)


def load(
    data_dir: str | Path | None = None,
    as_of: str | dt.date | None = None,
    demo_requests: int | None = None,
    at: str | None = None,
) -> Opened:
    """The data to explore; environment variables fill what is not given.

    With no data directory the bundled demo data set (which has history) is
    generated in memory.
    """
    data_dir = data_dir or os.environ.get(EnvVar.DATA) or None
    as_of = as_of or os.environ.get(EnvVar.AS_OF) or None
    at = Moment(at or os.environ.get(EnvVar.AT) or Moment.SNAPSHOT)
    if data_dir:
        params = Params(as_of=as_of, at=at) if as_of else Params(at=at)
        tables = load_tables(data_dir, require_history=params.at_requested)
        return Opened(tables, params, str(data_dir))
    import auditkit.demo as demo

    requests = demo_requests or int(os.environ.get(EnvVar.DEMO_REQUESTS) or DEFAULT_DEMO_REQUESTS)
    tables = demo.tables(requests=requests)
    return Opened(tables, Params(as_of=as_of or demo.DEFAULT_AS_OF, at=at), DEMO_SOURCE)


def review_db() -> str | None:
    """The review register the explorer records findings in: $AUDITKIT_EXPLORE_DB, else none."""
    return os.environ.get(EnvVar.REVIEW_DB) or None


def reviewer() -> str:
    """Who reviews: $AUDITKIT_USER (set by `auditkit explore --user`), else the OS user."""
    import getpass

    given = os.environ.get(EnvVar.USER, "").strip()
    if given:
        return given
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        return "unknown"
