"""Alembic migrations; run them with `reviewer db upgrade`."""
