"""The HTTP gateway: API tokens, authorisation, claim intake, proxy to owning services."""
