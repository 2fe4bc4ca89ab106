"""Helpers for plain HTML forms: read values, turn ValidationFailed into translated field errors."""

from __future__ import annotations

from litestar import Request

from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import gettext
from app.core.principal import Actor
from app.web.auth import current_user


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def field_errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationFailed):
        return {name: gettext(msgid) for name, msgid in exc.errors.items()}
    return {exc.field or "__all__": gettext(exc.message, **exc.params)}


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def actor_of(request: Request) -> Actor:
    user = current_user(request)
    label = f"{user.display_name} <{user.identifier}>" if user else ""
    return Actor(user_id=user.id if user else None, ip=client_ip(request), label=label)
