from app.core.errors import DomainError, NotFound


class OrderNotFound(NotFound):
    code = "order_not_found"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class InsufficientStock(DomainError):
    code = "insufficient_stock"


class CheckoutError(DomainError):
    code = "checkout_error"
