"""Seller assessment (商家考核): the weights, the daily score snapshot, the leaderboard, and the rewards and
sanctions operators apply (each audited in its transaction and notified to the shop's owners).

The numbers come from the other domains' tables in a few grouped queries (one per source, over all shops),
with the same definitions as their own services: DSR as app/reviews/services.shop_dsr (last DSR_DAYS, auto
reviews left out), response time as app/messaging/chat.average_first_response (conversations answered in the
window), refund rate as PRODUCT.md. The pure scoring is app/assessment/rules.py."""

# ruff: noqa: S608  (f-strings here only join fixed SQL fragments; every value is a {} argument)

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.assessment import rules
from app.config import get_settings
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.messaging.services import notify
from app.moderation.services import record_audit
from app.onboarding.documents import owner_ids
from app.onboarding.shops import change_shop_status
from app.reviews.services import DSR_DAYS

SYSTEM = Actor(user_id=None, label="system")
REWARDS = ("boost", "badge")
SANCTIONS = ("rectification", "demotion", "suspension")
KINDS = REWARDS + SANCTIONS
DEFAULT_BONUS = {"boost": 20, "demotion": -30}  # hundredths of a search relevance point
MAX_DAYS = 365
PROPOSAL_THRESHOLD = 40  # the sweep proposes a rectification notice below this score (a person confirms)
PROPOSAL_MIN_ORDERS = 5  # ...for shops with enough paid orders for the score to mean something
REASON_MAX = 500
HISTORY_DAYS = 30

KIND_NAMES = {
    "boost": N_("Traffic boost"),
    "badge": N_("Recommended shop"),
    "rectification": N_("Rectification notice"),
    "demotion": N_("Demotion"),
    "suspension": N_("Suspension"),
}
STATUS_NAMES = {
    "proposed": N_("Proposed"),
    "active": N_("Active"),
    "resolved": N_("Resolved"),
    "escalated": N_("Overdue"),
    "expired": N_("Expired"),
    "revoked": N_("Revoked"),
    "dismissed": N_("Dismissed"),
}
_NOTICES = {
    "boost": (N_("Your shop gets a traffic boost"), N_("%(shop)s ranks higher in search until %(until)s: %(reason)s")),
    "badge": (N_("Your shop is a recommended shop"), N_("%(shop)s shows the recommended badge until %(until)s.")),
    "rectification": (
        N_("Rectification notice for your shop"),
        N_("%(shop)s must rectify by %(until)s: %(reason)s"),
    ),
    "demotion": (N_("Your shop has been demoted"), N_("%(shop)s ranks lower in search until %(until)s: %(reason)s")),
}


def today() -> date:
    return clock.now().astimezone(ZoneInfo(get_settings().display_timezone)).date()


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return json.loads(value)
    return dict(value or {})


# ---------------------------------------------------------------- weights
async def current_weights() -> dict[str, int]:
    row = await fetchrow(
        "SELECT sales, dsr, refund, dispute, response, violation FROM assessment_weights ORDER BY id DESC LIMIT 1"
    )
    return {name: int(row[name]) for name in rules.COMPONENTS} if row else dict(rules.DEFAULT_WEIGHTS)


async def set_weights(*, actor: Actor, form: dict[str, str]) -> dict[str, int]:
    """Validated (whole numbers, sum 100), stored as a new row, audited. Applies from the next computation."""
    weights, errors = rules.validate_weights(form)
    if errors:
        raise ValidationFailed(errors)
    async with engine().transaction():
        before = await current_weights()
        await fetch(
            "INSERT INTO assessment_weights (sales, dsr, refund, dispute, response, violation, changed_by, created_at)"
            " VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
            *(weights[n] for n in rules.COMPONENTS),
            actor.user_id,
            clock.now(),
        )
        await record_audit(
            actor=actor,
            action="assessment.weights",
            target_type="assessment",
            target_id="weights",
            before=before,
            after=weights,
        )
    return weights


