"""The environment variable names the services' :class:`Settings` read."""

from __future__ import annotations

from pydantic import AliasChoices

from services.kit.settings import Settings


def settings_env_names() -> frozenset[str]:
    """Every variable a service reads: ``ATR_<FIELD>`` or a field's explicit aliases."""
    names: set[str] = set()
    prefix = Settings.model_config.get("env_prefix", "")
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(choice).upper() for choice in alias.choices}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return frozenset(names)
