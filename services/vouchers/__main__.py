"""``python -m services.vouchers``."""

from services.kit.serve import serve

serve("vouchers", "services.vouchers.app:app")