# ---------------------------------------------------------------- metrics and the daily snapshot
async def collect_metrics(*, now: datetime) -> dict[int, rules.ShopMetrics]:
    """Every open (or suspended) shop's numbers over the last WINDOW_DAYS, in one query per source."""
    since = now - timedelta(days=rules.WINDOW_DAYS)
    shops = await fetch("SELECT id, created_at FROM shop WHERE status IN ('active', 'suspended') ORDER BY id")
    data: dict[int, dict[str, Any]] = {s["id"]: {"new_shop": s["created_at"] >= since} for s in shops}

    def put(rows: list[dict[str, Any]], **names: str) -> None:
        for r in rows:
            if r["shop"] in data:
                for field, column in names.items():
                    data[r["shop"]][field] = r[column]

    put(
        await fetch(
            "SELECT shop, sum(total_fen)::bigint AS gmv, count(*)::int AS n FROM shop_order "
            "WHERE paid_at >= {} AND paid_at <= {} GROUP BY shop",
            since,
            now,
        ),
        gmv_fen="gmv",
        paid_orders="n",
    )
    put(
        await fetch(
            'SELECT o.shop, sum(r.amount_fen)::bigint AS fen, count(DISTINCT r."order")::int AS n FROM refund r '
            "JOIN shop_order o ON o.id = r.\"order\" WHERE r.status <> 'failed' AND o.paid_at >= {} "
            "AND o.paid_at <= {} GROUP BY o.shop",
            since,
            now,
        ),
        refunded_fen="fen",
        refunded_orders="n",
    )
    put(
        await fetch(
            "SELECT a.shop, count(*)::int AS n, count(*) FILTER (WHERE d.status = 'ruled' "
            "AND d.ruling IN ('refund_full', 'refund_partial'))::int AS lost FROM after_sale_dispute d "
            "JOIN after_sale a ON a.id = d.after_sale WHERE d.created_at >= {} AND d.created_at <= {} "
            "GROUP BY a.shop",
            since,
            now,
        ),
        disputes="n",
        disputes_lost="lost",
    )
    for r in await fetch(
        "SELECT shop, avg(dsr_description)::float8 AS d, avg(dsr_service)::float8 AS s, "
        "avg(dsr_logistics)::float8 AS l, count(*)::int AS n FROM review WHERE created_at >= {} "
        "AND created_at <= {} AND NOT auto GROUP BY shop",
        now - timedelta(days=DSR_DAYS),
        now,
    ):
        if r["shop"] in data:
            data[r["shop"]]["dsr"] = (round(r["d"], 2), round(r["s"], 2), round(r["l"], 2))
            data[r["shop"]]["ratings"] = r["n"]
    put(
        await fetch(
            "SELECT shop, avg(first_response_seconds)::int AS s FROM conversation "
            "WHERE first_response_seconds IS NOT NULL AND last_message_at >= {} GROUP BY shop",
            since,
        ),
        response_s="s",
    )
    put(
        await fetch(
            "SELECT shop, count(*)::int AS n FROM complaint WHERE status = 'resolved' AND updated_at >= {} "
            "AND updated_at <= {} GROUP BY shop",
            since,
            now,
        ),
        upheld_complaints="n",
    )
    put(
        await fetch(
            "SELECT shop, count(*)::int AS n FROM shop_measure WHERE kind IN ('rectification', 'demotion', "
            "'suspension') AND status NOT IN ('proposed', 'dismissed', 'revoked') AND created_at >= {} "
            "AND created_at <= {} GROUP BY shop",
            since,
            now,
        ),
        sanctions="n",
    )
    return {shop_id: rules.ShopMetrics(**values) for shop_id, values in data.items()}


def _metrics_json(m: rules.ShopMetrics) -> dict[str, Any]:
    return {
        "gmv_fen": m.gmv_fen,
        "paid_orders": m.paid_orders,
        "refunded_fen": m.refunded_fen,
        "refunded_orders": m.refunded_orders,
        "disputes": m.disputes,
        "disputes_lost": m.disputes_lost,
        "dsr": list(m.dsr) if m.dsr else None,
        "ratings": m.ratings,
        "response_s": m.response_s,
        "upheld_complaints": m.upheld_complaints,
        "sanctions": m.sanctions,
        "new_shop": m.new_shop,
    }


