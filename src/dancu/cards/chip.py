"""Personalisation: what is written to a card's chip when the card is issued (ICAO Doc 9303 part 10), and the
simulated chip that answers for it.

The chip holds EF.COM, DG1 (TD1 MRZ), DG2 (a face image: for synthetic people a deterministic synthetic portrait
drawn from the person's id, never a real face), DG13 (Vietnamese personal data, DOMAIN.md §4), DG14 (chip
authentication) and DG15 (active authentication), and EF.SOD signed by the current Document Signer. The chip's two
private keys are sealed under ``chip-keys.json`` and used only by :func:`answer_challenge` (the simulated chip).
"""

from __future__ import annotations

import io
import random
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from PIL import Image, ImageDraw

from dancu.cards import pki, rules
from dancu.cards.models import ChipImage, DocumentSigner, IdentityCard
from dancu.core.chip import lds, mrz
from dancu.core.chip.sod import build_sod
from dancu.core.chip.verify import aa_sign
from dancu.core.crypto import SecretBox
from dancu.core.errors import DomainError
from dancu.registry.choices import ETHNIC_GROUPS
from dancu.registry.models import PermanentResidence, Person

PORTRAIT_SIZE = (90, 120)
DATA_GROUPS = (1, 2, 13, 14, 15)
_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def portrait(person_id: int) -> tuple[bytes, int, int]:
    """A synthetic face drawn from the person's id (same id, same JPEG): skin, hair, eyes, mouth on a plain ground."""
    rng = random.Random(person_id * 7919 + 17)
    width, height = PORTRAIT_SIZE
    image = Image.new("RGB", PORTRAIT_SIZE, (230 + rng.randint(0, 25), 235, 240))
    draw = ImageDraw.Draw(image)
    skin = (rng.randint(180, 240), rng.randint(140, 200), rng.randint(110, 170))
    hair = (rng.randint(10, 60),) * 3
    draw.ellipse((18, 10, 72, 60), fill=hair)
    draw.ellipse((22, 20, 68, 84), fill=skin)
    draw.rectangle((12, 92, 78, 120), fill=(rng.randint(20, 200), rng.randint(20, 200), rng.randint(20, 200)))
    eye = 40 + rng.randint(-3, 3)
    draw.ellipse((32, eye, 38, eye + 4), fill=(30, 30, 30))
    draw.ellipse((52, eye, 58, eye + 4), fill=(30, 30, 30))
    draw.arc((36, 58, 54, 70 + rng.randint(0, 4)), 20, 160, fill=(120, 40, 40), width=2)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=60)
    return out.getvalue(), width, height


def dg13_fields(card: IdentityCard, person: Person) -> dict[str, str]:
    """The DG13 fields of a card as the registry knows its holder (dates dd/mm/yyyy as printed on the card;
    field 13 holds the father's and the mother's names separated by '|')."""
    prefetched = getattr(person, "open_residences", None)  # personalise_missing fetches them for a whole batch
    if prefetched is not None:
        residence = prefetched[0] if prefetched else None
    else:
        residence = _open_residences().filter(person=person).first()
    origin = person.origin_commune
    parents = [p.full_name if p else "" for p in (person.father, person.mother)]
    compared = rules.dg13_compared(
        full_name=person.full_name,
        birth_date=person.birth_date,
        sex=person.sex,
        origin=(origin.name, origin.province.name) if origin else (None, None),
        address=(
            (residence.address_line, residence.commune.name, residence.commune.province.name)
            if residence
            else (None, None, None)
        ),
    )
    return {
        "pin": person.pin,
        **compared,
        "nationality": "Việt Nam" if person.nationality == "VN" else person.nationality,
        "ethnicity": ETHNIC_GROUPS.get(person.ethnicity, ""),
        "religion": person.religion,
        "issued_on": rules.vn_date(card.issued_on),
        "expires_on": rules.vn_date(card.expires_on) or "Không thời hạn",
        "parents": "|".join(parents) if any(parents) else "",
        "spouse": person.spouse.full_name if person.spouse else "",
    }


def _open_residences() -> QuerySet[PermanentResidence]:
    return (
        PermanentResidence.objects.filter(valid_to__isnull=True)
        .select_related("commune__province")
        .order_by("-valid_from")
    )


