"""newsmon's store: SQLAlchemy models, Alembic migrations and queries.

Entry points: `storage.db` (engines, sessions, migrations, `StorageError`),
`storage.queries` (reads and writes), `storage.records` (plain dataclasses).
"""
