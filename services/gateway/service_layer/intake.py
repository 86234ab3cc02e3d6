"""Group commit for claim intake: concurrent requests share one transaction.

One transaction per ``POST /v1/claims`` capped single-claim intake at about a hundred
claims a second with a p99 acknowledgement over a second: every request paid a whole
commit (and on SQLite waited for the write lock). Here a request hands its lines to one
loop per gateway process and waits; the loop takes every request queued at that moment
(up to ``max_lines`` lines), accepts them in ONE unit of work — idempotency keys and
``ClaimSubmitted`` outbox rows exactly as
:func:`services.gateway.service_layer.claims.accept_claims` writes them, with one key
lookup and one key insert for the whole group — commits once and answers each request.
While a commit runs the next requests queue, so the group grows with the load and a
lone request is committed at once (no lingering).

Each request keeps its own answer: a ``claim_ref`` conflict (409) refuses that request
only — :func:`~services.gateway.service_layer.claims.admit` checks every line before it
emits anything; a line repeated in a later request of the same group is answered as a
duplicate (the earlier request's keys are known to the group). If the shared commit
fails because another gateway process stored one of the keys first, each request is
accepted again alone, as the single-request path always did. Each request's events
carry its own trace context.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from opentelemetry import context as otel_context
from sqlalchemy.exc import IntegrityError

from contracts.claims import SubmitClaim
from services.gateway.service_layer.claims import (
    Accepted,
    ClaimRefConflictError,
    admit,
    insert_keys,
    stored_keys,
)
from services.kit.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MAX_GROUP_LINES = 2_000
"""Lines committed together at most (two full batch requests)."""


@dataclass
class _Request:
    lines: Sequence[SubmitClaim]
    now: datetime
    trace: otel_context.Context
    answer: asyncio.Future[list[Accepted]]
    filed_on: date | None = None


class ClaimIntake:
    """The gateway's intake loop: accepts claim lines for many requests per commit."""

    def __init__(
        self, unit_of_work: Callable[[], UnitOfWork], max_lines: int = MAX_GROUP_LINES
    ) -> None:
        self._unit_of_work = unit_of_work
        self._max_lines = max_lines
        self._queue: asyncio.Queue[_Request] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.commits = 0
        """Transactions committed so far (a test reads how requests were grouped)."""

    async def accept(
        self, lines: Sequence[SubmitClaim], now: datetime, filed_on: date | None = None
    ) -> list[Accepted]:
        """Accept ``lines`` (one request, all or none) and answer once they are durable;
        ``filed_on`` is the program date they were filed on (the timely filing limit).

        Raises :class:`ClaimRefConflictError` for a ``claim_ref`` reused with another
        body; nothing of this request is kept then.
        """
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="claim-intake")
        request = _Request(
            lines,
            now,
            otel_context.get_current(),
            asyncio.get_running_loop().create_future(),
            filed_on,
        )
        self._queue.put_nowait(request)
        return await request.answer

    async def close(self) -> None:
        """Stop the loop (requests still queued are answered with an error)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self._queue.empty():
            _answer(self._queue.get_nowait(), RuntimeError("the gateway is stopping"))

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            lines = len(group[0].lines)
            while not self._queue.empty() and lines < self._max_lines:
                request = self._queue.get_nowait()
                group.append(request)
                lines += len(request.lines)
            try:
                await self._commit(group)
            except Exception as exc:  # answer every waiting request; the loop goes on
                log.exception("claim intake failed for a group of %d requests", len(group))
                for request in group:
                    _answer(request, exc)

    async def _commit(self, group: list[_Request]) -> None:
        try:
            outcomes = await self._commit_together(group)
        except IntegrityError:
            # another gateway process stored one of these keys first: accept each request
            # alone, so each answers from what is stored
            for request in group:
                try:
                    _answer(request, (await self._commit_together([request]))[0])
                except Exception as exc:
                    _answer(request, exc)
            return
        for request, outcome in zip(group, outcomes, strict=True):
            _answer(request, outcome)

    async def _commit_together(
        self, group: list[_Request]
    ) -> list[list[Accepted] | ClaimRefConflictError | None]:
        outcomes: list[list[Accepted] | ClaimRefConflictError | None] = []
        async with self._unit_of_work() as uow:
            waiting = [request for request in group if not request.answer.done()]
            known = await stored_keys(uow, [line for r in waiting for line in r.lines])
            rows: list[dict[str, Any]] = []
            for request in group:
                if request.answer.done():  # the caller went away: keep nothing of it
                    outcomes.append(None)
                    continue
                token = otel_context.attach(request.trace)  # its events carry its trace
                try:
                    answers, new_rows = admit(
                        uow, known, request.lines, request.now, request.filed_on
                    )
                    outcomes.append(answers)
                    rows += new_rows
                except ClaimRefConflictError as exc:  # admit emitted nothing of it
                    outcomes.append(exc)
                finally:
                    otel_context.detach(token)
            await insert_keys(uow, rows)
            await uow.commit()
        self.commits += 1
        return outcomes


def _answer(request: _Request, outcome: list[Accepted] | BaseException | None) -> None:
    if request.answer.done() or outcome is None:
        return
    if isinstance(outcome, BaseException):
        request.answer.set_exception(outcome)
    else:
        request.answer.set_result(outcome)
