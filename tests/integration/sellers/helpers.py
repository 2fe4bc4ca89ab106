"""Set-up shared by the sellers' integration tests."""

from __future__ import annotations

import re

import httpx

from tests.factories import TestShop, TestUser, login, make_shop, make_user

EN = {"Accept-Language": "en"}


async def shop_with(role: str) -> tuple[TestShop, TestUser]:
    """A shop and a user working for it in `role` (the owner for "owner")."""
    if role == "owner":
        shop = await make_shop()
        return shop, shop.owner
    member = await make_user()
    shop = await make_shop(staff=((member, role),))
    return shop, member


async def signed_in(client: httpx.AsyncClient, role: str) -> TestShop:
    shop, user = await shop_with(role)
    await login(client, user)
    return shop


def text_of(html: str) -> str:
    """Visible text, roughly: tags out, whitespace collapsed (for messages split over markup)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())
