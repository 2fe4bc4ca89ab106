"""Indexes the order pages and sweeps read by: a shop's and a buyer's orders per tab, newest first; unpaid groups
by deadline (the timeout sweep); shipped orders by auto-confirm time (the auto-confirm sweep)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T14:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "order_indexes"

FORWARDS = [
    "CREATE INDEX IF NOT EXISTS shop_order_shop_tab ON shop_order (shop, status, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS shop_order_buyer_tab ON shop_order (buyer, status, created_at DESC)",
    "CREATE INDEX IF NOT EXISTS order_group_unpaid_deadline ON order_group (pay_deadline_at) "
    "WHERE status = 'pending_payment'",
    "CREATE INDEX IF NOT EXISTS shop_order_auto_confirm ON shop_order (auto_confirm_at) "
    "WHERE status IN ('shipped', 'delivered')",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS shop_order_auto_confirm",
    "DROP INDEX IF EXISTS order_group_unpaid_deadline",
    "DROP INDEX IF EXISTS shop_order_buyer_tab",
    "DROP INDEX IF EXISTS shop_order_shop_tab",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="orders", description=DESCRIPTION)

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
