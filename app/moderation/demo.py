"""Demo moderation data (idempotent): a starter sensitive-word list, and three products waiting for review —
two changed since an approved revision (so the review page shows a diff), one never approved."""

from __future__ import annotations

import json
import logging

from app.catalog.search import reindex_products
from app.catalog.services import refresh_product_summaries
from app.core.db import engine, fetch, fetchrow
from app.moderation.review_services import product_snapshot
from app.moderation.sensitive import forget_words

log = logging.getLogger("jishi.demo")

WORDS = {
    "block": ["假货", "高仿", "代开发票", "枪支", "毒品", "刷单"],
    "flag": ["最便宜", "第一", "国家级", "最高级", "100%有效"],
}
DEMO_MARK = "demo"


async def load_words() -> int:
    rows = await fetch(
        "INSERT INTO sensitive_word (word, level, created_at) SELECT w, l, now() "
        "FROM unnest({}::text[], {}::text[]) AS t(w, l) ON CONFLICT (word) DO NOTHING RETURNING id",
        [w for level in WORDS for w in WORDS[level]],
        [level for level in WORDS for _ in WORDS[level]],
    )
    forget_words()
    return len(rows)


async def load_pending() -> int:
    """Once: skipped when a demo revision exists already (or there are no active products to use)."""
    done = await fetchrow("SELECT 1 AS ok FROM product_revision WHERE snapshot->>'source' = {} LIMIT 1", DEMO_MARK)
    if done:
        return 0
    picks = await fetch(
        "SELECT DISTINCT ON (p.shop) p.id FROM product p WHERE p.status = 'active' AND p.sku_count > 0 "
        "ORDER BY p.shop, p.id LIMIT 3"
    )
    ids = [r["id"] for r in picks]
    if len(ids) < 3:
        return 0
    admin = await fetchrow("SELECT id FROM app_user WHERE email = 'admin@jishi.test'")
    async with engine().transaction():
        for pid in ids[:2]:  # approved before, then changed by the seller
            snapshot = await product_snapshot(pid)
            assert snapshot is not None
            snapshot["source"] = DEMO_MARK
            await fetch(
                "INSERT INTO product_revision (product, snapshot, approved_by, approved_at) "
                "VALUES ({}, {}::jsonb, {}, now() - interval '3 days')",
                pid,
                json.dumps(snapshot, ensure_ascii=False, default=str),
                admin["id"] if admin else None,
            )
        first, second, third = ids
        await fetch(
            "UPDATE product SET title = left(title || ' 2026新款', 120), subtitle = '全网最便宜，限时特惠', "
            "description_html = description_html || '<p>新增：赠送原装保护套一个。</p>' WHERE id = {}",
            first,
        )
        await fetch(
            "UPDATE sku SET price_fen = price_fen - 1000 WHERE id = "
            "(SELECT id FROM sku WHERE product = {} ORDER BY position, id LIMIT 1) AND price_fen > 1000",
            first,
        )
        await fetch("UPDATE product SET subtitle = '销量第一 · ' || subtitle WHERE id = {}", second)
        await fetch(
            "UPDATE product_image SET position = CASE WHEN position = 0 THEN 1 WHEN position = 1 THEN 0 "
            "ELSE position END WHERE product = {}",
            second,
        )
        await fetch("UPDATE product SET status = 'pending_review' WHERE id = ANY({}::int[])", ids)
        await refresh_product_summaries(product_ids=ids)
    await reindex_products(product_ids=[first, second, third])
    return len(ids)


async def load_demo() -> None:
    words = await load_words()
    pending = await load_pending()
    log.info("demo moderation: %d sensitive words added, %d products put into review", words, pending)
