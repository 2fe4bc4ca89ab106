"""Payment errors: services raise these (messages are msgids); the web layer maps them to pages."""

from app.core.errors import DomainError


class PaymentError(DomainError):
    """The group cannot be paid now (paid already, cancelled, past its deadline)."""

    code = "payment_error"
    status_code = 409


class RefundError(DomainError):
    """A refund that cannot be made (more than what is left of the payment, nothing paid)."""

    code = "refund_error"


class BadNotice(Exception):
    """A provider notice that fails verification (bad or missing signature, unreadable body). Not a DomainError:
    nobody sees it but the provider, who gets a 400 and the log gets a line."""


class GatewayError(Exception):
    """The provider could not be reached or refused the call; the caller retries later."""


class RefundRefused(GatewayError):
    """The provider said no for good (not worth retrying): the refund is marked failed for a person to look at."""
