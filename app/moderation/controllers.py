from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Response, Template

from app.config import get_settings
from app.core import clock
from app.moderation.services import export_audit_csv, list_audit
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
        filters = _filters(request)
        result = await list_audit(**filters, page=page, tz=get_settings().display_timezone)
        return Template(
            template_name="admin/moderation/audit.html",
            context={"result": result, "filters": filters, "raw": dict(q)},
        )

    @get("/export.csv", name="admin:audit-export")
    async def export(self, request: Request) -> Response:
        """The filtered entries as CSV (UTF-8 with a BOM, formula-guarded cells), newest first."""
        body = await export_audit_csv(**_filters(request), tz=get_settings().display_timezone)
        stamp = clock.now().strftime("%Y%m%d-%H%M")
        return Response(
            content=body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
                "Cache-Control": "no-store",
            },
        )


def _filters(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {
        "actor": q.get("actor", "").strip()[:100],
        "action": q.get("action", "").strip()[:64],
        "target_type": q.get("target_type", "").strip()[:64],
        "target_id": q.get("target_id", "").strip()[:64],
        "day_from": _day(q.get("from")),
        "day_to": _day(q.get("to")),
    }
