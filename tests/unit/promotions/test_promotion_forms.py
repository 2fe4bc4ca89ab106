"""Reading the promotion forms without a database: what a seller types becomes tiers and SKU lines in fen, and each
mistake gets its own message on its own field."""

from __future__ import annotations

from app.promotions import forms
from app.promotions.rules import PromoSku, Tier

TZ = "Asia/Shanghai"
WINDOW = {"starts_at": "2026-11-23T10:00", "ends_at": "2026-11-30T10:00"}


def parse(kind: str, platform: bool = False, **fields: str):  # type: ignore[no-untyped-def]
    return forms.parse_promotion(kind, {"name": "活动", "scope": "all", **WINDOW, **fields}, tz=TZ, platform=platform)


def test_tiers_are_read_in_fen_and_blank_rows_skipped() -> None:
    data = parse("full_reduction", t1_threshold="199", t1_off="20", t3_threshold="399.5", t3_off="50")
    assert isinstance(data, forms.PromotionInput)
    assert data.tiers == (Tier(threshold_fen=19900, off_fen=2000), Tier(threshold_fen=39950, off_fen=5000))
    assert data.starts_at.isoformat() == "2026-11-23T10:00:00+08:00"
    assert parse("multi_piece", t1_pieces="2", t1_percent="90").tiers == (Tier(pieces=2, percent=90),)


def test_each_mistake_has_its_field() -> None:
    assert parse("full_reduction", t1_threshold="abc", t1_off="1") == {"tiers": "Enter an amount such as 12.30"}
    assert parse("full_discount", t1_threshold="399", t1_percent="0") == {"tiers": "A percentage is between 1 and 99."}
    assert parse("full_reduction", name=" ", t1_threshold="2", t1_off="1") == {"name": "Enter a name."}
    assert parse("full_reduction", ends_at="2026-11-23T09:00", t1_threshold="2", t1_off="1") == {
        "ends_at": "The end must be after the start."
    }
    assert parse("full_reduction", starts_at="tomorrow", t1_threshold="2", t1_off="1") == {
        "starts_at": "Enter a start date and time."
    }
    assert parse("limited_time", platform=True) == {"kind": "Choose a kind of promotion."}
    assert parse("full_reduction", platform=True, scope="products", scope_ids="1", t1_threshold="2", t1_off="1") == {
        "scope": "Choose what the promotion covers."
    }


def test_sku_lines_take_prices_percentages_and_quantities() -> None:
    data = parse("limited_time", skus="101 59.90\n\n102, 85%\n")
    assert data.skus == (PromoSku(101, price_fen=5990), PromoSku(102, percent=85))
    assert parse("limited_time", skus="101")["skus"].startswith("Write one SKU per line")
    assert parse("limited_time", skus="101 1\n101 2") == {"skus": "A SKU appears twice."}
    assert parse("limited_time", skus="101 100%") == {"skus": "A percentage is between 1 and 99."}
    assert parse("limited_time", skus="") == {"skus": "Add at least one SKU."}
    bundle = parse("bundle", skus="101 × 2\n102", bundle_price="99")
    assert bundle.skus == (PromoSku(101, quantity=2), PromoSku(102)) and bundle.bundle_price_fen == 9900
    assert parse("bundle", skus="101", bundle_price="9") == {"skus": "A bundle has more than one piece."}
    member = parse("member_price", skus="101 80", min_level_rank="2")
    assert member.skus == (PromoSku(101, price_fen=8000, min_level_rank=2),)


def test_a_gift_is_triggered_by_skus_or_by_spending_not_both() -> None:
    gift = {"gift_sku": "9", "gift_quantity": "1", "gift_stock": "5"}
    assert parse("gift", skus="101 1", **gift).gift_stock == 5
    assert parse("gift", threshold="300", **gift).threshold_fen == 30000
    both = parse("gift", skus="101 1", threshold="300", **gift)
    assert both == {"skus": "Give either the SKUs to buy or an amount to spend, not both."}
    assert parse("gift", **gift) == {"skus": "Give either the SKUs to buy or an amount to spend, not both."}
    assert parse("gift", skus="101 1", gift_sku="9", gift_quantity="1", gift_stock="-1") == {
        "gift_stock": "Enter how many gifts you can give (0 or more)."
    }


def test_a_saved_promotion_comes_back_as_the_same_fields() -> None:
    data = parse("limited_time", skus="101 59.90\n102 85%")
    from app.promotions.rules import Promo

    promo = Promo(1, data.kind, data.name, 3, data.starts_at, data.ends_at, skus=data.skus)
    form = forms.form_of(promo, TZ)
    assert form["skus"] == "101 59.90\n102 85%" and form["starts_at"] == WINDOW["starts_at"]
    assert parse("limited_time", skus=form["skus"]) == data
