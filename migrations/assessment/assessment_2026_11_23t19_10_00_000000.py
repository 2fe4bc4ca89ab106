"""Indexes of the assessment app: one proposal per shop and day (the sweep may run twice or concurrently), and
the small partial index the search ranking bonus reads (active measures that carry a bonus)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "assessment indexes"

FORWARDS = [
    "CREATE UNIQUE INDEX IF NOT EXISTS shop_measure_one_proposal_a_day ON shop_measure (shop, proposed_day) "
    "WHERE proposed_day IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS shop_measure_active_bonus ON shop_measure (shop) INCLUDE (bonus, ends_at) "
    "WHERE status = 'active' AND bonus <> 0",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS shop_measure_one_proposal_a_day",
    "DROP INDEX IF EXISTS shop_measure_active_bonus",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="assessment", description=DESCRIPTION)

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
