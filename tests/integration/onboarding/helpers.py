"""Set-up for the onboarding tests: exam questions, fee rules, and walking an application through the wizard."""

from __future__ import annotations

import io
from datetime import date, timedelta

import httpx
from PIL import Image

from app.core.db import fetch, fetchrow
from app.onboarding import exam, shops
from app.onboarding.codes import id_check_char
from tests.factories import SYSTEM, make_category, post_form

CREDIT_CODE = "91350100M000100Y43"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ID_FIRST17 = "11010519491231002"
ID_NUMBER = ID_FIRST17 + id_check_char(ID_FIRST17)


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 40)).save(buf, "PNG")
    return buf.getvalue()


def next_year() -> str:
    return (date.today() + timedelta(days=365)).isoformat()


async def setup_platform(*, fees: bool = True) -> dict[str, int]:
    """Two level-1 categories, two exam questions (answers 1 and 0), fee rules for specialty shops."""
    food = await make_category(name="食品")
    home = await make_category(name="家居")
    q1 = await exam.save_question(
        actor=SYSTEM,
        question_id=None,
        text_zh="可以销售假货吗？",
        text_en="May a shop sell fakes?",
        choices_zh="可以\n不可以",
        choices_en="Yes\nNo",
        answer="2",
        position="1",
    )
    q2 = await exam.save_question(
        actor=SYSTEM,
        question_id=None,
        text_zh="发货时限以什么为准？",
        text_en="Which shipping deadline applies?",
        choices_zh="承诺的时限\n随意",
        choices_en="The promised one\nAny",
        answer="1",
        position="2",
    )
    if fees:
        await shops.save_fee_rule(actor=SYSTEM, shop_type="specialty", category="0", deposit="1000", annual_fee="600")
        await shops.save_fee_rule(
            actor=SYSTEM, shop_type="specialty", category=str(home), deposit="2000.50", annual_fee="0"
        )
    return {"food": food, "home": home, "q1": q1, "q2": q2}


async def fill_wizard(
    client: httpx.AsyncClient, platform: dict[str, int], *, name: str = "好物专营店", shop_type: str = "specialty"
) -> None:
    """All steps, valid, up to (not including) submit."""
    r = await post_form(
        client,
        "/seller/apply/step/shop",
        {"shop_type": shop_type, "shop_name": name, "categories": [str(platform["food"]), str(platform["home"])]},
    )
    assert r.status_code == 303, r.text[:2000]
    code = ID_NUMBER if shop_type == "individual" else CREDIT_CODE
    r = await post_form(
        client,
        "/seller/apply/step/company",
        {
            "company_name": "福州好物有限公司",
            "credit_code": code,
            "contact_name": "王芳",
            "contact_phone": "13912345678",
        },
    )
    assert r.status_code == 303, r.text[:2000]
    r = await post_form(
        client,
        "/seller/apply/documents",
        {"kind": "licence", "expires_on": next_year()},
        files={"file": ("licence.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text[:2000]
    r = await post_form(client, "/seller/apply/exam", {f"q{platform['q1']}": "1", f"q{platform['q2']}": "0"})
    assert r.status_code == 303, r.text[:2000]
    r = await post_form(client, "/seller/apply/agreement", {"signed_name": "福州好物有限公司"})
    assert r.status_code == 303, r.text[:2000]


async def application_of(user_id: int) -> dict:
    row = await fetchrow("SELECT * FROM seller_application WHERE applicant = {} ORDER BY id DESC LIMIT 1", user_id)
    assert row is not None
    return row


async def audit_actions(target_type: str, target_id: object) -> list[str]:
    rows = await fetch(
        "SELECT action FROM audit_log WHERE target_type = {} AND target_id = {} ORDER BY id",
        target_type,
        str(target_id),
    )
    return [r["action"] for r in rows]
