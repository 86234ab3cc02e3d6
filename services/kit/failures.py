"""Which failures are worth retrying, and how to name one without its data.

Every consumer has two ways out of a failure (bad input loses nothing and stops nothing):

- a **transient** failure of the infrastructure (the database or the broker is
  unreachable, a connection dropped, a lock or a timeout) is retried: the batch or the
  message is rewound and nothing is lost;
- anything else is a property of the message (a value the database refuses, a
  constraint it breaks, a rule that raises on it): retrying would fail again forever,
  so the message goes to the dead-letter topic and the consumer carries on.

:func:`is_transient` is the one place that decides between them, used by the FastStream
consumers (:mod:`services.kit.consumer`), the batch loop and batch consumers
(:mod:`services.kit.batch_consumer`) and the claim worker.
"""

from __future__ import annotations

from pathlib import Path

from aiokafka.errors import KafkaError, KafkaTimeoutError
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from services.kit.dead_letter import describe_validation_error

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The repository: frames in its code (not in ``.venv``) are the ones worth naming."""

TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
"""SQLSTATE classes of a server that cannot serve now (PostgreSQL appendix A): connection
exception, transaction rollback (serialization failure, deadlock), insufficient
resources, operator intervention (shutdown, "cannot connect now"), system error."""


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is an infrastructure outage worth retrying (else: poison).

    Transient: connection and operational database errors (SQLite's "database is
    locked" is an ``OperationalError``), a DBAPI error that invalidated its connection
    or carries a SQLSTATE of an unavailable server, a pool or connect timeout,
    ``ConnectionError``/``TimeoutError``/``OSError``, and retriable Kafka errors.
    Not transient: ``IntegrityError``, ``DataError``, ``ProgrammingError`` and every
    other error — the message itself is at fault.
    """
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError):
            return True
        return _sqlstate(exc)[:2] in TRANSIENT_SQLSTATE_CLASSES
    if isinstance(exc, (sa_exc.DisconnectionError, sa_exc.TimeoutError)):
        return True  # SQLAlchemy's own: a dropped pooled connection, a pool timeout
    if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return True
    if isinstance(exc, KafkaError):
        return bool(exc.retriable) or isinstance(exc, KafkaTimeoutError)
    return False


def _sqlstate(exc: sa_exc.DBAPIError) -> str:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code if isinstance(code, str) else ""


def describe_failure(exc: BaseException) -> str:
    """The error of a poison message for the dead-letter topic, without data.

    Exception messages may quote values (a DBAPI error quotes the statement's
    parameters, a ``ValueError`` often the value), so only the exception's type, its
    driver error and SQLSTATE, and where it was raised are given — never ``str(exc)``.
    Validation errors are described field by field, without input values.
    """
    if isinstance(exc, ValidationError):
        return describe_validation_error(exc)
    name = type(exc).__name__
    if isinstance(exc, sa_exc.DBAPIError):
        state = _sqlstate(exc)
        name += f" ({type(exc.orig).__name__}{', SQLSTATE ' + state if state else ''})"
    where = _where(exc)
    return f"{name} at {where}" if where else name


def _where(exc: BaseException) -> str:
    """``path:line in function`` of the innermost frame in this project's code (else
    the innermost frame at all)."""
    innermost = ours = None
    frame = exc.__traceback__
    while frame is not None:
        innermost = frame
        if _ours(Path(frame.tb_frame.f_code.co_filename)):
            ours = frame
        frame = frame.tb_next
    chosen = ours or innermost
    if chosen is None:
        return ""
    code = chosen.tb_frame.f_code
    path = Path(code.co_filename)
    shown = path.relative_to(PROJECT_ROOT) if _ours(path) else path.name
    return f"{shown}:{chosen.tb_lineno} in {code.co_name}"


def _ours(path: Path) -> bool:
    return path.is_relative_to(PROJECT_ROOT) and ".venv" not in path.parts
