"""A person's "who accessed my data" (ai đã truy cập dữ liệu của tôi): the gateway's verifications and lookups (its
hash-chained access ledger) and the reads recorded outside it (:mod:`dancu.exchange.access`: claims released at
sign-in, officials' views, life events delivered) in one timeline, newest first, in the reader's language.

Paging works across both sources with a cursor that holds a position in each: the ledger's sequence and the access
record's id below which the next page starts. A page takes the newest ``limit`` of both sources' next rows; each
source's position moves past what was shown, so nothing is shown twice or skipped, whichever source is busier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext_lazy

from dancu.core.pin import parse_pin
from dancu.exchange.access import pin_hmac_hex, records_of
from dancu.exchange.choices import AccessChannel, data_names
from dancu.exchange.models import AccessRecord, ConnectedSystem, Purpose, purpose_name
from dancu.gateway.ledger import StoredEntry, read_entries_before

__all__ = ["ACCESS_KINDS", "ACCESS_PURPOSES", "Access", "Cursor", "TimelinePage", "access_timeline"]

#: What kind of access a row is, in people's words: the gateway's operations and the access channels.
ACCESS_KINDS = {
    "verify": gettext_lazy("Verification of your details"),
    "verify_batch": gettext_lazy("Verification of your details"),
    "lookup": gettext_lazy("Lookup"),
    "chip_verify": gettext_lazy("Check of your identity card's chip"),
    "health_insurance_check_in": gettext_lazy("Your health insurance was checked"),
    AccessChannel.SIGN_IN: gettext_lazy("Sign-in to a service"),
    AccessChannel.BACK_OFFICE: gettext_lazy("An official viewed your record"),
    AccessChannel.LIFE_EVENT: gettext_lazy("Life event notification"),
    AccessChannel.RECONCILIATION: gettext_lazy("Your details were checked in a bulk reconciliation"),
}

#: Why, for the purposes recorded by code in :class:`~dancu.exchange.models.AccessRecord` (``%(reference)s``: the
#: record's reference, e.g. a dossier number). Other purposes are shown as recorded.
ACCESS_PURPOSES = {
    "sign_in": gettext_lazy("When you signed in"),
    "userinfo": gettext_lazy("Your details asked for again after sign-in"),
    "person_record": gettext_lazy("Viewed your personal record"),
    "household_record": gettext_lazy("Viewed your household's record"),
    "dossier": gettext_lazy("Handled dossier no. %(reference)s"),
}

#: Ledger outcomes as the person reads them (the first word of the outcome).
_OUTCOMES = {
    "found": gettext_lazy("Answered"),
    "not_found": gettext_lazy("Not found"),
    "card_not_valid": gettext_lazy("Card no longer valid"),
    "refused": gettext_lazy("Refused"),
}


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts in each source: the ledger's sequence and the access record's id to go below
    (``None``: from the newest; ``0``: that source has nothing more). In a URL: ``"<ledger>.<record>"``."""

    ledger: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        return f"{'' if self.ledger is None else self.ledger}.{'' if self.record is None else self.record}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """The cursor in ``text``; anything malformed is the first page (never an error: it comes from a URL)."""
        ledger, _dot, record = (text or "").partition(".")
        try:
            return cls(int(ledger) if ledger else None, int(record) if record else None)
        except ValueError:
            return cls()

    @property
    def done(self) -> bool:
        return self.ledger == 0 and self.record == 0


@dataclass
class Access:
    """One line of the timeline (``count`` identical accesses in a row are one line)."""

    time: dt.datetime
    kind: str
    kind_name: str
    organisation: str
    purpose: str
    purpose_name: str
    fields: list[str]
    data: list[str]
    outcome: str = ""
    outcome_name: str = ""
    actor: str = ""
    reference: str = ""
    source: str = "ledger"
    count: int = 1
    earliest: dt.datetime | None = None
    _position: int = field(default=0, repr=False)

    def same_as(self, other: Access) -> bool:
        return (self.source, self.kind, self.organisation, self.actor, self.purpose, self.fields, self.outcome,
                self.reference) == (other.source, other.kind, other.organisation, other.actor, other.purpose,
                                    other.fields, other.outcome, other.reference)  # fmt: skip


@dataclass
class TimelinePage:
    accesses: list[Access]
    next: Cursor | None


def _ledger_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _from_ledger(entries: list[StoredEntry]) -> list[Access]:
    organisations = dict(
        ConnectedSystem.objects.filter(client_id__in={e.system for e in entries}).values_list(
            "client_id", "organisation"
        )
    )
    purposes = _purpose_names({e.purpose for e in entries})
    accesses = []
    for entry in entries:
        outcome = entry.outcome.split(":")[0]
        accesses.append(
            Access(
                time=_ledger_time(entry.time),
                kind=entry.operation,
                kind_name=str(ACCESS_KINDS.get(entry.operation, entry.operation)),
                organisation=organisations.get(entry.system, entry.system),
                purpose=entry.purpose,
                purpose_name=purposes.get(entry.purpose, entry.purpose),
                fields=sorted(entry.fields),
                data=data_names(entry.fields),
                outcome=outcome,
                outcome_name=str(_OUTCOMES.get(outcome, outcome)),
                reference=entry.request_id,
                _position=entry.sequence,
            )
        )
    return accesses


def _purpose_names(codes: set[str]) -> dict[str, str]:
    """The purposes' names in the reader's language, by code."""
    rows = Purpose.objects.filter(code__in=codes).values_list("code", "name", "name_en")
    return {code: purpose_name(name, name_en) for code, name, name_en in rows}


def _purpose_name(record: AccessRecord, purposes: dict[str, str]) -> str:
    known = ACCESS_PURPOSES.get(record.purpose)
    if known is None:  # a purpose of processing (a life event sent for it), or a free text
        return purposes.get(record.purpose, record.purpose)
    return str(known) % {"reference": record.reference} if "%(reference)s" in str(known) else str(known)


def _from_records(records: list[AccessRecord]) -> list[Access]:
    purposes = _purpose_names({r.purpose for r in records if r.purpose not in ACCESS_PURPOSES})
    return [
        Access(
            time=record.time,
            kind=record.channel,
            kind_name=str(ACCESS_KINDS.get(record.channel, record.channel)),
            organisation=record.organisation,
            purpose=record.purpose,
            purpose_name=_purpose_name(record, purposes),
            fields=sorted(record.fields),
            data=data_names(record.fields),
            actor=record.actor,
            reference=record.reference,
            source="record",
            _position=record.pk,
        )
        for record in records
    ]


def _next_records(pin: str, position: int | None, limit: int) -> list[AccessRecord]:
    if position == 0:
        return []
    if position is None:
        return records_of(pin, limit=limit)
    below = AccessRecord.objects.filter(pk=position, pin_hmac=pin_hmac_hex(pin)).values_list("time", flat=True).first()
    if below is None:  # not this person's row (or no row): nothing to page from
        return []
    return records_of(pin, before=below, before_id=position, limit=limit)


def access_timeline(pin: str, *, cursor: Cursor | None = None, limit: int = 50) -> TimelinePage:
    """The person's accesses, newest first, ``limit`` a page (identical accesses in a row folded into one line
    with a count), and the cursor of the next page (``None`` on the last)."""
    parse_pin(pin)
    cursor = cursor or Cursor()
    limit = max(1, min(limit, 200))
    ledger_rows: list[StoredEntry] = []
    if cursor.ledger != 0:
        ledger_rows = read_entries_before(
            Path(settings.DANCU_LEDGER), pin_hmac_hex(pin), before=cursor.ledger, limit=limit + 1
        )
    record_rows = _next_records(pin, cursor.record, limit + 1)
    candidates = _from_ledger(ledger_rows) + _from_records(record_rows)
    candidates.sort(key=lambda a: (a.time, a.source == "ledger", a._position), reverse=True)
    shown = candidates[:limit]
    last_sequence = min((a._position for a in shown if a.source == "ledger"), default=None)
    if last_sequence is not None:  # the other entries of a batch naming the person twice come with it
        shown += [a for a in candidates[limit:] if a.source == "ledger" and a._position == last_sequence]
    shown_ledger = [a for a in shown if a.source == "ledger"]
    shown_records = [a for a in shown if a.source == "record"]
    # A source is done when it gave fewer rows than asked (limit + 1) and all of them are shown.
    if shown_ledger:
        more = len(shown_ledger) < len(ledger_rows) or len(ledger_rows) > limit
        next_ledger = min(a._position for a in shown_ledger) if more else 0
    else:
        next_ledger = cursor.ledger if ledger_rows else 0
    if shown_records:
        next_record = shown_records[-1]._position if len(shown_records) < len(record_rows) else 0
    else:
        next_record = cursor.record if record_rows else 0
    following = Cursor(ledger=next_ledger, record=next_record)
    return TimelinePage(accesses=_fold(shown), next=None if following.done else following)


def _fold(accesses: list[Access]) -> list[Access]:
    """Identical accesses in a row (a service asking for the same data again and again) are one line."""
    folded: list[Access] = []
    for access in accesses:
        if folded and folded[-1].same_as(access):
            folded[-1] = replace(folded[-1], count=folded[-1].count + 1, earliest=access.time)
        else:
            folded.append(access)
    return folded
