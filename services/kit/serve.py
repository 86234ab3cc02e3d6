"""Run one service's ASGI app under uvicorn on its configured port."""

from __future__ import annotations

import uvicorn

from services.kit.settings import Settings


def serve(service: str, app_path: str) -> None:
    """Entry point of ``python -m services.<service>``."""
    settings = Settings(service=service)
    uvicorn.run(
        app_path,
        host=settings.host,
        port=settings.port_of(service),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