async def compute_scores(*, day: date | None = None, replace: bool = False, now: datetime | None = None) -> int:
    """Score every shop for `day` (default today). Without replace, a day already computed is left alone
    (cheap: one indexed probe), and rows are inserted ON CONFLICT DO NOTHING, so two workers computing the same
    day at once end with one row per shop. replace=True (an operator's "recompute today") overwrites the
    day's rows. Returns the number of rows written."""
    day = day or today()
    if not replace and await fetchrow("SELECT 1 AS x FROM shop_score WHERE day = {} LIMIT 1", day):
        return 0
    now = now or clock.now()  # the demo loader back-fills past days with the window ending then
    metrics = await collect_metrics(now=now)
    if not metrics:
        return 0
    weights = await current_weights()
    best = max(m.gmv_fen for m in metrics.values())
    scores = {shop_id: rules.score_shop(m, best_gmv_fen=best, weights=weights) for shop_id, m in metrics.items()}
    ranks = rules.rank([(shop_id, s.score, metrics[shop_id].gmv_fen) for shop_id, s in scores.items()])
    conflict = (
        "DO UPDATE SET score = EXCLUDED.score, rank = EXCLUDED.rank, components = EXCLUDED.components, "
        "metrics = EXCLUDED.metrics, computed_at = EXCLUDED.computed_at"
        if replace
        else "DO NOTHING"
    )
    rows = await fetch(
        "INSERT INTO shop_score (shop, day, score, rank, components, metrics, computed_at) "
        "SELECT s.shop, {}::date, s.score, s.rank, s.components, s.metrics, {} FROM jsonb_to_recordset({}::jsonb) "
        "AS s(shop int, score int, rank int, components jsonb, metrics jsonb) "
        f"ORDER BY s.shop ON CONFLICT (shop, day) {conflict} RETURNING id",
        day,
        now,
        json.dumps(
            [
                {
                    "shop": shop_id,
                    "score": s.score,
                    "rank": ranks[shop_id],
                    "components": s.as_json(),
                    "metrics": _metrics_json(metrics[shop_id]),
                }
                for shop_id, s in sorted(scores.items())
            ]
        ),
    )
    return len(rows)


async def recompute_today(*, actor: Actor) -> int:
    async with engine().transaction():
        n = await compute_scores(replace=True)
        await record_audit(
            actor=actor,
            action="assessment.recompute",
            target_type="assessment",
            target_id=str(today()),
            after={"shops": n},
        )
    return n


# ---------------------------------------------------------------- reading scores
def _view(row: dict[str, Any]) -> dict[str, Any]:
    view = dict(row)
    components = _json(row.get("components"))
    view["components"] = [
        {"name": n, "label": rules.COMPONENT_NAMES[n], "advice": rules.ADVICE[n], **components[n]}
        for n in rules.COMPONENTS
        if n in components
    ]
    view["metrics"] = _json(row.get("metrics"))
    return view


async def latest_day() -> date | None:
    row = await fetchrow("SELECT max(day) AS d FROM shop_score")
    return row["d"] if row else None


_BADGE_SQL = (
    "EXISTS (SELECT 1 FROM shop_measure m WHERE m.shop = s.id AND m.kind = 'badge' AND m.status = 'active' "
    "AND (m.ends_at IS NULL OR m.ends_at > {}))"
)


async def leaderboard(*, limit: int = 50) -> tuple[date | None, list[dict[str, Any]]]:
    """The public 商家排行榜: open shops of the latest computed day, best first, with the recommended badge."""
    day = await latest_day()
    if day is None:
        return None, []
    rows = await fetch(
        f"SELECT s.id, s.name, s.logo_key, sc.score, row_number() OVER (ORDER BY sc.rank)::int AS position, "
        f"{_BADGE_SQL} AS recommended FROM shop_score sc JOIN shop s ON s.id = sc.shop "
        "WHERE sc.day = {} AND s.status = 'active' ORDER BY sc.rank LIMIT {}",
        clock.now(),
        day,
        limit,
    )
    return day, rows


@dataclass(frozen=True)
class Ranking:
    day: date | None
    days: list[date]
    rows: list[dict[str, Any]]


