"""A/B tests of home layouts (issue 9).

An operator defines an experiment with variants ({key, layout, weight}; the first is the control), starts it (one
runs at a time) and stops it; each change is audited. While it runs:

- Assignment is stable and needs no storage: sha256(experiment id + visitor id) picks a point in [0, total weight)
  and the variant whose cumulative weight covers it is shown. The same visitor cookie always gets the same variant,
  in every process and after restarts; visitors with no cookie yet get theirs made before the app runs (capture).
- Serving: CaptureMiddleware (outside the page cache) asks `assign()` through its `home_variant` hook for each
  home page view, then hands the layout to the home handler as `layout=<name>` in the query string: the page cache
  keys by URL, so each layout is cached once and replayed only to visitors assigned to it, and a client can never
  choose a layout (any `layout=` it sends is dropped). The control's layout ('classic') adds nothing: it is
  today's home page and shares its cache entry. Passing ?layout= from links would not be stable (a cookie-free URL
  shown to whoever follows it), which is why the assignment lives in the middleware.
- Exposure: the home page_view event carries variant '<experiment id>:<key>'.
- Rollup (`rollup_experiments`): each exposed person (who) counts once, on the day and in the variant of their
  first exposure; converted = they paid an order after that first exposure and before the experiment stopped;
  gmv = what they paid then. So summing analytics_daily_experiment over days gives distinct visitors per variant.
- The comparison: conversion rate per variant with a Wilson 95% interval, and the difference with the control
  with Newcombe's hybrid score interval (built from the two Wilson intervals)."""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.analytics import capture
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.moderation.services import Actor, record_audit
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_platform_role

LAYOUTS = ("classic", "compact")  # classic: today's home; compact: no banner strip, the feed comes up sooner
LAYOUT_LABELS = {"classic": N_("Classic (today's home page)"), "compact": N_("Compact (no banners, feed first)")}
STATUS_LABELS = {"draft": N_("Draft"), "running": N_("Running"), "stopped": N_("Stopped")}
MAX_VARIANTS = 4
CACHE_SECONDS = 10.0
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Variant:
    key: str
    layout: str
    weight: int


