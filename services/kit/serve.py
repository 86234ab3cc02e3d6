"""Run one service's ASGI app under uvicorn on its configured port."""

from __future__ import annotations

import gc
import importlib

import uvicorn

from services.kit.settings import Settings


def serve(service: str, app_path: str) -> None:
    """Entry point of ``python -m services.<service>``."""
    settings = Settings(service=service)
    module, _, name = app_path.partition(":")
    app = getattr(importlib.import_module(module), name)
    tune_gc(settings.gc_gen0_threshold)  # after the app and its catalog are loaded
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port_of(service),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=SERVER_KEEP_ALIVE_S,
    )


SERVER_KEEP_ALIVE_S = 30
"""How long uvicorn keeps an idle connection open. Longer than the callers' pools keep
one (httpx: 5 s): with both at 5 s, a caller can send a request on a pooled connection
in the instant the server closes it and read nothing back (``ReadError``), which the
gateway turns into a 503. The caller always lets go first."""


def tune_gc(gen0_threshold: int) -> None:
    """Fewer, cheaper cyclic garbage collections for batch work.

    A claim batch allocates hundreds of thousands of short-lived objects; with
    CPython's default threshold (700) the collector runs thousands of times per batch
    and every older-generation pass walks the whole heap. Freezing what exists at
    start-up (modules, catalog, app) takes it out of every future pass, and a larger
    young generation makes passes rare. Reference counting still frees almost
    everything at once; only cyclic garbage waits a little longer. Measured with the
    claim worker alone: about 10-25 % more claims per second.
    """
    if gen0_threshold <= 0:
        return
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(gen0_threshold, gen1, gen2)
