"""What --auto cannot write: one open payment per order group (a partial unique index, so a double click on "pay"
reuses the open payment), and the indexes the payment sweeps read by (pending refunds and the sandbox's undelivered
notices, by due time)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T14:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "payment_indexes"

FORWARDS = [
    'CREATE UNIQUE INDEX IF NOT EXISTS payment_one_open_per_group ON payment ("group") WHERE status = \'created\'',
    "CREATE INDEX IF NOT EXISTS refund_pending_due ON refund (next_attempt_at) WHERE status = 'pending'",
    "CREATE INDEX IF NOT EXISTS sandbox_notice_pending_due ON sandbox_notice (next_attempt_at) "
    "WHERE status = 'pending'",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS sandbox_notice_pending_due",
    "DROP INDEX IF EXISTS refund_pending_due",
    "DROP INDEX IF EXISTS payment_one_open_per_group",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="payments", description=DESCRIPTION)

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