# ----------------------------------------------------------------------------------------------- assignment
def bucket(visitor: str, experiment_id: int, variants: list[Variant]) -> Variant | None:
    """The visitor's variant: stable for (experiment, visitor), proportional to the weights."""
    total = sum(v.weight for v in variants if v.weight > 0)
    if not visitor or total <= 0:
        return None
    digest = hashlib.sha256(f"{experiment_id}:{visitor}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % total
    for variant in variants:
        if variant.weight <= 0:
            continue
        if point < variant.weight:
            return variant
        point -= variant.weight
    return None  # unreachable


def parse_variants(raw: Any) -> list[Variant]:
    out = []
    for item in raw if isinstance(raw, list) else []:
        try:
            out.append(Variant(str(item["key"]), str(item["layout"]), int(item["weight"])))
        except (KeyError, TypeError, ValueError):
            continue
    return out


# The running experiment, per process, refreshed in the background at most every CACHE_SECONDS: assignment is
# called on the hot path of every home page view and never waits for the database.
_running: tuple[int, list[Variant]] | None = None
_loaded_at = -math.inf
_refreshing: asyncio.Task[None] | None = None


async def refresh_running() -> None:
    global _running, _loaded_at
    row = await fetchrow(
        "SELECT id, variants FROM analytics_experiment WHERE status = 'running' ORDER BY started_at DESC LIMIT 1"
    )
    _running = (row["id"], parse_variants(_json(row["variants"]))) if row else None
    _loaded_at = time.monotonic()


def assign(visitor: str) -> tuple[str, str] | None:
    """For capture's home_variant hook: ('<experiment id>:<key>', layout) for this visitor, or None."""
    global _refreshing
    if time.monotonic() - _loaded_at > CACHE_SECONDS and (_refreshing is None or _refreshing.done()):
        try:
            _refreshing = asyncio.get_running_loop().create_task(refresh_running())
        except RuntimeError:
            pass
    if _running is None:
        return None
    experiment_id, variants = _running
    variant = bucket(visitor, experiment_id, variants)
    if variant is None:
        return None
    return f"{experiment_id}:{variant.key}", variant.layout


capture.home_variant = assign


def _json(value: Any) -> Any:
    if isinstance(value, str):
        import json

        return json.loads(value or "null")
    return value


# ----------------------------------------------------------------------------------------------- statistics
def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion; None without trials."""
    if trials <= 0:
        return None
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def difference(k1: int, n1: int, k0: int, n0: int, z: float = Z95) -> tuple[float, float, float] | None:
    """p1 - p0 and its 95% interval (Newcombe's hybrid score method, from the two Wilson intervals)."""
    w1, w0 = wilson(k1, n1, z), wilson(k0, n0, z)
    if w1 is None or w0 is None:
        return None
    p1, p0 = k1 / n1, k0 / n0
    (l1, u1), (l0, u0) = w1, w0
    diff = p1 - p0
    lower = diff - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    upper = diff + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return diff, lower, upper


# ----------------------------------------------------------------------------------------------- services
class ExperimentError(DomainError):
    code = "experiment"


def validate(name: str, rows: list[tuple[str, str, str]]) -> tuple[str, list[Variant]]:
    errors: dict[str, str] = {}
    name = name.strip()
    if not name:
        errors["name"] = N_("Give the experiment a name.")
    elif len(name) > 80:
        errors["name"] = N_("Use at most 80 characters.")
    variants: list[Variant] = []
    keys: set[str] = set()
    for index, (key, layout, weight) in enumerate(rows, start=1):
        key = key.strip()
        if not key and not weight.strip():
            continue
        if not key.replace("-", "").replace("_", "").isalnum() or len(key) > 20 or not key.isascii():
            errors[f"key_{index}"] = N_("Use 1 to 20 letters, digits, - or _.")
            continue
        if key in keys:
            errors[f"key_{index}"] = N_("Each variant needs its own key.")
            continue
        if layout not in LAYOUTS:
            errors[f"layout_{index}"] = N_("Choose a layout.")
            continue
        try:
            amount = int(weight.strip())
        except ValueError:
            amount = -1
        if not 1 <= amount <= 1000:
            errors[f"weight_{index}"] = N_("Use a whole number from 1 to 1000.")
            continue
        keys.add(key)
        variants.append(Variant(key, layout, amount))
    if not errors and len(variants) < 2:
        errors["__all__"] = N_("An experiment needs at least two variants.")
    if errors:
        raise ValidationFailed(errors)
    return name, variants


async def create_experiment(*, actor: Actor, name: str, rows: list[tuple[str, str, str]]) -> int:
    name, variants = validate(name, rows)
    spec = [{"key": v.key, "layout": v.layout, "weight": v.weight} for v in variants]
    async with engine().transaction():
        row = await fetchrow(
            "INSERT INTO analytics_experiment (name, status, variants, created_at) "
            "VALUES ({}, 'draft', {}::jsonb, {}) RETURNING id",
            name,
            _dumps(spec),
            clock.now(),
        )
        assert row is not None
        await record_audit(
            actor=actor, action="experiment.create", target_type="experiment", target_id=row["id"],
            after={"name": name, "variants": spec},
        )  # fmt: skip
    return int(row["id"])


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


async def start_experiment(*, actor: Actor, experiment_id: int) -> None:
    async with engine().transaction():
        await fetch("SELECT pg_advisory_xact_lock({})", 0x4A15_E1)  # one "running" check at a time
        row = await fetchrow("SELECT status FROM analytics_experiment WHERE id = {} FOR UPDATE", experiment_id)
        if row is None:
            raise NotFound(N_("There is no such experiment."))
        if row["status"] != "draft":
            raise ExperimentError(N_("Only a draft experiment can be started."))
        other = await fetchrow("SELECT name FROM analytics_experiment WHERE status = 'running' LIMIT 1")
        if other:
            raise ExperimentError(N_("Stop “%(name)s” first: one home experiment runs at a time."), name=other["name"])
        await fetch(
            "UPDATE analytics_experiment SET status = 'running', started_at = {} WHERE id = {}",
            clock.now(),
            experiment_id,
        )
        await record_audit(
            actor=actor, action="experiment.start", target_type="experiment", target_id=experiment_id,
            before={"status": "draft"}, after={"status": "running"},
        )  # fmt: skip
    await refresh_running()


async def stop_experiment(*, actor: Actor, experiment_id: int) -> None:
    async with engine().transaction():
        row = await fetchrow("SELECT status FROM analytics_experiment WHERE id = {} FOR UPDATE", experiment_id)
        if row is None:
            raise NotFound(N_("There is no such experiment."))
        if row["status"] != "running":
            raise ExperimentError(N_("Only a running experiment can be stopped."))
        await fetch(
            "UPDATE analytics_experiment SET status = 'stopped', stopped_at = {} WHERE id = {}",
            clock.now(),
            experiment_id,
        )
        await record_audit(
            actor=actor, action="experiment.stop", target_type="experiment", target_id=experiment_id,
            before={"status": "running"}, after={"status": "stopped"},
        )  # fmt: skip
    await refresh_running()
    await rollup_experiments(experiment_id=experiment_id)


_ROLLUP = """
INSERT INTO analytics_daily_experiment (day, experiment, variant, visitors, converted, gmv_fen, conversion)
SELECT (f.at AT TIME ZONE {})::date, {}, f.variant, count(*), count(*) FILTER (WHERE pay.gmv IS NOT NULL),
       COALESCE(sum(pay.gmv), 0), (count(*) FILTER (WHERE pay.gmv IS NOT NULL))::real / count(*)
FROM (
    SELECT DISTINCT ON (who) who, variant, at FROM (
        SELECT e.at, split_part(e.variant, ':', 2) AS variant,
               CASE WHEN COALESCE(e.user_id, l.user_id) IS NOT NULL THEN 'u' || COALESCE(e.user_id, l.user_id)
                    ELSE 'v' || e.visitor END AS who
        FROM analytics_event e
        LEFT JOIN analytics_visitor_link l ON e.user_id IS NULL AND l.visitor = e.visitor
        WHERE e.kind = 'page_view' AND e.at >= {} AND e.at < {} AND e.variant LIKE {}
    ) exposures ORDER BY who, at
) f
LEFT JOIN LATERAL (
    SELECT sum(o.total_fen) AS gmv FROM shop_order o
    WHERE f.who LIKE 'u%' AND o.buyer = substr(f.who, 2)::int AND o.paid_at >= f.at AND o.paid_at < {}
    HAVING count(*) > 0
) pay ON true
GROUP BY 1, f.variant
"""


async def rollup_experiments(*, experiment_id: int | None = None) -> None:
    """Rebuild analytics_daily_experiment for the running experiments and those stopped in the last two days
    (or one experiment). Each is one pass over its exposures (page views since it started)."""
    from app.analytics.rollup import tz

    if experiment_id is None:
        rows = await fetch(
            "SELECT id, started_at, stopped_at FROM analytics_experiment WHERE started_at IS NOT NULL "
            "AND (status = 'running' OR stopped_at > {})",
            clock.now() - _days(2),
        )
    else:
        rows = await fetch(
            "SELECT id, started_at, stopped_at FROM analytics_experiment WHERE id = {} AND started_at IS NOT NULL",
            experiment_id,
        )
    far = clock.now() + _days(3650)
    for row in rows:
        until = row["stopped_at"] or far
        async with engine().transaction():
            await fetch("DELETE FROM analytics_daily_experiment WHERE experiment = {}", row["id"])
            await fetch(_ROLLUP, str(tz()), row["id"], row["started_at"], until, f"{row['id']}:%", until)


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


@dataclass(slots=True)
class VariantResult:
    key: str
    layout: str
    weight: int
    visitors: int
    converted: int
    gmv_fen: int
    rate: float | None
    interval: tuple[float, float] | None
    diff: tuple[float, float, float] | None  # vs the control: difference, lower, upper
    control: bool


async def results(experiment_id: int) -> tuple[dict[str, Any], list[VariantResult]]:
    row = await fetchrow(
        "SELECT id, name, status, variants, started_at, stopped_at, created_at FROM analytics_experiment WHERE id = {}",
        experiment_id,
    )
    if row is None:
        raise NotFound(N_("There is no such experiment."))
    variants = parse_variants(_json(row["variants"]))
    sums = {
        r["variant"]: r
        for r in await fetch(
            "SELECT variant, sum(visitors)::bigint AS visitors, sum(converted)::bigint AS converted, "
            "sum(gmv_fen)::bigint AS gmv FROM analytics_daily_experiment WHERE experiment = {} GROUP BY variant",
            experiment_id,
        )
    }
    out: list[VariantResult] = []
    control_n = control_k = 0
    for index, v in enumerate(variants):
        s = sums.get(v.key)
        n, k = (int(s["visitors"]), int(s["converted"])) if s else (0, 0)
        if index == 0:
            control_n, control_k = n, k
        out.append(
            VariantResult(
                key=v.key, layout=v.layout, weight=v.weight, visitors=n, converted=k,
                gmv_fen=int(s["gmv"]) if s else 0, rate=k / n if n else None, interval=wilson(k, n),
                diff=None if index == 0 else difference(k, n, control_k, control_n), control=index == 0,
            )
        )  # fmt: skip
    return dict(row), out


# ----------------------------------------------------------------------------------------------- admin pages
def _rows_of(form: dict[str, str]) -> list[tuple[str, str, str]]:
    return [
        (form.get(f"key_{i}", ""), form.get(f"layout_{i}", ""), form.get(f"weight_{i}", ""))
        for i in range(1, MAX_VARIANTS + 1)
    ]


_DEFAULT_FORM = {"key_1": "a", "layout_1": "classic", "weight_1": "50", "key_2": "b", "layout_2": "compact",
                 "weight_2": "50"}  # fmt: skip


class ExperimentAdminController(Controller):
    path = "/admin/experiments"
    guards = [requires_platform_role("operations")]

    async def _index(
        self, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status_code: int = 200
    ) -> Template:
        rows = await fetch(
            "SELECT id, name, status, variants, started_at, stopped_at, created_at FROM analytics_experiment "
            "ORDER BY id DESC LIMIT 100"
        )
        rows = [{**dict(r), "variants": parse_variants(_json(r["variants"]))} for r in rows]
        return Template(
            template_name="admin/experiments/index.html",
            context={
                "rows": rows,
                "form": form if form is not None else dict(_DEFAULT_FORM),
                "errors": errors or {},
                "layouts": LAYOUTS,
                "layout_labels": LAYOUT_LABELS,
                "status_labels": STATUS_LABELS,
                "slots": range(1, MAX_VARIANTS + 1),
            },
            status_code=status_code,
        )

    @get("/", name="admin:experiments")
    async def index(self) -> Template:
        return await self._index()

    @post("/", name="admin:experiment-create")
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            experiment_id = await create_experiment(
                actor=actor_of(request), name=form.get("name", ""), rows=_rows_of(form)
            )
        except ValidationFailed as exc:
            return await self._index(form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The experiment has been created. Start it when you are ready."), "success")
        return Redirect(path=f"/admin/experiments/{experiment_id}", status_code=303)

    @get("/{experiment_id:int}", name="admin:experiment")
    async def detail(self, experiment_id: FromPath[int]) -> Template:
        experiment, variants = await results(experiment_id)
        return Template(
            template_name="admin/experiments/detail.html",
            context={
                "experiment": experiment,
                "variants": variants,
                "layout_labels": LAYOUT_LABELS,
                "status_labels": STATUS_LABELS,
            },
        )

    @post("/{experiment_id:int}/start", name="admin:experiment-start")
    async def start(self, request: Request, experiment_id: FromPath[int]) -> Redirect:
        try:
            await start_experiment(actor=actor_of(request), experiment_id=experiment_id)
            flash(request, N_("The experiment is running: home page visitors are being assigned."), "success")
        except ExperimentError as exc:
            flash(request, exc.message, "error", **exc.params)
        return Redirect(path=f"/admin/experiments/{experiment_id}", status_code=303)

    @post("/{experiment_id:int}/stop", name="admin:experiment-stop")
    async def stop(self, request: Request, experiment_id: FromPath[int]) -> Redirect:
        try:
            await stop_experiment(actor=actor_of(request), experiment_id=experiment_id)
            flash(request, N_("The experiment has been stopped: everyone sees the usual home page again."), "success")
        except ExperimentError as exc:
            flash(request, exc.message, "error", **exc.params)
        return Redirect(path=f"/admin/experiments/{experiment_id}", status_code=303)


ROUTES: list[Any] = [ExperimentAdminController]
