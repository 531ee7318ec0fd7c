"""Where saved what-if scenarios are kept: the review register (`--db`), or a JSON file.

Both stores hold `SavedScenario` values by name; saving a name again replaces
it. The register's table (`explore_scenarios`, migration 0002) is declared
here, apart from the findings tables in `schema.py`. The JSON file (by
default `reports/scenarios.json`) is rewritten atomically under a lock, so two
sessions saving at once lose neither scenario.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from auditkit.analysis.scenarios import Outcome, SavedScenario, Scenario
from auditkit.errors import ParameterError
from auditkit.io.write import write_json
from auditkit.review import database
from auditkit.review.register import Register
from auditkit.review.rows import as_utc

DEFAULT_FILE = Path("reports") / "scenarios.json"
metadata = sa.MetaData()
scenarios = sa.Table(
    "explore_scenarios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text),
    sa.Column("data_key", sa.String(64)),
    sa.Column("saved_by", sa.String(128), nullable=False),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
)


class ScenarioStore(Protocol):
    """Saved scenarios by name."""

    label: str

    def list(self) -> list[SavedScenario]: ...

    def save(self, scenario: Scenario, outcome: Outcome | None, by: str) -> SavedScenario: ...


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _saved(definition: str, outcome: str | None, by: str, at: str) -> SavedScenario:
    return SavedScenario(
        scenario=Scenario.from_dict(json.loads(definition)),
        outcome=Outcome.from_dict(json.loads(outcome)) if outcome else None,
        saved_by=by,
        saved_at=at,
    )


class RegisterScenarios:
    """Scenarios in the review register, shared by everyone who opens it."""

    def __init__(self, register: Register) -> None:
        self.register = register
        self.label = f"review register {register.label}"

    def list(self) -> list[SavedScenario]:
        s = scenarios
        with self.register.engine.connect() as connection:
            rows = connection.execute(sa.select(s).order_by(s.c.name)).mappings().all()
        return [
            _saved(
                row["definition"],
                row["outcome"],
                row["saved_by"],
                as_utc(row["saved_at"]).isoformat(timespec="seconds"),  # type: ignore[union-attr]
            )
            for row in rows
        ]

    def save(self, scenario: Scenario, outcome: Outcome | None, by: str) -> SavedScenario:
        at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        values = {
            "name": scenario.name,
            "definition": json.dumps(scenario.to_dict(), sort_keys=True),
            "outcome": json.dumps(outcome.to_dict(), sort_keys=True) if outcome else None,
            "data_key": outcome.data_key if outcome else None,
            "saved_by": by,
            "saved_at": at,
        }
        with database.writing(self.register.engine) as connection:
            connection.execute(sa.delete(scenarios).where(scenarios.c.name == scenario.name))
            connection.execute(sa.insert(scenarios).values(**values))
        return SavedScenario(scenario, outcome, by, at.isoformat(timespec="seconds"))


class JsonScenarios:
    """Scenarios in one JSON file: {"scenarios": [{definition, outcome, saved_by, saved_at}]}."""

    def __init__(self, path: Path | str = DEFAULT_FILE) -> None:
        self.path = Path(path)
        self.label = str(self.path)

    def _read(self) -> list[dict[str, object]]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            raise ParameterError(f"scenarios file {self.path} cannot be read: {error}") from None
        return list(document.get("scenarios", []))

    def list(self) -> list[SavedScenario]:
        return [
            _saved(
                json.dumps(item["definition"]),
                json.dumps(item["outcome"]) if item.get("outcome") else None,
                str(item["saved_by"]),
                str(item["saved_at"]),
            )
            for item in sorted(self._read(), key=lambda item: item["definition"]["name"])  # type: ignore[index]
        ]

    def save(self, scenario: Scenario, outcome: Outcome | None, by: str) -> SavedScenario:
        saved = SavedScenario(scenario, outcome, by, now())
        entry = {
            "definition": scenario.to_dict(),
            "outcome": outcome.to_dict() if outcome else None,
            "saved_by": by,
            "saved_at": saved.saved_at,
        }
        with self._locked():
            kept = [i for i in self._read() if i["definition"]["name"] != scenario.name]  # type: ignore[index]
            write_json(self.path, {"scenarios": [*kept, entry]})
        return saved

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            yield
            return
        with self.path.with_name(f".{self.path.name}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
