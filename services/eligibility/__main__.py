"""``python -m services.eligibility``."""

from services.kit.serve import serve

serve("eligibility", "services.eligibility.app:app")
