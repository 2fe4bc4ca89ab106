"""Claiming coupons: each refusal says why, quantities and per-user limits hold under 200 concurrent claims, the
welcome pack on sign-up, redeem codes, and the coupons' life at checkout (use, release, expiry sweep)."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import timedelta

import pytest

from app.core import clock
from app.core.db import fetch, fetchrow
from app.coupons import services
from app.coupons.checkout import NO_LONGER_USABLE, release_coupons, use_coupons
from app.coupons.errors import ClaimRefused, CouponNotFound
from app.orders.errors import CheckoutError
from tests.factories import make_product, make_shop, make_user
from tests.integration.coupons._helpers import make_template
from tests.order_factories import make_order_group


async def refusal(coro) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClaimRefused) as info:
        await coro
    return info.value.message % info.value.params if info.value.params else info.value.message


async def test_claiming_gives_a_coupon_valid_for_its_days() -> None:
    user = await make_user()
    template = await make_template(use_days=3)
    claimed = await services.claim(user_id=user.id, template_id=template)
    row = await fetchrow(
        "SELECT status, valid_from, valid_until FROM user_coupon WHERE id = {}", claimed.user_coupon_id
    )
    assert row["status"] == "unused"
    assert row["valid_until"] - row["valid_from"] == timedelta(days=3)
    t = await fetchrow("SELECT claimed_count FROM coupon_template WHERE id = {}", template)
    assert t["claimed_count"] == 1


async def test_each_refusal_says_why() -> None:
    user = await make_user()
    now = clock.now()
    limit_one = await make_template(per_user=1)
    await services.claim(user_id=user.id, template_id=limit_one)
    assert "most times allowed (1)" in await refusal(services.claim(user_id=user.id, template_id=limit_one))

    sold_out = await make_template(total=1)
    await services.claim(user_id=(await make_user()).id, template_id=sold_out)
    assert await refusal(services.claim(user_id=user.id, template_id=sold_out)) == services.SOLD_OUT

    later = await make_template(claim_start_at=now + timedelta(days=2))
    assert (await refusal(services.claim(user_id=user.id, template_id=later))).startswith("Claiming starts on")

    over = await make_template(claim_start_at=now - timedelta(days=5), claim_end_at=now - timedelta(days=1))
    assert await refusal(services.claim(user_id=user.id, template_id=over)) == services.ENDED
    ended = await make_template(status="ended")
    assert await refusal(services.claim(user_id=user.id, template_id=ended)) == services.ENDED
    paused = await make_template(status="paused")
    assert await refusal(services.claim(user_id=user.id, template_id=paused)) == services.PAUSED

    draft = await make_template(status="draft")
    with pytest.raises(CouponNotFound):
        await services.claim(user_id=user.id, template_id=draft)

    coded = await make_template(redeem_code="SECRET1")
    assert await refusal(services.claim(user_id=user.id, template_id=coded)) == services.NEEDS_CODE


async def test_new_user_coupons_stop_after_the_first_paid_order() -> None:
    newbie, regular = await make_user(), await make_user()
    product = await make_product()
    await make_order_group(regular, [(product, 1)], status="paid")
    template = await make_template(new_user_only=True)
    await services.claim(user_id=newbie.id, template_id=template)
    assert await refusal(services.claim(user_id=regular.id, template_id=template)) == services.NEW_USERS_ONLY


async def test_redeem_codes_are_case_insensitive_and_wrong_codes_are_refused() -> None:
    user = await make_user()
    template = await make_template(redeem_code="JISHI2026", name="码券")
    claimed = await services.redeem(user_id=user.id, code="  jishi2026 ")
    assert claimed.template_id == template and claimed.name == "码券"
    with pytest.raises(ClaimRefused) as info:
        await services.redeem(user_id=user.id, code="NOPE-0000")
    assert info.value.message == services.WRONG_CODE and info.value.field == "code"
    assert "most times allowed" in await refusal(services.redeem(user_id=user.id, code="JISHI2026"))


async def test_two_hundred_concurrent_claims_of_fifty_coupons() -> None:
    """200 claims over 60 shoppers (some fire up to 6 times, per-user limit 2) of a template with quantity 50:
    exactly 50 copies, nobody beyond 2, the counter equals the rows."""
    template = await make_template(total=50, per_user=2)
    users = [await make_user() for _ in range(60)]
    rng = random.Random(7)
    attempts = [u.id for u in users] + [rng.choice(users[:20]).id for _ in range(140)]
    rng.shuffle(attempts)

    async def attempt(user_id: int) -> str:
        try:
            await services.claim(user_id=user_id, template_id=template)
            return "ok"
        except ClaimRefused as exc:
            return exc.message

    results = Counter(await asyncio.gather(*[attempt(uid) for uid in attempts]))
    assert results["ok"] == 50
    assert set(results) <= {"ok", services.SOLD_OUT, services.LIMIT_REACHED}
    rows = await fetch('SELECT "user", count(*) AS n FROM user_coupon WHERE template = {} GROUP BY "user"', template)
    assert sum(r["n"] for r in rows) == 50
    assert max(r["n"] for r in rows) <= 2
    t = await fetchrow("SELECT claimed_count FROM coupon_template WHERE id = {}", template)
    assert t["claimed_count"] == 50


async def test_one_shopper_hammering_a_limit_of_two_gets_two() -> None:
    user = await make_user()
    template = await make_template(total=100, per_user=2)
    results = await asyncio.gather(
        *[services.claim(user_id=user.id, template_id=template) for _ in range(20)], return_exceptions=True
    )
    assert sum(1 for r in results if not isinstance(r, Exception)) == 2
    assert all(isinstance(r, ClaimRefused) for r in results if isinstance(r, Exception))
    t = await fetchrow("SELECT claimed_count FROM coupon_template WHERE id = {}", template)
    assert t["claimed_count"] == 2


async def test_the_welcome_pack_is_granted_on_sign_up_as_far_as_quantities_allow() -> None:
    pack = await make_template(name="新人红包", kind="amount_off", amount_fen=1000, welcome_pack=True, total=1)
    not_pack = await make_template(name="普通券")
    first = await make_user()
    second = await make_user()  # the pack is gone: the sign-up still works
    mine = await fetch('SELECT template FROM user_coupon WHERE "user" = {}', first.id)
    assert [r["template"] for r in mine] == [pack]
    assert await fetch('SELECT id FROM user_coupon WHERE "user" = {}', second.id) == []
    assert await refusal(services.claim(user_id=second.id, template_id=pack)) == services.WELCOME_ONLY
    assert not_pack


async def test_use_then_release_in_a_transaction() -> None:
    from app.core.db import engine

    buyer, other = await make_user(), await make_user()
    shop = await make_shop()
    product = await make_product(shop=shop)
    group = await make_order_group(buyer, [(product, 1)])
    template = await make_template(kind="amount_off", amount_fen=500)
    uc = (await services.claim(user_id=buyer.id, template_id=template)).user_coupon_id

    with pytest.raises(CheckoutError):  # someone else's coupon
        async with engine().transaction():
            await use_coupons(buyer_id=other.id, user_coupon_ids=[uc], group_id=group.id)
    async with engine().transaction():
        await use_coupons(buyer_id=buyer.id, user_coupon_ids=[uc], group_id=group.id)
    row = await fetchrow("SELECT status, used_group FROM user_coupon WHERE id = {}", uc)
    assert row["status"] == "used" and row["used_group"] == group.id
    with pytest.raises(CheckoutError) as info:  # used already
        async with engine().transaction():
            await use_coupons(buyer_id=buyer.id, user_coupon_ids=[uc], group_id=group.id)
    assert info.value.message == NO_LONGER_USABLE

    async with engine().transaction():
        await release_coupons(group_id=group.id)
    row = await fetchrow("SELECT status, used_group, used_at FROM user_coupon WHERE id = {}", uc)
    assert row["status"] == "unused" and row["used_group"] is None and row["used_at"] is None


async def test_a_coupon_released_after_its_window_is_expired() -> None:
    buyer = await make_user()
    group = await make_order_group(buyer, [(await make_product(), 1)])
    template = await make_template(kind="amount_off", amount_fen=500)
    uc = (await services.claim(user_id=buyer.id, template_id=template)).user_coupon_id
    await use_coupons(buyer_id=buyer.id, user_coupon_ids=[uc], group_id=group.id)
    await fetch("UPDATE user_coupon SET valid_until = now() - interval '1 minute' WHERE id = {}", uc)
    await release_coupons(group_id=group.id)
    assert (await fetchrow("SELECT status FROM user_coupon WHERE id = {}", uc))["status"] == "expired"


async def test_the_sweep_expires_unused_coupons_past_their_window_only() -> None:
    buyer = await make_user()
    template = await make_template(kind="amount_off", amount_fen=500, per_user=3)
    old, fresh = [(await services.claim(user_id=buyer.id, template_id=template)).user_coupon_id for _ in range(2)]
    await fetch("UPDATE user_coupon SET valid_until = now() - interval '1 second' WHERE id = {}", old)
    assert await services.expire_coupons() == 1
    assert await services.expire_coupons() == 0  # idempotent
    statuses = {r["id"]: r["status"] for r in await fetch("SELECT id, status FROM user_coupon")}
    assert statuses == {old: "expired", fresh: "unused"}


async def test_pick_coupons_reads_the_buyers_unused_coupons_and_picks_the_best() -> None:
    from app.coupons.checkout import pick_coupons
    from app.promotions.context import LineInfo, Member, PricingContext

    buyer, other = await make_user(), await make_user()
    shop = await make_shop()
    p300 = await make_template(name="满300减30", threshold_fen=30000, amount_fen=3000)
    s99 = await make_template(shop_id=shop.id, name="满99减10")
    far = await make_template(name="满1000减100", threshold_fen=100000, amount_fen=10000)
    mine = {t: (await services.claim(user_id=buyer.id, template_id=t)).user_coupon_id for t in (p300, s99, far)}
    await services.claim(user_id=other.id, template_id=p300)
    line = LineInfo(
        key="7", sku_id=7, product_id=1, shop_id=shop.id, category_ids=(1,), unit_price_fen=30000, quantity=1
    )
    ctx = PricingContext(member=Member(user_id=buyer.id), lines=(line,), now=clock.now())
    pick = await pick_coupons(ctx, {"7": 30000}, None)
    # the shop's ¥10 would leave ¥290, below 满300减30: ¥30 alone is the better combination
    assert pick.selected_ids == (mine[p300],)
    assert {c.user_coupon_id for c in pick.choices} == set(mine.values())
    chosen = await pick_coupons(ctx, {"7": 30000}, [mine[p300]])
    assert chosen.selected_ids == (mine[p300],) and chosen.discounts[0].amount_fen == 3000
    assert chosen.discounts[0].source == f"coupon:{mine[p300]}" and chosen.discounts[0].bearer == "platform"
    anonymous = PricingContext(member=Member(user_id=None), lines=(line,), now=clock.now())
    assert (await pick_coupons(anonymous, {"7": 30000}, None)).choices == ()


async def test_a_refused_claim_inside_a_callers_transaction_leaves_nothing_behind() -> None:
    from app.core.db import engine

    user = await make_user()
    template = await make_template(per_user=1)
    await services.claim(user_id=user.id, template_id=template)
    async with engine().transaction():
        with pytest.raises(ClaimRefused):
            await services.claim(user_id=user.id, template_id=template)
        with pytest.raises(ClaimRefused):
            await services.grant(template_id=await make_template(status="paused"), user_id=user.id)
    t = await fetchrow("SELECT claimed_count FROM coupon_template WHERE id = {}", template)
    assert t["claimed_count"] == 1
    granted = await services.grant(template_id=template, user_id=user.id, source="test")  # beyond the claim limit
    assert (await fetchrow('SELECT "user" FROM user_coupon WHERE id = {}', granted))["user"] == user.id
