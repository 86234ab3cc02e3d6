"""``python -m services.gateway``."""

from services.kit.serve import serve

serve("gateway", "services.gateway.app:app")
