"""HTTP request and response bodies shared by the gateway and the owning services.

The gateway validates every body with these models (422 naming the field, unknown fields
rejected) before it forwards the request, so its OpenAPI document is the API contract.
Answers (:class:`Answer`) are what the owning service replies and the gateway relays;
both declare them as the route's response model.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Answer(BaseModel):
    """Base of every response body: immutable; a member added later by the owning
    service is dropped by an older gateway rather than refused (additive changes)."""

    model_config = ConfigDict(frozen=True)
