"""What the accounts app does when registry events arrive: the e-ID account of a holder whose death is recorded is
closed (its sessions ended, its applications' tokens revoked), whatever recorded the death — a dossier, an import,
an official. Read by sequence from this consumer's own offset (``dancu follow``); closing twice changes nothing."""

from __future__ import annotations

from dancu.accounts.services import close_for_death
from dancu.events.services import EventRecord, consume
from dancu.registry.rules import DEATH_RECORDED

CONSUMER = "accounts"


def apply(event: EventRecord) -> None:
    if event.type == DEATH_RECORDED:
        close_for_death(event.pin)


def follow() -> int:
    """Apply new events from this consumer's offset; returns how many were read."""
    return consume(CONSUMER, apply)
