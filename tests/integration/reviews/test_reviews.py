"""Reviews: who may review what, one review per item (also racing), photos, sensitive words, follow-ups,
helpful votes, seller replies, reports and moderation, the auto-positive sweep."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

from PIL import Image

from app.core import clock
from app.core.db import fetch, fetchrow
from app.moderation.sensitive import forget_words
from app.reviews import services
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.order_factories import make_order_group

STARS = {"rating": "5", "dsr_description": "5", "dsr_service": "4", "dsr_logistics": "5"}


def _png(color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "PNG")
    return buf.getvalue()


async def _delivered_item(buyer, status: str = "delivered"):  # type: ignore[no-untyped-def]
    shop = await make_shop()
    product = await make_product(shop=shop)
    group = await make_order_group(buyer, [(product, 1)], status=status)
    item = await fetchrow('SELECT id FROM order_item WHERE "order" = {}', group.order_ids[0])
    assert item is not None
    return shop, product, item["id"]


async def test_buyer_reviews_a_delivered_item_with_photos(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(name="小王")
    shop, product, item_id = await _delivered_item(buyer)
    await login(client, buyer)
    action = await client.get(f"/reviews/items/{item_id}/action")
    assert f"/reviews/items/{item_id}/new" in action.text
    response = await post_form(
        client,
        f"/reviews/items/{item_id}/new",
        {**STARS, "text": "质量很好", "anonymous": "1"},
        files=[("photos", ("a.png", _png(), "image/png")), ("photos", ("b.png", _png("blue"), "image/png"))],
    )
    assert response.status_code == 303
    row = await fetchrow("SELECT * FROM review WHERE order_item = {}", item_id)
    assert row["rating"] == 5 and row["text"] == "质量很好" and row["anonymous"] and row["dsr_service"] == 4
    assert row["shop"] == shop.id and row["product"] == product
    counted = await fetchrow("SELECT rating_sum, rating_count FROM product WHERE id = {}", product)
    assert (counted["rating_sum"], counted["rating_count"]) == (5, 1)
    photos = services.view(row)["photos"]
    assert len(photos) == 2 and photos[0]["key"].startswith("r/") and photos[0]["w"] == 64
    page = await client.get(f"/reviews/product/{product}")
    assert "质量很好" in page.text and "小王" not in page.text
    assert "100%" in page.text
    # Now the action offers the follow-up
    action = await client.get(f"/reviews/items/{item_id}/action")
    assert "new" in action.text
    mine = await client.get("/me/reviews/")
    assert "质量很好" in mine.text


async def test_htmx_submit_swaps_in_the_posted_review(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    _, _, item_id = await _delivered_item(buyer)
    await login(client, buyer)
    response = await post_form(
        client, f"/reviews/items/{item_id}/new", {**STARS, "text": "不错"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'id="review-box"' in response.text and "不错" in response.text


async def test_others_get_404_and_undelivered_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    buyer, other = await make_user(), await make_user()
    _, _, item_id = await _delivered_item(buyer)
    _, _, shipped_id = await _delivered_item(buyer, status="shipped")
    await login(client, other)
    assert (await client.get(f"/reviews/items/{item_id}/action")).text == ""
    assert (await client.get(f"/reviews/items/{item_id}/new")).status_code == 404
    assert (await post_form(client, f"/reviews/items/{item_id}/new", STARS)).status_code == 404
    await client.post("/logout")
    client.cookies.clear()
    await login(client, buyer)
    assert (await client.get(f"/reviews/items/{shipped_id}/action")).text == ""
    refused = await post_form(client, f"/reviews/items/{shipped_id}/new", STARS)
    assert refused.status_code in (303, 422)
    assert await fetchrow("SELECT id FROM review") is None


async def test_two_concurrent_submits_make_one_review() -> None:
    buyer = await make_user()
    _, _, item_id = await _delivered_item(buyer)

    async def submit() -> str:
        try:
            await services.submit_review(buyer_id=buyer.id, order_item_id=item_id, form=STARS, uploads=[])
            return "ok"
        except services.ReviewError:
            return "refused"

    results = await asyncio.gather(submit(), submit(), submit())
    assert sorted(results).count("ok") == 1
    assert (await fetchrow("SELECT count(*) AS n FROM review"))["n"] == 1


async def test_not_an_image_is_refused_and_form_keeps_text(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    _, _, item_id = await _delivered_item(buyer)
    await login(client, buyer)
    response = await post_form(
        client,
        f"/reviews/items/{item_id}/new",
        {**STARS, "text": "我的评价"},
        files=[("photos", ("x.png", b"<script>alert(1)</script>", "image/png"))],
    )
    assert response.status_code == 422
    assert "not an image" in response.text or "无法读取" in response.text or "图片" in response.text
    assert "我的评价" in response.text
    assert await fetchrow("SELECT id FROM review") is None


async def test_too_many_photos_refused() -> None:
    buyer = await make_user()
    _, _, item_id = await _delivered_item(buyer)
    uploads = [services.Upload(f"{i}.png", _png()) for i in range(10)]
    try:
        await services.submit_review(buyer_id=buyer.id, order_item_id=item_id, form=STARS, uploads=uploads)
    except services.ReviewError as exc:
        assert exc.message == services.TOO_MANY_PHOTOS
    else:
        raise AssertionError("10 photos accepted")


async def test_sensitive_words_refused_with_message(client) -> None:  # type: ignore[no-untyped-def]
    await fetch("INSERT INTO sensitive_word (word, level, created_at) VALUES ('违禁词', 'block', now())")
    forget_words()
    buyer = await make_user()
    _, _, item_id = await _delivered_item(buyer)
    await login(client, buyer)
    response = await post_form(client, f"/reviews/items/{item_id}/new", {**STARS, "text": "这是违禁词啊"})
    forget_words()
    assert response.status_code == 422
    assert "违禁词" in response.text
    assert await fetchrow("SELECT id FROM review") is None


async def test_followup_once_within_90_days(at) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    _, _, item_id = await _delivered_item(buyer)
    _, _, late_id = await _delivered_item(buyer)
    start = clock.now()
    await services.submit_review(buyer_id=buyer.id, order_item_id=item_id, form=STARS, uploads=[])
    await services.submit_review(buyer_id=buyer.id, order_item_id=late_id, form=STARS, uploads=[])
    at(start + timedelta(days=89))
    await services.submit_followup(buyer_id=buyer.id, order_item_id=item_id, text="用了一个月还好", uploads=[])
    row = await services.review_of_item(item_id)
    assert row["followup_text"] == "用了一个月还好"
    for target in (item_id, late_id):  # second follow-up, and one after 91 days
        if target == late_id:
            at(start + timedelta(days=91))
        try:
            await services.submit_followup(buyer_id=buyer.id, order_item_id=target, text="再追评", uploads=[])
        except services.ReviewError as exc:
            assert exc.message == services.FOLLOWUP_CLOSED
        else:
            raise AssertionError("follow-up accepted")
    assert (await services.item_action(buyer_id=buyer.id, order_item_id=late_id))[0] == ""


async def test_helpful_vote_counts_once(client) -> None:  # type: ignore[no-untyped-def]
    buyer, voter = await make_user(), await make_user()
    _, product, item_id = await _delivered_item(buyer)
    review_id = await services.submit_review(buyer_id=buyer.id, order_item_id=item_id, form=STARS, uploads=[])
    await login(client, voter)
    for _ in range(2):
        response = await post_form(client, f"/reviews/{review_id}/helpful", headers={"HX-Request": "true"})
        assert response.status_code == 200
    assert (await fetchrow("SELECT helpful_count FROM review WHERE id = {}", review_id))["helpful_count"] == 1
    assert (await fetchrow("SELECT count(*) AS n FROM review_vote"))["n"] == 1
    assert "Helpful (1) ✓" in (await client.get(f"/reviews/product/{product}", headers={"Accept-Language": "en"})).text


async def test_seller_replies_once_and_only_to_own_shop(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    shop, product, item_id = await _delivered_item(buyer)
    other_shop = await make_shop()
    review_id = await services.submit_review(buyer_id=buyer.id, order_item_id=item_id, form=STARS, uploads=[])
    await login(client, other_shop.owner)
    response = await post_form(client, f"/seller/reviews/{review_id}/reply", {"reply": "别人的"})
    assert response.status_code == 404
    client.cookies.clear()
    await login(client, shop.owner)
    listing = await client.get("/seller/reviews/")
    assert f"review-{review_id}" in listing.text
    assert (await post_form(client, f"/seller/reviews/{review_id}/reply", {"reply": "感谢支持"})).status_code == 303
    await post_form(client, f"/seller/reviews/{review_id}/reply", {"reply": "改一下"})
    row = await fetchrow("SELECT seller_reply FROM review WHERE id = {}", review_id)
    assert row["seller_reply"] == "感谢支持"
    assert "感谢支持" in (await client.get(f"/reviews/product/{product}")).text
    audit = await fetchrow("SELECT count(*) AS n FROM audit_log WHERE action = 'review.reply'")
    assert audit["n"] == 1


async def test_report_hide_restore_audited(client) -> None:  # type: ignore[no-untyped-def]
    buyer, reporter = await make_user(), await make_user()
    moderator = await make_user(roles=("moderator",))
    _, product, item_id = await _delivered_item(buyer)
    review_id = await services.submit_review(
        buyer_id=buyer.id, order_item_id=item_id, form={**STARS, "text": "广告内容"}, uploads=[]
    )
    await login(client, reporter)
    assert (await post_form(client, f"/reviews/{review_id}/report", {"reason": ""})).status_code == 422
    assert (await post_form(client, f"/reviews/{review_id}/report", {"reason": "广告"})).status_code == 303
    assert (await client.get("/admin/reviews/")).status_code in (302, 303, 403, 404)
    client.cookies.clear()
    await login(client, moderator)
    queue = await client.get("/admin/reviews/")
    assert "广告内容" in queue.text
    assert (await post_form(client, f"/admin/reviews/{review_id}/hide", {"reason": ""})).status_code == 303
    assert (await fetchrow("SELECT status FROM review WHERE id = {}", review_id))["status"] == "visible"
    await post_form(client, f"/admin/reviews/{review_id}/hide", {"reason": "广告"})
    assert (await fetchrow("SELECT status FROM review WHERE id = {}", review_id))["status"] == "hidden"
    assert "广告内容" not in (await client.get(f"/reviews/product/{product}")).text
    counted = await fetchrow("SELECT rating_sum, rating_count FROM product WHERE id = {}", product)
    assert (counted["rating_sum"], counted["rating_count"]) == (0, 0)
    await post_form(client, f"/admin/reviews/{review_id}/restore", {"reason": "误判"})
    assert (await fetchrow("SELECT status FROM review WHERE id = {}", review_id))["status"] == "visible"
    actions = [
        r["action"] for r in await fetch("SELECT action FROM audit_log WHERE target_type = 'review' ORDER BY id")
    ]
    assert actions == ["review.hide", "review.restore"]
    await post_form(client, f"/admin/reviews/{review_id}/restore", {"reason": "举报不成立"})  # "keep visible"
    last = await fetchrow("SELECT action, after FROM audit_log WHERE target_type = 'review' ORDER BY id DESC LIMIT 1")
    assert last["action"] == "review.keep" and "举报不成立" in last["after"]
    report = await fetchrow("SELECT status, handled_by FROM review_report")
    assert report["status"] == "hidden" and report["handled_by"] == moderator.id


async def test_auto_positive_sweep_is_idempotent(at) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    _, _, old_id = await _delivered_item(buyer)
    start = clock.now()
    at(start + timedelta(days=services.REVIEW_AUTO_DAYS - 1))
    assert await services.auto_positive() == 0
    _, _, fresh_id = await _delivered_item(buyer)
    at(start + timedelta(days=services.REVIEW_AUTO_DAYS, hours=1))
    assert await services.auto_positive() == 1
    assert await services.auto_positive() == 0
    row = await services.review_of_item(old_id)
    assert row["auto"] and row["rating"] == 5
    counted = await fetchrow("SELECT rating_sum, rating_count FROM product WHERE id = {}", row["product"])
    assert (counted["rating_sum"], counted["rating_count"]) == (5, 1)
    assert await services.review_of_item(fresh_id) is None


async def test_shop_dsr_against_category(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    shop, _, item_id = await _delivered_item(buyer)
    await services.submit_review(
        buyer_id=buyer.id,
        order_item_id=item_id,
        form={"rating": "5", "dsr_description": "4", "dsr_service": "5", "dsr_logistics": "3"},
        uploads=[],
    )
    own, _category = await services.shop_dsr(shop_id=shop.id)
    assert (own.description, own.service, own.logistics, own.count) == (4.0, 5.0, 3.0, 1)
    page = await client.get(f"/reviews/shop/{shop.id}")
    assert "4.00" in page.text and "3.00" in page.text
