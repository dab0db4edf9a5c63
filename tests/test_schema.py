"""The database schema and its migrations (hookhub.schema), on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from hookhub import schema
from hookhub.store import Store


def tables_and_columns(engine: sa.Engine) -> dict[str, set[str]]:
    inspector = sa.inspect(engine)
    return {name: {c["name"] for c in inspector.get_columns(name)} for name in inspector.get_table_names()}


def test_migrating_an_empty_database_creates_the_declared_schema(store_url: str) -> None:
    store = Store(store_url)
    store.open()
    try:
        assert store.migrate() == len(schema.MIGRATIONS)
        found = tables_and_columns(store.engine)
        for table in schema.metadata.sorted_tables:
            assert table.name in found, table.name
            assert {c.name for c in table.columns} <= found[table.name], table.name
    finally:
        store.close()


def test_migrations_run_once_and_upgrade_an_old_database(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:  # a database left by version 2
            schema.schema_version.create(conn)
            schema.MIGRATIONS[0](conn)
            schema.MIGRATIONS[1](conn)
            conn.execute(sa.insert(schema.schema_version).values(version=2))
            conn.execute(sa.insert(schema.history), [{
                "id": "h1", "integration_id": "a", "ts": 1.0, "kind": "incoming", "status": 200}])
        assert "deliveries" not in tables_and_columns(engine) and "delivery_claims" not in tables_and_columns(engine)
    finally:
        engine.dispose()
    store = Store(store_url)
    store.open()
    try:
        assert store.migrate() == len(schema.MIGRATIONS)
        assert store.migrate() == len(schema.MIGRATIONS)  # nothing left to do
        found = tables_and_columns(store.engine)
        assert "delivery_id" in found["history"] and "item_key" in found["deliveries"]
        assert {"delivery_claims", "rate_counters", "periodic_jobs", "outbox_state"} <= set(found)
        rows = store.read_now(lambda c: list(c.execute(sa.select(schema.history.c.id))))
        assert [r.id for r in rows] == ["h1"]  # data kept across the upgrade
        versions = store.read_now(lambda c: [r.version for r in c.execute(sa.select(schema.schema_version))])
        assert versions == [len(schema.MIGRATIONS)]
    finally:
        store.close()


def test_every_migration_is_idempotent(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    try:
        for _ in range(2):
            for step in schema.MIGRATIONS:
                with engine.begin() as conn:
                    step(conn)
    finally:
        engine.dispose()


def _index_definitions(store: Store, table: str) -> dict[str, str]:
    """Index name → its SQL definition, as the database keeps it."""
    if store.engine.dialect.name == "sqlite":
        sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
    else:
        sql = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"
    return store.read_now(lambda c: {r[0]: r[1] for r in c.execute(sa.text(sql), {"t": table})})


def test_history_by_delivery_id_is_a_partial_index(store_url: str) -> None:
    """Webhooks without a delivery id (most) add no entry to it; a look-up by delivery id still finds its rows."""
    store = Store(store_url)
    store.open()
    try:
        store.migrate()
        found = _index_definitions(store, "history")
        assert "ix_history_delivery" not in found  # the full index of v3 is gone
        definition = found["ix_history_delivery_set"]
        assert "delivery_id IS NOT NULL" in definition.replace("(", "").replace(")", "")
        store.write_now(lambda c: c.execute(sa.insert(schema.history), [
            {"id": f"h{i}", "integration_id": "a", "ts": float(i), "kind": "incoming",
             "delivery_id": "d-1" if i == 3 else None} for i in range(6)]))
        t = schema.history
        rows = store.read_now(lambda c: list(c.execute(
            sa.select(t.c.id).where(t.c.integration_id == "a", t.c.delivery_id == "d-1"))))
        assert [r.id for r in rows] == ["h3"]
        if store.engine.dialect.name == "sqlite":
            plan = store.read_now(lambda c: " ".join(str(r[-1]) for r in c.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM history WHERE integration_id = 'a' AND delivery_id = 'd-1'")))
            assert "ix_history_delivery_set" in plan
    finally:
        store.close()
