from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.core.tables import RateCounter, SessionEntry

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="core",
    migrations_folder_path=str(ROOT / "migrations" / "core"),
    table_classes=[SessionEntry, RateCounter],
    migration_dependencies=[],
    commands=[],
)
