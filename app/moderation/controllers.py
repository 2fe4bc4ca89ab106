from __future__ import annotations

from datetime import date

from litestar import Controller, Request, get
from litestar.response import Template

from app.config import get_settings
from app.moderation.services import list_audit
from app.web.guards import requires_platform_role


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


class AuditAdminController(Controller):
    path = "/admin/audit"
    guards = [requires_platform_role("admin")]

    @get("/", name="admin:audit")
    async def index(self, request: Request) -> Template:
        q = request.query_params
        try:
            page = max(int(q.get("page", "1")), 1)
        except ValueError:
            page = 1
        filters = {
            "actor": q.get("actor", "").strip(),
            "action": q.get("action", "").strip(),
            "day_from": _day(q.get("from")),
            "day_to": _day(q.get("to")),
        }
        result = await list_audit(**filters, page=page, tz=get_settings().display_timezone)
        return Template(
            template_name="admin/moderation/audit.html",
            context={"result": result, "filters": filters, "raw": dict(q)},
        )