async def admin_ranking(*, day: date | None = None, q: str = "", below: int | None = None, status: str = "") -> Ranking:
    days = [r["day"] for r in await fetch("SELECT DISTINCT day FROM shop_score ORDER BY day DESC LIMIT 60")]
    day = day if day in days else (days[0] if days else None)
    if day is None:
        return Ranking(None, [], [])
    conds, args = ["sc.day = {}"], [clock.now(), day]
    if q:
        conds.append("s.name ILIKE {}")
        args.append("%" + q.replace("%", "").replace("_", "") + "%")
    if below is not None:
        conds.append("sc.score < {}")
        args.append(below)
    if status in ("active", "suspended"):
        conds.append("s.status = {}")
        args.append(status)
    rows = await fetch(
        f"SELECT s.id, s.name, s.status, sc.score, sc.rank, sc.components, sc.metrics, {_BADGE_SQL} AS recommended, "
        "(SELECT count(*) FROM shop_measure m WHERE m.shop = s.id AND m.status IN ('active', 'escalated', "
        "'proposed'))::int AS open_measures FROM shop_score sc JOIN shop s ON s.id = sc.shop "
        f"WHERE {' AND '.join(conds)} ORDER BY sc.rank LIMIT 500",
        *args,
    )
    return Ranking(day, days, [_view(r) for r in rows])


async def shop_assessment(*, shop_id: int) -> dict[str, Any]:
    """One shop's latest score with its components, its history (trend) and its measures."""
    shop = await fetchrow("SELECT id, name, status, status_reason FROM shop WHERE id = {}", shop_id)
    if shop is None:
        raise NotFound(N_("This shop does not exist."))
    history = await fetch(
        "SELECT day, score, rank, components, metrics FROM shop_score WHERE shop = {} ORDER BY day DESC LIMIT {}",
        shop_id,
        HISTORY_DAYS,
    )
    history = [_view(r) for r in history]
    latest = history[0] if history else None
    weakest = []
    if latest:
        comps = [
            rules.Component(c["name"], c["sub"], c["weight"], c.get("neutral", False)) for c in latest["components"]
        ]
        weakest = [next(c for c in latest["components"] if c["name"] == w.name) for w in rules.weakest(comps)]
    return {
        "shop": shop,
        "latest": latest,
        "history": list(reversed(history)),
        "trend": trend_points(list(reversed(history))),
        "weakest": weakest,
        "measures": await measures_of(shop_id=shop_id),
        "weights": await current_weights(),
    }


def trend_points(history: list[dict[str, Any]], *, width: int = 300, height: int = 80) -> str:
    """An SVG polyline's points for the score history (0-100 upwards), oldest left."""
    if not history:
        return ""
    n = len(history)
    step = width / (n - 1) if n > 1 else 0
    return " ".join(
        f"{round(i * step, 1)},{round(height - r['score'] * height / 100, 1)}" for i, r in enumerate(history)
    )


async def measures_of(*, shop_id: int) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT id, kind, status, bonus, reason, ends_at, created_at, closed_at, note FROM shop_measure "
        "WHERE shop = {} ORDER BY (status IN ('active', 'escalated', 'proposed')) DESC, id DESC LIMIT 100",
        shop_id,
    )
    now = clock.now()
    rows = [dict(r) for r in rows]
    for r in rows:
        r["open"] = r["status"] in ("active", "escalated", "proposed")
        r["overdue"] = (
            r["kind"] == "rectification"
            and r["status"] in ("active", "escalated")
            and bool(r["ends_at"] and r["ends_at"] < now)
        )
    return rows


async def open_notices(*, shop_id: int) -> list[dict[str, Any]]:
    """What the seller home shows: active or overdue rectifications and demotions, and active rewards."""
    return [m for m in await measures_of(shop_id=shop_id) if m["status"] in ("active", "escalated")]


async def is_recommended(*, shop_id: int) -> bool:
    row = await fetchrow(
        "SELECT 1 AS x FROM shop_measure WHERE shop = {} AND kind = 'badge' AND status = 'active' "
        "AND (ends_at IS NULL OR ends_at > {}) LIMIT 1",
        shop_id,
        clock.now(),
    )
    return row is not None


# ---------------------------------------------------------------- rewards and sanctions
def _parse_days(raw: str) -> int:
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise ValidationFailed({"days": N_("Enter a number of days from 1 to 365.")})
    return int(text)


