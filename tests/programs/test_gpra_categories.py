"""Every catalog service counts under one GPRA item 7.1 category (seed 003 App. C item
7.1, "Identify the number of service sessions/days provided to each client during the
past 30 days", categories 7.1.1 to 7.1.27), cited by its item number."""

from __future__ import annotations

import re
from typing import get_args

import pytest
from pydantic import ValidationError

from contracts.api.clients import RetentionService
from programs.catalog import Service
from programs.loader import load_catalog

PROGRAMS = ("missouri_atr2", "illinois_atr3", "idaho_case_management", "missouri_community_support")
ITEMS = {category: f"7.1.{n}" for n, category in enumerate(get_args(RetentionService), 1)}


@pytest.mark.parametrize("program", PROGRAMS)
def test_each_service_cites_the_item_of_its_category(program: str) -> None:
    """The citation names the 7.1 item of the category chosen (7.1.20 is recovery
    coaching, 7.1.22 transportation, ...): a category and its citation cannot drift."""
    for code, service in load_catalog(program).services.items():
        cited = re.search(r"App\. C (7\.1\.\d+)", service.gpra_category.source)
        assert cited is not None, code
        assert cited.group(1) == ITEMS[service.gpra_category.category], code


def test_the_missouri_services_fall_where_their_descriptions_put_them() -> None:
    """Seed 000 §4: a Drop-In Center "normally hosts twelve-step meetings" (7.1.24);
    §15-16 transportation (7.1.22); §5-6 housing (7.1.23); §11-12 recovery mentoring is
    recovery coaching (7.1.20)."""
    catalog = load_catalog("missouri_atr2")
    category = {code: s.gpra_category.category for code, s in catalog.services.items()}
    assert category["DROP_IN_CENTER"] == "self_help_support_groups"
    assert category["TRANSPORT_MILEAGE"] == category["TRANSPORT_PUBLIC"] == "transportation"
    assert category["EMERGENCY_HOUSING"] == "supportive_transitional_housing"
    assert category["EXTENDED_RESIDENTIAL_SUPPORT"] == "supportive_transitional_housing"
    assert category["RECOVERY_MENTORING_IND"] == "recovery_coaching"


def test_a_service_without_its_category_or_citation_is_refused() -> None:
    service = load_catalog("missouri_atr2").services["CHILD_CARE"].model_dump()
    del service["gpra_category"]
    with pytest.raises(ValidationError, match="gpra_category"):
        Service.model_validate(service)
    service["gpra_category"] = {"category": "family_support_childcare", "source": ""}
    with pytest.raises(ValidationError, match="source"):
        Service.model_validate(service)
    service["gpra_category"] = {"category": "daycare", "source": "seed 003 App. C 7.1.21"}
    with pytest.raises(ValidationError, match="category"):
        Service.model_validate(service)
