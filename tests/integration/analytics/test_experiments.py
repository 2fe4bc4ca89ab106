"""Home-layout A/B test: the admin page (operations role, audited), stable variants served through the page
cache, exposures on the home page view and conversion per variant rolled up."""

from __future__ import annotations

import pytest

from app.analytics import capture, experiments
from app.core.db import fetch
from app.core.i18n import translations
from tests.factories import login, make_user, post_form

pytestmark = pytest.mark.asyncio
UA = {"user-agent": "Mozilla/5.0"}
AB = [experiments.Variant("a", "classic", 1), experiments.Variant("b", "compact", 1)]


@pytest.fixture(autouse=True)
def mounted(litestar_app):  # type: ignore[no-untyped-def]
    """The admin pages, until app.main mounts experiments.ROUTES (asked of the lead)."""
    if not any(getattr(r, "path", "") == "/admin/experiments" for r in litestar_app.routes):
        litestar_app.register(experiments.ExperimentAdminController)
    capture.discard()
    yield
    capture.discard()
    experiments._running = None
    experiments._loaded_at = float("-inf")


async def operator(client) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("operations",)))


async def test_only_operations_staff_see_the_page(client) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user())
    assert (await client.get("/admin/experiments/")).status_code == 403


async def test_create_start_stop_are_audited_and_bad_input_keeps_the_form(client) -> None:  # type: ignore[no-untyped-def]
    await operator(client)
    bad = await post_form(client, "/admin/experiments/", {"name": "首页改版", "key_1": "a", "layout_1": "classic",
                                                          "weight_1": "50", "key_2": "a", "layout_2": "compact",
                                                          "weight_2": "50"})  # fmt: skip
    assert bad.status_code == 422
    message = translations("zh_CN").ugettext("Each variant needs its own key.")
    assert "首页改版" in bad.text and message in bad.text  # what was typed is kept
    made = await post_form(client, "/admin/experiments/", {"name": "首页改版", "key_1": "a", "layout_1": "classic",
                                                           "weight_1": "50", "key_2": "b", "layout_2": "compact",
                                                           "weight_2": "50"})  # fmt: skip
    assert made.status_code == 303
    target = made.headers["location"]
    experiment_id = int(target.rsplit("/", 1)[1])
    assert (await post_form(client, f"{target}/start")).status_code == 303
    page = await client.get(target)
    assert page.status_code == 200 and "首页改版" in page.text
    listing = await client.get("/admin/experiments/")
    assert listing.status_code == 200 and f'href="/admin/experiments/{experiment_id}"' in listing.text
    row = (await fetch("SELECT status, started_at FROM analytics_experiment WHERE id = {}", experiment_id))[0]
    assert row["status"] == "running" and row["started_at"] is not None
    other = await experiments.create_experiment(
        actor=experiments.Actor(user_id=None, ip=None, label="t"), name="second",
        rows=[("a", "classic", "1"), ("b", "compact", "1")],
    )  # fmt: skip
    refused = await post_form(client, f"/admin/experiments/{other}/start")
    assert refused.status_code == 303
    assert (await fetch("SELECT status FROM analytics_experiment WHERE id = {}", other))[0]["status"] == "draft"
    assert (await post_form(client, f"{target}/stop")).status_code == 303
    audit = await fetch(
        "SELECT action FROM audit_log WHERE target_type = 'experiment' AND target_id = {} ORDER BY id",
        str(experiment_id),
    )
    assert [a["action"] for a in audit] == ["experiment.create", "experiment.start", "experiment.stop"]


async def test_visitors_get_a_stable_variant_its_layout_and_conversions_count(client, new_client) -> None:  # type: ignore[no-untyped-def]
    actor = experiments.Actor(user_id=None, ip=None, label="test")
    experiment_id = await experiments.create_experiment(
        actor=actor, name="layouts", rows=[("a", "classic", "1"), ("b", "compact", "1")]
    )
    await experiments.start_experiment(actor=actor, experiment_id=experiment_id)

    seen: dict[str, list[tuple[str, bool]]] = {}
    for _ in range(12):
        async with new_client() as browser:
            for _ in range(2):
                page = await browser.get("/?layout=compact", headers=UA)  # a client cannot pick its layout
                seen.setdefault(browser.cookies["vid"], []).append(("banners" in page.text, True))
    await capture.flush()
    views = await fetch("SELECT visitor, variant FROM analytics_event WHERE kind = 'page_view' ORDER BY id")
    by_visitor: dict[str, set[str]] = {}
    for v in views:
        by_visitor.setdefault(v["visitor"], set()).add(v["variant"])
    assert len(by_visitor) == 12 and all(len(vs) == 1 for vs in by_visitor.values())  # stable
    for visitor, variants in by_visitor.items():
        (variant,) = variants
        expected = experiments.bucket(visitor, experiment_id, AB)
        assert expected is not None and variant == f"{experiment_id}:{expected.key}"
        shows_banners = {s for s, _ in seen[visitor]}
        assert shows_banners == {expected.layout == "classic"}  # the layout matches the variant, cached or not
    assert {v.split(":")[1] for vs in by_visitor.values() for v in vs} == {"a", "b"}

    # one visitor of variant b signs up and pays: converted
    b_visitor = next(v for v, vs in by_visitor.items() if next(iter(vs)).endswith(":b"))
    buyer = await make_user()
    await fetch("INSERT INTO analytics_visitor_link (visitor, user_id) VALUES ({}, {})", b_visitor, buyer.id)
    from tests.factories import make_product
    from tests.order_factories import make_order_group

    product = await make_product()
    await make_order_group(buyer, [(product, 1)], status="paid")
    await experiments.rollup_experiments()
    _experiment, results = await experiments.results(experiment_id)
    by_key = {r.key: r for r in results}
    counts = {k: sum(1 for vs in by_visitor.values() if next(iter(vs)).endswith(f":{k}")) for k in ("a", "b")}
    assert (by_key["a"].visitors, by_key["a"].converted) == (counts["a"], 0)
    assert (by_key["b"].visitors, by_key["b"].converted) == (counts["b"], 1)
    assert by_key["b"].interval is not None and by_key["b"].diff is not None
    assert by_key["b"].gmv_fen == 1990


async def test_the_results_page_shows_rates_and_intervals(client) -> None:  # type: ignore[no-untyped-def]
    actor = experiments.Actor(user_id=None, ip=None, label="test")
    experiment_id = await experiments.create_experiment(
        actor=actor, name="page", rows=[("a", "classic", "1"), ("b", "compact", "1")]
    )
    await fetch(
        "INSERT INTO analytics_daily_experiment (day, experiment, variant, visitors, converted, gmv_fen, conversion) "
        "VALUES ('2026-11-20', {}, 'a', 80, 48, 0, 0.6), ('2026-11-20', {}, 'b', 70, 56, 0, 0.8)",
        experiment_id,
        experiment_id,
    )
    await operator(client)
    page = await client.get(f"/admin/experiments/{experiment_id}", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "60.00%" in page.text and "80.00%" in page.text
    assert "+20.00 pp" in page.text and "+5.24" in page.text and "+33.39" in page.text  # Newcombe's example
