"""The entry pages that no domain owns yet, and health checks. Domains take these pages over as their issues land
(catalog: home and categories; cart: /cart)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Response, Template
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from app.core.db import fetchrow
from app.web.guards import requires_platform_staff


class ShellAdminController(Controller):
    path = "/admin"
    guards = [requires_platform_staff]

    @get("/", name="admin:home")
    async def home(self, request: Request) -> Template:
        return Template(template_name="admin/home.html")


class HealthController(Controller):
    path = "/"
    include_in_schema = False

    @get("/healthz", name="healthz", opt={"skip_session": True})
    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/readyz", name="readyz")
    async def readyz(self) -> Response[dict[str, str]]:
        try:
            await fetchrow("SELECT 1 AS ok")
        except Exception as exc:
            return Response(
                {"status": "unavailable", "error": type(exc).__name__},
                status_code=HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response({"status": "ok"})
