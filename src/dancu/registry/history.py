"""A person's history and their record "as of" a date, rebuilt from the event log alone."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from dancu.events.models import Event
from dancu.registry import rules


def person_events(pin: str) -> list[Event]:
    """Every event recorded about this person, in recording order."""
    return list(Event.objects.filter(pin=pin).order_by("sequence"))


def fold(events: Iterable[Any], *, as_of: date | None = None) -> dict[str, Any] | None:
    """Apply events (ordered by sequence) whose effective date is on or before ``as_of``; ``None`` if the person
    did not exist yet. Accepts :class:`Event` rows or :class:`~dancu.events.services.EventRecord`s."""
    state: dict[str, Any] | None = None
    for event in events:
        effective = event.effective_date
        if isinstance(effective, str):
            effective = date.fromisoformat(effective)
        if as_of is not None and effective > as_of:
            continue
        data = event.payload
        kind = event.type
        if kind in (rules.PERSON_REGISTERED, rules.BIRTH_REGISTERED):
            state = {
                "pin": event.pin,
                **data,
                "status": "living",
                "death_date": None,
                "spouse": None,
                "permanent_residence": None,
                "temporary_residences": [],
            }
            continue
        if state is None:
            continue
        if kind == rules.PERMANENT_RESIDENCE_REGISTERED:
            state["permanent_residence"] = {
                "commune": data["commune"],
                "address_line": data["address_line"],
                "household": data.get("household"),
                "relationship": data.get("relationship"),
                "valid_from": data["valid_from"],
            }
        elif kind == rules.PERMANENT_RESIDENCE_REMOVED:
            state["permanent_residence"] = None
        elif kind == rules.TEMPORARY_RESIDENCE_REGISTERED:
            term = {k: data[k] for k in ("residence_id", "commune", "address_line", "valid_from", "valid_until")}
            state["temporary_residences"].append(term)
        elif kind == rules.TEMPORARY_RESIDENCE_ENDED:
            state["temporary_residences"] = [
                t for t in state["temporary_residences"] if t.get("residence_id") != data.get("residence_id")
            ]
        elif kind == rules.MARRIAGE_REGISTERED:
            state["spouse"] = data["spouse"]
        elif kind == rules.NAME_CHANGED:
            for key in ("full_name", "family_name", "middle_name", "given_name"):
                state[key] = data[key]
        elif kind == rules.DEATH_RECORDED:
            state["status"] = "deceased"
            state["death_date"] = data["death_date"]
    if state is not None and as_of is not None:
        # A temporary residence whose term had run out by then is no longer current.
        state["temporary_residences"] = [
            t for t in state["temporary_residences"] if date.fromisoformat(t["valid_until"]) >= as_of
        ]
    return state


def record_as_of(pin: str, as_of: date) -> dict[str, Any] | None:
    return fold(person_events(pin), as_of=as_of)
