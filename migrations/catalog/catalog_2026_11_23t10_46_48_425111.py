"""Search (docs/decisions/0008-search.md): product.search_vector (jieba tokens, written by
app.catalog.search.reindex_products) with a GIN index on active products, pg_trgm for "did you mean", and
search_term, the vocabulary behind as-you-type suggestions (rebuilt by app.catalog.search.refresh_terms)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T10:46:48:425111"
VERSION = "1.38.0"
DESCRIPTION = "search"

FORWARDS = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE product ADD COLUMN IF NOT EXISTS search_vector tsvector",
    "CREATE INDEX IF NOT EXISTS product_search_vector_active ON product USING gin (search_vector) "
    "WHERE status = 'active'",
    "CREATE INDEX IF NOT EXISTS product_title_trgm_active ON product USING gin (lower(title) gin_trgm_ops) "
    "WHERE status = 'active'",
    'CREATE INDEX IF NOT EXISTS search_history_user_recent ON search_history ("user", searched_at DESC)',
    """CREATE TABLE IF NOT EXISTS search_term (
        term text PRIMARY KEY,
        pinyin text NOT NULL DEFAULT '',
        initials text NOT NULL DEFAULT '',
        product_count integer NOT NULL DEFAULT 0,
        search_count integer NOT NULL DEFAULT 0,
        refreshed_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX IF NOT EXISTS search_term_prefix ON search_term (term text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS search_term_pinyin ON search_term (pinyin text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS search_term_initials ON search_term (initials text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS search_term_trgm ON search_term USING gin (term gin_trgm_ops)",
]

BACKWARDS = [
    "DROP TABLE IF EXISTS search_term",
    "DROP INDEX IF EXISTS search_history_user_recent",
    "DROP INDEX IF EXISTS product_title_trgm_active",
    "DROP INDEX IF EXISTS product_search_vector_active",
    "ALTER TABLE product DROP COLUMN IF EXISTS search_vector",
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
