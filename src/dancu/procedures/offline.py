"""The offline workspace's server side (làm việc ngoại tuyến): the shared field rules, the commune's working set, the
devices' dossier-number blocks, and the sync of the records typed offline.

The field rules are one small JSON schema (:func:`rules`) built from the procedure catalogue and the registry's
limits; the browser validates with it as it is typed, and :func:`check_fields` validates each uploaded record with
the very same schema. A record that passes is applied by the registry's own domain services — the ones the online
desk's decisions call — in one transaction with its :class:`~dancu.procedures.models.OfflineRecord`, so a sync cut
half-way leaves either both or neither. Conflicts never overwrite: a person who died meanwhile, a birth already
registered or declared online, a household that changed since the download each leave the record in review with
both versions side by side, until the officer resolves it.

Refusals before anything is stored (stable codes, docs/api.md): ``device_revoked``, ``device_not_yours``,
``offline_signature_invalid`` (tampered), ``offline_replay`` (the same record again: the first outcome is given
back, nothing is applied twice), ``offline_client_id_reused``, ``offline_number_not_yours``, ``offline_number_used``,
``offline_record_malformed``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dancu.accounts.models import AreaLevel, OfficerDevice
from dancu.accounts.services import devices
from dancu.accounts.services.official_views import official_identity
from dancu.accounts.services.officials import in_area, official_of
from dancu.core.errors import DomainError
from dancu.core.names import fold_name
from dancu.events.models import Event
from dancu.events.services import last_sequence
from dancu.exchange.access import AccessChannel, pin_hmac_hex
from dancu.exchange.models import AccessRecord
from dancu.procedures.catalogue import CATALOGUE
from dancu.procedures.models import Case, NumberBlock, OfflineRecord, OfflineState
from dancu.procedures.workflow import next_numbers
from dancu.registry import rules as registry_rules
from dancu.registry import services as registry
from dancu.registry.choices import LifeStatus, Relationship
from dancu.registry.models import Household, Person

#: What the workspace records offline: kind -> the catalogue's procedure, the catalogue fields it asks for, fields
#: the offline form adds, and the permission the officer needs (as for the same work at the desk).
KINDS: dict[str, dict[str, Any]] = {
    "birth": {
        "procedure": "birth-registration",
        "fields": ["child_full_name", "child_sex", "child_birth_date", "child_birth_commune", "mother", "father"],
        "permission": "registry.add_person",
        "subject": ("mother", "father"),
    },
    "death": {
        "procedure": "death-registration",
        "fields": ["deceased", "death_date", "death_place", "cause"],
        "permission": "registry.change_person",
        "subject": ("deceased",),
    },
    "temporary_residence": {
        "procedure": "temporary-residence-registration",
        "fields": ["person", "commune", "address_line", "valid_until"],
        "permission": "registry.change_person",
        "subject": ("person",),
    },
}
#: Fields a procedure takes from the registry at the desk (``reuses``) and the offline form asks for.
_EXTRA_FIELDS = {
    "person": {"name": "person", "label_vi": "Người đăng ký", "label_en": "The person", "type": "person",
               "required": True},
}  # fmt: skip
#: Limits of the registry's rules and services, carried into the schema (the same constants, not copies).
_LIMITS: dict[tuple[str, str], dict[str, Any]] = {
    ("birth", "child_full_name"): {"format": "name", "max_length": 100},
    ("birth", "child_birth_date"): {"not_future": True, "max_days_ago": 60},
    ("birth", "mother"): {"sex": "F"},
    ("birth", "father"): {"sex": "M"},
    ("death", "death_date"): {"not_future": True},
    ("death", "death_place"): {"max_length": 200},
    ("death", "cause"): {"max_length": 200},
    ("temporary_residence", "address_line"): {"max_length": 200},
    ("temporary_residence", "valid_until"): {
        "min_days_ahead": 0, "max_days_ahead": registry_rules.TEMPORARY_RESIDENCE_MAX_DAYS,
    },
}  # fmt: skip
#: Records that name at least one of these fields.
_ONE_OF = {"birth": ["mother", "father"]}
_PIN = re.compile(r"^\d{12}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMMUNE = re.compile(r"^\d{5}$")
_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")


def messages() -> dict[str, str]:
    """The field errors' texts in the active language, keyed by their stable codes (the schema carries them)."""
    return {
        "field_required": _("This field is required."),
        "too_long": _("This text is too long."),
        "name_invalid": _("A name contains only letters, spaces, apostrophes and hyphens."),
        "date_invalid": _("Enter a real date."),
        "date_in_future": _("The date is in the future."),
        "date_too_old": _("The date is too far in the past for this procedure."),
        "date_too_early": _("The date must be after today."),
        "date_too_late": _("The date is too far ahead."),
        "sex_invalid": _("Choose male or female."),
        "commune_invalid": _("A commune code has 5 digits."),
        "person_not_in_working_set": _("Choose a person of the downloaded working set."),
        "person_sex_mismatch": _("This person's sex in the registry does not fit this role."),
        "person_deceased": _("This person is recorded as deceased."),
        "one_required": _("Name at least one parent."),
    }


