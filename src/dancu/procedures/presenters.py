"""Dossiers as officials read them: the declaration with the procedure's own labels and human values (names,
commune names, dates), the person each dossier is about, the result as documents and records, and a history that
names people and offices instead of keys and identifiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dancu.accounts.services.officials import describe
from dancu.geo.models import Commune, Era
from dancu.procedures.models import Dossier, Procedure, ProcedureGroup, Status, Transition
from dancu.registry.choices import Relationship, Sex
from dancu.registry.models import Person

#: Declaration keys stored under another name than the catalogue's form field they answer.
FIELD_OF_KEY = {
    "mother_pin": "mother", "father_pin": "father", "deceased_pin": "deceased", "household_number": "household",
    "bank_account": "recipient_account", "survivors": "beneficiaries",
}  # fmt: skip

#: Labels of the declaration keys the catalogue's forms do not list.
EXTRA_LABELS = {
    "extract_copies": _("Paper copies of the birth extract"),
    "commune": _("Commune of the residence"),
    "household_number": _("Household to join"),
    "deceased_pin": _("The deceased"),
    "bank_account": _("Bank account for payment"),
    "survivors": _("Survivors entitled"),
}

DATE_KEYS = {"child_birth_date", "death_date", "valid_until", "valid_to"}
COMMUNE_KEYS = {"child_birth_commune", "commune"}
PERSON_KEYS = {"mother_pin", "father_pin", "deceased_pin"}

REQUESTER = {"mother": _("Mother"), "father": _("Father")}

#: What each move is called in the history ("10:42 04/12/2026: approved").
VERBS = {
    Status.SUBMITTED: _("submitted"),
    Status.RECEIVED: _("received"),
    Status.IN_PROCESS: _("started processing"),
    Status.SUPPLEMENT_REQUESTED: _("asked for a supplement"),
    Status.RESUBMITTED: _("added the supplement"),
    Status.APPROVED: _("approved"),
    Status.REJECTED: _("refused"),
    Status.RESULT_ISSUED: _("issued the result"),
    Status.CANCELLED: _("cancelled"),
    Status.WAITING: _("waiting for the linked result"),
}

RESULT_LABELS = {
    "pin": _("Personal ID number"),
    "card_number": _("Health-insurance card number"),
    "valid_to": _("Valid until"),
    "amount_vnd": _("Amount"),
    "contribution_months": _("Months of contributions"),
    "kind": _("Kind"),
    "household_number": _("Household number"),
}


def _vietnamese() -> bool:
    return (get_language() or "vi").startswith("vi")


def procedure_name(procedure: Procedure | ProcedureGroup) -> str:
    """A procedure's or a linked group's name in the page's language."""
    return procedure.name_vi if _vietnamese() else procedure.name_en


def attachment_labels(procedure: Procedure) -> dict[str, str]:
    """Attachment code -> its label in the catalogue ("Giấy chứng sinh" for ``birth_certificate``)."""
    key = "label_vi" if _vietnamese() else "label_en"
    return {a["code"]: a.get(key) or a["code"] for a in procedure.attachments}


def _commune_names(codes: set[str]) -> dict[str, str]:
    return {
        c.code: f"{c.name}, {c.province.name}"
        for c in Commune.objects.select_related("province").filter(era=Era.CURRENT, code__in=codes)
    }


def commune_names(codes: set[str]) -> dict[str, str]:
    """Current commune code -> "Phường Ba Đình, Thành phố Hà Nội" (the code itself when unknown)."""
    names = _commune_names(codes)
    return {code: names.get(code, code) for code in codes}


@dataclass
class Row:
    """One line of a declaration or a result: a label and a value, with what it links to."""

    label: str
    value: Any
    person_id: int | None = None
    household: str = ""
    document: str = ""
    is_date: bool = False


@dataclass
class Subject:
    """The person a dossier is about (the child of a birth, the deceased), with their record once it exists."""

    name: str
    role: str
    person_id: int | None = None
    extra: list[str] = field(default_factory=list)


def _as_date(value: Any) -> date | Any:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return value


