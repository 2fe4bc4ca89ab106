from pathlib import Path

from piccolo.conf.apps import AppConfig

from app.messaging.tables import ChatMessage, Conversation, Notification, QuickReply

ROOT = Path(__file__).resolve().parent.parent.parent

APP_CONFIG = AppConfig(
    app_name="messaging",
    migrations_folder_path=str(ROOT / "migrations" / "messaging"),
    table_classes=[Notification, Conversation, ChatMessage, QuickReply],
    migration_dependencies=["app.accounts.piccolo_app", "app.sellers.piccolo_app"],
    commands=[],
)
