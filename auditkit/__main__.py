"""`python -m auditkit`, the same as the `auditkit` command."""

from auditkit.cli import run

run()
