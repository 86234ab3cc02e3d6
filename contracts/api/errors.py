"""The one error format of every service and the gateway: RFC 9457 problem details.

Every refusal is ``application/problem+json``: a stable ``type`` URI per kind of error,
a short ``title`` for that kind, the HTTP ``status``, a ``detail`` for this occurrence
and, for 422, the ``errors`` list naming each field at fault and why (never the value
submitted: an intake body would otherwise put an SSN or a name in an answer). A refusal
that carries the state it conflicts with keeps it as extension members (the stored
claim's ``claim_id``, the voucher's ``current_status``); a domain refusal may add its
``code`` and rule ``problems``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://atr.example/problems/"


def problem_type(slug: str) -> str:
    """The ``type`` URI of the problem kind ``slug`` (``not-found`` …)."""
    return f"{PROBLEM_BASE}{slug}"


PROBLEM_KINDS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload too large"),
    422: ("validation", "Invalid request"),
    429: ("rate-limited", "Too many requests"),
    503: ("service-unavailable", "Service unavailable"),
}
"""Status → (type slug, title) of the problem kinds the platform answers with."""


def kind_of(status: int) -> tuple[str, str]:
    """The ``type`` URI and ``title`` for a refusal with ``status``.

    A status without a kind of its own is ``about:blank`` with the status as title
    (RFC 9457 §4.2.1)."""
    slug, title = PROBLEM_KINDS.get(status, ("", ""))
    if not slug:
        return "about:blank", f"HTTP {status}"
    return problem_type(slug), title


class FieldError(BaseModel):
    """One invalid field: where it is and why (never its value)."""

    loc: list[str | int] = Field(
        description="Where the field is: `body`, `path` or `query`, then its path.",
        examples=[["body", "start_time"]],
    )
    msg: str = Field(examples=["give the local time of day without a UTC offset"])
    type: str = Field(description="The kind of check that failed.", examples=["value_error"])


class Problem(BaseModel):
    """A refusal (RFC 9457): its kind, status, what went wrong and, for 422, the fields.

    Extension members carry the state a conflict is about (``claim_ref``/``claim_id``,
    ``current_status``/``voucher``) or a domain refusal's ``code`` and ``problems``.
    """

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="A stable URI per kind of error (`https://atr.example/problems/…`).",
        examples=["https://atr.example/problems/not-found"],
    )
    title: str = Field(description="Short summary of the kind.", examples=["Not found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(description="What went wrong this time.", examples=["claim not found"])
    instance: str | None = Field(
        default=None, description="The request path the problem occurred at."
    )
    errors: list[FieldError] | None = Field(
        default=None, description="422 only: each field at fault (never its value)."
    )


def problem_body(
    status: int, detail: str, *, type_: str | None = None, **extensions: Any
) -> dict[str, Any]:
    """The JSON members of a problem (``None`` members left out)."""
    kind, title = kind_of(status)
    body: dict[str, Any] = {"type": type_ or kind, "title": title, "status": status}
    body["detail"] = detail
    body.update({name: value for name, value in extensions.items() if value is not None})
    return body


def documented(status: int, description: str, detail: str, **extensions: Any) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry of a problem answer with ``status``: its
    description and an example body (for routes with refusals of their own)."""
    return _documented(status, description, detail, **extensions)


def _documented(status: int, description: str, detail: str, **extensions: Any) -> dict[str, Any]:
    return {
        "model": Problem,
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"example": problem_body(status, detail, **extensions)}},
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented(400, "The body is not JSON (cannot be decoded).", "the body is not JSON"),
    401: _documented(
        401,
        "No bearer token, an unknown, revoked or expired one, or an OAuth2 access token "
        "that does not verify (signature, issuer, audience, expiry, role claims).",
        "invalid, revoked or expired token",
    ),
    403: _documented(
        403,
        "The token's role, provider or scopes may not do this.",
        "role provider may not do this",
    ),
    404: _documented(404, "Not found, or not visible to this token.", "voucher not found"),
    409: _documented(
        409,
        "Conflicts with the current state (the state it conflicts with as extension members).",
        "voucher VCH-5D2E0A7B19 is active; cannot select a provider",
        current_status="active",
    ),
    413: _documented(
        413, "Request body over the size limit.", "request body exceeds 1048576 bytes"
    ),
    422: _documented(
        422,
        "Invalid body, path or query: each field at fault in `errors`.",
        "1 invalid field",
        errors=[{"loc": ["body", "admitted_on"], "msg": "Field required", "type": "missing"}],
    ),
    429: _documented(
        429,
        "Too many failed authentications (Retry-After).",
        "too many failed authentications from this address; try again later",
    ),
    503: _documented(
        503,
        "A platform service is unavailable (Retry-After).",
        "a platform service is unavailable; retry shortly",
    ),
}
"""The refusals any gateway route can answer, documented on every route."""