def declaration(dossier: Dossier) -> list[Row]:
    """The declaration in the procedure form's order and labels; internal keys (``_deadline_days``) left out."""
    data = {k: v for k, v in dossier.data.items() if not k.startswith("_")}
    labels = {f["name"]: f["label_vi"] if _vietnamese() else f["label_en"] for f in dossier.procedure.fields}
    order = [f["name"] for f in dossier.procedure.fields]
    pins = {str(v) for k, v in data.items() if k in PERSON_KEYS and v} | {
        str(p) for p in data.get("survivors") or [] if isinstance(p, str)
    }
    people = {p.pin: p for p in Person.objects.filter(pin__in=pins)}
    communes = commune_names({str(v) for k, v in data.items() if k in COMMUNE_KEYS and v})

    def position(key: str) -> int:
        name = FIELD_OF_KEY.get(key, key)
        return order.index(name) if name in order else len(order)

    rows = []
    for key in sorted(data, key=position):
        value = data[key]
        label = str(labels.get(FIELD_OF_KEY.get(key, key)) or EXTRA_LABELS.get(key) or key.replace("_", " "))
        if key in PERSON_KEYS:
            person = people.get(str(value)) if value else None
            rows.append(
                Row(label, f"{person.full_name} ({person.pin})" if person else value or "—",
                    person_id=person.pk if person else None)
            )  # fmt: skip
        elif key == "survivors":
            named = [people.get(str(p)) for p in value or []]
            rows.append(Row(label, ", ".join(p.full_name if p else "?" for p in named) or "—"))
        elif key in DATE_KEYS:
            rows.append(Row(label, _as_date(value), is_date=True))
        elif key in COMMUNE_KEYS:
            rows.append(Row(label, communes.get(str(value), value)))
        elif key == "child_sex":
            rows.append(Row(label, str(Sex(value).label) if value in Sex.values else value))
        elif key == "requester_relationship":
            rows.append(Row(label, str(REQUESTER.get(value, value))))
        elif key == "relationship":
            rows.append(Row(label, str(Relationship(value).label) if value in Relationship.values else value))
        elif key == "household_number":
            rows.append(Row(label, value, household=str(value)))
        else:
            rows.append(Row(label, "—" if value in (None, "", []) else value))
    return rows


def group_declaration(dossier: Dossier) -> tuple[Dossier | None, list[Row]]:
    """For a downstream dossier of a linked case (residence, insurance card, allowances): the case's first
    dossier and its declaration, so that the officer knows for whom they decide."""
    if dossier.case is None:
        return None, []
    first_code = next((m["procedure"] for m in dossier.case.group.members if not m.get("after")), None)
    if first_code is None or first_code == dossier.procedure.code:
        return None, []
    first = Dossier.objects.select_related("procedure").filter(case=dossier.case, procedure__code=first_code).first()
    return (first, declaration(first)) if first else (None, [])


def subjects(dossiers: list[Dossier]) -> dict[Any, Subject | None]:
    """The person each dossier is about, for a page of dossiers in a few queries: the child of a birth group (named
    by the birth dossier's declaration, linked to the record once registered), the deceased of a death group."""
    case_ids = {d.case_id for d in dossiers if d.case_id and "child_full_name" not in d.data}
    births = {
        d.case_id: d
        for d in Dossier.objects.filter(case_id__in=case_ids, data__has_key="child_full_name").only(
            "case_id", "data", "result"
        )
    }
    pins = {d.data["deceased_pin"] for d in dossiers if d.data.get("deceased_pin")}
    people = {p.pin: p for p in Person.objects.filter(pin__in=pins).only("pk", "pin", "full_name")}
    found: dict[Any, Subject | None] = {}
    for dossier in dossiers:
        birth = dossier if "child_full_name" in dossier.data else births.get(dossier.case_id)
        if birth is not None:
            found[dossier.pk] = Subject(
                birth.data["child_full_name"], str(_("child")), person_id=(birth.result or {}).get("person_id")
            )
        elif dossier.data.get("deceased_pin") in people:
            person = people[dossier.data["deceased_pin"]]
            found[dossier.pk] = Subject(person.full_name, str(_("deceased")), person_id=person.pk)
        else:
            found[dossier.pk] = None
    return found


