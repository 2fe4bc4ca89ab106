from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from app.sellers.guards import SHOP_KEY, requires_seller_staff


class SellerHomeController(Controller):
    path = "/seller"
    guards = [requires_seller_staff]

    @get("/", name="seller:home")
    async def home(self, request: Request) -> Template:
        return Template(
            template_name="seller/home.html",
            context={"shop": request.state.shop, "shops": request.state.shops},
        )

    @post("/switch-shop", name="seller:switch-shop")
    async def switch_shop(self, request: Request) -> Redirect:
        form = await request.form()
        try:
            shop_id = int(form.get("shop_id", ""))
        except ValueError:
            shop_id = 0
        if any(m.shop_id == shop_id for m in request.state.shops):
            request.session[SHOP_KEY] = shop_id
        return Redirect(path="/seller/", status_code=303)


ROUTES: list = [SellerHomeController]
