"""Piccolo configuration: one PostgreSQL engine, one app per domain (see DESIGN.md)."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from app.config import get_settings

DB = PostgresEngine(config={"dsn": get_settings().database_url}, extensions=())

APP_REGISTRY = AppRegistry(
    apps=[
        "app.core.piccolo_app",
        "app.accounts.piccolo_app",
        "app.sellers.piccolo_app",
        "app.moderation.piccolo_app",
        "app.catalog.piccolo_app",
    ]
)
