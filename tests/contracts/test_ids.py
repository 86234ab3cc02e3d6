"""``contracts.ids.uuid7``: RFC 9562 version-7 ids, time-ordered and unique."""

from __future__ import annotations

import time

from contracts.envelope import Event
from contracts.ids import uuid7


def test_uuid7_has_version_7_the_rfc_variant_and_the_current_millisecond() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == "specified in RFC 4122"
    assert before <= value.int >> 80 <= after


def test_uuid7_ids_sort_by_creation_time_and_do_not_repeat() -> None:
    earlier = [uuid7() for _ in range(1000)]
    time.sleep(0.002)
    later = [uuid7() for _ in range(1000)]
    assert len(set(earlier + later)) == 2000
    assert max(str(u) for u in earlier) < min(str(u) for u in later)  # index order


def test_events_get_version_7_ids_by_default() -> None:
    assert Event(type="atr.test", source="/atr/test", subject="s", data={}).id.version == 7
