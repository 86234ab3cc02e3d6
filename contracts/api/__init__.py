"""HTTP request and response bodies shared by the gateway and the owning services.

The gateway validates every body with these models (422 naming the field, unknown fields
rejected) before it forwards the request, so its OpenAPI document is the API contract.
"""
