"""A throwaway PostgreSQL cluster from Debian's binaries, for the register tests and CI.

    python3 tests/pgcluster.py start DIR   # prints the cluster's URL
    python3 tests/pgcluster.py stop DIR

The cluster lives in DIR (data, log and Unix socket; no TCP port is opened),
trusts local connections as the `postgres` role, and runs without fsync: it
holds test data only. PostgreSQL refuses to run as root, so as root the
commands run as the `postgres` user (created by Debian's package) through
runuser. Standard library only: CI runs this before any virtual environment
exists.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

PORT = 5432  # only names the socket file inside DIR; nothing listens on TCP
SERVICE_USER = "postgres"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why."""


def binaries() -> Path:
    """The folder holding initdb and pg_ctl: the newest of /usr/lib/postgresql/*/bin, or PATH."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    raise Unavailable(
        "no PostgreSQL server binaries (initdb, pg_ctl); Debian: apt-get install postgresql"
    )


def _as_service_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser") is None:
        raise Unavailable("running as root without runuser: cannot start PostgreSQL as postgres")
    try:
        import pwd

        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise Unavailable(f"running as root and there is no {SERVICE_USER} user") from None
    return ["runuser", "-u", SERVICE_USER, "--", *argv]


def _run(argv: list[str]) -> None:
    done = subprocess.run(_as_service_user(argv), capture_output=True, text=True)
    if done.returncode != 0:
        raise Unavailable(f"{' '.join(argv[:2])} failed: {(done.stderr or done.stdout).strip()}")


def url_of(folder: Path) -> str:
    return f"postgresql://{SERVICE_USER}@/postgres?host={folder / 'socket'}&port={PORT}"


def start(folder: Path) -> str:
    """Create and start a cluster in `folder` (which must be empty or new); return its URL."""
    folder = Path(folder).absolute()
    bin_dir = binaries()
    (folder / "socket").mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        import pwd

        try:
            entry = pwd.getpwnam(SERVICE_USER)
        except KeyError:
            raise Unavailable(f"running as root and there is no {SERVICE_USER} user") from None
        for path in (folder, folder / "socket"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            SERVICE_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
    )
    options = f"-k {folder / 'socket'} -p {PORT} -c listen_addresses='' -c fsync=off"
    _run(
        [
            str(bin_dir / "pg_ctl"),
            "-D",
            str(folder / "data"),
            "-l",
            str(folder / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    return url_of(folder)


def stop(folder: Path) -> None:
    """Stop the cluster in `folder` (immediately: its data is thrown away)."""
    folder = Path(folder).absolute()
    if (folder / "data" / "postmaster.pid").exists():
        _run([str(binaries() / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"])


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if argv[0] == "start":
            print(start(Path(argv[1])))
        else:
            stop(Path(argv[1]))
    except Unavailable as error:
        print(f"pgcluster: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
