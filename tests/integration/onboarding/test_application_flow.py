"""The application wizard end to end over HTTP, and the platform's decisions."""

from __future__ import annotations

import json

import pytest

from app.core.db import fetch, fetchrow
from app.messaging.services import list_notifications
from tests.factories import login, make_shop, make_user, post_form
from tests.integration.onboarding.helpers import (
    CREDIT_CODE,
    PDF,
    application_of,
    audit_actions,
    fill_wizard,
    next_year,
    png_bytes,
    setup_platform,
)


@pytest.fixture(autouse=True)
def private_files(override_settings, tmp_path):  # type: ignore[no-untyped-def]
    override_settings(media_root=tmp_path / "media")


async def test_each_step_saves_what_was_typed_even_when_it_is_wrong(client):
    platform = await setup_platform()
    user = await make_user()
    await login(client, user)
    page = await client.get("/seller/apply")
    assert page.status_code == 200 and 'name="shop_name"' in page.text

    # step 1 with no shop type: refused with a message, the name and categories kept
    r = await post_form(
        client, "/seller/apply/step/shop", {"shop_name": "好物专营店", "categories": [str(platform["food"])]}
    )
    assert r.status_code == 422
    assert "Choose a shop type from the list." in r.text or "请从列表中选择店铺类型" in r.text
    assert 'value="好物专营店"' in r.text
    saved = await application_of(user.id)
    assert saved["status"] == "draft" and saved["shop_name"] == "好物专营店"
    assert json.loads(saved["categories"]) == [platform["food"]]

    r = await post_form(
        client,
        "/seller/apply/step/shop",
        {"shop_type": "specialty", "shop_name": "好物专营店", "categories": [str(platform["food"])]},
    )
    assert r.status_code == 303 and r.headers["location"] == "/seller/apply/step/company"

    # a wrong check character: a clear message, every other value kept (and saved)
    r = await post_form(
        client,
        "/seller/apply/step/company",
        {
            "company_name": "福州好物有限公司",
            "credit_code": "91350100M000100Y44",
            "contact_name": "王芳",
            "contact_phone": "13912345678",
        },
        headers={"accept-language": "en"},
    )
    assert r.status_code == 422
    assert "last character does not match" in r.text
    assert 'value="王芳"' in r.text and 'value="91350100M000100Y44"' in r.text
    saved = await application_of(user.id)
    assert saved["credit_code"] == "91350100M000100Y44" and saved["contact_phone"] == "13912345678"

    # the same page later (a new visit) still shows it
    page = await client.get("/seller/apply/step/company")
    assert 'value="福州好物有限公司"' in page.text

    # /seller/apply sends a draft to its first incomplete step
    r = await client.get("/seller/apply")
    assert r.headers["location"] == "/seller/apply/step/company"


