"""The client's choice of provider (seed 003 App. C §1a; App. E §1-2; SPEC §3.2).

"Choice is defined as a client being able to select among at least two providers which
are qualified to provide the services needed by the client, among them at least one
provider to which the client has no religious objection" (seed 003 App. C §1a).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from services.eligibility.domain.identity import normalise_name
from services.kit.provider_status import receives_vouchers_on

ChoiceShortfall = Literal["FEWER_THAN_TWO_PROVIDERS", "NO_PROVIDER_WITHOUT_OBJECTION"]


@dataclass(frozen=True)
class ProviderFacts:
    """What the choice rule needs of a provider record."""

    provider_id: str
    name: str
    status: str
    services: tuple[str, ...]
    counties: tuple[str, ...]
    faith_based: bool
    religious_affiliation: str | None
    ineligible_from: date | None = None


@dataclass(frozen=True)
class Objections:
    """The client's recorded religious objections (App. C §1a; App. E §3)."""

    provider_ids: frozenset[str] = frozenset()
    affiliations: frozenset[str] = frozenset()
    all_faith_based: bool = False

    def against(self, provider: ProviderFacts) -> bool:
        """Whether the client objects to ``provider`` on religious grounds."""
        if provider.provider_id in self.provider_ids:
            return True
        if provider.faith_based and self.all_faith_based:
            return True
        affiliation = provider.religious_affiliation
        return affiliation is not None and normalise_name(affiliation) in {
            normalise_name(a) for a in self.affiliations
        }


@dataclass(frozen=True)
class Option:
    """A provider offered to the client, marked when the client objects to it."""

    provider: ProviderFacts
    objected: bool


@dataclass(frozen=True)
class ChoiceList:
    """The providers offered for one service and whether the choice rule is met."""

    service_code: str
    options: tuple[Option, ...]
    shortfalls: tuple[ChoiceShortfall, ...] = field(default=())

    @property
    def satisfied(self) -> bool:
        """True when the rule holds; otherwise a choice exception must be recorded."""
        return not self.shortfalls


def choice_list(
    providers: Iterable[ProviderFacts],
    service_code: str,
    objections: Objections,
    county: str | None = None,
    on: date | None = None,
) -> ChoiceList:
    """Eligible providers for ``service_code`` and the choice-rule verdict.

    Only providers eligible ``on`` that day offering the service are offered (a
    suspended provider is removed from choice lists, SPEC §3.2; one ineligible next
    fiscal year stays until the year turns, seed 003 App. E §6; without ``on`` only
    ``active`` ones); with ``county`` only those serving it. The
    rule (seed 003 App. C §1a) needs at least two of them and at least one the client
    has no religious objection to; each unmet half is a shortfall. Providers the client
    objects to stay on the list, marked, after the others: the choice remains the
    client's (App. D "choice ... resides with the individual").
    """
    eligible = [
        p
        for p in providers
        if (
            p.status == "active"
            if on is None
            else receives_vouchers_on(p.status, p.ineligible_from, on)
        )
        and service_code in p.services
        and (county is None or county in p.counties)
    ]
    options = sorted(
        (Option(p, objections.against(p)) for p in eligible),
        key=lambda o: (o.objected, o.provider.name, o.provider.provider_id),
    )
    shortfalls: list[ChoiceShortfall] = []
    if len(options) < 2:
        shortfalls.append("FEWER_THAN_TWO_PROVIDERS")
    if all(o.objected for o in options):
        shortfalls.append("NO_PROVIDER_WITHOUT_OBJECTION")
    return ChoiceList(service_code, tuple(options), tuple(shortfalls))
