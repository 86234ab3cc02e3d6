"""Path parameters the gateway checks before any internal call (no 5xx from bad input).

An id in a path is validated like an id in a body: a control character, a slash or an
over-long value is a 422 naming the parameter, never a request to another service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from contracts.fields import ID_PATTERN

PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]
"""A client, voucher, claim, provider or consent id in a URL path."""
