"""Piccolo configuration: one PostgreSQL engine, one app per domain (see DESIGN.md)."""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

from app.config import get_settings

# force_custom_plan: asyncpg prepares statements, and after five runs PostgreSQL may switch a search to a
# generic plan that ignores the actual filter values (measured: 24 ms → 59 ms on 100k products).
DB = PostgresEngine(
    config={"dsn": get_settings().database_url, "server_settings": {"plan_cache_mode": "force_custom_plan"}},
    extensions=(),
)

APP_REGISTRY = AppRegistry(
    apps=[
        "app.core.piccolo_app",
        "app.accounts.piccolo_app",
        "app.sellers.piccolo_app",
        "app.moderation.piccolo_app",
        "app.catalog.piccolo_app",
        "app.messaging.piccolo_app",
        "app.onboarding.piccolo_app",
        "app.cart.piccolo_app",
        "app.orders.piccolo_app",
        "app.payments.piccolo_app",
        "app.promotions.piccolo_app",
        "app.coupons.piccolo_app",
        "app.flash.piccolo_app",
        "app.membership.piccolo_app",
        "app.reviews.piccolo_app",
        "app.aftersales.piccolo_app",
        "app.complaints.piccolo_app",
        "app.settlement.piccolo_app",
        "app.analytics.piccolo_app",
        "app.assessment.piccolo_app",
        "app.operations.piccolo_app",
    ]
)
