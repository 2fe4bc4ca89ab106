"""An index on audit_log (target_type, target_id, id): the user detail page's status history, the ban reasons of the
user list and the audit log's target filter read one target's rows without scanning the whole log."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-23T19:08:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit_log_target_index"

FORWARDS = ["CREATE INDEX IF NOT EXISTS audit_log_target_idx ON audit_log (target_type, target_id, id)"]
BACKWARDS = ["DROP INDEX IF EXISTS audit_log_target_idx"]


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
