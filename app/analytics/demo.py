"""Demo rows of the analytics app (issue 9), loaded by app/demo.py after the orders demo. Idempotent.

Thirty days of traffic by 2,000 visitors (a third of them signed-in demo users) over the demo's products: page
views in visits, product views, adds to cart and checkouts; a stopped home-layout experiment whose home page views
carry its variants; then the rollup of those days, so the dashboards and the experiment page show figures. The
events are marked extra = {"demo": true}: the loader does nothing when they are already there."""

from __future__ import annotations

from app.core import clock
from app.core.db import fetch, fetchrow

DAYS = 30
VISITORS = 2000
EVENTS = 40_000

_EVENTS = """
INSERT INTO analytics_event (at, kind, visitor, user_id, session, route, path, product, variant, extra)
SELECT at, kind, visitor, user_id, session, route,
       CASE WHEN route = 'product' THEN '/p/' || product ELSE '/' END, product,
       CASE WHEN route = 'home' AND kind = 'page_view'
            THEN {}::text || ':' || (CASE WHEN v % 2 = 0 THEN 'a' ELSE 'b' END) ELSE '' END,
       jsonb_build_object('demo', true)
FROM (
    SELECT e.at, e.v, md5('demo-v' || e.v)::uuid::text AS visitor,
           CASE WHEN e.v % 3 = 0 THEN u.id END AS user_id,
           md5('demo-s' || e.v || ':' || date_trunc('hour', e.at))::uuid::text AS session,
           CASE WHEN e.r < 62 THEN 'page_view' WHEN e.r < 90 THEN 'product_view' WHEN e.r < 97 THEN 'add_to_cart'
                ELSE 'checkout' END AS kind,
           CASE WHEN e.r < 25 THEN 'home' ELSE 'product' END AS route,
           CASE WHEN e.r >= 25 THEN p.id END AS product
    FROM (
        SELECT {}::timestamptz - random() * ({}::int * interval '1 day') AS at,
               1 + (hashint4(g) & 2147483647) % {}::int AS v,
               (hashint4(g + 11) & 2147483647) % 100 AS r, g
        FROM generate_series(1, {}::int) g
    ) e
    JOIN LATERAL (SELECT id FROM product WHERE status = 'active' ORDER BY id
                  OFFSET (e.v * 7) % GREATEST((SELECT count(*) FROM product WHERE status = 'active'), 1)
                  LIMIT 1) p ON true
    LEFT JOIN LATERAL (SELECT id FROM app_user ORDER BY id
                       OFFSET e.v % GREATEST((SELECT count(*) FROM app_user), 1) LIMIT 1) u ON true
) x
"""


async def load_analytics_demo() -> None:
    if await fetchrow("SELECT 1 FROM analytics_event WHERE extra ? 'demo' LIMIT 1"):
        return
    if not await fetchrow("SELECT 1 FROM product WHERE status = 'active' LIMIT 1"):
        return
    from datetime import timedelta

    from app.analytics.experiments import rollup_experiments
    from app.analytics.rollup import rollup_days

    now = clock.now()
    experiment = await fetchrow(
        "INSERT INTO analytics_experiment (name, status, variants, started_at, stopped_at, created_at) "
        "VALUES ('首页紧凑布局 / Compact home', 'stopped', "
        "jsonb_build_array(jsonb_build_object('key', 'a', 'layout', 'classic', 'weight', 50), "
        "jsonb_build_object('key', 'b', 'layout', 'compact', 'weight', 50)), {}, {}, {}) RETURNING id",
        now - timedelta(days=DAYS),
        now,
        now - timedelta(days=DAYS),
    )
    assert experiment is not None
    await fetch(_EVENTS, str(experiment["id"]), now, DAYS, VISITORS, EVENTS)
    await rollup_days(DAYS + 1)
    await rollup_experiments(experiment_id=experiment["id"])
