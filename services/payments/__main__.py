"""``python -m services.payments``."""

from services.kit.serve import serve

serve("payments", "services.payments.app:app")
