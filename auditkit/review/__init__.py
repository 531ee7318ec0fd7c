"""The review register: what reviewers concluded about each finding, and who signed a report off.

`database` opens the register (SQLite file or any SQLAlchemy URL) and applies
the Alembic migrations in `migrations/`; `schema` declares its tables;
`register` is the one way in (`Register`: opening, transactions, failures),
handing each call to `recording` (runs and their findings, in bulk),
`transitions` (changes of state and their history) or `signing` (sign-offs),
which share `rows`; `changes` checks a change before it is recorded; `states`
turns the register's states into codes beside an evaluation's status matrix
and into the `review_state` column; `exchange` reads and writes the CSV files
of `review import` and `review export`.

This module stays light (no database library), so the command line can name
the default register without importing SQLAlchemy.
"""

from pathlib import Path

DEFAULT_DB = Path("reports") / "review.db"
