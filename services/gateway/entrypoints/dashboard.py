"""The reports dashboard (SPEC §3.6): reporting's static page served at ``/dashboard/``.

The page is public and holds no data; the reports behind it need an admin or
state_system token, which the reader types in. A Content-Security-Policy of ``'self'``
tells the browser to fetch nothing from outside the platform.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

DASHBOARD_DIR = Path(str(files("services.reporting") / "dashboard"))
"""Reporting's package data (``index.html``, ``dashboard.js``, ``dashboard.css``,
``vendor/``): the reporting service owns the page, the gateway only serves it."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

router = APIRouter()


@router.get("/dashboard", include_in_schema=False)
async def open_dashboard() -> RedirectResponse:
    """``/dashboard`` (the link ``make up`` prints) opens the page's folder."""
    return RedirectResponse("/dashboard/", status_code=307)


class DashboardFiles(StaticFiles):
    """Reporting's dashboard folder, every answer with the same-origin policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, as :class:`StaticFiles` answers it, with the security headers."""
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response


def mount_dashboard(app: FastAPI) -> None:
    """Serve the dashboard at ``/dashboard/`` (not in the OpenAPI document)."""
    app.include_router(router)
    app.mount("/dashboard", DashboardFiles(directory=DASHBOARD_DIR, html=True), name="dashboard")