def qr_payload(fields: dict[str, str]) -> str:
    """The QR code printed on the card, as on the chip cards since 2021: PIN|old ID|name|birth ddmmyyyy|sex|
    permanent address|issue ddmmyyyy."""
    compact = {k: fields.get(k, "").replace("/", "") for k in ("birth_date", "issued_on")}
    return "|".join(
        (
            fields["pin"],
            fields.get("old_id_number", ""),
            fields["full_name"],
            compact["birth_date"],
            fields["sex"],
            fields.get("permanent_address", ""),
            compact["issued_on"],
        )
    )[:400]


def _box() -> SecretBox:
    return _chip_box(settings.DANCU_KEYS_DIR)


@lru_cache(maxsize=4)
def _chip_box(directory: str) -> SecretBox:
    return SecretBox(Path(directory) / "chip-keys.json")


def build_chip(card: IdentityCard, person: Person, signer: DocumentSigner) -> ChipImage:
    """The chip image of a card (not saved): data groups, SOD, the sealed chip keys, the QR payload."""
    aa_key = ec.generate_private_key(ec.SECP256R1())
    ca_key = ec.generate_private_key(ec.SECP256R1())
    family, _, given = person.full_name.partition(" ")
    line = mrz.td1(
        pin=person.pin,
        family_name=family,
        given_names=given,
        birth_date=person.birth_date,
        sex=person.sex,
        expires_on=card.expires_on,
    )
    fields = dg13_fields(card, person)
    jpeg, width, height = portrait(person.pk)
    groups = {
        1: lds.dg1(line),
        2: lds.dg2(jpeg, width, height),
        13: lds.dg13(fields),
        14: lds.dg14(ca_key.public_key().public_bytes(*_SPKI)),
        15: lds.dg15(aa_key.public_key().public_bytes(*_SPKI)),
    }
    sod = build_sod(groups, signer_certificate=bytes(signer.certificate), signer_key=pki.signer_key(signer))
    secret = aa_key.private_numbers().private_value.to_bytes(
        32, "big"
    ) + ca_key.private_numbers().private_value.to_bytes(32, "big")
    return ChipImage(
        card=card,
        signer=signer,
        ef_com=lds.ef_com(list(DATA_GROUPS)),
        dg1=groups[1],
        dg2=groups[2],
        dg13=groups[13],
        dg14=groups[14],
        dg15=groups[15],
        sod=sod,
        chip_keys=_box().seal(f"chip\0{card.number}".encode(), secret),
        qr_payload=qr_payload(fields),
        personalised_at=timezone.now(),
    )


def _person(card: IdentityCard) -> Person:
    return Person.objects.select_related("origin_commune__province", "father", "mother", "spouse").get(
        pk=card.person_id
    )


@transaction.atomic
def personalise(card: IdentityCard) -> ChipImage:
    """Write the chip of ``card`` (replacing an earlier image of the same card)."""
    ChipImage.objects.filter(card=card).delete()
    chip = build_chip(card, _person(card), pki.current_document_signer())
    chip.save()
    return chip


def personalise_missing(*, batch: int = 500, limit: int | None = None) -> int:
    """Personalise every card that has no chip image yet, in chunks of one transaction each (resumable)."""
    done = 0
    signer = pki.current_document_signer()
    while limit is None or done < limit:
        size = batch if limit is None else min(batch, limit - done)
        cards = list(
            IdentityCard.objects.filter(chip__isnull=True)
            .select_related("person__origin_commune__province", "person__father", "person__mother", "person__spouse")
            .prefetch_related(
                Prefetch("person__permanent_residences", queryset=_open_residences(), to_attr="open_residences")
            )
            .order_by("pk")[:size]
        )
        if not cards:
            break
        with transaction.atomic():
            ChipImage.objects.bulk_create([build_chip(card, card.person, signer) for card in cards])
        done += len(cards)
    return done


def chip_for(pin: str) -> ChipImage:
    """The chip of the person's most recent card; a card issued before chips were personalised here gets its chip
    now (the embedded demo issues 50,000 cards without chips)."""
    card = IdentityCard.objects.filter(number=pin).order_by("-issued_on", "-pk").first()
    if card is None:
        raise DomainError("card_not_found", "No identity card has this number.", field="pin")
    chip = ChipImage.objects.filter(card=card).select_related("signer").first()
    return chip or personalise(card)


def answer_challenge(chip: ChipImage, challenge: bytes) -> bytes:
    """The simulated chip's answer to an active-authentication challenge (ECDSA-SHA-256, plain r||s)."""
    secret = _box().open(f"chip\0{chip.card.number}".encode(), bytes(chip.chip_keys))
    key = ec.derive_private_key(int.from_bytes(secret[:32], "big"), ec.SECP256R1())
    return aa_sign(key, challenge)