def rules() -> dict[str, Any]:
    """The shared schema: for each kind, its fields (from the catalogue file, with the registry's limits) and the
    error texts. Served to the workspace as JSON; :func:`check_fields` applies it on the server."""
    catalogue = {p["code"]: p for p in json.loads(CATALOGUE.read_text(encoding="utf-8"))["procedures"]}
    kinds = {}
    for kind, spec in KINDS.items():
        procedure = catalogue[spec["procedure"]]
        by_name = {f["name"]: f for f in procedure["fields"]} | _EXTRA_FIELDS
        fields = []
        for name in spec["fields"]:
            field = by_name[name]
            fields.append(
                {"name": name, "type": field["type"], "required": bool(field.get("required")),
                 "label_vi": field["label_vi"], "label_en": field["label_en"], **_LIMITS.get((kind, name), {})}
            )  # fmt: skip
        kinds[kind] = {
            "procedure": spec["procedure"], "name_vi": procedure["name_vi"], "name_en": procedure["name_en"],
            "fields": fields, "one_of": _ONE_OF.get(kind, []),
        }  # fmt: skip
    return {"version": 1, "kinds": kinds, "messages": messages()}


def check_fields(
    kind: str, values: dict[str, Any], *, today: date, people: dict[str, dict[str, Any]]
) -> dict[str, str]:
    """The schema's checks of one record's values (what the browser checks, the same way): field -> error code.
    ``people`` maps the PINs the record names to ``{"sex", "status"}`` (the working set's, or the registry's)."""
    schema = rules()["kinds"][kind]
    errors: dict[str, str] = {}
    for field in schema["fields"]:
        name, value = field["name"], values.get(field["name"])
        value = value.strip() if isinstance(value, str) else value
        if value in (None, ""):
            if field["required"]:
                errors[name] = "field_required"
            continue
        if not isinstance(value, str):
            errors[name] = "field_required"
            continue
        if "max_length" in field and len(value) > field["max_length"]:
            errors[name] = "too_long"
        elif field.get("format") == "name" and not _NAME.match(" ".join(value.split())):
            errors[name] = "name_invalid"
        elif field["type"] == "sex" and value not in ("M", "F"):
            errors[name] = "sex_invalid"
        elif field["type"] == "commune" and not _COMMUNE.match(value):
            errors[name] = "commune_invalid"
        elif field["type"] == "date":
            code = _check_date(field, value, today)
            if code:
                errors[name] = code
        elif field["type"] == "person":
            person = people.get(value) if _PIN.match(value) else None
            if person is None:
                errors[name] = "person_not_in_working_set"
            elif "sex" in field and person.get("sex") != field["sex"]:
                errors[name] = "person_sex_mismatch"
    if schema["one_of"] and not any(values.get(n) for n in schema["one_of"]):
        errors.setdefault(schema["one_of"][0], "one_required")
    return errors


