"""Register, log in and out, profile, password, "log out everywhere"; the admin's user list."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.accounts import services
from app.accounts.errors import TooManyAttempts
from app.analytics import capture
from app.cart.web import merge_at_login
from app.config import get_settings
from app.core.errors import DomainError, Forbidden, ValidationFailed
from app.core.i18n import N_
from app.core.principal import PLATFORM_ROLES
from app.operations import people, resets
from app.orders.buyer import status_counts
from app.sellers.services import memberships
from app.web.auth import current_user, refresh_epoch, sign_in, sign_out
from app.web.errors import safe_next
from app.web.flash import flash
from app.web.forms import actor_of, client_ip, field_errors, form_data
from app.web.guards import requires_login, requires_platform_role
from app.web.locale import COOKIE as LOCALE_COOKIE


def _form_page(
    name: str,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    **context: object,
) -> Template:
    safe = {k: v for k, v in form.items() if "password" not in k and k not in ("current", "new", "confirm")}
    return Template(
        template_name=name, status_code=status_code, context={"form": safe, "errors": errors or {}, **context}
    )


class AccountStorefrontController(Controller):
    path = "/"

    @get("/register", name="account:register")
    async def register_page(self, request: Request, next: FromQuery[str] = "") -> Template | Redirect:
        if current_user(request):
            return Redirect(path=safe_next(next, "/me"), status_code=303)
        return _form_page("storefront/accounts/register.html", form={"next": safe_next(next, "")})

    @post("/register", name="account:register-submit")
    async def register(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            user_id = await services.register(
                identifier=form.get("identifier", ""),
                password=form.get("password", ""),
                password_confirm=form.get("password_confirm", ""),
                display_name=form.get("display_name", ""),
                locale=request.cookies.get(LOCALE_COOKIE, ""),  # only an explicit choice is kept
                ip=client_ip(request),
            )
        except DomainError as exc:
            status = 429 if isinstance(exc, TooManyAttempts) else 422
            return _form_page(
                "storefront/accounts/register.html", form=form, errors=field_errors(exc), status_code=status
            )
        user = await services.load_principal(user_id)
        assert user is not None
        sign_in(request, user)
        flash(request, N_("Welcome to Jishi! Your account is ready."), "success")
        response = Redirect(path=safe_next(form.get("next"), "/me"), status_code=303)
        await merge_at_login(request, response, user_id=user.id)  # an anonymous cart joins the new account
        await capture.link_visitor(request, user.id)  # this browser's visits count for the user (issue 9)
        return response

    @get("/login", name="account:login")
    async def login_page(self, request: Request, next: FromQuery[str] = "") -> Template | Redirect:
        if current_user(request):
            return Redirect(path=safe_next(next, "/me"), status_code=303)
        return _form_page("storefront/accounts/login.html", form={"next": safe_next(next, "")})

    @post("/login", name="account:login-submit")
    async def login(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            user = await services.authenticate(
                identifier=form.get("identifier", ""),
                password=form.get("password", ""),
                ip=client_ip(request),
            )
        except DomainError as exc:
            status = 429 if isinstance(exc, TooManyAttempts) else 422
            return _form_page("storefront/accounts/login.html", form=form, errors=field_errors(exc), status_code=status)
        sign_in(request, user)
        flash(request, N_("You are logged in."), "success")
        response = Redirect(path=safe_next(form.get("next"), "/me"), status_code=303)
        await merge_at_login(request, response, user_id=user.id)  # an anonymous cart joins the account's
        await capture.link_visitor(request, user.id)  # this browser's visits count for the user (issue 9)
        return response

    @post("/logout", name="account:logout")
    async def logout(self, request: Request) -> Redirect:
        sign_out(request)
        flash(request, N_("You have logged out."), "info")
        return Redirect(path="/", status_code=303)

    @get("/me", name="account:me")
    async def me(self, request: Request) -> Template:
        user = current_user(request)
        shops = await memberships(user_id=user.id) if user else []
        order_counts = await status_counts(buyer_id=user.id) if user else None
        return Template(
            template_name="storefront/accounts/me.html",
            context={"works_for_a_shop": bool(shops), "order_counts": order_counts},
        )

    @get("/me/profile", name="account:profile", guards=[requires_login])
    async def profile_page(self, request: Request) -> Template:
        user = current_user(request)
        assert user
        return _form_page(
            "storefront/accounts/profile.html",
            form={"display_name": user.display_name, "locale": user.locale},
        )

    @post("/me/profile", name="account:profile-submit", guards=[requires_login])
    async def profile(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        assert user
        form = await form_data(request)
        try:
            await services.update_profile(
                user_id=user.id, display_name=form.get("display_name", ""), locale=form.get("locale", "")
            )
        except DomainError as exc:
            return _form_page("storefront/accounts/profile.html", form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("Your profile has been saved."), "success")
        redirect = Redirect(path="/me", status_code=303)
        if form.get("locale"):
            redirect.set_cookie(LOCALE_COOKIE, form["locale"], max_age=365 * 86400, samesite="lax")
        return redirect

    @get("/me/password", name="account:password", guards=[requires_login])
    async def password_page(self, request: Request) -> Template:
        return _form_page("storefront/accounts/password.html", form={})

    @post("/me/password", name="account:password-submit", guards=[requires_login])
    async def change_password(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        assert user
        form = await form_data(request)
        try:
            epoch = await services.change_password(
                user_id=user.id,
                current=form.get("current", ""),
                new=form.get("new", ""),
                confirm=form.get("confirm", ""),
            )
        except DomainError as exc:
            return _form_page("storefront/accounts/password.html", form=form, errors=field_errors(exc), status_code=422)
        refresh_epoch(request, epoch)
        flash(request, N_("Your password has been changed. Other devices have been logged out."), "success")
        return Redirect(path="/me", status_code=303)

    @get("/me/security", name="account:security", guards=[requires_login])
    async def security_page(self, request: Request) -> Template:
        return Template(template_name="storefront/accounts/security.html")

    @post("/me/logout-everywhere", name="account:logout-everywhere", guards=[requires_login])
    async def logout_everywhere(self, request: Request) -> Redirect:
        user = current_user(request)
        assert user
        await services.logout_everywhere(user_id=user.id)
        sign_out(request)
        flash(request, N_("You have been logged out on all devices."), "info")
        return Redirect(path="/login", status_code=303)

    @get("/locale/{lang:str}", name="account:locale")
    async def switch_locale(self, request: Request, lang: FromPath[str], next: FromQuery[str] = "/") -> Response:
        """A language link: sets the cookie and, when signed in, the account's setting. Works on every page
        (error pages included) without JavaScript; a preference only, so a plain link is safe."""
        from app.core.i18n import LOCALES

        target = safe_next(next, "/")
        response = Redirect(path=target, status_code=303)
        if lang in LOCALES:
            response.set_cookie(LOCALE_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
            if user := current_user(request):
                await services.set_locale(user_id=user.id, locale=lang)
        return response


class UserAdminController(Controller):
    path = "/admin/users"
    guards = [requires_platform_role("operations")]

    @get("/", name="admin:users")
    async def index(
        self, request: Request, q: FromQuery[str] = "", status: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        rows, has_next = await services.list_users(q=q, status=status, page=page)
        reasons = await people.ban_reasons([u.id for u in rows if u.status == "banned"])
        return Template(
            template_name="admin/accounts/users.html",
            context={
                "rows": rows,
                "has_next": has_next,
                "page": max(page, 1),
                "q": q,
                "status": status,
                "roles": PLATFORM_ROLES,
                "reasons": reasons,
            },
        )

    async def _detail(
        self,
        user_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        reset_link: str = "",
        status_code: int = 200,
    ) -> Template:
        return Template(
            template_name="admin/operations/user.html",
            context={
                "u": await people.user_detail(user_id),
                "form": form or {},
                "errors": errors or {},
                "reset_link": reset_link,
                "reset_hours": resets.RESET_HOURS,
            },
            status_code=status_code,
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    @get("/{user_id:int}", name="admin:user")
    async def detail(self, request: Request, user_id: FromPath[int]) -> Template:
        return await self._detail(user_id)

    @post("/{user_id:int}/status", name="admin:user-status")
    async def set_status(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        user = current_user(request)
        if not (user and user.has_platform_role("admin")) and await services.has_platform_roles(user_id):
            raise Forbidden(N_("Only an administrator may ban or unban platform staff."))
        try:
            await services.set_user_status(
                actor=actor_of(request), user_id=user_id, status=form.get("status", ""), reason=form.get("reason", "")
            )
        except ValidationFailed as exc:
            if form.get("from") != "detail":
                raise
            return await self._detail(user_id, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The account status has been updated."), "success")
        return Redirect(path=safe_next(form.get("back"), "/admin/users/"), status_code=303)

    @post("/{user_id:int}/reset", name="admin:user-reset")
    async def reset_password(self, request: Request, user_id: FromPath[int]) -> Template:
        """Issue a one-time password-reset link and show it once, on this response only (never flashed)."""
        user = current_user(request)
        token = await resets.issue_reset(
            actor=actor_of(request), user_id=user_id, actor_is_admin=bool(user and user.has_platform_role("admin"))
        )
        base = get_settings().public_base_url  # not the request's Host header
        return await self._detail(user_id, reset_link=f"{base}/reset/{token}")

    @post("/{user_id:int}/roles", name="admin:user-roles", guards=[requires_platform_role("admin")])
    async def set_roles(self, request: Request, user_id: FromPath[int]) -> Redirect:
        form = await request.form()
        roles = [r for r in form.getall("roles")] if "roles" in form else []
        await services.set_platform_roles(actor=actor_of(request), user_id=user_id, roles=roles)
        flash(request, N_("The account's roles have been updated."), "success")
        back = form.get("back")
        return Redirect(path=safe_next(back if isinstance(back, str) else None, "/admin/users/"), status_code=303)
