"""Address book rules the ORM cannot express: at most one default address per user (a partial unique index),
and a mobile that is a mainland number."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T14:23:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "address_one_default"

FORWARDS = [
    'CREATE UNIQUE INDEX address_one_default ON address ("user") WHERE is_default',
    "ALTER TABLE address ADD CONSTRAINT address_mobile_format CHECK (mobile ~ '^1[3-9][0-9]{9}$')",
]
BACKWARDS = [
    "ALTER TABLE address DROP CONSTRAINT IF EXISTS address_mobile_format",
    "DROP INDEX IF EXISTS address_one_default",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

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
