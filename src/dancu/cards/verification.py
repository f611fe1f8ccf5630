"""Checking a chip on the registry's side: passive (and active) authentication with :mod:`dancu.core.chip.verify`
against the country's own master list and CRL, then the card against the registry (exists, still valid, DG13 equal
to what the registry knows). The gateway does the same over its projection for connected systems; this is the
officials' and the tests' way in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils import timezone

from dancu.cards import pki
from dancu.cards.chip import dg13_fields
from dancu.cards.models import CardStatus, IdentityCard
from dancu.core.chip import lds
from dancu.core.chip.verify import (
    ChallengeGuard,
    ChipError,
    PassiveResult,
    TrustStore,
    active_authentication,
    load_master_list,
    passive_authentication,
)


@dataclass
class ChipVerdict:
    """A chip check's outcome: ``valid`` only with passive authentication passed and a current card."""

    valid: bool
    reasons: list[str] = field(default_factory=list)
    outdated_fields: list[str] = field(default_factory=list)
    passive: PassiveResult | None = None


def trust_store() -> TrustStore:
    return TrustStore.build(load_master_list(pki.master_list_der()), [pki.crl_der()])


def card_reasons(pin: str, issued_on_text: str, dg13: dict[str, str]) -> tuple[list[str], list[str]]:
    """Reasons the card named by DG13 is not current, and DG13 fields the registry now knows otherwise."""
    cards = list(IdentityCard.objects.filter(number=pin).select_related("person").order_by("-issued_on", "-pk"))
    card = next((c for c in cards if c.issued_on.strftime("%d/%m/%Y") == issued_on_text), None)
    if card is None:
        return ["card_not_found"], []
    reasons = []
    if card.status == CardStatus.CANCELLED:
        reasons.append("card_cancelled")
    elif card.status == CardStatus.REPLACED:
        reasons.append("card_superseded")
    elif card.expires_on is not None and card.expires_on <= timezone.localdate():
        reasons.append("card_expired")
    current = dg13_fields(card, card.person)
    outdated = [name for name in lds.DG13_COMPARED if dg13.get(name, "") != current.get(name, "")]
    return reasons, outdated


def verify_chip(
    sod: bytes,
    data_groups: Iterable[bytes],
    *,
    challenge: bytes | None = None,
    aa_signature: bytes | None = None,
    guard: ChallengeGuard | None = None,
    trust: TrustStore | None = None,
) -> ChipVerdict:
    """Passive authentication (DG1 and DG13 required), active authentication when a challenge is given, the card
    against the registry. Chip failures raise :class:`ChipError`; card findings are reasons of the verdict."""
    files = list(data_groups)
    result = passive_authentication(sod, files, trust or trust_store(), required=(1, 13))
    by_number = {lds.dg_number(f): f for f in files}
    if challenge is not None:
        if 15 not in by_number or aa_signature is None:
            raise ChipError("aa_signature_invalid", "active_authentication", "DG15 and the signature are needed")
        active_authentication(by_number[15], challenge, aa_signature, guard)
    try:
        dg13 = lds.read_dg13(by_number[13])
    except lds.LDSError as error:
        raise ChipError("dg13_malformed", "data_groups") from error
    reasons, outdated = card_reasons(dg13.get("pin", ""), dg13.get("issued_on", ""), dg13)
    return ChipVerdict(valid=not reasons, reasons=reasons, outdated_fields=outdated, passive=result)
