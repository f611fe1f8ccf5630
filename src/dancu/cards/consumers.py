"""What the cards app does when registry events arrive: the valid identity cards of a person whose death is recorded
are cancelled, whatever recorded the death. Read by sequence from this consumer's own offset (``dancu follow``);
a second pass finds no valid card and writes nothing."""

from __future__ import annotations

from dancu.cards.services import cancel_cards
from dancu.events.services import EventRecord, consume
from dancu.registry.rules import DEATH_RECORDED

CONSUMER = "cards"


def apply(event: EventRecord) -> None:
    if event.type == DEATH_RECORDED:
        cancel_cards(pin=event.pin, reason="death", actor="system", source=f"event:{event.event_id}")


def follow() -> int:
    """Apply new events from this consumer's offset; returns how many were read."""
    return consume(CONSUMER, apply)
