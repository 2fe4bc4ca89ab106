"""search_keyword_day: the search log rolled up per UTC day and keyword (app.catalog.search.rollup_searches,
run by the worker's sweep), so hot searches and search suggestions never scan the raw log, which grows by
every search made in the mall."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "search_keyword_day"

FORWARDS = [
    """CREATE TABLE IF NOT EXISTS search_keyword_day (
        day date NOT NULL,
        keyword text NOT NULL,
        searches integer NOT NULL DEFAULT 0,
        searchers integer NOT NULL DEFAULT 0,
        found_searches integer NOT NULL DEFAULT 0,
        found_searchers integer NOT NULL DEFAULT 0,
        max_results integer NOT NULL DEFAULT 0,
        last_at timestamptz NOT NULL,
        PRIMARY KEY (day, keyword)
    )""",
]

BACKWARDS = [
    "DROP TABLE IF EXISTS search_keyword_day",
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
