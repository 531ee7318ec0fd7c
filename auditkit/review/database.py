"""Where the review register lives and how it is opened: URL, engine, schema migrations.

`--db` takes a file path (an SQLite database, created when missing) or an
SQLAlchemy URL. PostgreSQL URLs without a driver (`postgresql://`,
`postgres://`) use psycopg 3. Opening applies every Alembic migration shipped
in `auditkit/review/migrations/` that the database has not seen yet, under a
lock, so several processes may open a new register at once.

SQLite is made fit for several writers: write-ahead logging (readers never
wait for the writer), a busy timeout (a writer waits for the other instead of
failing with "database is locked"), and write transactions that take the
write lock when they begin (`BEGIN IMMEDIATE`): a transaction that read first
and asked for the lock later could be refused, however long the timeout.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from auditkit.errors import ParameterError, RegisterError

BUSY_TIMEOUT_SECONDS = 120
MIGRATIONS = Path(__file__).parent / "migrations"
WRITE = "auditkit_write"  # execution option: this transaction will write
# Key of the PostgreSQL advisory lock held while migrating (any constant; "akrv" in ASCII).
MIGRATION_LOCK = 0x616B7276
SUPPORTED = ("sqlite", "postgresql")
PSYCOPG = "postgresql+psycopg"


def database_url(target: str | Path) -> URL:
    """The SQLAlchemy URL of `--db`: a file path means SQLite; refuse what cannot be a register."""
    given = str(target).strip()
    if not given:
        raise ParameterError(
            "--db is empty; give a file such as reports/review.db or a database URL "
            "such as postgresql://user@host/dbname"
        )
    if "://" not in given:
        return URL.create("sqlite+pysqlite", database=str(Path(given).expanduser().absolute()))
    try:
        url = make_url(given)
    except (ArgumentError, ValueError):
        raise ParameterError(f"--db {redacted(given)} is not a database URL") from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername=PSYCOPG)
    backend = url.get_backend_name()
    if backend not in SUPPORTED:
        raise ParameterError(
            f"--db {url.render_as_string(hide_password=True)}: the review register runs on "
            "SQLite (a file path) or PostgreSQL (postgresql://...), not on " + backend
        )
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ParameterError("--db needs an SQLite file, not an in-memory database")
        url = url.set(database=str(Path(url.database).expanduser().absolute()))
    return url


def describe(url: URL) -> str:
    """How the register is named in messages: an SQLite file's path, else the URL without password."""
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return redacted(url)


def redacted(url: str | URL) -> str:
    """A URL as it may be printed or stored: the password replaced by ***."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "(a malformed URL)"


def create(url: URL) -> Engine:
    """An engine for the register at `url`; SQLite connections get WAL and a busy timeout."""
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: object, _record: object) -> None:
        # The driver must not open transactions on its own: `_begin` does, in the right mode.
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        # Foreign keys stay declared but unenforced (SQLite's default): checking the parent
        # run of each row made recording a million findings 70% slower, and the register
        # only ever writes ids it has just created or read. PostgreSQL enforces them.
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")

    return engine


@contextlib.contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction that will write, committed when the block ends (SQLite: lock taken at once)."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection


def migrate(engine: Engine) -> str:
    """Bring the register's schema to the newest revision shipped; return that revision."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    head = scripts.get_current_head()
    with writing(engine) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        current = MigrationContext.configure(connection).get_current_revision()
        if current == head:
            return head
        if current is not None and not _known(scripts, current):
            raise RegisterError(
                f"the review register {redacted(engine.url)} has schema revision {current}, "
                f"which this auditkit does not know (its newest is {head}); upgrade auditkit"
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head


def _known(scripts: object, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return scripts.get_revision(revision) is not None  # type: ignore[attr-defined]
    except CommandError:
        return False
