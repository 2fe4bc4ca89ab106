"""The cart's domain errors: each carries a msgid the web layer translates."""

from app.core.errors import DomainError, NotFound


class CartError(DomainError):
    code = "cart_error"


class InvalidQuantity(CartError):
    code = "invalid_quantity"


class SkuUnavailable(CartError):
    """The SKU does not exist, is not on sale, its shop is not open, or it is sold out: it cannot be added."""

    code = "sku_unavailable"


class CartLimit(CartError):
    """Nothing more of this SKU can go into the cart (stock or the per-line maximum is reached)."""

    code = "cart_limit"


class NotInCart(NotFound):
    code = "not_in_cart"
