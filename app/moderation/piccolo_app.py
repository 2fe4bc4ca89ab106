from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.moderation.tables import AuditLog, ProductRevision, SensitiveWord

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="moderation",
    migrations_folder_path=str(ROOT / "migrations" / "moderation"),
    table_classes=[AuditLog, SensitiveWord, ProductRevision],
    migration_dependencies=["app.accounts.piccolo_app", "app.catalog.piccolo_app"],
    commands=[],
)
