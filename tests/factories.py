"""Factories: a valid object in one line, built through the domain service where one exists.

Where no service creates the object as a test needs it (an account without the SMS registration flow, a consent row
beside an open one for the projector, a message in a given delivery state), the factory writes the row itself, with
the same defaults everywhere, so that tests never build these objects by hand."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User

from dancu.accounts.models import Account, OutboundMessage
from dancu.core.pin import pin_prefix
from dancu.exchange.models import ConnectedSystem, Consent, Grant, Purpose
from dancu.registry import services
from dancu.registry.models import Person

_serial = itertools.count(1)
_rng = random.Random(7)

HANOI_BA_DINH = "00004"  # Phường Ba Đình, Hà Nội (current)
HANOI_OTHER = "00008"  # Phường Ngọc Hà, Hà Nội (current)
PASSWORD = "x-Secret-12345"  # passes the password rules for every person the factories build
PHONE = "+84912345678"


def new_pin(sex: str = "M", year: int = 1990, province: str = "001") -> str:
    return f"{pin_prefix(province, sex, year)}{next(_serial):06d}"


def person(
    *,
    sex: str = "M",
    birth_date: date = date(1990, 5, 17),
    full_name: str | None = None,
    residence: str | None = None,
    **extra: Any,
) -> Person:
    """A registered person; with ``residence`` (a commune code) also founding a household there."""
    pin = extra.pop("pin", None) or new_pin(sex, birth_date.year)
    name = full_name or ("Nguyễn Văn An" if sex == "M" else "Trần Thị Bình")
    created = services.register_person(pin=pin, full_name=name, sex=sex, birth_date=birth_date, actor="test", **extra)
    if residence:
        services.register_permanent_residence(
            pin=pin,
            commune=residence,
            address_line="Số 1 Phố Đội Cấn",
            valid_from=birth_date.replace(year=birth_date.year + 18),
            actor="test",
        )
        created.refresh_from_db()
    return created


def account(
    person_: Person | None = None,
    *,
    password: str = PASSWORD,
    phone: str = PHONE,
    level: int = 1,
    username: str | None = None,
    **fields: Any,
) -> Account:
    """An active e-ID account ("tài khoản định danh điện tử") with its user, for ``person_`` (a new person without
    one). Written directly: the registration service needs the SMS code round trip, tested in tests/accounts."""
    owner = person_ or person()
    user = User.objects.create(username=username or f"eid:{next(_serial)}", password=make_password(password))
    return Account.objects.create(user=user, person=owner, phone=phone, level=level, **fields)


def official(username: str | None = None, *, role: str | None = None, password: str = PASSWORD, **fields: Any) -> User:
    """A back-office user ("cán bộ"), with ``role`` (a group of backoffice.services.ensure_roles) if given."""
    from dancu.backoffice.services import ensure_roles

    user = User.objects.create_user(username or f"canbo-{next(_serial)}", password=password, **fields)
    if role:
        user.groups.add(ensure_roles()[role])
    return user


def connected_system(client_id: str | None = None, *, kind: str = "bank", approved: bool = True) -> ConnectedSystem:
    """A connected system ("hệ thống kết nối") registered with a fresh public key and, by default, approved after
    every assessment criterion was met, through the exchange services."""
    from joserfc.jwk import ECKey

    from dancu.exchange import services as exchange

    exchange.ensure_reference_data()
    key = ECKey.generate_key("P-256", parameters={"kid": "k1"}).as_dict(private=False)
    client_id = client_id or f"system-{next(_serial)}"
    system = exchange.register_system(
        client_id=client_id, organisation=f"Tổ chức {client_id}", name="KYC", kind=kind, jwks={"keys": [key]}
    )
    if approved:
        for result in system.assessment.select_related("criterion"):
            exchange.record_assessment(
                system, result.criterion.code, met=True, evidence="Biên bản số 1", reviewer="Nguyễn Văn Kiểm"
            )
        exchange.approve_system(system)
    return system


def purpose(code: str | None = None, *, name: str = "Xác minh khách hàng", legal_basis: str = "Luật") -> Purpose:
    """A purpose of processing ("mục đích xử lý"); the exchange services only seed the default ones."""
    return Purpose.objects.create(code=code or f"purpose-{next(_serial)}", name=name, legal_basis=legal_basis)


def grant(
    system: ConnectedSystem,
    purpose_: Purpose | None = None,
    *,
    operations: tuple[str, ...] = ("lookup",),
    fields: tuple[str, ...] = ("full_name",),
    **extra: Any,
) -> Grant:
    """What ``system`` may do for a purpose (a new one by default), through exchange.services.grant."""
    from dancu.exchange import services as exchange

    code = (purpose_ or purpose()).code
    return exchange.grant(system, code, operations=list(operations), fields=list(fields), **extra)


def consent(system: ConnectedSystem, *, pin_hmac: str, fields: tuple[str, ...] = ("ethnicity",)) -> Consent:
    """An open consent row for the hex HMAC of a PIN. exchange.services.grant_consent (tested through the portal)
    revokes the open one first; the projector's tests need rows as they are, two at once included."""
    return Consent.objects.create(pin_hmac=pin_hmac, system=system, fields=list(fields))


