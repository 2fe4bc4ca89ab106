from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-23T10:46:48:425111"
VERSION = "1.38.0"
DESCRIPTION = "search"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="", description=DESCRIPTION
    )

    def run():
        print(f"running {ID}")

    manager.add_raw(run)

    return manager