def _parse_bonus(raw: str, kind: str) -> int:
    text = (raw or "").strip()
    if not text:
        return DEFAULT_BONUS[kind]
    digits = text.lstrip("+-")
    if not digits.isascii() or not digits.isdigit() or not 1 <= int(digits) <= 100:
        raise ValidationFailed({"bonus": N_("Enter a bonus from 1 to 100.")})
    value = int(digits)
    return value if kind == "boost" else -value  # a boost lifts, a demotion lowers, whatever the sign typed


async def _notify_owners(shop_id: int, *, kind: str, title: str, body: str, params: dict[str, Any]) -> None:
    for user_id in await owner_ids(shop_id):
        await notify(
            user_id=user_id,
            kind=f"assessment.{kind}",
            title=title,
            body=body,
            link="/seller/assessment/",
            params=params,
        )


async def apply_measure(*, actor: Actor, shop_id: int, form: dict[str, str], proposal_id: int | None = None) -> int:
    """An operator applies a reward or a sanction (or confirms the sweep's proposal: proposal_id). Audited in the
    same transaction; the owners are notified. A suspension goes through the onboarding app's shop suspension.
    Returns the measure's id."""
    kind = form.get("kind", "")
    if kind not in KINDS:
        raise ValidationFailed({"kind": N_("Choose a reward or a sanction.")})
    reason = " ".join((form.get("reason") or "").split())
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = N_("Enter the reason: the shop will see it.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = N_("Use at most 500 characters for the reason.")
    days = bonus = 0
    try:
        days = _parse_days(form.get("days", "")) if kind != "suspension" else 0
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        bonus = _parse_bonus(form.get("bonus", ""), kind) if kind in DEFAULT_BONUS else 0
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    now = clock.now()
    ends_at = now + timedelta(days=days) if days else None
    async with engine().transaction():
        shop = await fetchrow("SELECT id, name, status FROM shop WHERE id = {} FOR UPDATE", shop_id)
        if shop is None:
            raise NotFound(N_("This shop does not exist."))
        if kind == "suspension":
            if shop["status"] != "active":
                raise DomainError(N_("Only an open shop can be suspended."))
            await change_shop_status(actor=actor, shop_id=shop_id, action="suspend", reason=reason)
        if proposal_id is not None:  # the sweep's proposal becomes the measure the operator chose
            row = await fetchrow(
                "UPDATE shop_measure SET kind = {}, status = 'active', bonus = {}, reason = {}, ends_at = {}, "
                "created_by = {}, created_at = {} WHERE id = {} AND shop = {} AND status = 'proposed' RETURNING id",
                kind,
                bonus,
                reason,
                ends_at,
                actor.user_id,
                now,
                proposal_id,
                shop_id,
            )
            if row is None:
                raise DomainError(N_("This proposal has already been handled."))
        else:
            row = await fetchrow(
                "INSERT INTO shop_measure (shop, kind, status, bonus, reason, ends_at, created_by, created_at) "
                "VALUES ({}, {}, 'active', {}, {}, {}, {}, {}) RETURNING id",
                shop_id,
                kind,
                bonus,
                reason,
                ends_at,
                actor.user_id,
                now,
            )
        assert row is not None
        await record_audit(
            actor=actor,
            action=f"assessment.{kind}",
            target_type="shop",
            target_id=shop_id,
            after={
                "measure": row["id"],
                "kind": kind,
                "bonus": bonus,
                "reason": reason,
                "ends_at": ends_at.isoformat() if ends_at else None,
                "proposal": proposal_id,
            },
        )
        if kind in _NOTICES:  # the suspension's own notice is sent by change_shop_status
            title, body = _NOTICES[kind]
            until = ends_at.astimezone(ZoneInfo(get_settings().display_timezone)).strftime("%Y-%m-%d %H:%M")
            await _notify_owners(
                shop_id,
                kind=kind,
                title=title,
                body=body,
                params={"shop": shop["name"], "reason": reason, "until": until},
            )
    if kind in ("boost", "demotion", "suspension"):
        _forget_search()
    return int(row["id"])


def _forget_search() -> None:
    from app.catalog import search as catalog_search

    catalog_search.forget_cached_results()  # this process's listings at once; others within their few seconds


_CLOSE = {
    # action: (from statuses, to status, kinds, msgid to the shop or None)
    "resolve": (
        ("active", "escalated"),
        "resolved",
        ("rectification",),
        N_("The rectification of %(shop)s is accepted."),
    ),
    "revoke": (("active", "escalated"), "revoked", KINDS, N_("A measure on %(shop)s was lifted: %(kind)s.")),
    "dismiss": (("proposed",), "dismissed", KINDS, None),
}


async def close_measure(*, actor: Actor, shop_id: int, measure_id: int, action: str, note: str = "") -> str:
    """resolve a rectification, revoke a measure (a suspended shop is reopened), dismiss a proposal."""
    if action not in _CLOSE:
        raise DomainError(N_("This measure cannot be changed that way."))
    sources, target, kinds, message = _CLOSE[action]
    note = " ".join((note or "").split())[:REASON_MAX]
    now = clock.now()
    async with engine().transaction():
        m = await fetchrow(
            "SELECT m.id, m.kind, m.status, s.name, s.status AS shop_status FROM shop_measure m "
            "JOIN shop s ON s.id = m.shop WHERE m.id = {} AND m.shop = {} FOR UPDATE OF m",
            measure_id,
            shop_id,
        )
        if m is None:
            raise NotFound(N_("Page not found"))
        if m["status"] not in sources or m["kind"] not in kinds:
            raise DomainError(N_("This measure cannot be changed that way."))
        await fetch(
            "UPDATE shop_measure SET status = {}, closed_at = {}, closed_by = {}, note = CASE WHEN {} = '' "
            "THEN note ELSE {} END WHERE id = {}",
            target,
            now,
            actor.user_id,
            note,
            note,
            measure_id,
        )
        if action == "revoke" and m["kind"] == "suspension" and m["shop_status"] == "suspended":
            await change_shop_status(actor=actor, shop_id=shop_id, action="reopen", reason=note)
        await record_audit(
            actor=actor,
            action=f"assessment.{action}",
            target_type="shop",
            target_id=shop_id,
            before={"measure": measure_id, "status": m["status"]},
            after={"status": target, "note": note},
        )
        if message:
            await _notify_owners(
                shop_id,
                kind=action,
                title=N_("Assessment update for your shop"),
                body=message,
                params={"shop": m["name"], "kind": KIND_NAMES[m["kind"]]},
            )
    if m["kind"] in ("boost", "demotion"):
        _forget_search()
    return target


async def answer_rectification(*, actor: Actor, shop_id: int, measure_id: int, note: str) -> None:
    """The shop reports what it changed; an operator then resolves the notice. Audited."""
    note = " ".join((note or "").split())
    if not note:
        raise ValidationFailed({"note": N_("Describe what you have changed.")})
    if len(note) > REASON_MAX:
        raise ValidationFailed({"note": N_("Use at most 500 characters.")})
    async with engine().transaction():
        done = await fetch(
            "UPDATE shop_measure SET note = {} WHERE id = {} AND shop = {} AND kind = 'rectification' "
            "AND status IN ('active', 'escalated') RETURNING id",
            note,
            measure_id,
            shop_id,
        )
        if not done:
            raise NotFound(N_("Page not found"))
        await record_audit(
            actor=actor,
            action="assessment.rectification_answer",
            target_type="shop",
            target_id=shop_id,
            after={"measure": measure_id, "note": note},
        )


# ---------------------------------------------------------------- sweeps
async def expire_measures() -> int:
    """Boosts, badges and demotions past their end stop (one guarded UPDATE: safe twice)."""
    rows = await fetch(
        "UPDATE shop_measure SET status = 'expired', closed_at = {} WHERE status = 'active' "
        "AND kind IN ('boost', 'badge', 'demotion') AND ends_at IS NOT NULL AND ends_at <= {} RETURNING id",
        clock.now(),
        clock.now(),
    )
    return len(rows)


async def escalate_overdue() -> int:
    """A rectification notice past its deadline and not resolved becomes overdue (escalated): audited, the shop
    and the platform's operations staff are told. The guarded UPDATE makes a second run a no-op."""
    now = clock.now()
    async with engine().transaction():
        rows = await fetch(
            "UPDATE shop_measure m SET status = 'escalated' FROM shop s WHERE s.id = m.shop "
            "AND m.kind = 'rectification' AND m.status = 'active' AND m.ends_at <= {} "
            "RETURNING m.id, m.shop, s.name",
            now,
        )
        for r in rows:
            await record_audit(
                actor=SYSTEM,
                action="assessment.escalate",
                target_type="shop",
                target_id=r["shop"],
                before={"measure": r["id"], "status": "active"},
                after={"status": "escalated"},
            )
            await _notify_owners(
                r["shop"],
                kind="escalate",
                title=N_("Rectification overdue"),
                body=N_("%(shop)s did not rectify by the deadline: the platform may demote or suspend it."),
                params={"shop": r["name"]},
            )
            for staff in await fetch(
                "SELECT DISTINCT \"user\" FROM platform_role WHERE role IN ('operations', 'admin') ORDER BY \"user\""
            ):
                await notify(
                    user_id=staff["user"],
                    kind="assessment.escalate",
                    title=N_("Rectification overdue"),
                    body=N_("%(shop)s did not rectify by the deadline."),
                    params={"shop": r["name"]},
                    link=f"/admin/assessment/shops/{r['shop']}",
                )
    return len(rows)


async def propose_sanctions(*, day: date | None = None) -> int:
    """Shops scoring under PROPOSAL_THRESHOLD (with enough orders) get a proposed rectification notice, one per
    shop and day at most (unique index), none while one is open. A person confirms or dismisses it."""
    day = day or today()
    rows = await fetch(
        "INSERT INTO shop_measure (shop, kind, status, reason, proposed_day, created_at) "
        "SELECT sc.shop, 'rectification', 'proposed', {}, {}, {} FROM shop_score sc JOIN shop s ON s.id = sc.shop "
        "WHERE sc.day = {} AND sc.score < {} AND s.status = 'active' "
        "AND (sc.metrics ->> 'paid_orders')::int >= {} AND NOT EXISTS (SELECT 1 FROM shop_measure m "
        "WHERE m.shop = sc.shop AND m.kind IN ('rectification', 'suspension') "
        "AND m.status IN ('proposed', 'active', 'escalated')) ORDER BY sc.shop "
        "ON CONFLICT (shop, proposed_day) WHERE proposed_day IS NOT NULL DO NOTHING RETURNING id",
        N_("Score under the threshold"),
        day,
        clock.now(),
        day,
        PROPOSAL_THRESHOLD,
        PROPOSAL_MIN_ORDERS,
    )
    return len(rows)


async def daily() -> None:
    """The worker's sweep: expire, escalate, compute today's scores (once), propose."""
    await expire_measures()
    await escalate_overdue()
    if await compute_scores():
        await propose_sanctions()


# ---------------------------------------------------------------- the home feed's boost
FEED_BOOSTED = 4


async def lead_with_boosted(result: Any) -> Any:
    """The home feed's first page, led by the best seller of each shop with an active traffic boost (highest
    bonus first, at most FEED_BOOSTED): one small query over the boosted shops only (the feed itself keeps
    reading through its sales index). The rest of the page follows, without those products."""
    from dataclasses import replace

    from app.catalog.search import CARD_JSON, card_from_row

    rows = await fetch(
        f"SELECT {CARD_JSON} AS card FROM (SELECT m.shop, sum(m.bonus) AS bonus FROM shop_measure m "
        "WHERE m.status = 'active' AND m.bonus > 0 AND m.ends_at > {} GROUP BY m.shop "
        "ORDER BY sum(m.bonus) DESC, m.shop LIMIT {}) b JOIN shop s ON s.id = b.shop AND s.status = 'active' "
        "CROSS JOIN LATERAL (SELECT * FROM product p WHERE p.shop = b.shop AND p.status = 'active' "
        "ORDER BY p.sales_count DESC, p.id DESC LIMIT 1) p ORDER BY b.bonus DESC, b.shop",
        clock.now(),
        FEED_BOOSTED,
    )
    if not rows:
        return result
    lead = [card_from_row(_json(r["card"])) for r in rows]
    ids = {c.id for c in lead}
    return replace(result, products=lead + [p for p in result.products if p.id not in ids])
