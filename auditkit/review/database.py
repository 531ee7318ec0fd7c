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

Commands that only read (`review export`, `review history`) open the register
read-only (`create(url, read_only=True)`): an SQLite file is opened in mode
`ro`, and when its folder cannot hold the write-ahead log's shared-memory file
and no log is pending, as `immutable` (every committed change is then in the
file itself). PostgreSQL needs only SELECT for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import URL, Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

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


def create(url: URL, read_only: bool = False) -> Engine:
    """An engine for the register at `url`; SQLite connections get WAL and a busy timeout.

    `read_only`: an engine that never writes (see the module's text); a missing
    SQLite file is refused instead of created.
    """
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if read_only:
        return _sqlite_reader(url)
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


def _sqlite_reader(url: URL) -> Engine:
    """A read-only engine for an SQLite register; `immutable` when nothing else can read it."""
    path = Path(str(url.database))
    if not path.is_file():
        raise ParameterError(f"--db {path}: there is no review register in this file")
    for mode in ("ro", "ro&immutable=1"):
        engine = create_engine(
            f"sqlite+pysqlite:///file:{quote(str(path))}?mode={mode}&uri=true",
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS},
        )
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
            return engine
        except DBAPIError as error:
            engine.dispose()
            wal = path.with_name(path.name + "-wal")
            if wal.is_file() and wal.stat().st_size:
                raise RegisterError(
                    f"the review register {path} cannot be read: {_first_line(error)}; its "
                    f"write-ahead log {wal.name} holds changes that only a reader allowed to "
                    "create files in its folder can see"
                ) from None
            last = error
    raise RegisterError(f"the review register {path} cannot be read: {_first_line(last)}")


def _first_line(error: DBAPIError) -> str:
    return str(error.orig or error).strip().splitlines()[0]


def revision(engine: Engine) -> tuple[str | None, str, bool]:
    """The register's schema revision, the newest this auditkit ships, and whether it knows it."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    scripts = ScriptDirectory.from_config(config)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    known = current is None or _known(scripts, current)
    return current, scripts.get_current_head(), known


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
