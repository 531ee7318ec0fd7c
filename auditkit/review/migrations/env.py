"""Alembic environment: migrate the connection auditkit hands over (never a URL of its own).

`auditkit.review.database.migrate` opens the transaction, takes the lock that
keeps concurrent processes from migrating at once, and passes the connection
in `config.attributes["connection"]`; migrations run inside that transaction.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
