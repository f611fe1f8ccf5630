"""What the gateway can compare and return (shared with the exchange's configuration; no Django here)."""

from __future__ import annotations

#: Attributes a verification compares.
VERIFY_ATTRIBUTES = ("full_name", "birth_date", "sex")
#: Fields a lookup may return, with the encryption class each is stored under in the projection.
LOOKUP_FIELDS: dict[str, str] = {
    "full_name": "identity",
    "birth_date": "identity",
    "sex": "identity",
    "status": "status",
    "death_date": "status",
    "permanent_address": "residence",
    "permanent_commune": "residence",
    "place_of_origin": "origin",
    "ethnicity": "origin",
    "religion": "origin",
    "nationality": "origin",
}
#: Fields returned only once the citizen has consented (consent is granted from the citizen portal).
CONSENT_FIELDS = frozenset({"ethnicity", "religion"})