def outbound_message(*, channel: str = "sms", to: str = PHONE, text: str = "x", **fields: Any) -> OutboundMessage:
    """A message in the outbox in the state ``fields`` give (pending by default), not handed to a sender."""
    return OutboundMessage.objects.create(channel=channel, to=to, text=text, **fields)


PDF = b"%PDF-1.7\n" + b"0" * 2000  # an attachment the procedures accept as a PDF


def birth_case(requester: Account, other_parent: Person, **overrides: Any) -> Any:
    """A linked birth declaration (birth registration, permanent residence, health-insurance card) filed by the
    mother's ``requester`` account five days after the birth, through procedures.linked.declare_birth."""
    from django.utils import timezone

    from dancu.procedures import linked
    from dancu.procedures.attachments import Upload

    declaration: dict[str, Any] = {
        "child_full_name": "Vũ Minh An",
        "child_sex": "M",
        "child_birth_date": timezone.localdate() - timedelta(days=5),
        "child_birth_commune": HANOI_BA_DINH,
        "requester_relationship": "mother",
        "other_parent_pin": other_parent.pin,
        "birth_certificate": Upload("birth_certificate", "application/pdf", PDF),
    }
    declaration.update(overrides)
    return linked.declare_birth(requester, **declaration)


def dossiers_by_procedure(case: Any) -> dict[str, Any]:
    """The dossiers of a linked case, by procedure code."""
    from dancu.procedures.models import Dossier

    return {d.procedure.code: d for d in Dossier.objects.filter(case=case).select_related("procedure")}


def subscription(
    system: ConnectedSystem | None = None,
    *,
    url: str = "https://agency.example/hooks",
    purpose: str = "social-insurance",
    event_types: tuple[str, ...] = ("birth.registered", "death.recorded"),
    fields: tuple[str, ...] = (),
    signing: str = "v1",
    approved: bool = True,
    **extra: Any,
) -> tuple[Any, str]:
    """A life-event subscription of ``system`` (a new approved one by default) for a seeded purpose, approved by an
    operator unless ``approved=False``, through exchange.subscriptions; and the receiver's verification key."""
    from dancu.exchange import subscriptions

    system = system or connected_system()
    requested = subscriptions.request_subscription(
        system,
        purpose=purpose,
        name=extra.pop("name", f"sub-{next(_serial)}"),
        event_types=list(event_types),
        fields=list(fields),
        endpoint_url=url,
        signing=signing,
        **extra,
    )
    row = requested.subscription
    if approved:
        row = subscriptions.approve_subscription(row, by="test")
    return row, requested.verification_key
