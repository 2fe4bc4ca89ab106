"""Flash sales (秒杀): the platform's sessions, sellers' nominations, approval (which moves the flash stock out of the
SKU's stock), what the storefront shows, the per-session results, and the sweep that gives unsold flash stock back
once a session is over. Buying goes through checkout (app/flash/checkout.py is what place_order calls).

Lock order: a SKU row before its flash item (approval), a flash item before its SKU only where no checkout can
still take it (the end-of-session sweep, a release after the stock went back), products last in id order.

A package of private modules (admin, sellers, storefront, stock) re-exported here."""

from app.flash.services._base import (
    ITEM_NOT_FOUND,
    SESSION_NOT_FOUND,
    SKU_NOT_FOUND,
    FlashError,
    ItemRow,
    SessionRow,
    local_input,
    parse_local,
)
from app.flash.services.admin import (
    SessionResults,
    admin_sessions,
    approve_item,
    cancel_session,
    create_session,
    get_session,
    item_session_id,
    reject_item,
    session_results,
    update_session,
)
from app.flash.services.sellers import (
    ShopNomination,
    ShopSku,
    nominate,
    open_sessions,
    shop_nominations,
    shop_skus,
    withdraw,
)
from app.flash.services.stock import return_unsold_stock
from app.flash.services.storefront import (
    BuyState,
    ShopperSession,
    bought,
    buy_state,
    default_session,
    shopper_session,
    storefront_sessions,
    strip_session,
)

__all__ = [
    "ITEM_NOT_FOUND",
    "SESSION_NOT_FOUND",
    "SKU_NOT_FOUND",
    "BuyState",
    "FlashError",
    "ItemRow",
    "SessionResults",
    "SessionRow",
    "ShopNomination",
    "ShopSku",
    "ShopperSession",
    "admin_sessions",
    "approve_item",
    "bought",
    "buy_state",
    "cancel_session",
    "create_session",
    "default_session",
    "get_session",
    "item_session_id",
    "local_input",
    "nominate",
    "open_sessions",
    "parse_local",
    "reject_item",
    "return_unsold_stock",
    "session_results",
    "shop_nominations",
    "shop_skus",
    "shopper_session",
    "storefront_sessions",
    "strip_session",
    "update_session",
    "withdraw",
]
