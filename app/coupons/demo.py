"""Demo coupons, made through the real services (audited as "demo"): a platform 满300减30, a platform welcome pack
of ¥10 with no threshold (the demo buyer gets one, as if they had signed up after it existed), 满99减10 for
小米优选旗舰店, 满199减20 for 江南茶社, and a platform ¥15-off-¥100 coupon claimed with the code JISHI2026.
Idempotent: a template that already exists (same shop and name) is left alone."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.core.db import fetchrow
from app.core.principal import Actor
from app.coupons import manage, services
from app.coupons.forms import TemplateInput

DEMO = Actor(user_id=None, label="demo")


def _input(name: str, *, amount_fen: int, threshold_fen: int = 0, total: int = 10_000, days: int = 15,
           code: str | None = None, welcome: bool = False, per_user: int = 1) -> TemplateInput:  # fmt: skip
    now = clock.now()
    return TemplateInput(
        name=name,
        kind="threshold" if threshold_fen else "amount_off",
        amount_fen=amount_fen,
        threshold_fen=threshold_fen,
        percent=0,
        cap_fen=None,
        min_spend_fen=0,
        scope="all",
        scope_ids=(),
        claim_start_at=now - timedelta(days=1),
        claim_end_at=now + timedelta(days=365),
        use_start_at=None,
        use_end_at=None,
        use_days=days,
        total_quantity=total,
        per_user_limit=per_user,
        new_user_only=False,
        redeem_code=code,
        welcome_pack=welcome,
    )


async def _ensure(shop_name: str | None, data: TemplateInput) -> int | None:
    shop_id: int | None = None
    if shop_name is not None:
        shop = await fetchrow("SELECT id FROM shop WHERE name = {}", shop_name)
        if shop is None:
            return None
        shop_id = int(shop["id"])
    found = await fetchrow(
        "SELECT id FROM coupon_template WHERE name = {} AND shop IS NOT DISTINCT FROM {}", data.name, shop_id
    )
    if found is not None:
        return None
    template_id = await manage.create_template(actor=DEMO, shop_id=shop_id, data=data)
    await manage.change_status(actor=DEMO, shop_id=shop_id, template_id=template_id, action="activate")
    return template_id


async def load_coupons_demo() -> None:
    await _ensure(None, _input("平台满300减30", amount_fen=3000, threshold_fen=30000))
    welcome = await _ensure(None, _input("新人红包 ¥10", amount_fen=1000, days=30, welcome=True, total=100_000))
    await _ensure("小米优选旗舰店", _input("小米优选满99减10", amount_fen=1000, threshold_fen=9900))
    await _ensure("江南茶社", _input("江南茶社满199减20", amount_fen=2000, threshold_fen=19900))
    await _ensure(None, _input("口令券 满100减15", amount_fen=1500, threshold_fen=10000, code="JISHI2026"))
    buyer = await fetchrow("SELECT id FROM app_user WHERE email = 'buyer@jishi.test'")
    if welcome is not None and buyer is not None:
        await services.grant(template_id=welcome, user_id=int(buyer["id"]), source="demo")
