"""One open after-sales request per order item: a partial unique index, so two concurrent requests for the same
item end as one (the second insert fails and the service reports the request already open). Plus the sweep's
index over open requests by deadline."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T18:07:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "after_sale_one_open"

FORWARDS = [
    "CREATE UNIQUE INDEX after_sale_one_open ON after_sale (order_item) "
    "WHERE status IN ('requested', 'approved', 'buyer_shipped', 'received', 'escalated')",
    "CREATE INDEX after_sale_shop_status ON after_sale (shop, status, created_at)",
    "CREATE INDEX after_sale_buyer_created ON after_sale (buyer, created_at)",
]

BACKWARDS = [
    f"DROP INDEX IF EXISTS {name}"
    for name in ("after_sale_one_open", "after_sale_shop_status", "after_sale_buyer_created")
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="aftersales", description=DESCRIPTION)

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
