from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSONB
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T19:15:00:586861"
VERSION = "1.38.0"
DESCRIPTION = "flagged_words"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="complaints", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Complaint",
        tablename="complaint",
        column_name="flagged_words",
        db_column_name="flagged_words",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": "[]",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
