"""Keys of the analytics rollups: one row per day and dimension (the sweep deletes a day and inserts it again), and
the indexes the rollup sweep reads events by."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "analytics_keys"

KEYS = {
    "analytics_daily_site": "day, shop",
    "analytics_daily_product": "day, product",
    "analytics_daily_category": "day, shop, category",
    "analytics_daily_buyer": "day, shop, buyer",
    "analytics_daily_active": "day, who",
    "analytics_daily_search": "day, keyword",
    "analytics_daily_campaign": "day, source, shop",
    "analytics_daily_stock": "day, shop",
    "analytics_daily_service": "day, shop",
    "analytics_daily_experiment": "day, experiment, variant",
}

FORWARDS = [
    *(f"CREATE UNIQUE INDEX {table}_key ON {table} ({cols})" for table, cols in KEYS.items()),
    "CREATE INDEX analytics_daily_active_first ON analytics_daily_active (first_day, who)",
    "CREATE INDEX analytics_daily_product_shop ON analytics_daily_product (shop, day)",
    "CREATE INDEX analytics_daily_buyer_buyer ON analytics_daily_buyer (shop, buyer, day)",
    "CREATE INDEX analytics_event_kind_at ON analytics_event (kind, at)",
]

BACKWARDS = [
    *(f"DROP INDEX IF EXISTS {table}_key" for table in KEYS),
    "DROP INDEX IF EXISTS analytics_daily_active_first",
    "DROP INDEX IF EXISTS analytics_daily_product_shop",
    "DROP INDEX IF EXISTS analytics_daily_buyer_buyer",
    "DROP INDEX IF EXISTS analytics_event_kind_at",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="analytics", description=DESCRIPTION)

    async def run():
        engine = engine_finder()
        for statement in FORWARDS:
            await engine.run_ddl(statement)

    async def run_backwards():
        engine = engine_finder()
        for statement in BACKWARDS:
            await engine.run_ddl(statement)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
