"""The shop role → permission map: what each role may do in the seller center."""

import pytest

from app.sellers.permissions import (
    PERMISSIONS,
    ROLES,
    STAFF_ROLES,
    has_permission,
    permission_of,
    permissions_of,
    requires_shop_permission,
)


def test_the_owner_may_do_everything():
    assert permissions_of("owner") == frozenset(PERMISSIONS)


def test_finance_sees_statements_and_payouts_but_not_products_or_orders():
    assert has_permission("finance", "statements.view")
    assert has_permission("finance", "payouts.request")
    assert not has_permission("finance", "products.view")
    assert not has_permission("finance", "orders.view")


def test_warehouse_ships_and_keeps_stock_but_does_not_price_or_edit_products():
    assert has_permission("warehouse", "stock.edit")
    assert has_permission("warehouse", "orders.ship")
    assert not has_permission("warehouse", "prices.edit")
    assert not has_permission("warehouse", "products.edit")
    assert not has_permission("warehouse", "statements.view")


def test_service_answers_shoppers_but_changes_no_products():
    assert has_permission("service", "messages.answer")
    assert has_permission("service", "aftersales.handle")
    assert not has_permission("service", "products.edit")
    assert not has_permission("service", "stock.edit")


def test_only_the_owner_manages_staff_and_payouts_need_owner_or_finance():
    assert [r for r in ROLES if has_permission(r, "staff.manage")] == ["owner"]
    assert {r for r in ROLES if has_permission(r, "payouts.request")} == {"owner", "finance"}


def test_every_role_sees_the_dashboard_and_the_map_names_only_known_roles():
    assert all(has_permission(r, "dashboard.view") for r in ROLES)
    assert all(roles <= set(ROLES) for roles in PERMISSIONS.values())
    assert "owner" not in STAFF_ROLES and set(STAFF_ROLES) == set(ROLES) - {"owner"}


def test_the_guard_records_its_permission_and_refuses_unknown_names():
    guard = requires_shop_permission("orders.ship")
    assert permission_of(guard) == "orders.ship"
    assert permission_of(lambda: None) is None
    with pytest.raises(KeyError):
        requires_shop_permission("orders.shipp")
