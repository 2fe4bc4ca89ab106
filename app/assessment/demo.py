"""Demo rows of the assessment app (issue 9), loaded by app/demo.py after the orders demo. Idempotent:

- every open shop is scored for the last 7 days (each day's window ending that day), so the leaderboard is not
  empty and the seller page shows a trend; days already scored are left alone;
- the best-scoring shop gets the "recommended shop" badge and a traffic boost for 30 days, once.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.assessment import services
from app.config import get_settings
from app.core import clock
from app.core.db import fetchrow
from app.core.principal import Actor

log = logging.getLogger("app.assessment.demo")
SYSTEM = Actor(user_id=None, ip=None, label="demo loader")
DAYS = 7


async def load_assessment_demo() -> None:
    zone = ZoneInfo(get_settings().display_timezone)
    today = services.today()
    written = 0
    for back in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        end = clock.now() if back == 0 else datetime.combine(day, time(23, 0), zone)
        written += await services.compute_scores(day=day, now=end)
    if await fetchrow("SELECT 1 AS x FROM shop_measure LIMIT 1") is None:
        top = await fetchrow(
            "SELECT sc.shop FROM shop_score sc JOIN shop s ON s.id = sc.shop WHERE sc.day = {} "
            "AND s.status = 'active' ORDER BY sc.rank LIMIT 1",
            today,
        )
        if top is not None:
            for kind in ("badge", "boost"):
                await services.apply_measure(
                    actor=SYSTEM,
                    shop_id=top["shop"],
                    form={"kind": kind, "days": "30", "reason": "商家考核排名第一，给予流量扶持"},
                )
    log.info("assessment demo: %s score rows written", written)
