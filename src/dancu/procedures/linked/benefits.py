"""Social insurance's decisions in the linked groups: the under-6 health-insurance card of the birth group, and the
funeral allowance and survivor benefit of the death group, from the deceased's months of contributions (Law on
Social Insurance 2014 art. 66-69)."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from dancu.core.ages import birthday
from dancu.insurance.services import record_under_six_card
from dancu.procedures import results
from dancu.procedures.linked.birth import BIRTH, INSURANCE
from dancu.procedures.linked.common import check_agency, issued_upstream, reject, result_issued
from dancu.procedures.linked.death import DEATH, FUNERAL, SURVIVOR
from dancu.procedures.models import Contributions, Dossier, HealthInsuranceCard, Reuse, Status, render_notice
from dancu.procedures.workflow import locked, move
from dancu.registry.models import Person

#: Base salary (mức lương cơ sở) from 1 July 2024: the funeral allowance is 10 times it.
BASE_SALARY_VND = 2_340_000
FUNERAL_MIN_MONTHS = 12
MONTHLY_SURVIVOR_MIN_MONTHS = 180


@transaction.atomic
def approve_insurance(dossier_id: object, *, official: str) -> Dossier:
    """Social insurance issues the under-6 health-insurance card (valid until the day before the 6th birthday)."""
    dossier = locked(dossier_id)
    check_agency(dossier, INSURANCE)
    child_ref = issued_upstream(dossier, BIRTH).result
    child = Person.objects.get(pk=child_ref["person_id"])
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    province = child.pin[1:3]
    rng = random.SystemRandom()
    while True:
        social = f"{province}{rng.randrange(10**8):08d}"
        if not HealthInsuranceCard.objects.filter(social_insurance_number=social).exists():
            break
    sixth = birthday(child.birth_date, 6)
    card = HealthInsuranceCard.objects.create(
        number=f"TE1{province}{social}",
        social_insurance_number=social,
        person=child,
        valid_from=child.birth_date,
        valid_to=sixth - timedelta(days=1),
        dossier=dossier,
    )
    record_under_six_card(person=child, social_insurance_number=social, card_number=card.number,
                          valid_from=card.valid_from, valid_to=card.valid_to)  # fmt: skip
    Reuse.objects.create(dossier=dossier, source=f"result:{BIRTH}", reference=child.pin, fields=["child"])
    document = results.issue(
        dossier, kind="health-insurance-card", title="Thẻ bảo hiểm y tế / Health-insurance card", subject_id=child.pk,
        data={
            "full_name": child.full_name, "pin": child.pin, "card_number": card.number,
            "valid_from": card.valid_from.isoformat(), "valid_to": card.valid_to.isoformat(),
        },
    )  # fmt: skip
    return result_issued(
        dossier,
        official,
        {"card_number": card.number, "valid_to": card.valid_to.isoformat(), "document": str(document.id)},
        gettext_noop("The child's health-insurance card was issued: %(card)s."),
        {"card": card.number},
        starts_downstream=False,
    )


def contribution_months(person: Person) -> int:
    """Months of contributions from the (synthetic) social-insurance data; created deterministically on first use."""
    row = Contributions.objects.filter(person=person).first()
    if row is None:
        digest = int(hashlib.sha256(f"contributions:{person.pin}".encode()).hexdigest(), 16)
        months = 0 if digest % 5 == 0 else digest % 420  # one in five never contributed
        row = Contributions.objects.create(person=person, months=months)
    return row.months


@transaction.atomic
def decide_funeral_allowance(dossier_id: object, *, official: str) -> Dossier:
    """Approve (10 x base salary) when the deceased contributed at least 12 months; otherwise reject with the reason."""
    dossier = locked(dossier_id)
    check_agency(dossier, FUNERAL)
    issued_upstream(dossier, DEATH)
    person = Person.objects.get(pin=dossier.data["deceased_pin"])
    months = contribution_months(person)
    Reuse.objects.create(
        dossier=dossier, source="social_insurance.contributions", reference=str(person.pk), fields=["months"]
    )
    if months < FUNERAL_MIN_MONTHS:
        too_few = gettext_noop(
            "Only %(months)s months of compulsory social insurance contributions (at least 12 needed)."
        )
        reason = render_notice([[too_few, {"months": months}]], settings.LANGUAGE_CODE)
        return reject(dossier.pk, official=official, reason=reason)
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    document = results.issue(
        dossier, kind="funeral-allowance", title="Quyết định trợ cấp mai táng / Funeral allowance",
        subject_id=person.pk,
        data={"full_name": person.full_name, "pin": person.pin, "amount_vnd": 10 * BASE_SALARY_VND,
              "contribution_months": months},
    )  # fmt: skip
    return result_issued(
        dossier,
        official,
        {"amount_vnd": 10 * BASE_SALARY_VND, "contribution_months": months, "document": str(document.id)},
        gettext_noop("The funeral allowance of %(amount)s đồng was approved."),
        {"amount": f"{10 * BASE_SALARY_VND:,}"},
        starts_downstream=False,
    )


@transaction.atomic
def decide_survivor_benefit(dossier_id: object, *, official: str) -> Dossier:
    """Monthly survivor benefit from 15 years (180 months) of contributions, a lump sum otherwise."""
    dossier = locked(dossier_id)
    check_agency(dossier, SURVIVOR)
    issued_upstream(dossier, DEATH)
    person = Person.objects.get(pin=dossier.data["deceased_pin"])
    months = contribution_months(person)
    Reuse.objects.create(
        dossier=dossier, source="social_insurance.contributions", reference=str(person.pk), fields=["months"]
    )
    move(dossier, Status.APPROVED, actor=official, actor_kind="official")
    kind = "monthly" if months >= MONTHLY_SURVIVOR_MIN_MONTHS else "lump_sum"
    document = results.issue(
        dossier, kind="survivor-benefit", title="Quyết định trợ cấp tuất / Survivor benefit", subject_id=person.pk,
        data={"full_name": person.full_name, "pin": person.pin,
              "kind": "hằng tháng / monthly" if kind == "monthly" else "một lần / lump sum",
              "contribution_months": months},
    )  # fmt: skip
    return result_issued(
        dossier,
        official,
        {"kind": kind, "contribution_months": months, "document": str(document.id)},
        gettext_noop("The monthly survivor allowance was approved.")
        if kind == "monthly"
        else gettext_noop("The one-off survivor allowance was approved."),
        starts_downstream=False,
    )
