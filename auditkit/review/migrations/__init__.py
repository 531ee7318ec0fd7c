"""Alembic migrations of the review register's schema, applied by `auditkit.review.database.migrate`."""
