"""The sandbox's signed notices: what verifies, what does not (tampered body, wrong key, missing or malformed
header, unreadable body), the derived key, and the retry schedule."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest

from app.config import Settings
from app.payments.errors import BadNotice
from app.payments.gateway import SIGNATURE_HEADER, notify_key, sign, signature_valid
from app.payments.sandbox import BACKOFF_SECONDS, SandboxGateway, next_delay

SETTINGS = Settings(database_url="postgresql://unused", secret_key="k" * 40, payment_notify_secret="s3cret")


def body(**overrides: object) -> bytes:
    data = {
        "event_id": "e1",
        "out_trade_no": "P2611230000000001",
        "txn_id": "SBX1",
        "amount_fen": 12345,
        "status": "paid",
        "paid_at": "2026-11-23T10:00:00+00:00",
        **overrides,
    }
    return json.dumps(data).encode()


def signed(raw: bytes, key: bytes = b"s3cret") -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(raw, key)}


def test_a_signed_notice_verifies_and_parses() -> None:
    raw = body()
    notice = SandboxGateway(SETTINGS).verify_notice(signed(raw), raw)
    assert (notice.event_id, notice.payment_no, notice.provider_txn_id) == ("e1", "P2611230000000001", "SBX1")
    assert (notice.amount_fen, notice.status) == (12345, "paid")
    assert notice.at is not None and notice.at.year == 2026


def test_the_header_name_is_case_insensitive() -> None:
    raw = body()
    assert SandboxGateway(SETTINGS).verify_notice({SIGNATURE_HEADER.lower(): sign(raw, b"s3cret")}, raw)


def test_a_tampered_body_is_rejected() -> None:
    raw = body()
    headers = signed(raw)
    with pytest.raises(BadNotice):
        SandboxGateway(SETTINGS).verify_notice(headers, body(amount_fen=1))


def test_a_notice_signed_with_another_key_is_rejected() -> None:
    raw = body()
    with pytest.raises(BadNotice):
        SandboxGateway(SETTINGS).verify_notice(signed(raw, b"not-the-key"), raw)


@pytest.mark.parametrize("headers", [{}, {SIGNATURE_HEADER: ""}, {SIGNATURE_HEADER: "sha256="}, {"X-Other": "x"}])
def test_a_missing_or_empty_signature_is_rejected(headers: dict[str, str]) -> None:
    with pytest.raises(BadNotice):
        SandboxGateway(SETTINGS).verify_notice(headers, body())


def test_a_bare_hex_digest_without_the_scheme_is_rejected() -> None:
    raw = body()
    with pytest.raises(BadNotice):
        SandboxGateway(SETTINGS).verify_notice({SIGNATURE_HEADER: sign(raw, b"s3cret").removeprefix("sha256=")}, raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        json.dumps({"event_id": "e1"}).encode(),
        body(amount_fen="12.30"),
        body(amount_fen=True),
        body(status="refunded"),
        body(paid_at="yesterday"),
        b"[]",
    ],
)
def test_a_correctly_signed_but_unreadable_notice_is_rejected(raw: bytes) -> None:
    with pytest.raises(BadNotice):
        SandboxGateway(SETTINGS).verify_notice(signed(raw), raw)


def test_the_key_is_derived_from_the_secret_key_when_none_is_configured() -> None:
    derived = Settings(database_url="x", secret_key="a" * 40)
    other = Settings(database_url="x", secret_key="b" * 40)
    assert notify_key(derived) != notify_key(other)
    assert notify_key(derived) != b"a" * 40  # never the secret key itself
    assert notify_key(SETTINGS) == b"s3cret"
    raw = body()
    assert signature_valid(raw, sign(raw, notify_key(derived)), notify_key(derived))
    assert not signature_valid(raw, sign(raw, notify_key(derived)), notify_key(other))


def test_failed_deliveries_back_off_then_give_up() -> None:
    assert next_delay(1) == timedelta(seconds=15)
    assert next_delay(2) == timedelta(minutes=1)
    assert next_delay(3) == timedelta(minutes=5)
    assert next_delay(4) == timedelta(minutes=30)
    delays = [next_delay(n) for n in range(1, len(BACKOFF_SECONDS) + 1)]
    assert all(a < b for a, b in itertools.pairwise(delays))  # type: ignore[operator]
    assert next_delay(len(BACKOFF_SECONDS) + 1) is None
