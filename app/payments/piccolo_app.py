from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="payments",
    migrations_folder_path=str(ROOT / "migrations" / "payments"),
    table_classes=table_finder(modules=["app.payments.tables"], exclude_imported=True),
    migration_dependencies=["app.orders.piccolo_app"],
    commands=[],
)
