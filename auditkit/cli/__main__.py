"""`python -m auditkit.cli`, the same as the `auditkit` command."""

from auditkit.cli import run

run()
