"""Change feed for system settings (app/core/changes.py): a change of system_setting sends NOTIFY jishi_catalog
'settings' at commit, so every process drops its cached values (app/operations/settings.py) and an operator's
edit applies on the next request."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:07:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "settings_change_feed"

FORWARDS = [
    """CREATE OR REPLACE FUNCTION jishi_notify_settings() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        PERFORM pg_notify('jishi_catalog', 'settings');
        RETURN NULL;
    END
    $fn$""",
    "CREATE TRIGGER system_setting_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON system_setting "
    "FOR EACH STATEMENT EXECUTE FUNCTION jishi_notify_settings()",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS system_setting_changed ON system_setting",
    "DROP FUNCTION IF EXISTS jishi_notify_settings()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="operations", description=DESCRIPTION)

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
