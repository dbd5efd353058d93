"""Alembic environment for the audit store.

There is no alembic.ini: :func:`bot.audit.store.migrate` builds the Alembic config in
code and hands over an open connection in ``config.attributes["connection"]``.
"""

from __future__ import annotations

from alembic import context

from bot.audit.models import metadata

VERSION_TABLE = "audit_alembic_version"  # own name: the database may be shared with others


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run audit migrations through bot.audit.store.migrate()")
_run(connection)
