"""Coded values of the data exchange."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SystemKind(models.TextChoices):
    MINISTRY = "ministry", _("Ministry or sector")
    PROVINCE = "province", _("Province or city")
    BANK = "bank", _("Bank")
    TELECOM = "telecom", _("Telecom operator")
    HOSPITAL = "hospital", _("Hospital")
    OTHER = "other", _("Other")


class SystemStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")
    RETIRED = "retired", _("Disconnected")


class Operation(models.TextChoices):
    VERIFY = "verify", _("Verification")
    LOOKUP = "lookup", _("Lookup")
    CHIP_VERIFY = "chip_verify", _("Chip verification")
    #: Bulk reconciliation of the system's own records (dancu.linkage; Directive 18/CT-TTg 2023).
    RECONCILE = "reconcile", _("Bulk reconciliation")
    #: ... and the registry's PIN returned where the system's record had a missing, old or wrong one.
    RECONCILE_PIN = "reconcile_pin", _("Bulk reconciliation with ID number correction")


from dancu.gateway.fields import CONSENT_FIELDS, LOOKUP_FIELDS, VERIFY_ATTRIBUTES  # noqa: E402

__all__ = [
    "CONSENT_FIELDS",
    "DATA_NAMES",
    "LOOKUP_FIELDS",
    "VERIFY_ATTRIBUTES",
    "AccessChannel",
    "DeliveryStatus",
    "Operation",
    "SigningScheme",
    "SubscriptionChannel",
    "SubscriptionStatus",
    "SystemKind",
    "SystemStatus",
    "data_names",
]


class AccessChannel(models.TextChoices):
    """How a person's data was read outside the gateway's verify and lookup (those are in the access ledger)."""

    SIGN_IN = "sign_in", _("Sign-in to a service")
    BACK_OFFICE = "back_office", _("Official's view in the back office")
    LIFE_EVENT = "life_event", _("Life event sent to an agency")
    RECONCILIATION = "reconciliation", _("Bulk reconciliation by an agency or company")


#: What each field code is called for the person whose data it is ("which data" in "who accessed my data"): the
#: gateway's fields, the claims an OpenID Connect client receives, and what an official's page shows.
DATA_NAMES = {
    "pin": _("Personal ID number"),
    "full_name": _("Full name"),
    "birth_date": _("Date of birth"),
    "sex": _("Sex"),
    "status": _("Whether alive"),
    "death_date": _("Date of death"),
    "permanent_address": _("Permanent address"),
    "permanent_commune": _("Commune of permanent residence"),
    "place_of_origin": _("Place of origin"),
    "ethnicity": _("Ethnicity"),
    "religion": _("Religion"),
    "nationality": _("Nationality"),
    "phone": _("Phone number"),
    "household": _("Household and its members"),
    "residence_history": _("Residence history"),
    "record_history": _("History of your record"),
    "id_card": _("ID card"),
    "chip": _("Data on your identity card's chip"),
    "eid_account": _("e-ID account"),
    "dossier": _("Dossier you submitted"),
    # What a life event sent to a subscribing agency carries (exchange.lifeevents' field names).
    "event": _("What happened (the event)"),
    "relation": _("Your link to the person concerned"),
    "province": _("Province"),
    "commune": _("Commune"),
    "birth_commune": _("Place of birth"),
    "mother": _("Mother"),
    "father": _("Father"),
    "marriage_date": _("Date of marriage"),
    "spouse": _("Spouse"),
    "address_line": _("Address"),
    "valid_from": _("Valid from"),
    "valid_to": _("Valid until"),
    "valid_until": _("Valid until"),
    "ended_on": _("Ended on"),
    "issued_on": _("Date of issue"),
    "expires_on": _("Expiry date"),
    "reason": _("Reason"),
}


def data_names(fields: list[str] | tuple[str, ...]) -> list[str]:
    """The names of ``fields`` in the reader's language, in :data:`DATA_NAMES`' order (unknown codes last, as
    they are)."""
    order = {code: position for position, code in enumerate(DATA_NAMES)}
    ranked = sorted(set(fields), key=lambda code: (order.get(code, len(order)), code))
    return [str(DATA_NAMES.get(code, code)) for code in ranked]


class SubscriptionChannel(models.TextChoices):
    """How a subscription's life events travel: signed webhooks, or the system's own NATS JetStream consumer."""

    WEBHOOK = "webhook", pgettext_lazy("life events", "Signed webhook")
    NATS = "nats", pgettext_lazy("life events", "NATS JetStream")


class SubscriptionStatus(models.TextChoices):
    """A subscription is a grant: requested (pending), approved by an operator (active), suspended by an operator,
    or disabled (by the operator, or by the endpoint answering HTTP 410 Gone)."""

    PENDING = "pending", pgettext_lazy("life events", "Pending approval")
    ACTIVE = "active", pgettext_lazy("life events", "Active")
    SUSPENDED = "suspended", pgettext_lazy("life events", "Suspended")
    DISABLED = "disabled", pgettext_lazy("life events", "Disabled")


class SigningScheme(models.TextChoices):
    """Standard Webhooks signature schemes: ``v1`` HMAC-SHA256 with a shared secret, ``v1a`` Ed25519."""

    HMAC = "v1", pgettext_lazy("life events", "HMAC-SHA256 (v1)")
    ED25519 = "v1a", pgettext_lazy("life events", "Ed25519 (v1a)")


class DeliveryStatus(models.TextChoices):
    """A webhook delivery: waiting (first try or a retry), delivered, dead (after the last try, or the endpoint
    gone); a dead letter can be redriven to pending."""

    PENDING = "pending", pgettext_lazy("life events", "Waiting")
    DELIVERED = "delivered", pgettext_lazy("life events", "Delivered")
    DEAD = "dead", pgettext_lazy("life events", "Dead letter")
