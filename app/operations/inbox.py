"""The moderation inbox (/admin/inbox/): every queue that waits for platform staff on one page, its count and its
oldest items, each queue shown only to the roles allowed to act on it (the guards of the queue's own pages).
One count and one small "oldest first" query per queue, all on indexed status columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.db import fetch, fetchrow
from app.core.i18n import N_
from app.core.principal import Principal


@dataclass(frozen=True, slots=True)
class QueueSpec:
    key: str
    title: str  # msgid
    roles: tuple[str, ...]  # any of these (admins see every queue)
    url: str
    count_sql: str
    oldest_sql: str  # id, label, at; LIMIT {} as the only parameter
    item_url: str  # with {id}
    table: str  # the queue's table: a queue whose table is not there yet is left out


QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec(
        "products",
        N_("Products waiting for review"),
        ("moderator",),
        "/admin/products/review/",
        "SELECT count(*) AS n FROM product WHERE status = 'pending_review'",
        "SELECT p.id, p.title AS label, p.updated_at AS at FROM product p WHERE p.status = 'pending_review' "
        "ORDER BY p.updated_at, p.id LIMIT {}",
        "/admin/products/review/{id}",
        "product",
    ),
    QueueSpec(
        "review_reports",
        N_("Reported reviews"),
        ("moderator",),
        "/admin/reviews/",
        "SELECT count(*) AS n FROM review_report WHERE status = 'open'",
        "SELECT r.id, r.reason AS label, r.created_at AS at FROM review_report r WHERE r.status = 'open' "
        "ORDER BY r.created_at, r.id LIMIT {}",
        "/admin/reviews/",
        "review_report",
    ),
    QueueSpec(
        "complaints",
        N_("Complaints"),
        ("moderator", "operations"),
        "/admin/complaints/",
        "SELECT count(*) AS n FROM complaint WHERE status IN ('open', 'handling')",
        "SELECT c.id, left(c.text, 80) AS label, c.created_at AS at FROM complaint c "
        "WHERE c.status IN ('open', 'handling') ORDER BY c.created_at, c.id LIMIT {}",
        "/admin/complaints/{id}",
        "complaint",
    ),
    QueueSpec(
        "disputes",
        N_("Disputes waiting for a ruling"),
        ("moderator", "operations"),
        "/admin/aftersales/",
        "SELECT count(*) AS n FROM after_sale_dispute WHERE status = 'open'",
        "SELECT d.after_sale AS id, left(d.buyer_statement, 80) AS label, d.created_at AS at "
        "FROM after_sale_dispute d WHERE d.status = 'open' ORDER BY d.created_at, d.id LIMIT {}",
        "/admin/aftersales/{id}",
        "after_sale_dispute",
    ),
    QueueSpec(
        "applications",
        N_("Seller applications"),
        ("operations",),
        "/admin/sellers/applications",
        "SELECT count(*) AS n FROM seller_application WHERE status = 'submitted'",
        "SELECT a.id, a.shop_name AS label, a.submitted_at AS at FROM seller_application a "
        "WHERE a.status = 'submitted' ORDER BY a.submitted_at NULLS LAST, a.id LIMIT {}",
        "/admin/sellers/applications/{id}",
        "seller_application",
    ),
    QueueSpec(
        "payouts",
        N_("Payouts to decide or pay"),
        ("finance",),
        "/admin/finance/",
        "SELECT count(*) AS n FROM settlement_payout WHERE status IN ('requested', 'approved')",
        "SELECT p.id, p.no AS label, p.requested_at AS at FROM settlement_payout p "
        "WHERE p.status IN ('requested', 'approved') ORDER BY p.requested_at, p.id LIMIT {}",
        "/admin/finance/#payout-{id}",
        "settlement_payout",
    ),
)


@dataclass(slots=True)
class QueueView:
    spec: QueueSpec
    count: int
    oldest: list[dict[str, Any]] = field(default_factory=list)

    @property
    def oldest_at(self) -> datetime | None:
        return self.oldest[0]["at"] if self.oldest else None


def visible_queues(user: Principal) -> list[QueueSpec]:
    return [q for q in QUEUES if user.has_platform_role(*q.roles)]


async def _existing(tables: list[str]) -> set[str]:
    rows = await fetch("SELECT t FROM unnest({}::text[]) AS t WHERE to_regclass(t) IS NOT NULL", tables)
    return {r["t"] for r in rows}


async def inbox(user: Principal, *, oldest: int = 3) -> list[QueueView]:
    specs = visible_queues(user)
    present = await _existing([q.table for q in specs])
    views = []
    for spec in specs:
        if spec.table not in present:
            continue
        row = await fetchrow(spec.count_sql)
        count = int(row["n"]) if row else 0
        items = await fetch(spec.oldest_sql, oldest) if count and oldest else []
        views.append(QueueView(spec, count, [dict(i) for i in items]))
    return views


async def counts(user: Principal) -> dict[str, int]:
    """{queue key: count} of the queues this person may act on (for badges)."""
    return {v.spec.key: v.count for v in await inbox(user, oldest=0)}
