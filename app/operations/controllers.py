"""Pages of the operations app (issue 9): system settings (/admin/settings/), platform staff (/admin/staff/), the
campaign calendar (/admin/calendar/), the moderation inbox (/admin/inbox/) and the password-reset link a user
opens (/reset/<token>)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.config import get_settings
from app.core import clock
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_, babel_locale, gettext
from app.core.principal import PLATFORM_ROLES
from app.operations import calendar, inbox, resets, staff
from app.operations import settings as registry
from app.web.auth import current_user, sign_out
from app.web.flash import flash
from app.web.forms import actor_of, client_ip, field_errors, form_data
from app.web.guards import requires_platform_role, requires_platform_staff


def _settings_errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, registry.SettingsInvalid):
        return {k: gettext(msgid, **exc.field_params.get(k, {})) for k, msgid in exc.errors.items()}
    return field_errors(exc)


async def _settings_page(
    *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status_code: int = 200
) -> Template:
    values = await registry.current_values()
    stored = await registry.stored_values()
    if form is None:
        form = {key: registry.to_text(registry.REGISTRY[key], value) for key, value in values.items()}
    sections = []
    for section, title in registry.SECTIONS:
        rows = []
        for spec in registry.REGISTRY.values():
            if spec.section != section:
                continue
            rows.append(
                {
                    "spec": spec,
                    "label": gettext(spec.label),
                    "default": registry.to_text(spec, registry.default_of(spec.key)),
                    "minimum": registry.to_text(spec, spec.minimum),
                    "maximum": registry.to_text(spec, spec.maximum),
                    "changed": spec.key in stored,
                }
            )
        sections.append({"key": section, "title": gettext(title), "rows": rows})
    return Template(
        template_name="admin/operations/settings.html",
        context={"sections": sections, "form": form, "errors": errors or {}},
        status_code=status_code,
    )


class SettingsAdminController(Controller):
    path = "/admin/settings"
    guards = [requires_platform_role("admin")]

    @get("/", name="admin:settings")
    async def index(self, request: Request) -> Template:
        return await _settings_page()

    @post("/", name="admin:settings-save")
    async def save(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            changed = await registry.save(actor=actor_of(request), form=form)
        except DomainError as exc:
            return await _settings_page(form=form, errors=_settings_errors(exc), status_code=422)
        if changed:
            flash(request, N_("The settings are saved: %(count)s changed."), "success", count=len(changed))
        else:
            flash(request, N_("Nothing changed."), "info")
        return Redirect(path="/admin/settings/", status_code=303)


class StaffAdminController(Controller):
    path = "/admin/staff"
    guards = [requires_platform_role("admin")]

    async def _page(
        self, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None, status_code: int = 200
    ) -> Template:
        return Template(
            template_name="admin/operations/staff.html",
            context={
                "rows": await staff.list_staff(),
                "roles": PLATFORM_ROLES,
                "role_help": {role: gettext(text) for role, text in staff.ROLE_HELP.items()},
                "form": form or {},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/", name="admin:staff")
    async def index(self, request: Request) -> Template:
        return await self._page()

    @post("/add", name="admin:staff-add")
    async def add(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await staff.add_role(
                actor=actor_of(request), identifier=form.get("identifier", ""), role=form.get("role", "")
            )
        except DomainError as exc:
            return await self._page(form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The role has been given."), "success")
        return Redirect(path="/admin/staff/", status_code=303)

    @post("/{user_id:int}/remove", name="admin:staff-remove")
    async def remove(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await staff.remove_role(actor=actor_of(request), user_id=user_id, role=form.get("role", ""))
        except NotFound:
            raise
        except DomainError as exc:
            return await self._page(errors=field_errors(exc), status_code=422)
        flash(request, N_("The role has been removed."), "success")
        return Redirect(path="/admin/staff/", status_code=303)


class CalendarAdminController(Controller):
    path = "/admin/calendar"
    guards = [requires_platform_role("operations")]

    @get("/", name="admin:calendar")
    async def index(self, request: Request, month: FromQuery[str] = "", issuer: FromQuery[str] = "") -> Template:
        tz = get_settings().display_timezone
        today = clock.now().astimezone(ZoneInfo(tz)).date()
        year, mon = calendar.parse_month(month, today)
        view = await calendar.month_view(year=year, month=mon, issuer=issuer, tz=tz)
        return Template(
            template_name="admin/operations/calendar.html",
            context={
                "m": view,
                "today": today,
                "month_value": f"{year:04d}-{mon:02d}",
                "day_names": {d: format_date(d, "full", locale=babel_locale()) for d in view.by_day},
                "weekday_names": [get_day_names("abbreviated", locale=babel_locale())[i] for i in range(7)],
            },
        )


class InboxAdminController(Controller):
    path = "/admin/inbox"
    guards = [requires_platform_staff]

    @get("/", name="admin:inbox")
    async def index(self, request: Request) -> Template:
        user = current_user(request)
        assert user is not None
        queues = await inbox.inbox(user)
        return Template(
            template_name="admin/operations/inbox.html",
            context={"queues": queues, "total": sum(q.count for q in queues)},
        )


_NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class PasswordResetController(Controller):
    """The one-time link an admin issued (app/operations/resets.py). Public: the token is the credential."""

    path = "/reset"

    def _page(
        self, token: str, *, errors: dict[str, str] | None = None, invalid: str = "", status_code: int = 200
    ) -> Template:
        return Template(
            template_name="admin/operations/reset.html",
            context={"token": token, "form": {}, "errors": errors or {}, "invalid": invalid},
            status_code=status_code,
            headers=_NO_STORE,
        )

    @get("/{token:str}", name="account:reset")
    async def page(self, request: Request, token: FromPath[str]) -> Template:
        try:
            await resets.check_token(token)
        except resets.ResetLinkInvalid as exc:
            return self._page("", invalid=gettext(exc.message), status_code=404)
        return self._page(token)

    @post("/{token:str}", name="account:reset-submit")
    async def submit(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await resets.use_token(
                token=token, new=form.get("new", ""), confirm=form.get("confirm", ""), ip=client_ip(request)
            )
        except resets.ResetLinkInvalid as exc:
            return self._page("", invalid=gettext(exc.message), status_code=404)
        except DomainError as exc:
            return self._page(token, errors=field_errors(exc), status_code=422)
        sign_out(request)
        flash(request, N_("Your new password is set. Log in with it."), "success")
        return Redirect(path="/login", status_code=303)


ROUTES: list[Any] = [
    SettingsAdminController,
    StaffAdminController,
    InboxAdminController,
    CalendarAdminController,
    PasswordResetController,
]