def _check_date(field: dict[str, Any], value: str, today: date) -> str:
    if not _DATE.match(value):
        return "date_invalid"
    try:
        when = date.fromisoformat(value)
    except ValueError:
        return "date_invalid"
    if field.get("not_future") and when > today:
        return "date_in_future"
    if "max_days_ago" in field and (today - when).days > field["max_days_ago"]:
        return "date_too_old"
    if "min_days_ahead" in field and (when - today).days < field["min_days_ahead"]:
        return "date_too_early"
    if "max_days_ahead" in field and (when - today).days > field["max_days_ahead"]:
        return "date_too_late"
    return ""


# --- devices: enrolment and number blocks ------------------------------------------------------------------------


def _commune_official(user: User) -> Any:
    official = official_of(user)
    if official.level != AreaLevel.COMMUNE or official.commune is None:
        raise DomainError(
            "offline_commune_only", _("The offline workspace is for officers of one commune."), status=403
        )
    return official


@transaction.atomic
def enrol_device(user: User, *, public_key_b64: str, label: str = "") -> tuple[OfficerDevice, NumberBlock]:
    """Enrol the browser of a commune officer and give it its first block of dossier numbers."""
    _commune_official(user)
    device = devices.enrol(user, public_key_b64=public_key_b64, label=label)
    return device, allocate_block(device)


def allocate_block(device: OfficerDevice, size: int | None = None) -> NumberBlock:
    """Draw ``size`` numbers (``OFFLINE_NUMBER_BLOCK``) from the dossiers' own counter for the device."""
    size = size or int(getattr(settings, "OFFLINE_NUMBER_BLOCK", 50))
    with transaction.atomic():
        numbers = next_numbers("HS", size)
        stem = numbers[0].rpartition(".")[0]
        first, last = (int(n.rpartition(".")[2]) for n in (numbers[0], numbers[-1]))
        return NumberBlock.objects.create(device=device, stem=stem, first=first, last=last)


def unused_numbers(device: OfficerDevice) -> list[str]:
    used = set(OfflineRecord.objects.filter(device=device).values_list("number", flat=True))
    return [n for block in device.number_blocks.order_by("pk") for n in block.numbers() if n not in used]


# --- the working set ----------------------------------------------------------------------------------------------

#: What the working set holds of a person (field codes of exchange.choices.DATA_NAMES, as the access record names).
WORKING_SET_DATA = ("pin", "full_name", "birth_date", "sex", "household")


def household_changed(household: Household, *, since: int, members: set[str], mine: set[str]) -> bool:
    """Whether someone else changed the household since the download (event sequence ``since``): an event about one
    of its members then or now (a death, a name, a move, someone joining) whose source is not one of this device's
    own records (``mine``: ``offline:<number>``)."""
    current = set(Person.objects.filter(household=household).values_list("pin", flat=True))
    return Event.objects.filter(sequence__gt=since, pin__in=members | current).exclude(source__in=mine).exists()


def working_set(user: User, device: OfficerDevice) -> dict[str, Any]:
    """The officer's commune: its households and the people in them, with only what the offline procedures need;
    each person's read is recorded for them (``offline_working_set``), as the back office's other reads are."""
    official = _commune_official(user)
    commune = official.commune
    sequence = last_sequence()  # before the read: a change racing with it shows as a change, never the reverse
    people = list(
        Person.objects.filter(household__commune=commune)
        .order_by("household_id", "pk")
        .values_list("pin", "full_name", "sex", "birth_date", "status", "household_id", "relationship_to_head")
    )
    households = {
        h["pk"]: {**h, "members": []}
        for h in Household.objects.filter(commune=commune).values("pk", "number", "address_line", "head__pin")
    }
    for pin, name, sex, born, status, household_id, relationship in people:
        households[household_id]["members"].append(
            {"pin": pin, "full_name": name, "sex": sex, "birth_date": born.isoformat(), "status": status,
             "relationship": relationship}
        )  # fmt: skip
    shown = [
        {"number": h["number"], "address_line": h["address_line"], "head": h["head__pin"], "members": h["members"]}
        for h in households.values()
    ]
    _record_download(user, [p[0] for p in people], reference=f"device:{str(device.pk)[:8]}")
    return {
        "commune": {"code": commune.code, "name": str(commune.name)},
        "downloaded_at": timezone.now().isoformat(),
        "sequence": sequence,
        "households": shown,
    }


