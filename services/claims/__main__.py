"""``python -m services.claims``."""

from services.kit.serve import serve

serve("claims", "services.claims.app:app")
