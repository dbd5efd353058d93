"""Alembic: the migrations build exactly the tables the code expects, up and down."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.audit import models
from bot.audit.store import current_revision, make_engine, migrate


def test_migrated_schema_matches_models(db_url):
    engine = make_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # idempotent
        assert current_revision(engine) == "0001"
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [
                d
                for d in compare_metadata(ctx, models.metadata)
                if not (d[0] == "remove_table" and d[1].name == "audit_alembic_version")
            ]
        assert diff == []
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_again(db_url):
    from alembic import command

    from bot.audit.store import _alembic_config

    engine = make_engine(db_url)
    try:
        migrate(engine)
        with engine.execution_options(audit_write=True).connect() as conn:
            command.downgrade(_alembic_config(conn), "base")
            conn.commit()
        assert current_revision(engine) is None
        migrate(engine)
        assert current_revision(engine) == "0001"
    finally:
        engine.dispose()


def test_cli_migrate(h, settings, capsys):
    code, out, _ = h.run_cli(capsys, "migrate")
    assert code == 0 and "revision 0001" in out
