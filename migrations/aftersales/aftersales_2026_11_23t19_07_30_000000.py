"""Requests over several items (after_sale_item): every existing request becomes one item row (its whole item
quantity, its asked, refunded and restocked amounts), and the one-open-request-per-item rule moves from the request
(after_sale_one_open) to its items (after_sale_item_one_open), so a request for several items still blocks each of
them and two concurrent requests for the same item still end as one. Plus a check on the item rows' amounts."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:07:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "after_sale_item_one_open"

OPEN = "('requested', 'approved', 'buyer_shipped', 'received', 'reshipped', 'escalated')"

FORWARDS = [
    "INSERT INTO after_sale_item (after_sale, order_item, quantity, amount_fen, refunded_fen, restocked_qty, open) "
    "SELECT a.id, a.order_item, i.quantity, a.amount_fen, a.refunded_fen, a.restocked_qty, a.status IN " + OPEN + " "
    "FROM after_sale a JOIN order_item i ON i.id = a.order_item "
    "WHERE NOT EXISTS (SELECT 1 FROM after_sale_item x WHERE x.after_sale = a.id)",
    "CREATE UNIQUE INDEX after_sale_item_one_open ON after_sale_item (order_item) WHERE open",
    "CREATE UNIQUE INDEX after_sale_item_once ON after_sale_item (after_sale, order_item)",
    "ALTER TABLE after_sale_item ADD CONSTRAINT after_sale_item_amounts "
    "CHECK (quantity > 0 AND amount_fen >= 0 AND refunded_fen >= 0 AND restocked_qty >= 0)",
    "DROP INDEX IF EXISTS after_sale_one_open",
]

BACKWARDS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS after_sale_one_open ON after_sale (order_item) "
    "WHERE status IN ('requested', 'approved', 'buyer_shipped', 'received', 'escalated')",
    "ALTER TABLE after_sale_item DROP CONSTRAINT IF EXISTS after_sale_item_amounts",
    "DROP INDEX IF EXISTS after_sale_item_once",
    "DROP INDEX IF EXISTS after_sale_item_one_open",
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
