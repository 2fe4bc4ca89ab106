from app.core.errors import DomainError, NotFound


class CouponNotFound(NotFound):
    code = "coupon_not_found"


class ClaimRefused(DomainError):
    """Sold out, limit reached, not started, ended, new users only, wrong code: the message says which."""

    code = "claim_refused"


class TemplateLocked(DomainError):
    """A change the template's state (claimed copies, ended) no longer allows."""

    code = "template_locked"
