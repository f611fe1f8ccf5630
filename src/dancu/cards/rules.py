"""Identity-card rules (Law on Identification 2023, art. 21): pure functions, no database."""

from __future__ import annotations

from datetime import date

from dancu.core.ages import birthday

#: Ages at which a card must be renewed; a card issued after 60 does not expire.
RENEWAL_AGES = (14, 25, 40, 60)
#: A card issued within this many years before a renewal age stays valid until the next one (art. 21(2)).
GRACE_YEARS = 2

CARD_ISSUED = "card.issued"
CARD_CANCELLED = "card.cancelled"


def card_expiry(birth_date: date, issued_on: date) -> date | None:
    """The day a card issued on ``issued_on`` stops being valid, or ``None`` for a card that never expires.

    The card runs until the holder's next renewal age; issued within two years before that age, until the one after.
    """
    for age in RENEWAL_AGES:
        renewal = birthday(birth_date, age)
        if issued_on < renewal:
            grace_start = birthday(birth_date, age - GRACE_YEARS)
            if issued_on >= grace_start:
                continue
            return renewal
    return None
