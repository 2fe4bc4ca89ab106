from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="operations",
    migrations_folder_path=str(ROOT / "migrations" / "operations"),
    table_classes=table_finder(modules=["app.operations.tables"], exclude_imported=True),
    migration_dependencies=[
        "app.accounts.piccolo_app",
        "app.sellers.piccolo_app",
        "app.moderation.piccolo_app",
    ],
    commands=[],
)
