"""The campaign calendar (/admin/calendar/): operations staff; one month of platform and shop promotions, coupon
claim windows and flash sessions, each once (on its first day in the month), filtered by issuer, with links."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.core.db import fetch
from app.operations.calendar import parse_month
from tests.factories import login, make_shop, make_user

CN = ZoneInfo("Asia/Shanghai")


def at(day: int, month: int = 11, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=CN)


async def _seed() -> int:
    shop = await make_shop(name="茶叶铺")
    await fetch(
        "INSERT INTO promotion (issuer, shop, kind, name, starts_at, ends_at, status) VALUES "
        "('platform', NULL, 'full_reduction', '双11满减', {}, {}, 'active'), "
        "('shop', {}, 'limited_time', '店铺限时折扣', {}, {}, 'active'), "
        "('platform', NULL, 'full_reduction', '十月旧活动', {}, {}, 'ended')",
        at(11, hour=0),
        at(12, hour=0),
        shop.id,
        at(20),
        at(25),
        at(1, month=10),
        at(5, month=10),
    )
    await fetch(
        "INSERT INTO coupon_template (issuer, shop, name, kind, amount_fen, claim_start_at, claim_end_at, use_days, "
        "status) VALUES ('platform', NULL, '新人券', 'amount_off', 500, {}, {}, 7, 'active')",
        at(25, month=10),
        at(30),
    )
    await fetch(
        "INSERT INTO flash_session (title, starts_at, ends_at, status) VALUES ('10点秒杀', {}, {}, 'scheduled')",
        at(11, hour=10),
        at(11, hour=12),
    )
    return shop.id


async def test_only_operations_staff_open_the_calendar(client) -> None:  # type: ignore[no-untyped-def]
    anonymous = await client.get("/admin/calendar/")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await login(client, await make_user(roles=("finance",)))
    assert (await client.get("/admin/calendar/")).status_code == 403


async def test_a_month_lists_each_campaign_once_with_links_and_the_issuer_filter(client) -> None:  # type: ignore[no-untyped-def]
    shop_id = await _seed()
    await login(client, await make_user(roles=("operations",)))
    page = await client.get("/admin/calendar/", params={"month": "2026-11"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    mobile = page.text[page.text.index('class="ops-days"') :]
    for title in ("双11满减", "店铺限时折扣", "新人券", "10点秒杀"):
        assert mobile.count(title) == 1, title
    assert "十月旧活动" not in page.text
    assert 'href="/admin/flash/sessions/' in page.text and f'href="/admin/shops/{shop_id}"' in page.text
    assert "茶叶铺" in page.text and "/admin/coupons/" in page.text and "/admin/promotions/" in page.text
    # the coupon window opened in October: listed on 1 November as continuing
    first = mobile.index("Sunday, November 1, 2026")
    assert first < mobile.index("新人券") < mobile.index("Wednesday, November 11, 2026")
    assert "4 campaigns this month." in page.text

    platform = await client.get("/admin/calendar/", params={"month": "2026-11", "issuer": "platform"})
    assert "店铺限时折扣" not in platform.text and "双11满减" in platform.text and "10点秒杀" in platform.text
    shops = await client.get("/admin/calendar/", params={"month": "2026-11", "issuer": "shop"})
    assert "店铺限时折扣" in shops.text and "双11满减" not in shops.text and "新人券" not in shops.text
    october = await client.get("/admin/calendar/", params={"month": "2026-10"})
    assert "十月旧活动" in october.text and "10点秒杀" not in october.text


def test_month_parsing() -> None:
    today = date(2026, 11, 23)
    assert parse_month("2026-02", today) == (2026, 2)
    assert parse_month("", today) == (2026, 11)
    assert parse_month("2026-13", today) == (2026, 11)
    assert parse_month("abc", today) == (2026, 11)
    assert parse_month("9999-01", today) == (2026, 11)
