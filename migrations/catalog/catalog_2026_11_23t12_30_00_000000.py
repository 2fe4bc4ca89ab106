"""Change feed (app/core/changes.py): statement-level triggers NOTIFY jishi_catalog at commit with
'p:<product id>' for each product whose row, SKUs or images changed, or '*' when a statement touched more than
50 products, a shop or a category (every cached product page may show them). Statement-level with transition
tables, so a bulk load costs one notification, not one per row."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T12:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "change_feed"

BULK = 50

FORWARDS = [
    f"""CREATE OR REPLACE FUNCTION jishi_notify_products() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
        n integer;
        pid bigint;
    BEGIN
        IF TG_ARGV[0] = 'id' THEN
            SELECT count(DISTINCT id) INTO n FROM changed;
        ELSE
            SELECT count(DISTINCT product) INTO n FROM changed;
        END IF;
        IF n > {BULK} THEN
            PERFORM pg_notify('jishi_catalog', '*');
        ELSIF TG_ARGV[0] = 'id' THEN
            FOR pid IN SELECT DISTINCT id FROM changed LOOP
                PERFORM pg_notify('jishi_catalog', 'p:' || pid);
            END LOOP;
        ELSE
            FOR pid IN SELECT DISTINCT product FROM changed LOOP
                PERFORM pg_notify('jishi_catalog', 'p:' || pid);
            END LOOP;
        END IF;
        RETURN NULL;
    END
    $fn$""",
    """CREATE OR REPLACE FUNCTION jishi_notify_all() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
        PERFORM pg_notify('jishi_catalog', '*');
        RETURN NULL;
    END
    $fn$""",
]
for table, column in (("product", "id"), ("sku", "product"), ("product_image", "product")):
    for event, transition in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        FORWARDS.append(
            f"CREATE TRIGGER {table}_changed_{event.lower()} AFTER {event} ON {table} "
            f"REFERENCING {transition} TABLE AS changed FOR EACH STATEMENT "
            f"EXECUTE FUNCTION jishi_notify_products('{column}')"
        )
for table in ("shop", "category"):
    FORWARDS.append(
        f"CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION jishi_notify_all()"
    )

BACKWARDS = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_changed_{event} ON {table}"
        for table in ("product", "sku", "product_image")
        for event in ("insert", "update", "delete")
    ),
    "DROP TRIGGER IF EXISTS shop_changed ON shop",
    "DROP TRIGGER IF EXISTS category_changed ON category",
    "DROP FUNCTION IF EXISTS jishi_notify_products()",
    "DROP FUNCTION IF EXISTS jishi_notify_all()",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="catalog", description=DESCRIPTION)

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
