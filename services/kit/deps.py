"""What a route needs, as FastAPI dependencies: the unit of work, the caller, settings.

A route names them in its signature (``uow: UnitOfWorkDep, actor: CallerDep``) instead
of reaching into ``request.app.state``. The unit of work opens before the route runs and
closes (rolling back whatever the route did not commit) before the answer is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.actor import Actor, current_actor
from services.kit.settings import Settings
from services.kit.unit_of_work import UnitOfWork


def service_runtime(request: Request) -> Any:
    """The :class:`services.kit.runtime.ServiceRuntime` serving this request."""
    return request.app.state.runtime


async def service_settings(request: Request) -> Settings:
    """The settings of the service serving this request (``async``, as every dependency
    here: FastAPI runs a plain ``def`` dependency in its thread pool, a hop per request)."""
    settings: Settings = service_runtime(request).settings
    return settings


async def unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction for the route; only an explicit ``commit()`` persists."""
    async with service_runtime(request).unit_of_work() as uow:
        yield uow


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a route that only reads (SQLite: a deferred transaction, no write
    lock; PostgreSQL: an ordinary one), closed when the route is done."""
    async with service_runtime(request).db.read_sessions() as session:
        yield session


async def units_of_work(request: Request) -> Callable[[], UnitOfWork]:
    """A factory of units of work, for a route that may retry in a fresh transaction."""
    runtime = service_runtime(request)

    def fresh() -> UnitOfWork:
        unit: UnitOfWork = runtime.unit_of_work()
        return unit

    return fresh


UnitOfWorkDep = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
"""The route's unit of work (closed before the answer goes out)."""

ReadSessionDep = Annotated[AsyncSession, Depends(read_session, scope="function")]
"""The route's read-only session (closed before the answer goes out)."""

UnitsOfWorkDep = Annotated[Callable[[], UnitOfWork], Depends(units_of_work)]
"""A factory of fresh units of work (a route that retries in a new transaction)."""

CallerDep = Annotated[Actor, Depends(current_actor)]
"""The verified caller of an internal route (401 without one, 403 when anonymous)."""

SettingsDep = Annotated[Settings, Depends(service_settings)]
"""The service's settings."""
