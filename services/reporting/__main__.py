"""``python -m services.reporting``."""

from services.kit.serve import serve

serve("reporting", "services.reporting.app:app")