def _record_download(user: User, pins: list[str], *, reference: str) -> None:
    """One access record per person downloaded (one INSERT): the person sees the officer, their office, and why."""
    who = official_identity(user)
    now = timezone.now()
    AccessRecord.objects.bulk_create(
        [
            AccessRecord(
                pin_hmac=pin_hmac_hex(pin),
                channel=AccessChannel.BACK_OFFICE,
                organisation=who.organisation[:200],
                actor=who.name[:200],
                purpose="offline_working_set",
                fields=sorted(WORKING_SET_DATA),
                reference=reference,
                time=now,
            )
            for pin in pins
        ],
        batch_size=2000,
    )


# --- sync --------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the sync answers for one record: its state, code and result; ``replayed`` when it was known already."""

    record: OfflineRecord
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        r = self.record
        return {"client_id": str(r.client_id), "number": r.number, "state": r.state, "code": r.code,
                "result": r.result, "replayed": self.replayed}  # fmt: skip


def _malformed() -> DomainError:
    return DomainError("offline_record_malformed", _("The record is not in the workspace's format."), status=400)


def _parse(body: str, device: OfficerDevice) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        raise _malformed() from None
    if not isinstance(data, dict) or data.get("v") != 1 or data.get("kind") not in KINDS:
        raise _malformed()
    if not isinstance(data.get("fields"), dict) or not isinstance(data.get("base", {}), dict):
        raise _malformed()
    try:
        data["client_id"] = str(uuid.UUID(str(data.get("client_id"))))
    except ValueError:
        raise _malformed() from None
    if str(data.get("device")) != str(device.pk):
        raise DomainError("offline_signature_invalid", _("The record's signature does not verify."), status=400)
    if not isinstance(data.get("number"), str) or not _DATE.match(str(data.get("recorded_on", ""))):
        raise _malformed()
    return data


def receive(user: User, *, device_id: object, body: str, signature: str) -> Outcome:
    """Receive one record uploaded from a device: verify, then apply, hold for review or refuse it (stored)."""
    device = devices.device_of(user, device_id)
    devices.verify(device, body.encode("utf-8"), signature)
    data = _parse(body, device)
    known = OfflineRecord.objects.filter(client_id=data["client_id"]).first()
    if known is not None:
        return _replayed(known, body, signature)
    if not any(block.holds(data["number"]) for block in device.number_blocks.all()):
        raise DomainError(
            "offline_number_not_yours", _("This dossier number was not given to this device."), status=409
        )
    if OfflineRecord.objects.filter(number=data["number"]).exists():
        raise DomainError("offline_number_used", _("This dossier number was already used."), status=409)
    try:
        with transaction.atomic():
            record = OfflineRecord(
                client_id=data["client_id"], device=device, official=user, number=data["number"], kind=data["kind"],
                body=body, signature=signature,
            )  # fmt: skip
            _decide(user, record, data)
            record.save(force_insert=True)
    except IntegrityError:  # the same record, uploaded twice at once: the other upload won
        known = OfflineRecord.objects.filter(client_id=data["client_id"]).first()
        if known is None:
            raise DomainError("offline_number_used", _("This dossier number was already used."), status=409) from None
        return _replayed(known, body, signature)
    OfficerDevice.objects.filter(pk=device.pk).update(last_sync_at=timezone.now())
    return Outcome(record)


def _replayed(known: OfflineRecord, body: str, signature: str) -> Outcome:
    if known.body != body:
        raise DomainError(
            "offline_client_id_reused", _("Another record was already uploaded with this id."), status=409
        )
    return Outcome(known, replayed=True)


def _people(pins: list[str]) -> dict[str, Person]:
    return {p.pin: p for p in Person.objects.select_related("household__commune").filter(pin__in=pins)}


