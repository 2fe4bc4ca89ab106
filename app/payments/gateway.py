"""The payment gateway interface. Our payment services speak only to a `Gateway`; which one is chosen by
`Settings.payment_provider` from `PROVIDERS`, so a real provider (Alipay, WeChat Pay) plugs in by adding its module
to the registry and setting the config, with no change to the services. Only the sandbox is implemented
(app/payments/sandbox.py); it behaves like the real ones: a hosted cashier page, signed asynchronous notices retried
until acknowledged, idempotent refunds, a status query.

What each provider must do:
- `create_payment`: open a trade for our payment number (idempotent: the same number again returns the same trade)
  and return the URL to send the buyer to.
- `verify_notice`: check the signature over the raw body and parse it into a `Notice`, or raise `BadNotice`.
  `ack` is what our endpoint answers once a notice is handled (Alipay and the sandbox expect "success").
- `refund`: refund part or all of a paid trade, idempotent by `key` (Alipay's out_request_no).
- `query`: the trade's status as the provider sees it (a fallback when a notice is late)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from app.config import Settings, get_settings


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    payment_no: str  # our trade number
    amount_fen: int
    subject: str  # what the cashier shows, e.g. "Jishi order 2611230123456789"
    merchant: str  # our name as the cashier shows it
    return_url: str  # where the buyer goes after paying
    cancel_url: str  # where the buyer goes when abandoning the payment
    notify_url: str  # where the provider posts its signed notices
    expire_at: datetime  # the provider refuses to take the money after this (the group's deadline)


@dataclass(frozen=True, slots=True)
class Notice:
    """A verified notice: `event_id` is unique per event at the provider (a retry of one event keeps it)."""

    event_id: str
    payment_no: str
    provider_txn_id: str
    amount_fen: int
    status: str  # paid | failed | closed
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    refund_id: str
    status: str  # succeeded | pending (the provider is still working on it: query again later)


@dataclass(frozen=True, slots=True)
class PaymentState:
    status: str  # waiting | paid | closed | unknown
    provider_txn_id: str = ""
    amount_fen: int = 0
    paid_at: datetime | None = None


class Gateway(Protocol):
    name: str
    ack: str  # the body that tells the provider a notice was handled

    async def create_payment(self, request: PaymentRequest) -> str: ...

    def verify_notice(self, headers: Mapping[str, str], body: bytes) -> Notice: ...

    async def refund(
        self, *, payment_no: str, provider_txn_id: str, amount_fen: int, key: str, reason: str
    ) -> RefundResult: ...

    async def query(self, *, payment_no: str) -> PaymentState: ...


def _sandbox(settings: Settings) -> Gateway:
    from app.payments.sandbox import SandboxGateway

    return SandboxGateway(settings)


# name -> factory. A real provider adds e.g. "alipay": lambda s: AlipayGateway(app_id=..., keys from Settings).
PROVIDERS: dict[str, Callable[[Settings], Gateway]] = {"sandbox": _sandbox}


def gateway(name: str | None = None) -> Gateway:
    """The configured provider, or a named one (a notice names its provider in the URL)."""
    settings = get_settings()
    name = name or settings.payment_provider
    try:
        factory = PROVIDERS[name]
    except KeyError:
        raise LookupError(f"unknown payment provider {name!r}") from None
    return factory(settings)


# ---------------------------------------------------------------------------------------------------------------
# HMAC signing, shared by the sandbox (which signs) and its verifier (our side)

SIGNATURE_HEADER = "X-Sandbox-Signature"


def notify_key(settings: Settings | None = None) -> bytes:
    """The HMAC key: PAYMENT_NOTIFY_SECRET, else one derived from SECRET_KEY (never the secret key itself)."""
    settings = settings or get_settings()
    if settings.payment_notify_secret:
        return settings.payment_notify_secret.encode()
    return hmac.new(settings.secret_key.encode(), b"jishi payment notify v1", hashlib.sha256).digest()


def sign(body: bytes, key: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, signature: str | None, key: bytes) -> bool:
    if not signature:
        return False
    return hmac.compare_digest(sign(body, key), signature.strip())
