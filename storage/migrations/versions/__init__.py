"""Alembic revisions for the newsmon store."""