def result_rows(dossier: Dossier) -> list[Row]:
    """The result as records and documents to open, not as data."""
    from dancu.procedures.models import Document

    result = dossier.result or {}
    rows = []
    titles = dict(Document.objects.filter(dossier=dossier).values_list("id", "title"))
    for key, value in result.items():
        if key == "document":
            title = next((t for i, t in titles.items() if str(i) == str(value)), str(_("Document")))
            rows.append(Row(str(_("Document")), title, document=str(value)))
        elif key == "person_id":
            continue
        elif key == "pin":
            rows.append(Row(str(RESULT_LABELS["pin"]), value, person_id=result.get("person_id")))
        elif key == "household_number":
            rows.append(Row(str(RESULT_LABELS[key]), value, household=str(value)))
        elif key == "valid_to":
            rows.append(Row(str(RESULT_LABELS[key]), _as_date(value), is_date=True))
        elif key == "amount_vnd":
            rows.append(Row(str(RESULT_LABELS[key]), f"{int(value):,} đ".replace(",", ".")))
        elif key == "kind":
            kinds = {"monthly": _("monthly"), "lump_sum": _("lump sum")}
            rows.append(Row(str(RESULT_LABELS[key]), str(kinds.get(value, value))))
        else:
            rows.append(Row(str(RESULT_LABELS.get(key, key.replace("_", " "))), value))
    return rows


@dataclass
class Step:
    """One line of the history: "Cán bộ Nguyễn Thị Hồng, UBND Phường Ba Đình, 10:42 04/12/2026: duyệt"."""

    at: datetime
    who: str
    what: str
    reason: str


def history(dossier: Dossier) -> list[Step]:
    """The dossier's transitions with the actor's full name and office (officials), "the system", or "the
    applicant" (citizens: never their account's identifier)."""
    transitions = list(Transition.objects.filter(dossier=dossier))
    usernames = {t.actor for t in transitions if t.actor_kind == "official"}
    users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=usernames)}
    described: dict[str, str] = {}
    steps = []
    for t in transitions:
        if t.actor_kind == "official":
            if t.actor not in described:
                user = users.get(t.actor)
                described[t.actor] = describe(user) if user else str(_("Official %(name)s") % {"name": t.actor})
            who = described[t.actor]
        elif t.actor_kind == "citizen":
            who = str(_("The applicant"))
        else:
            who = str(_("The system"))
        if t.from_status == t.to_status:
            what = str(_("note"))
        else:
            what = str(VERBS.get(t.to_status, t.get_to_status_display()))
        steps.append(Step(at=t.at, who=who, what=what, reason=t.reason))
    return steps


#: What approving each procedure's dossier does, as the confirmation box says it (``%(person)s``: whom it is for).
EFFECTS = {
    "birth-registration": _(
        "Approving registers the birth of %(person)s in the population database (a new personal ID number) and "
        "issues the signed birth extract."
    ),
    "permanent-residence-registration": _(
        "Approving registers the permanent residence of %(person)s in the household and issues the confirmation."
    ),
    "health-insurance-under-6": _("Approving issues the health-insurance card of %(person)s."),
    "death-registration": _(
        "Approving records the death of %(person)s in the population database, closes their cards and e-ID "
        "account, and issues the signed death extract."
    ),
    "permanent-residence-removal": _("Approving removes the permanent residence of %(person)s."),
    "funeral-allowance": _(
        "Approving decides the funeral allowance for %(person)s from the contribution record (refused if it is too "
        "short)."
    ),
    "survivor-benefit": _("Approving decides the survivor benefit for %(person)s from the contribution record."),
}


def approval_effect(dossier: Dossier, subject: Subject | None) -> str:
    """The sentence the approval's confirmation box shows."""
    effect = EFFECTS.get(dossier.procedure.code)
    person = subject.name if subject else str(_("the person concerned"))
    return str(effect % {"person": person}) if effect else str(_("Approving issues the procedure's result."))
