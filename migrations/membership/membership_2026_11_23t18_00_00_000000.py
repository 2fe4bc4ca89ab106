"""Change feed for membership (app/core/changes.py): a change of member_level or points_settings sends
NOTIFY jishi_catalog 'membership' at commit, so every process drops its cached levels and points settings
(app/membership/services.py) and an admin's edit applies on the next request."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T18:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "membership_change_feed"

FORWARDS = [
    """CREATE OR REPLACE FUNCTION jishi_notify_membership() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        PERFORM pg_notify('jishi_catalog', 'membership');
        RETURN NULL;
    END
    $fn$""",
    *(
        f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION jishi_notify_membership()"
        for table in ("member_level", "points_settings")
    ),
]

BACKWARDS = [
    *(f"DROP TRIGGER IF EXISTS {table}_changed ON {table}" for table in ("member_level", "points_settings")),
    "DROP FUNCTION IF EXISTS jishi_notify_membership()",
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
