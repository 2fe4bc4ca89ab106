from app.core.errors import DomainError, RateLimited


class LoginFailed(DomainError):
    code = "login_failed"


class AccountBanned(DomainError):
    code = "account_banned"
    status_code = 403


class TooManyAttempts(RateLimited):
    code = "too_many_attempts"
