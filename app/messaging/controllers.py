"""The reader's notifications under "me": the list (unread marked), opening one (marks it read and goes to its
target) and "mark all read"."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.core.db import fetchrow
from app.core.i18n import N_
from app.messaging import services
from app.messaging.chat_controllers import CHAT_ROUTES
from app.web.auth import current_user
from app.web.errors import safe_next
from app.web.flash import flash
from app.web.guards import requires_login


def _user_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


class NotificationController(Controller):
    path = "/me/notifications"
    guards = [requires_login]

    @get("/", name="messaging:notifications")
    async def index(self, request: Request) -> Template:
        user_id = _user_id(request)
        return Template(
            template_name="storefront/messaging/notifications.html",
            context={
                "items": await services.list_notifications(user_id=user_id, limit=100),
                "unread": await services.unread_count(user_id=user_id),
            },
        )

    @get("/{notification_id:int}", name="messaging:open")
    async def open(self, request: Request, notification_id: FromPath[int]) -> Redirect:
        """A notification's link: marks it read (only the reader's own) and goes to its target."""
        user_id = _user_id(request)
        row = await fetchrow('SELECT link FROM notification WHERE id = {} AND "user" = {}', notification_id, user_id)
        await services.mark_read(user_id=user_id, notification_id=notification_id)
        return Redirect(path=safe_next(row["link"] if row else None, "/me/notifications/"), status_code=303)

    @post("/read-all", name="messaging:read-all")
    async def read_all(self, request: Request) -> Redirect:
        await services.mark_read(user_id=_user_id(request))
        flash(request, N_("All notifications are marked as read."), "success")
        return Redirect(path="/me/notifications/", status_code=303)


ROUTES: list = [NotificationController, *CHAT_ROUTES]
