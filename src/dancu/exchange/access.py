"""Reads of a person's data outside the gateway, recorded so the person sees them (ai đã truy cập dữ liệu của tôi).

The gateway's verifications and lookups go to its own hash-chained access ledger (:mod:`dancu.gateway.ledger`). The
other ways a person's data leaves the registry are recorded here, by the service that releases the data, in the same
transaction as the release where there is one:

- claims released to a relying party at sign-in (``AccessChannel.SIGN_IN``: which service, which data);
- an official opening the person's record or a dossier about them in the back office (``BACK_OFFICE``: agency and
  office, the official, why);
- a life event delivered to a subscribing agency (``LIFE_EVENT``: the agency, the event, the fields sent).

Rows are keyed by HMAC(PIN) like the ledger, so the table alone does not say whose data was read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from dancu.core.pin import parse_pin
from dancu.exchange.choices import AccessChannel
from dancu.exchange.models import AccessRecord
from dancu.exchange.projector import keyring

__all__ = ["AccessChannel", "pin_hmac_hex", "record_access", "record_batch_access", "records_of"]


def pin_hmac_hex(pin: str) -> str:
    """The key of a person's rows here and in the access ledger: hex HMAC of the (valid) PIN."""
    parse_pin(pin)
    return keyring().pin_hmac(pin).hex()


def record_access(
    pin: str,
    *,
    channel: str,
    organisation: str,
    actor: str = "",
    purpose: str = "",
    fields: Iterable[str] = (),
    reference: str = "",
    time: dt.datetime | None = None,
) -> AccessRecord:
    """Record that ``organisation`` (and ``actor`` in it) received or saw ``fields`` of the person with ``pin``.

    Call it from the service that releases the data, inside its transaction, so a release is never without its
    record. ``channel`` is an :class:`AccessChannel` value; anything else is a programming error (ValueError)."""
    if channel not in AccessChannel.values:
        raise ValueError(f"unknown access channel {channel!r}")
    record = AccessRecord(
        pin_hmac=pin_hmac_hex(pin),
        channel=channel,
        organisation=organisation[:200],
        actor=actor[:200],
        purpose=purpose[:300],
        fields=sorted(set(fields)),
        reference=reference[:100],
    )
    if time is not None:
        record.time = time
    record.save(force_insert=True)
    return record


def record_batch_access(
    pins: Iterable[str],
    *,
    channel: str,
    organisation: str,
    actor: str = "",
    purpose: str = "",
    fields: Iterable[str] = (),
    reference: str = "",
    time: dt.datetime | None = None,
    batch_size: int = 5000,
) -> int:
    """One record per person of ``pins`` for one bulk read (a reconciliation job matched them all): the same row
    :func:`record_access` writes, inserted in batches. Call it inside the transaction that publishes the result.
    Returns how many were written."""
    if channel not in AccessChannel.values:
        raise ValueError(f"unknown access channel {channel!r}")
    ring = keyring()
    when = time or timezone.now()
    shared = {
        "channel": channel,
        "organisation": organisation[:200],
        "actor": actor[:200],
        "purpose": purpose[:300],
        "fields": sorted(set(fields)),
        "reference": reference[:100],
        "time": when,
    }
    written = 0
    batch: list[AccessRecord] = []
    for pin in pins:
        batch.append(AccessRecord(pin_hmac=ring.pin_hmac(pin).hex(), **shared))
        if len(batch) >= batch_size:
            AccessRecord.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    if batch:
        AccessRecord.objects.bulk_create(batch)
        written += len(batch)
    return written


def records_of(
    pin: str, *, before: dt.datetime | None = None, before_id: int | None = None, limit: int = 100
) -> list[AccessRecord]:
    """The person's own records, newest first; ``before`` pages back in time (the oldest ``time`` of a page), and
    with ``before_id`` (that row's id) the rows of the same instant not yet shown come next, none twice."""
    rows = AccessRecord.objects.filter(pin_hmac=pin_hmac_hex(pin))
    if before is not None:
        if before_id is None:
            rows = rows.filter(time__lt=before)
        else:
            rows = rows.filter(Q(time__lt=before) | Q(time=before, id__lt=before_id))
    return list(rows.order_by("-time", "-id")[: max(1, min(limit, 1000))])
