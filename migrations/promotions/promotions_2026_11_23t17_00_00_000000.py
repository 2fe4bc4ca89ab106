"""Order items by the sources in their adjustments: a promotion's statistics look up "promo:<id>" with @> (and so
can coupons, flash sales and points with their own sources) instead of reading every order item."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "order_item_adjustment_sources"

FORWARDS = ["CREATE INDEX IF NOT EXISTS order_item_adjustments ON order_item USING gin (adjustments jsonb_path_ops)"]
BACKWARDS = ["DROP INDEX IF EXISTS order_item_adjustments"]


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