async def test_documents_are_checked_and_private(client, new_client):
    await setup_platform()
    user = await make_user()
    await login(client, user)
    await post_form(client, "/seller/apply/step/shop", {"shop_type": "flagship", "shop_name": "旗舰一号"})
    r = await post_form(
        client,
        "/seller/apply/documents",
        {"kind": "licence", "expires_on": "2001-01-01"},
        files={"file": ("old.pdf", PDF, "application/pdf")},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 422 and "already expired" in r.text
    r = await post_form(
        client,
        "/seller/apply/documents",
        {"kind": "licence", "expires_on": next_year()},
        files={"file": ("notes.txt", b"just text", "text/plain")},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 422 and "Upload a PDF or a photo" in r.text
    assert f'value="{next_year()}"' in r.text  # the date typed is kept

    r = await post_form(
        client,
        "/seller/apply/documents",
        {"kind": "licence", "expires_on": ""},
        files={"file": ("licence.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 303
    # a flagship store also needs the brand authorisation
    r = await post_form(client, "/seller/apply/step/documents", headers={"accept-language": "en"})
    assert r.status_code == 422 and "brand authorisation" in r.text

    doc = await fetchrow("SELECT id, content_type FROM application_document ORDER BY id DESC LIMIT 1")
    assert doc["content_type"] == "image/jpeg"  # re-encoded
    mine = await client.get(f"/seller/apply/documents/{doc['id']}")
    assert mine.status_code == 200 and mine.content[:2] == b"\xff\xd8"
    assert "no-store" in mine.headers["cache-control"]

    async with new_client() as other:
        await login(other, await make_user())
        assert (await other.get(f"/seller/apply/documents/{doc['id']}")).status_code == 404
        assert (await other.get("/seller/apply/documents/999999")).status_code == 404
    async with new_client() as staff:
        await login(staff, await make_user(roles=("operations",)))
        assert (await staff.get(f"/seller/apply/documents/{doc['id']}")).status_code == 200


async def test_exam_shows_wrong_answers_and_allows_a_retry(client):
    platform = await setup_platform()
    user = await make_user()
    await login(client, user)
    await post_form(client, "/seller/apply/step/shop", {"shop_type": "specialty", "shop_name": "考试店"})
    r = await post_form(
        client,
        "/seller/apply/exam",
        {f"q{platform['q1']}": "0", f"q{platform['q2']}": "0"},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 422
    assert "You scored 50%" in r.text
    assert f'id="question-{platform["q1"]}"' in r.text and "question--wrong" in r.text
    assert "May a shop sell fakes?" in r.text  # English text for an English reader
    assert (await application_of(user.id))["exam_passed_at"] is None

    r = await post_form(client, "/seller/apply/exam", {f"q{platform['q1']}": "1", f"q{platform['q2']}": "0"})
    assert r.status_code == 303 and r.headers["location"] == "/seller/apply/step/agreement"
    app = await application_of(user.id)
    assert app["exam_passed_at"] is not None and app["exam_attempts"] == 2


async def test_full_flow_approve_pending_with_fees_then_confirmed_and_open(client, new_client):
    platform = await setup_platform()
    user = await make_user()
    await login(client, user)
    await fill_wizard(client, platform)

    # signing with another name is refused; the signature is stored with time, IP and version
    app = await application_of(user.id)
    assert app["signed_name"] == "福州好物有限公司" and app["agreement_version"] and app["signed_at"]
    r = await post_form(client, "/seller/apply/submit")
    assert r.status_code == 303 and r.headers["location"] == "/seller/apply/status"
    status = await client.get("/seller/apply/status")
    assert "好物专营店" in status.text
    assert (await client.get("/seller/apply")).headers["location"] == "/seller/apply/status"
    # under review: the wizard is closed
    r = await post_form(client, "/seller/apply/step/shop", {"shop_type": "specialty", "shop_name": "改名"})
    assert r.status_code == 422
    assert (await application_of(user.id))["shop_name"] == "好物专营店"

    async with new_client() as admin:
        admin_user = await make_user(roles=("admin",))
        await login(admin, admin_user)
        queue = await admin.get("/admin/sellers/applications")
        assert queue.status_code == 200 and "好物专营店" in queue.text
        detail = await admin.get(f"/admin/sellers/applications/{app['id']}")
        assert CREDIT_CODE in detail.text and "/seller/apply/documents/" in detail.text
        r = await post_form(admin, f"/admin/sellers/applications/{app['id']}/decide", {"action": "approve"})
        assert r.status_code == 303

        shop = await fetchrow("SELECT id, status, shop_type FROM shop WHERE name = '好物专营店'")
        assert shop["status"] == "pending" and shop["shop_type"] == "specialty"
        owner = await fetchrow('SELECT "user", role FROM shop_staff WHERE shop = {}', shop["id"])
        assert dict(owner) == {"user": user.id, "role": "owner"}
        grants = await fetch("SELECT category FROM shop_category_grant WHERE shop = {} ORDER BY category", shop["id"])
        assert [g["category"] for g in grants] == sorted([platform["food"], platform["home"]])
        fees = await fetch("SELECT id, kind, amount_fen FROM shop_fee WHERE shop = {} ORDER BY kind", shop["id"])
        # the highest deposit (家居: 2000.50) and the highest annual fee (default: 600)
        assert [(f["kind"], f["amount_fen"]) for f in fees] == [("annual_fee", 60000), ("deposit", 200050)]

        # the applicant sees what is owed, and can reach the seller center of the pending shop
        status = await client.get("/seller/apply/status", headers={"accept-language": "en"})
        assert "¥2,000.50" in status.text and "¥600.00" in status.text and "To pay" in status.text
        assert (await client.get("/seller/")).status_code == 200

        r = await post_form(admin, f"/admin/shops/{shop['id']}/fees/{fees[0]['id']}/confirm", {"reference": ""})
        assert r.status_code == 422
        r = await post_form(admin, f"/admin/shops/{shop['id']}/fees/{fees[0]['id']}/confirm", {"reference": "BANK-1"})
        assert r.status_code == 303
        assert (await fetchrow("SELECT status FROM shop WHERE id = {}", shop["id"]))["status"] == "pending"
        r = await post_form(admin, f"/admin/shops/{shop['id']}/fees/{fees[1]['id']}/confirm", {"reference": "BANK-2"})
        assert r.status_code == 303
        assert (await fetchrow("SELECT status FROM shop WHERE id = {}", shop["id"]))["status"] == "active"
        # paying twice is refused
        r = await post_form(admin, f"/admin/shops/{shop['id']}/fees/{fees[1]['id']}/confirm", {"reference": "BANK-3"})
        assert r.status_code == 422

    assert await audit_actions("seller_application", app["id"]) == [
        "seller_application.submit",
        "seller_application.approve",
    ]
    assert await audit_actions("shop", shop["id"]) == ["shop.create", "shop.fee_paid", "shop.fee_paid", "shop.open"]
    kinds = [n.kind for n in await list_notifications(user_id=user.id)]
    assert "seller_application.approve" in kinds and "shop.opened" in kinds


async def test_zero_fees_open_the_shop_at_approval(client, new_client):
    platform = await setup_platform(fees=False)
    user = await make_user()
    await login(client, user)
    await fill_wizard(client, platform, name="个人小店", shop_type="individual")
    assert (await post_form(client, "/seller/apply/submit")).status_code == 303
    app = await application_of(user.id)
    async with new_client() as admin:
        await login(admin, await make_user(roles=("operations",)))
        await post_form(admin, f"/admin/sellers/applications/{app['id']}/decide", {"action": "approve"})
    shop = await fetchrow("SELECT status, shop_type FROM shop WHERE name = '个人小店'")
    assert dict(shop) == {"status": "active", "shop_type": "individual"}
    assert await fetch("SELECT 1 FROM shop_fee") == []


async def test_reject_then_start_a_new_application(client, new_client):
    platform = await setup_platform()
    user = await make_user()
    await login(client, user)
    await fill_wizard(client, platform)
    await post_form(client, "/seller/apply/submit")
    app = await application_of(user.id)
    async with new_client() as admin:
        await login(admin, await make_user(roles=("admin",)))
        r = await post_form(admin, f"/admin/sellers/applications/{app['id']}/decide", {"action": "reject"})
        assert r.status_code == 422  # a reason is required
        r = await post_form(
            admin, f"/admin/sellers/applications/{app['id']}/decide", {"action": "reject", "reason": "执照模糊"}
        )
        assert r.status_code == 303
        # a decided application cannot be decided again
        r = await post_form(admin, f"/admin/sellers/applications/{app['id']}/decide", {"action": "approve"})
        assert r.status_code == 422
    assert await fetch("SELECT 1 FROM shop WHERE name = '好物专营店'") == []
    status = await client.get("/seller/apply/status")
    assert "执照模糊" in status.text
    notes = await list_notifications(user_id=user.id)
    assert notes[0].kind == "seller_application.reject" and "执照模糊" in notes[0].body

    r = await post_form(client, "/seller/apply/new")
    assert r.status_code == 303
    fresh = await application_of(user.id)
    assert fresh["id"] != app["id"] and fresh["status"] == "draft" and fresh["shop_name"] == "好物专营店"
    assert fresh["exam_passed_at"] is None and fresh["signed_at"] is None


async def test_needs_info_then_the_applicant_edits_and_resubmits(client, new_client):
    platform = await setup_platform()
    user = await make_user()
    await login(client, user)
    await fill_wizard(client, platform)
    await post_form(client, "/seller/apply/submit")
    app = await application_of(user.id)
    async with new_client() as admin:
        await login(admin, await make_user(roles=("admin",)))
        r = await post_form(
            admin,
            f"/admin/sellers/applications/{app['id']}/decide",
            {"action": "ask_info", "reason": "请补充联系人电话"},
        )
        assert r.status_code == 303
        status = await client.get("/seller/apply/status")
        assert "请补充联系人电话" in status.text
        r = await post_form(
            client,
            "/seller/apply/step/company",
            {
                "company_name": "福州好物有限公司",
                "credit_code": CREDIT_CODE,
                "contact_name": "李雷",
                "contact_phone": "13800001111",
            },
        )
        assert r.status_code == 303
        assert (await post_form(client, "/seller/apply/submit")).status_code == 303
        again = await application_of(user.id)
        assert again["id"] == app["id"] and again["status"] == "submitted" and again["contact_name"] == "李雷"
        r = await post_form(admin, f"/admin/sellers/applications/{app['id']}/decide", {"action": "approve"})
        assert r.status_code == 303
    assert await audit_actions("seller_application", app["id"]) == [
        "seller_application.submit",
        "seller_application.ask_info",
        "seller_application.submit",
        "seller_application.approve",
    ]


async def test_shop_name_is_checked_live_against_shops_and_open_applications(client, new_client):
    await setup_platform()
    await make_shop(name="已有店铺")
    other = await make_user()
    async with new_client() as c2:
        await login(c2, other)
        await post_form(c2, "/seller/apply/step/shop", {"shop_type": "specialty", "shop_name": "别人在申请"})
    user = await make_user()
    await login(client, user)
    headers = {"hx-request": "true", "accept-language": "en"}
    taken = await client.get("/seller/apply/check-name", params={"shop_name": "已有店铺"}, headers=headers)
    assert "This shop name is taken." in taken.text and "<html" not in taken.text
    pending = await client.get("/seller/apply/check-name", params={"shop_name": "别人在申请"}, headers=headers)
    assert "This shop name is taken." in pending.text
    free = await client.get("/seller/apply/check-name", params={"shop_name": "全新名字"}, headers=headers)
    assert "This name is available." in free.text


async def test_a_buyer_cannot_reach_the_admin_pages(client):
    await login(client, await make_user())
    for url in ("/admin/sellers/applications", "/admin/shops/", "/admin/sellers/fees", "/admin/sellers/exam"):
        assert (await client.get(url)).status_code == 403, url
    r = await post_form(client, "/admin/sellers/applications/1/decide", {"action": "approve"})
    assert r.status_code == 403


async def test_admin_edits_fee_rules_and_exam(client):
    await setup_platform(fees=False)
    await login(client, await make_user(roles=("admin",)))
    r = await post_form(
        client, "/admin/sellers/fees", {"shop_type": "flagship", "category": "0", "deposit": "abc", "annual_fee": "1"}
    )
    assert r.status_code == 422 and 'value="abc"' in r.text
    r = await post_form(
        client,
        "/admin/sellers/fees",
        {"shop_type": "flagship", "category": "0", "deposit": "50000", "annual_fee": "6000"},
    )
    assert r.status_code == 303
    rule = await fetchrow("SELECT deposit_fen, annual_fee_fen FROM fee_rule WHERE shop_type = 'flagship'")
    assert dict(rule) == {"deposit_fen": 5000000, "annual_fee_fen": 600000}
    r = await post_form(
        client,
        "/admin/sellers/exam/questions",
        {"text_zh": "题目", "choices_zh": "甲\n乙", "choices_en": "A", "answer": "3"},
        headers={"accept-language": "en"},
    )
    assert r.status_code == 422 and "as many English choices" in r.text
    r = await post_form(client, "/admin/sellers/exam/pass-mark", {"pass_percent": "90"})
    assert r.status_code == 303
    assert (await fetchrow("SELECT value FROM onboarding_setting"))["value"] == 90
    assert len(await fetch("SELECT 1 FROM audit_log WHERE action LIKE 'fee_rule.%' OR action LIKE 'exam.%'")) >= 2
