"""The register's migrations ship in the wheel, so an installed auditkit can create its schema."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from auditkit.review import database

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_holds_every_migration_file(tmp_path: Path):
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if built.returncode != 0 and "No matching distribution" in built.stderr:
        pytest.skip(f"cannot fetch the build backend: {built.stderr.strip()[-200:]}")
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("auditkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        path.relative_to(ROOT).as_posix()
        for path in database.MIGRATIONS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped and shipped <= names, sorted(shipped - names)
    assert "auditkit/review/migrations/env.py" in names
    assert "auditkit/review/migrations/versions/0001_review_register.py" in names
    # The explorer's table widget needs its browser side.
    assert {"auditkit/explore/grid.js", "auditkit/explore/grid.css"} <= names
