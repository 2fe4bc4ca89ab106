"""create_app(): the Litestar app with its plugins, middleware and lifespan. `asgi` is what servers run:
the app wrapped by ServeStatic (hashed, precompressed static files) and the security headers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.types import ASGIApp
from servestatic import ServeStaticASGI

from app.accounts.address_controllers import ROUTES as ADDRESS_ROUTES
from app.accounts.controllers import AccountStorefrontController, UserAdminController
from app.accounts.services import load_principal
from app.aftersales.controllers import ROUTES as AFTERSALES_ROUTES
from app.analytics.capture import CaptureMiddleware
from app.analytics.capture import flush as flush_events
from app.analytics.controllers import ROUTES as ANALYTICS_ROUTES
from app.analytics.experiments import ROUTES as EXPERIMENT_ROUTES
from app.assessment.controllers import ROUTES as ASSESSMENT_ROUTES
from app.cart.controllers import ROUTES as CART_ROUTES
from app.cart.web import CartBadgeMiddleware
from app.catalog.controllers import CatalogStorefrontController
from app.catalog.images import cached_picture
from app.catalog.listing_controllers import ListingStorefrontController
from app.catalog.search import enable_batched_log, flush_search_log, warm_up
from app.catalog.seller_controllers import ROUTES as SELLER_CATALOG_ROUTES
from app.catalog.seo import product_jsonld
from app.complaints.controllers import ROUTES as COMPLAINT_ROUTES
from app.config import Settings, get_settings
from app.core import changes
from app.core.db import close_pool, start_pool
from app.coupons.controllers import ROUTES as COUPON_ROUTES
from app.flash.admission import SoldOutFastPath
from app.flash.controllers import ROUTES as FLASH_ROUTES
from app.membership.controllers import ROUTES as MEMBERSHIP_ROUTES
from app.messaging.controllers import ROUTES as MESSAGING_ROUTES
from app.moderation.controllers import AuditAdminController
from app.moderation.review_controllers import ROUTES as MODERATION_ROUTES
from app.onboarding.controllers import ROUTES as ONBOARDING_ROUTES
from app.operations.controllers import ROUTES as OPERATIONS_ROUTES
from app.orders.buyer_controllers import ROUTES as BUYER_ORDER_ROUTES
from app.orders.checkout_controllers import ROUTES as CHECKOUT_ROUTES
from app.orders.seller_controllers import ROUTES as SELLER_ORDER_ROUTES
from app.payments.controllers import ROUTES as PAYMENT_ROUTES
from app.promotions.controllers import ROUTES as PROMOTION_ROUTES
from app.promotions.engine import hint_text
from app.reviews.controllers import ROUTES as REVIEW_ROUTES
from app.sellers.controllers import ROUTES as SELLER_ROUTES
from app.sellers.shipping_controllers import ROUTES as SHIPPING_ROUTES
from app.settlement.controllers import ROUTES as SETTLEMENT_ROUTES
from app.web.auth import AuthMiddleware
from app.web.errors import EXCEPTION_HANDLERS
from app.web.locale import LocaleMiddleware
from app.web.media import media_router
from app.web.pagecache import PageCacheMiddleware
from app.web.security import SecurityHeadersMiddleware
from app.web.session import PostgresStore, SessionConfig
from app.web.shell import HealthController, ShellAdminController
from app.web.static import static_root
from app.web.templating import template_config
from app.web.testhooks import test_routes
from app.worker import run_forever

ROUTES = [
    CatalogStorefrontController,
    ListingStorefrontController,
    AccountStorefrontController,
    *SELLER_ROUTES,
    *SELLER_CATALOG_ROUTES,
    *ONBOARDING_ROUTES,
    *MODERATION_ROUTES,
    *MESSAGING_ROUTES,
    *ADDRESS_ROUTES,
    *SHIPPING_ROUTES,
    *CART_ROUTES,
    *CHECKOUT_ROUTES,
    *PAYMENT_ROUTES,
    *BUYER_ORDER_ROUTES,
    *SELLER_ORDER_ROUTES,
    *PROMOTION_ROUTES,
    *COUPON_ROUTES,
    *FLASH_ROUTES,
    *MEMBERSHIP_ROUTES,
    *REVIEW_ROUTES,
    *AFTERSALES_ROUTES,
    *COMPLAINT_ROUTES,
    *SETTLEMENT_ROUTES,
    *ANALYTICS_ROUTES,
    *EXPERIMENT_ROUTES,
    *ASSESSMENT_ROUTES,
    *OPERATIONS_ROUTES,
    ShellAdminController,
    UserAdminController,
    AuditAdminController,
    HealthController,
]


def create_app(settings: Settings | None = None, *, manage_pool: bool = True) -> Litestar:
    settings = settings or get_settings()

    @asynccontextmanager
    async def database(_app: Litestar) -> AsyncIterator[None]:
        if not manage_pool:
            yield
            return
        await start_pool(min_size=settings.db_pool_min, max_size=settings.db_pool_max)
        await asyncio.to_thread(warm_up)  # jieba's dictionary, before the first search rather than during it
        worker = asyncio.create_task(run_forever()) if settings.run_worker else None
        feed = asyncio.create_task(changes.listen(settings.database_url))
        enable_batched_log()
        try:
            yield
        finally:
            for task in (worker, feed):
                if task:
                    task.cancel()
            await flush_search_log()
            await flush_events()
            await close_pool()

    session = SessionConfig(
        key="sid",
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        store="sessions",
        exclude=["^/healthz$", "^/readyz$"],
    )
    routes: list = [*ROUTES, *test_routes(settings.test_hooks)]
    if settings.storage_backend == "local":
        routes.append(media_router())
    return Litestar(
        route_handlers=routes,
        lifespan=[database],
        stores={"sessions": PostgresStore()},
        middleware=[
            session.middleware,
            DefineMiddleware(AuthMiddleware, loader=load_principal),
            LocaleMiddleware,
            CartBadgeMiddleware,  # the cart badge count for the layout: one indexed query, only for full pages
        ],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_httponly=True,
            cookie_samesite="lax",
            cookie_secure=settings.cookie_secure,
            # the product page's add-to-cart form is cached for everyone, so it carries no token: it is
            # checked for same origin instead (app/web/origin.py, decision 0013); payment notices come from the
            # provider's servers and are authenticated by their signature (app/payments)
            exclude=["^/healthz$", "^/readyz$", "^/cart/add$", "^/payments/notify/[a-z0-9_]+$", "^/_test/clock$"],
        ),
        # HTML compressed per response: brotli q2 is 4x cheaper than q4 for +9% bytes (measured on a product page);
        # static files come precompressed from ServeStatic
        compression_config=CompressionConfig(
            backend="brotli", brotli_quality=2, gzip_compress_level=4, minimum_size=800
        ),
        template_config=template_config(
            {"product_picture": cached_picture, "product_jsonld": product_jsonld, "hint_text": hint_text}
        ),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        debug=False,
        openapi_config=None,
    )


def wrap(app: ASGIApp, settings: Settings | None = None) -> ASGIApp:
    settings = settings or get_settings()
    static = ServeStaticASGI(
        # a flash-sale burst: the refused part is answered before sessions, CSRF and the database (decision 0016)
        # page views and response statuses are counted outside the cache, so cached pages count too (issue 9)
        CaptureMiddleware(
            PageCacheMiddleware(SoldOutFastPath(app), enabled=settings.page_cache, bypass_cookies=("sid", "cart"))
        ),
        root=str(static_root()),
        prefix="/static/",
        max_age=3600,
        immutable_file_test=r"\.[0-9a-f]{8,}\.\w+$",
    )
    images = ()
    if settings.storage_backend == "s3":  # product images come from the bucket (or its CDN)
        base = urlsplit(settings.s3_public_url or settings.s3_endpoint)
        images = (f"{base.scheme}://{base.netloc}",)
    return SecurityHeadersMiddleware(static, secure=settings.cookie_secure, image_origins=images)  # type: ignore[arg-type]


def create_asgi() -> ASGIApp:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return wrap(create_app())


def __getattr__(name: str) -> ASGIApp:
    """`app.main:asgi` for servers, built on first access (importing this module builds nothing)."""
    if name == "asgi":
        return create_asgi()
    raise AttributeError(name)
