"""Change feed for accounts (app/core/changes.py): a change of a user row or of their platform roles sends
NOTIFY jishi_catalog 'u:<user id>' at commit ('u*' when a statement touched more than 50 users), so each
process drops its cached copy of that signed-in user at once (a ban or "log out everywhere" applies on the
next request, in every process)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "user_change_feed"

FORWARDS = [
    """CREATE OR REPLACE FUNCTION jishi_notify_users() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        n integer;
        uid bigint;
    BEGIN
        IF TG_ARGV[0] = 'id' THEN
            SELECT count(DISTINCT id) INTO n FROM changed;
        ELSE
            SELECT count(DISTINCT "user") INTO n FROM changed;
        END IF;
        IF n > 50 THEN
            PERFORM pg_notify('jishi_catalog', 'u*');
        ELSIF TG_ARGV[0] = 'id' THEN
            FOR uid IN SELECT DISTINCT id FROM changed LOOP
                PERFORM pg_notify('jishi_catalog', 'u:' || uid);
            END LOOP;
        ELSE
            FOR uid IN SELECT DISTINCT "user" FROM changed LOOP
                PERFORM pg_notify('jishi_catalog', 'u:' || uid);
            END LOOP;
        END IF;
        RETURN NULL;
    END
    $fn$""",
]
for table, column in (("app_user", "id"), ("platform_role", "user")):
    for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        FORWARDS.append(
            f"CREATE TRIGGER {table}_changed_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {transition} TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION jishi_notify_users('{column}')"
        )

BACKWARDS = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_changed_{event} ON {table}"
        for table in ("app_user", "platform_role")
        for event in ("insert", "update", "delete")
    ),
    "DROP FUNCTION IF EXISTS jishi_notify_users()",
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
