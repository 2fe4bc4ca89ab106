from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.accounts.tables import Address, PlatformRole, User

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(ROOT / "migrations" / "accounts"),
    table_classes=[User, PlatformRole, Address],
    migration_dependencies=["app.core.piccolo_app"],
    commands=[],
)
