"""Carriers: the fixed list a seller ships with, tracking-number rules, and the sandbox carrier that produces a
shipment's tracking events.

A real carrier would push its events to us (a webhook, or a tracking API we poll); the sandbox one plans them at
shipping time with future timestamps — collected now, in transit after 6 hours, at the destination city after 30,
out for delivery after 40, delivered after 44 — and the pages show only the events whose time has come
(`at <= now`). The worker's sweep (fulfilment.deliver_due) moves an order to delivered once its "delivered" event
is due. Descriptions are msgids with %(city)s-style params, translated when shown.

Also here: the interleaved 2 of 5 bars for a shipping label's barcode (order numbers are 16 digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from app.core.i18n import N_


@dataclass(frozen=True, slots=True)
class Carrier:
    code: str
    name: str  # msgid


CARRIERS: tuple[Carrier, ...] = (
    Carrier("sf", N_("SF Express")),  # 顺丰速运
    Carrier("zto", N_("ZTO Express")),  # 中通快递
    Carrier("yto", N_("YTO Express")),  # 圆通速递
    Carrier("yunda", N_("Yunda Express")),  # 韵达快递
    Carrier("sto", N_("STO Express")),  # 申通快递
    Carrier("jd", N_("JD Logistics")),  # 京东物流
    Carrier("ems", N_("EMS")),  # 中国邮政 EMS
    Carrier("jt", N_("J&T Express")),  # 极兔速递
    Carrier("deppon", N_("Deppon Express")),  # 德邦快递
)
BY_CODE = {c.code: c for c in CARRIERS}

_TRACKING_NO = re.compile(r"^[A-Z0-9]{6,30}$")


def carrier_name(code: str) -> str:
    """The carrier's msgid (the code itself for an unknown one, e.g. from older data)."""
    found = BY_CODE.get(code)
    return found.name if found else code


def normalise_tracking_no(raw: str) -> str:
    """What a seller typed or scanned: spaces and dashes dropped, upper case."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def valid_tracking_no(value: str) -> bool:
    """6 to 30 letters or digits (ASCII), after normalising."""
    return bool(_TRACKING_NO.match(value))


# ---------------------------------------------------------------------------------------------------------------
# tracking events


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    status: str  # collected | in_transit | out_for_delivery | delivered
    description: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None


# (status, hours after shipping, where, msgid naming the place, msgid when the place is unknown)
_SCHEDULE: tuple[tuple[str, int, str, str, str], ...] = (
    ("collected", 0, "origin", N_("Collected by the courier in %(city)s"), N_("Collected by the courier")),
    ("in_transit", 6, "origin", N_("Left %(city)s for %(dest)s"), N_("On the way to %(dest)s")),
    ("in_transit", 30, "dest", N_("Arrived at the %(city)s sorting centre"), N_("Arrived at the sorting centre")),
    ("out_for_delivery", 40, "dest", N_("Out for delivery in %(city)s"), N_("Out for delivery")),
    ("delivered", 44, "dest", N_("Delivered in %(city)s and signed for"), N_("Delivered and signed for")),
)
DELIVERED_AFTER = timedelta(hours=44)


class TrackingSource(Protocol):
    name: str

    def plan(
        self, *, carrier: str, tracking_no: str, shipped_at: datetime, origin_city: str, destination_city: str
    ) -> list[PlannedEvent]: ...


class SandboxCarrier:
    """Behaves like a carrier's tracking feed: the same five steps for every parcel, at fixed offsets."""

    name = "sandbox"

    def plan(
        self, *, carrier: str, tracking_no: str, shipped_at: datetime, origin_city: str, destination_city: str
    ) -> list[PlannedEvent]:
        dest = destination_city or "—"
        events: list[PlannedEvent] = []
        for status, hours, where, named, unnamed in _SCHEDULE:
            city = origin_city if where == "origin" else destination_city
            params = {"city": city, "dest": dest} if city else {"dest": dest}
            events.append(PlannedEvent(status, named if city else unnamed, params, shipped_at + timedelta(hours=hours)))
        return events


def get_carrier() -> TrackingSource:
    return SandboxCarrier()


# ---------------------------------------------------------------------------------------------------------------
# interleaved 2 of 5 (ITF): a real, scannable numeric barcode, simple enough to draw as SVG rectangles

_ITF = {
    "0": "nnwwn",
    "1": "wnnnw",
    "2": "nwnnw",
    "3": "wwnnn",
    "4": "nnwnw",
    "5": "wnwnn",
    "6": "nwwnn",
    "7": "nnnww",
    "8": "wnnwn",
    "9": "nwnwn",
}
WIDE = 3  # wide element = 3 narrow units


def itf_bars(digits: str) -> tuple[list[tuple[int, int]], int] | None:
    """The bars of `digits` in ITF as ([(x, width), ...], total width), in narrow-module units, quiet zones of 10
    modules included. None when the text is not an even number of digits."""
    if not digits or len(digits) % 2 or not digits.isascii() or not digits.isdigit():
        return None
    widths: list[tuple[bool, int]] = [(True, 1), (False, 1), (True, 1), (False, 1)]  # start: narrow bar/space x2
    for i in range(0, len(digits), 2):
        bars, spaces = _ITF[digits[i]], _ITF[digits[i + 1]]
        for b, s in zip(bars, spaces, strict=True):
            widths.append((True, WIDE if b == "w" else 1))
            widths.append((False, WIDE if s == "w" else 1))
    widths += [(True, WIDE), (False, 1), (True, 1)]  # stop: wide bar, narrow space, narrow bar
    x, out = 10, []
    for is_bar, width in widths:
        if is_bar:
            out.append((x, width))
        x += width
    return out, x + 10
