"""Alembic migrations for every table listed in storage/tables.py."""
