"""Indexes the offers read by: the active promotions of a shop (and the platform's, shop NULL) by kind; the
active promotions that end soonest (the end sweep)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "promotion_indexes"

FORWARDS = [
    "CREATE INDEX IF NOT EXISTS promotion_live_by_shop ON promotion (shop, kind) WHERE status = 'active'",
    "CREATE INDEX IF NOT EXISTS promotion_live_platform ON promotion (kind) WHERE status = 'active' AND shop IS NULL",
    "CREATE INDEX IF NOT EXISTS promotion_due_to_end ON promotion (ends_at) WHERE status IN ('active', 'paused', 'draft')",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS promotion_due_to_end",
    "DROP INDEX IF EXISTS promotion_live_platform",
    "DROP INDEX IF EXISTS promotion_live_by_shop",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="promotions", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        for sql in FORWARDS:
            await engine.run_ddl(sql)

    async def run_backwards() -> None:
        engine = engine_finder()
        for sql in BACKWARDS:
            await engine.run_ddl(sql)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
