from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.onboarding.tables import TABLES

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="onboarding",
    migrations_folder_path=str(ROOT / "migrations" / "onboarding"),
    table_classes=list(TABLES),
    migration_dependencies=["app.sellers.piccolo_app", "app.catalog.piccolo_app", "app.messaging.piccolo_app"],
    commands=[],
)
