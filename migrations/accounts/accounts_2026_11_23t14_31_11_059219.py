from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-23T14:31:11:059219"
VERSION = "1.38.0"
DESCRIPTION = "address_district_towns"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Address",
        tablename="address",
        column_name="district",
        db_column_name="district",
        params={"length": 12},
        old_params={"length": 6},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
