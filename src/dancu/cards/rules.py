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


def vn_date(value: date | str | None) -> str:
    """A date as printed on the card and written to DG13: dd/mm/yyyy (from a date or ISO text)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def place(*parts: str | None) -> str:
    """An address or place as DG13 writes it: its parts, most local first, joined by commas."""
    return ", ".join(p for p in parts if p)


def dg13_compared(
    *,
    full_name: str,
    birth_date: date | str | None,
    sex: str,
    origin: tuple[str | None, str | None],
    address: tuple[str | None, str | None, str | None],
) -> dict[str, str]:
    """The compared DG13 fields (``dancu.core.chip.lds.DG13_COMPARED``) as the registry knows them now: written to
    the chip at personalisation and hashed into the gateway's projection, so both sides format them alike."""
    return {
        "full_name": full_name,
        "birth_date": vn_date(birth_date),
        "sex": "Nam" if sex == "M" else "Nữ",
        "place_of_origin": place(*origin),
        "permanent_address": place(*address),
    }
