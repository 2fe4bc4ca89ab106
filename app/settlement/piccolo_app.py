from pathlib import Path

from piccolo.conf.apps import AppConfig, table_finder

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="settlement",
    migrations_folder_path=str(ROOT / "migrations" / "settlement"),
    table_classes=table_finder(modules=["app.settlement.tables"], exclude_imported=True),
    migration_dependencies=[
        "app.accounts.piccolo_app",
        "app.sellers.piccolo_app",
        "app.catalog.piccolo_app",
        "app.orders.piccolo_app",
        "app.payments.piccolo_app",
    ],
    commands=[],
)