def _decide(user: User, record: OfflineRecord, data: dict[str, Any]) -> None:
    """Check the officer's authority and the fields, look for conflicts, then apply with the registry's services."""
    kind, values = data["kind"], {k: v for k, v in data["fields"].items() if isinstance(k, str)}
    spec = KINDS[kind]
    official = official_of(user)
    if not user.has_perm(spec["permission"]):
        raise DomainError("offline_not_permitted", _("Your role does not do this procedure."), status=403)
    pins = [values[n] for n in spec["subject"] if isinstance(values.get(n), str) and values[n]]
    people = _people(pins)
    subjects = [people[p] for p in pins if p in people]
    for person in subjects:  # the officer's commune: where the people concerned live
        commune = person.household.commune.code if person.household else ""
        if not in_area(official, commune):
            raise DomainError(
                "person_out_of_area", _("No person with this ID number in the area you work for."), status=403
            )
    today = timezone.localdate()
    facts = {p.pin: {"sex": p.sex, "status": p.status} for p in people.values()}
    errors = check_fields(kind, values, today=date.fromisoformat(data["recorded_on"]), people=facts)
    if errors:
        record.state, record.code = OfflineState.REFUSED, "offline_fields_invalid"
        record.result = {"errors": errors}
        return
    if date.fromisoformat(data["recorded_on"]) > today + timedelta(days=1):
        raise _malformed()
    mine = {f"offline:{n}" for n in OfflineRecord.objects.filter(device=record.device).values_list("number", flat=True)}
    conflict = _conflict(kind, values, data.get("base") or {}, people, mine | {f"offline:{record.number}"})
    if conflict is not None:
        record.state, record.code, record.review = OfflineState.NEEDS_REVIEW, conflict["code"], conflict
        return
    _apply(user, record, data, people)


def _conflict(
    kind: str, values: dict[str, Any], base: dict[str, Any], people: dict[str, Person], mine: set[str]
) -> dict[str, Any] | None:
    """The first reason not to apply the record as it stands, with both versions; ``None`` when there is none."""
    offline = {k: v for k, v in values.items() if v}
    if kind in ("death", "temporary_residence"):
        person = people[values["deceased" if kind == "death" else "person"]]
        if person.status == LifeStatus.DECEASED:
            return _review("person_deceased", offline, {
                "full_name": person.full_name, "status": person.status,
                "death_date": person.death_date.isoformat() if person.death_date else "",
            })  # fmt: skip
    if kind == "birth":
        parents = [people[p] for p in (values.get("mother"), values.get("father")) if p in people]
        ids = [p.pk for p in parents]
        folded = fold_name(values["child_full_name"])
        born = values["child_birth_date"]
        child = (
            Person.objects.filter(Q(mother_id__in=ids) | Q(father_id__in=ids), birth_date=born, name_folded=folded)
            .select_related("mother", "father")
            .first()
        )
        if child is not None:
            return _review("birth_already_registered", offline, {
                "pin": child.pin, "full_name": child.full_name, "birth_date": child.birth_date.isoformat(),
                "sex": child.sex, "mother": child.mother.pin if child.mother else "",
                "father": child.father.pin if child.father else "",
            })  # fmt: skip
        for case in Case.objects.filter(
            group__code="birth-group", finished_on__isnull=True, data__child_birth_date=born,
            data__child_name_folded=folded,
        ):  # fmt: skip
            if set(case.data.get("parent_ids", [])) & set(ids):
                return _review("birth_already_declared", offline, {
                    "case": case.number, "child_birth_date": born, "received_at": case.received_at.isoformat(),
                })  # fmt: skip
    household = _household_of(kind, values, people)
    expected = (base.get("household") or {}) if isinstance(base.get("household"), dict) else {}
    since = expected.get("since")
    if (
        household is not None
        and expected.get("number") == household.number
        and isinstance(since, int)
        and household_changed(household, since=since, members=_pins(expected.get("members")), mine=mine)
    ):
        current = list(Person.objects.filter(household=household).order_by("pk").values("pin", "full_name", "status"))
        return _review(
            "household_changed",
            {**offline, "household": expected["number"], "members": expected.get("members", [])},
            {"household": expected["number"], "members": current},
        )
    return None


def _pins(members: Any) -> set[str]:
    if not isinstance(members, list):
        return set()
    return {m["pin"] for m in members if isinstance(m, dict) and isinstance(m.get("pin"), str)}


def _household_of(kind: str, values: dict[str, Any], people: dict[str, Person]) -> Household | None:
    names = KINDS[kind]["subject"]
    for name in names:
        person = people.get(values.get(name) or "")
        if person is not None and person.household is not None:
            return person.household
    return None


