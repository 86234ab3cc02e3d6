"""The error bodies every gateway answer may carry, as documented in its OpenAPI.

Today's shape is FastAPI's: ``{"detail": "<message>"}``, or for 422 a list of field
errors ``{"loc": [...], "msg": "...", "type": "..."}`` that never echoes the submitted
value. A conflict (409) may add the state it conflicts with (the stored claim, the
voucher's current status).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    """One invalid field: where it is and why (never its value)."""

    model_config = ConfigDict(extra="allow")

    loc: list[str | int] = Field(examples=[["body", "start_time"]])
    msg: str = Field(examples=["give the local time of day without a UTC offset"])
    type: str | None = Field(default=None, examples=["value_error"])


class ErrorBody(BaseModel):
    """Any refusal: a message, or for 422 the list of field errors."""

    model_config = ConfigDict(extra="allow")

    detail: str | list[FieldError]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not JSON (cannot be decoded)."},
    401: {"model": ErrorBody, "description": "No, unknown or revoked bearer token."},
    403: {"model": ErrorBody, "description": "The token's role or provider may not do this."},
    404: {"model": ErrorBody, "description": "Not found, or not visible to this token."},
    409: {"model": ErrorBody, "description": "Conflicts with the current state."},
    413: {"model": ErrorBody, "description": "Request body over the size limit."},
    422: {"model": ErrorBody, "description": "Invalid body, path or query (fields named)."},
    429: {"model": ErrorBody, "description": "Too many failed authentications (Retry-After)."},
    503: {"model": ErrorBody, "description": "A platform service is unavailable (Retry-After)."},
}
"""The refusals any gateway route can answer, documented on every route."""
