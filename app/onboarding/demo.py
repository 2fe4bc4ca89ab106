"""Onboarding demo data: the default exam on platform rules (5 questions, Chinese and English), its pass mark and
the fee rules per shop type. Idempotent: only fills what is empty. `python -m app.onboarding.demo` runs it."""

from __future__ import annotations

import asyncio

from app.core.db import fetchrow
from app.core.principal import Actor
from app.onboarding import exam, shops

SYSTEM = Actor(user_id=None, ip=None, label="demo loader")

# (question zh, question en, [(choice zh, choice en), ...], number of the right choice from 1)
QUESTIONS = [
    (
        "店铺可以销售假冒商品吗？",
        "May a shop sell counterfeit goods?",
        [("可以，只要价格便宜", "Yes, if the price is low"), ("不可以，只能销售正品", "No, only genuine goods")],
        2,
    ),
    (
        "商家应在什么时间内发货？",
        "When must a seller ship an order?",
        [("在承诺的发货时限内", "Within the promised shipping time"), ("想什么时候发都可以", "Whenever it likes")],
        1,
    ),
    (
        "资质证件即将到期时，商家应该：",
        "When a qualification document is about to expire, the seller should:",
        [
            ("到期前上传新的证件", "Upload a renewed document before it expires"),
            ("不用理会", "Ignore it"),
            ("关闭店铺", "Close the shop"),
        ],
        1,
    ),
    (
        "买家的个人信息可以用于：",
        "A buyer's personal information may be used for:",
        [
            ("出售给第三方", "Selling it to third parties"),
            ("仅用于履行该订单", "Fulfilling that order only"),
            ("群发广告短信", "Sending advertising text messages"),
        ],
        2,
    ),
    (
        "保证金的作用是：",
        "What is the deposit for?",
        [
            ("保障商家对消费者的义务", "It guarantees the seller's obligations to shoppers"),
            ("平台的销售提成", "It is the platform's sales commission"),
        ],
        1,
    ),
]

# shop type → (deposit, annual fee) in yuan, for every category (category 0)
FEES = {
    "flagship": ("50000", "6000"),
    "authorized": ("30000", "6000"),
    "specialty": ("20000", "3000"),
    "individual": ("1000", "0"),
}


async def load_demo() -> None:
    if not await fetchrow("SELECT 1 FROM exam_question LIMIT 1"):
        for position, (zh, en, choices, answer) in enumerate(QUESTIONS, start=1):
            await exam.save_question(
                actor=SYSTEM,
                question_id=None,
                text_zh=zh,
                text_en=en,
                choices_zh="\n".join(c[0] for c in choices),
                choices_en="\n".join(c[1] for c in choices),
                answer=str(answer),
                position=str(position),
            )
    if not await fetchrow("SELECT 1 FROM onboarding_setting WHERE key = {}", exam.PASS_KEY):
        await exam.set_pass_percent(actor=SYSTEM, value=str(exam.DEFAULT_PASS_PERCENT))
    if not await fetchrow("SELECT 1 FROM fee_rule LIMIT 1"):
        for shop_type, (deposit, annual) in FEES.items():
            await shops.save_fee_rule(
                actor=SYSTEM, shop_type=shop_type, category="0", deposit=deposit, annual_fee=annual
            )


async def _main() -> None:
    from app.config import get_settings
    from app.core.db import close_pool, start_pool

    await start_pool(min_size=1, max_size=get_settings().db_pool_max)
    try:
        await load_demo()
    finally:
        await close_pool()


if __name__ == "__main__":
    asyncio.run(_main())
