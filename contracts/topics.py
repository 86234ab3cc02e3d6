"""Topic registry: the one place topic names, keys and partition counts are written.

Every service, the embedded broker and the tests read topics from here; no other module
spells a topic name. Partition counts bound how many consumers of one group can work in
parallel (SPEC §2 "Scaling"): a claim worker beyond the partition count of
``atr.claims.submitted.v1`` sits idle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Topic:
    """A Kafka topic, its message key and how it is created."""

    name: str
    key: str
    partitions: int
    description: str
    cleanup_policy: Literal["delete", "compact"] = "delete"


CLIENTS = Topic(
    "atr.clients.v1",
    key="client_id",
    partitions=8,
    description="Client lifecycle facts without PHI: enrolled, eligibility, assessed, "
    "treatment status, GPRA and drug-test outcomes.",
)
PROVIDERS = Topic(
    "atr.providers.v1",
    key="provider_id",
    partitions=4,
    cleanup_policy="compact",
    description="Provider registry snapshots (compacted: the latest per provider wins).",
)
VOUCHERS = Topic(
    "atr.vouchers.v1",
    key="voucher_id",
    partitions=8,
    description="Voucher lifecycle for state systems: issued, provider selected, "
    "activated, extended, closed, expired, discharged, balance changed.",
)
CLAIMS_SUBMITTED = Topic(
    "atr.claims.submitted.v1",
    key="client_id",
    partitions=8,
    description="Claim lines accepted by the gateway, keyed by client so one worker "
    "adjudicates each client's claims in order.",
)
CLAIMS_ADJUDICATED = Topic(
    "atr.claims.adjudicated.v1",
    key="client_id",
    partitions=8,
    description="Adjudication results: allowed/denied units and amounts with reasons.",
)
PAYMENTS = Topic(
    "atr.payments.v1",
    key="provider_id",
    partitions=4,
    description="Funding decisions, holdbacks, releases, invoices and remittances.",
)
DEAD_LETTER = Topic(
    "atr.deadletter.v1",
    key="original key",
    partitions=1,
    description="Messages a consumer could not process, with the error and the "
    "original bytes (headers `x-error`, `x-original-topic`, `x-consumer`).",
)

ALL_TOPICS: tuple[Topic, ...] = (
    CLIENTS,
    PROVIDERS,
    VOUCHERS,
    CLAIMS_SUBMITTED,
    CLAIMS_ADJUDICATED,
    PAYMENTS,
    DEAD_LETTER,
)
