"""What social insurance does when registry events arrive: a participant's coverage ends at death. Read by sequence
from this consumer's own offset (``dancu follow``); a second pass finds nothing active and writes nothing."""

from __future__ import annotations

from dancu.events.services import EventRecord, consume
from dancu.insurance.services import end_coverage_at_death
from dancu.registry.rules import DEATH_RECORDED

CONSUMER = "insurance"


def apply(event: EventRecord) -> None:
    if event.type == DEATH_RECORDED and event.pin:
        end_coverage_at_death(event.pin)


def follow() -> int:
    """Apply new events from this consumer's offset; returns how many were read."""
    return consume(CONSUMER, apply)
