"""The address book (收货地址) under "me": receiver, mainland mobile, province / city / district from the bundled
region dataset, detail, tag (home / company) and one default.

Rules: at most MAX_ADDRESSES per user; the first address becomes the default; making another the default moves
the flag (a partial unique index keeps one per user); deleting the default promotes the newest that is left;
the default is moved, never simply removed. Every query is filtered by the user, so another user's address is
"not found". Each change locks the user's row first, so concurrent changes of one book run one after another.

The checkout calls address_snapshot() and stores the dict on the order: it keeps what the address was then."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.accounts import regions
from app.accounts.tables import Address
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_

MAX_ADDRESSES = 20
RECEIVER_MAX = 20
DETAIL_MAX = 120
TAGS = ("", "home", "company")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")

ADDRESS_NOT_FOUND = N_("This address does not exist.")
TOO_MANY = N_("You can keep at most %(num)s addresses. Delete one you no longer use first.")
ENTER_RECEIVER = N_("Enter the receiver's name.")
RECEIVER_TOO_LONG = N_("The receiver's name can have at most 20 characters.")
BAD_MOBILE = N_("Enter a valid mainland mobile number: 11 digits starting with 1.")
CHOOSE_PROVINCE = N_("Choose a province.")
CHOOSE_CITY = N_("Choose a city.")
CITY_NOT_IN_PROVINCE = N_("This city is not in the chosen province. Choose the city again.")
CHOOSE_DISTRICT = N_("Choose a district.")
DISTRICT_NOT_IN_CITY = N_("This district is not in the chosen city. Choose the district again.")
ENTER_DETAIL = N_("Enter the street, building and room number.")
DETAIL_TOO_LONG = N_("The detailed address can have at most 120 characters.")
CHOOSE_TAG = N_("Choose a tag from the list.")


@dataclass(frozen=True, slots=True)
class AddressView:
    id: int
    receiver: str
    mobile: str
    province_code: str
    city_code: str
    district_code: str
    detail: str
    tag: str
    is_default: bool
    created_at: datetime

    @property
    def province(self) -> str:
        return regions.name(self.province_code)

    @property
    def city(self) -> str:
        return regions.name(self.city_code)

    @property
    def district(self) -> str:
        return regions.name(self.district_code)

    @property
    def region(self) -> str:
        return region_text(self.province_code, self.city_code, self.district_code)

    @property
    def full(self) -> str:
        """One line, as written on a parcel: '上海市 浦东新区 世纪大道 100 号'."""
        return f"{self.region} {self.detail}".strip()

    @property
    def masked_mobile(self) -> str:
        return f"{self.mobile[:3]}****{self.mobile[-4:]}"


# ---------------------------------------------------------------- validation (pure)
def parse_mobile(raw: str) -> str | None:
    """'138 0013 8000', '+86 13800138000' → '13800138000'; None when it is not a mainland mobile number."""
    digits = re.sub(r"[\s-]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits if _MOBILE.match(digits) else None


def region_text(province: str, city: str, district: str) -> str:
    """'上海市 浦东新区': the Chinese names, the city left out when it repeats the province (municipalities)."""
    names = [regions.name(province), regions.name(city), regions.name(district)]
    if names[0] == names[1]:
        names.pop(1)
    return " ".join(n for n in names if n)


def place_errors(*, province: str, city: str, district: str, detail: str) -> dict[str, str]:
    """What is wrong with a region path and a detailed address (also used for shops' pickup points): at most
    one message per field, the first level that is wrong."""
    errors: dict[str, str] = {}
    p = regions.get(province)
    c = regions.get(city)
    if p is None or p.level != 1:
        errors["province"] = CHOOSE_PROVINCE
    elif c is None or c.level != 2:
        errors["city"] = CHOOSE_CITY
    elif c.parent != province:
        errors["city"] = CITY_NOT_IN_PROVINCE
    elif not regions.is_valid_path(province, city, district):
        errors["district"] = DISTRICT_NOT_IN_CITY if district else CHOOSE_DISTRICT
    if not detail:
        errors["detail"] = ENTER_DETAIL
    elif len(detail) > DETAIL_MAX:
        errors["detail"] = DETAIL_TOO_LONG
    return errors


def clean_address(
    *, receiver: str, mobile: str, province: str, city: str, district: str, detail: str, tag: str = ""
) -> dict[str, str]:
    """The address's columns, trimmed and checked; ValidationFailed with every wrong field at once."""
    errors: dict[str, str] = {}
    receiver = " ".join((receiver or "").split())
    detail = " ".join((detail or "").split())
    province, city, district = (province or "").strip(), (city or "").strip(), (district or "").strip()
    tag = (tag or "").strip()
    if not receiver:
        errors["receiver"] = ENTER_RECEIVER
    elif len(receiver) > RECEIVER_MAX:
        errors["receiver"] = RECEIVER_TOO_LONG
    number = parse_mobile(mobile)
    if number is None:
        errors["mobile"] = BAD_MOBILE
    errors.update(place_errors(province=province, city=city, district=district, detail=detail))
    if tag not in TAGS:
        errors["tag"] = CHOOSE_TAG
    if errors:
        raise ValidationFailed(errors)
    assert number is not None
    return {
        "receiver": receiver,
        "mobile": number,
        "province": province,
        "city": city,
        "district": district,
        "detail": detail,
        "tag": tag,
    }


# ---------------------------------------------------------------- reading
_COLUMNS = (
    Address.id,
    Address.receiver,
    Address.mobile,
    Address.province,
    Address.city,
    Address.district,
    Address.detail,
    Address.tag,
    Address.is_default,
    Address.created_at,
)


def _view(row: dict[str, Any]) -> AddressView:
    return AddressView(
        id=row["id"],
        receiver=row["receiver"],
        mobile=row["mobile"],
        province_code=row["province"],
        city_code=row["city"],
        district_code=row["district"],
        detail=row["detail"],
        tag=row["tag"],
        is_default=row["is_default"],
        created_at=row["created_at"],
    )


async def list_addresses(*, user_id: int) -> list[AddressView]:
    """The default first, then the newest."""
    rows = (
        await Address.select(*_COLUMNS)
        .where(Address.user == user_id)
        .order_by(Address.is_default, Address.created_at, Address.id, ascending=False)
    )
    return [_view(r) for r in rows]


async def get_address(*, user_id: int, address_id: int) -> AddressView:
    row = await Address.select(*_COLUMNS).where((Address.id == address_id) & (Address.user == user_id)).first()
    if row is None:
        raise NotFound(ADDRESS_NOT_FOUND)
    return _view(row)


async def default_address(*, user_id: int) -> AddressView | None:
    row = await Address.select(*_COLUMNS).where((Address.user == user_id) & (Address.is_default.eq(True))).first()
    return _view(row) if row else None


async def address_snapshot(*, user_id: int, address_id: int) -> dict[str, str]:
    """The address as the order keeps it (codes and names, so it reads the same after the book changes).
    Another user's address, or a deleted one: NotFound."""
    a = await get_address(user_id=user_id, address_id=address_id)
    return {
        "receiver": a.receiver,
        "mobile": a.mobile,
        "province_code": a.province_code,
        "province": a.province,
        "city_code": a.city_code,
        "city": a.city,
        "district_code": a.district_code,
        "district": a.district,
        "detail": a.detail,
        "full": a.full,
    }


# ---------------------------------------------------------------- changing
async def _lock_book(user_id: int) -> None:
    """Serialise changes of one user's book (the cap and the single default are checked, then written)."""
    await fetch("SELECT id FROM app_user WHERE id = {} FOR UPDATE", user_id)


async def _lock_address(user_id: int, address_id: int) -> dict[str, Any]:
    row = await fetchrow(
        'SELECT id, is_default FROM address WHERE id = {} AND "user" = {} FOR UPDATE', address_id, user_id
    )
    if row is None:
        raise NotFound(ADDRESS_NOT_FOUND)
    return row


async def _clear_default(user_id: int) -> None:
    await Address.update({Address.is_default: False}).where((Address.user == user_id) & (Address.is_default.eq(True)))


async def create_address(
    *,
    user_id: int,
    receiver: str,
    mobile: str,
    province: str,
    city: str,
    district: str,
    detail: str,
    tag: str = "",
    is_default: bool = False,
) -> int:
    """Add an address; the first one (or one asked to be) becomes the default. Returns its id."""
    values = clean_address(
        receiver=receiver, mobile=mobile, province=province, city=city, district=district, detail=detail, tag=tag
    )
    async with engine().transaction():
        await _lock_book(user_id)
        count = await Address.count().where(Address.user == user_id)
        if count >= MAX_ADDRESSES:
            raise DomainError(TOO_MANY, num=MAX_ADDRESSES)
        make_default = is_default or count == 0
        if make_default:
            await _clear_default(user_id)
        now = clock.now()
        rows = await Address.insert(
            Address(user=user_id, **values, is_default=make_default, created_at=now, updated_at=now)
        ).returning(Address.id)
    return int(rows[0]["id"])


async def update_address(
    *,
    user_id: int,
    address_id: int,
    receiver: str,
    mobile: str,
    province: str,
    city: str,
    district: str,
    detail: str,
    tag: str = "",
    is_default: bool = False,
) -> None:
    """Change an address. is_default=True makes it the default; False leaves the flag as it is (the default is
    moved to another address, never simply removed)."""
    values = clean_address(
        receiver=receiver, mobile=mobile, province=province, city=city, district=district, detail=detail, tag=tag
    )
    async with engine().transaction():
        await _lock_book(user_id)
        current = await _lock_address(user_id, address_id)
        if is_default and not current["is_default"]:
            await _clear_default(user_id)
        await Address.update(
            {
                **{getattr(Address, k): v for k, v in values.items()},
                Address.is_default: bool(is_default or current["is_default"]),
                Address.updated_at: clock.now(),
            }
        ).where((Address.id == address_id) & (Address.user == user_id))


async def set_default(*, user_id: int, address_id: int) -> None:
    async with engine().transaction():
        await _lock_book(user_id)
        current = await _lock_address(user_id, address_id)
        if current["is_default"]:
            return
        await _clear_default(user_id)
        await Address.update({Address.is_default: True, Address.updated_at: clock.now()}).where(
            (Address.id == address_id) & (Address.user == user_id)
        )


async def delete_address(*, user_id: int, address_id: int) -> None:
    """Delete an address; when it was the default, the newest address left becomes the default."""
    async with engine().transaction():
        await _lock_book(user_id)
        current = await _lock_address(user_id, address_id)
        await Address.delete().where((Address.id == address_id) & (Address.user == user_id))
        if current["is_default"]:
            await fetch(
                'UPDATE address SET is_default = true WHERE id = (SELECT id FROM address WHERE "user" = {} '
                "ORDER BY created_at DESC, id DESC LIMIT 1)",
                user_id,
            )