def _review(code: str, offline: dict[str, Any], registry_now: dict[str, Any]) -> dict[str, Any]:
    return {"code": code, "offline": offline, "registry": registry_now}


def _actor(user: User) -> str:
    return user.get_username()


def _apply(user: User, record: OfflineRecord, data: dict[str, Any], people: dict[str, Person]) -> None:
    """The registry's own services, as the desk's decisions call them; the record's number is the source."""
    kind, values = data["kind"], data["fields"]
    source = f"offline:{record.number}"
    actor = _actor(user)
    try:
        with transaction.atomic():
            if kind == "birth":
                parent = people.get(values.get("mother") or "") or people[values["father"]]
                household = parent.household
                if household is None:
                    raise DomainError(
                        "parent_household_required",
                        "Neither parent has a permanent residence to register the child in.",
                    )
                if connection.features.has_select_for_update:
                    list(Person.objects.select_for_update().filter(pk=parent.pk).values_list("pk", flat=True))
                child = registry.register_birth(
                    full_name=" ".join(values["child_full_name"].split()), sex=values["child_sex"],
                    birth_date=values["child_birth_date"], birth_commune=values["child_birth_commune"],
                    registration_commune=household.commune.code, mother_pin=values.get("mother") or None,
                    father_pin=values.get("father") or None, actor=actor, source=source,
                )  # fmt: skip
                registry.register_permanent_residence(
                    pin=child.pin, commune=household.commune.code, address_line="", valid_from=timezone.localdate(),
                    household_number=household.number, relationship=Relationship.CHILD, actor=actor, source=source,
                )  # fmt: skip
                record.result = {"pin": child.pin, "household": household.number}
            elif kind == "death":
                registry.record_death(
                    pin=values["deceased"], death_date=values["death_date"], place_text=values["death_place"],
                    actor=actor, source=source,
                )  # fmt: skip
                record.result = {"pin": values["deceased"]}
            else:
                residence = registry.register_temporary_residence(
                    pin=values["person"], commune=values["commune"], address_line=values["address_line"],
                    valid_from=data["recorded_on"], valid_until=values["valid_until"], actor=actor, source=source,
                )  # fmt: skip
                record.result = {"pin": values["person"], "residence_id": residence.pk}
    except DomainError as exc:
        record.state, record.code, record.result = OfflineState.REFUSED, exc.code, {"field": exc.field or ""}
        return
    record.state, record.code = OfflineState.APPLIED, ""


# --- review ------------------------------------------------------------------------------------------------------


def records_of(user: User, *, state: str = "") -> list[OfflineRecord]:
    """The officer's uploaded records (newest first), optionally of one state."""
    records = OfflineRecord.objects.filter(official=user)
    if state:
        records = records.filter(state=state)
    return list(records.order_by("-received_at")[:500])


def resolve(user: User, client_id: object, *, action: str) -> OfflineRecord:
    """The officer resolves a record in review: ``apply`` (the household changed, and the record still holds: the
    registry's services decide, and still refuse what they refuse) or ``close`` (the registry is right; the record is
    kept, closed)."""
    with transaction.atomic():
        record = OfflineRecord.objects.select_for_update().filter(client_id=client_id, official=user).first()
        if record is None:
            raise DomainError("offline_record_not_found", _("No such record."), status=404)
        if record.state != OfflineState.NEEDS_REVIEW:
            raise DomainError("offline_record_not_in_review", _("This record is not waiting for review."), status=409)
        if action == "close":
            record.state = OfflineState.CLOSED
        elif action == "apply":
            if record.code != "household_changed":
                raise DomainError(
                    "offline_conflict_stands", _("The registry already holds this fact: close the record."),
                    status=409,
                )  # fmt: skip
            data = json.loads(record.body)
            pins = [data["fields"].get(n) for n in KINDS[record.kind]["subject"] if data["fields"].get(n)]
            _apply(user, record, data, _people(pins))
        else:
            raise DomainError("action_unknown", _("Unknown action."), field="action")
        record.resolved_at = timezone.now()
        record.save(update_fields=["state", "code", "result", "resolved_at"])
        return record
