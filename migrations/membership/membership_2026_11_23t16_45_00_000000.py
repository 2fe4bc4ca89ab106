"""Indexes for the membership sweeps, which run every minute: today's birthdays (month and day of the birthday) and
members whose points expiry is not settled for last year yet."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T16:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "membership_sweep_indexes"

FORWARDS = [
    "CREATE INDEX IF NOT EXISTS member_profile_birthday_md ON member_profile "
    "((extract(month FROM birthday)::int), (extract(day FROM birthday)::int)) WHERE birthday IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS member_profile_expiry_settled ON member_profile (expiry_settled_year)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS member_profile_birthday_md",
    "DROP INDEX IF EXISTS member_profile_expiry_settled",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="membership", description=DESCRIPTION)

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
