"""Electronic identification accounts (Decree 69/2024/NĐ-CP): one per person, level 1 or 2, their credentials,
sessions and security history, and what the OpenID Connect provider remembers per client."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dancu.core.ids import uuid7
from dancu.registry.models import Person


class Level(models.IntegerChoices):
    ONE = 1, _("Level 1")
    TWO = 2, _("Level 2")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Account(models.Model):
    """An e-ID account. ``id`` is the public subject identifier (``sub``) given to relying parties; the Django
    user behind it holds the password hash and the sessions."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="eid_account", verbose_name=_("user")
    )
    person = models.OneToOneField(
        Person, on_delete=models.PROTECT, related_name="eid_account", verbose_name=_("person")
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.ONE, verbose_name=_("level"))
    status = models.CharField(
        max_length=8, choices=AccountStatus.choices, default=AccountStatus.ACTIVE, verbose_name=_("status")
    )
    phone = models.CharField(
        max_length=16, blank=True, help_text=_("E.164, confirmed by a one-time code."), verbose_name=_("phone")
    )
    email = models.EmailField(
        blank=True, help_text=_("Optional; set only once confirmed by a code sent to it."), verbose_name=_("e-mail")
    )
    email_confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("e-mail confirmed at"))
    notify_by_sms = models.BooleanField(
        default=True, help_text=_("Procedure notices by SMS (security codes always)."), verbose_name=_("notify by SMS")
    )
    notify_by_email = models.BooleanField(
        default=True,
        help_text=_("Procedure notices by e-mail, if an address is set."),
        verbose_name=_("notify by e-mail"),
    )
    guardian = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="wards",
        help_text=_("For a child under 6: the parent's account that manages it."), verbose_name=_("guardian"),
    )  # fmt: skip
    level2_activated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("level 2 activated at"))
    level2_activated_by = models.CharField(max_length=150, blank=True, verbose_name=_("level 2 activated by"))
    failed_sign_ins = models.PositiveSmallIntegerField(default=0, verbose_name=_("failed sign-ins"))
    locked_until = models.DateTimeField(null=True, blank=True, verbose_name=_("locked until"))
    lockouts = models.PositiveSmallIntegerField(
        default=0, help_text=_("Consecutive lockouts: each one lasts longer."), verbose_name=_("lockouts")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("e-ID account")
        verbose_name_plural = _("e-ID accounts")

    def __str__(self) -> str:
        return f"account {self.pk}"

    @property
    def can_sign_in(self) -> bool:
        """Open and its holder alive (a death closes the account; until the closing event lands, refuse anyway)."""
        return self.status == AccountStatus.ACTIVE and self.person.status == "living"


class SecurityEvent(models.Model):
    """Everything that happened to an account's security, shown to its holder."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="security_events", verbose_name=_("account")
    )
    kind = models.CharField(max_length=40, verbose_name=_("kind"))
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("time"))
    ip_prefix = models.CharField(
        max_length=45,
        blank=True,
        help_text=_("The client's network (/24 or /48), not its IP."),
        verbose_name=_("IP prefix"),
    )
    user_agent = models.CharField(max_length=200, blank=True, verbose_name=_("user agent"))
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("detail"))

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["account", "-at"], name="secevent_account_at")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class OneTimeCode(models.Model):
    """A code sent by SMS (registration, recovery): stored hashed, short-lived, few attempts."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    purpose = models.CharField(max_length=20, verbose_name=_("purpose"))
    code_hash = models.CharField(max_length=64, verbose_name=_("code hash"))
    payload = models.JSONField(
        default=dict, help_text=_("What the code unlocks (ids, not personal data)."), verbose_name=_("payload")
    )
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("used at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")

    def __str__(self) -> str:
        return f"code {self.purpose}"


class TotpDevice(models.Model):
    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="totp", verbose_name=_("account"))
    secret = models.BinaryField(help_text=_("AES-GCM encrypted under the platform key."), verbose_name=_("secret"))
    confirmed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("confirmed at"))
    last_step = models.BigIntegerField(
        default=0, help_text=_("Last accepted time step: a code is never accepted twice."), verbose_name=_("last step")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return "authenticator app"


class Passkey(models.Model):
    """A WebAuthn credential (passkey)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="passkeys", verbose_name=_("account"))
    credential_id = models.BinaryField(unique=True, verbose_name=_("credential id"))
    public_key = models.BinaryField(verbose_name=_("public key"))
    sign_count = models.BigIntegerField(default=0, verbose_name=_("sign count"))
    name = models.CharField(max_length=60, blank=True, verbose_name=_("name"))
    transports = models.JSONField(default=list, blank=True, verbose_name=_("transports"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))

    class Meta:
        verbose_name = _("passkey")
        verbose_name_plural = _("passkeys")

    def __str__(self) -> str:
        return self.name or "passkey"


class AccountSession(models.Model):
    """A signed-in browser session, listed to its holder with revoke."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("account"))
    session_key = models.CharField(max_length=64, unique=True, verbose_name=_("session key"))
    amr = models.JSONField(
        default=list,
        help_text=_("Authentication methods used (RFC 8176): pwd, otp, hwk, ..."),
        verbose_name=_("authentication methods"),
    )
    user_agent = models.CharField(max_length=200, blank=True, verbose_name=_("user agent"))
    ip_prefix = models.CharField(max_length=45, blank=True, verbose_name=_("IP prefix"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    last_seen_at = models.DateTimeField(auto_now_add=True, verbose_name=_("last seen at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))
    end_reason = models.CharField(max_length=20, blank=True, verbose_name=_("end reason"))

    class Meta:
        verbose_name = _("sign-in session")
        verbose_name_plural = _("sign-in sessions")
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["account", "ended_at"], name="accsession_open")]

    def __str__(self) -> str:
        return f"session {self.pk}"


class ClientConsent(models.Model):
    """A citizen's remembered consent for an OpenID Connect client (relying party) to receive some scopes."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="client_consents", verbose_name=_("account")
    )
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, verbose_name=_("application")
    )
    scopes = models.JSONField(default=list, verbose_name=_("scopes"))
    granted_at = models.DateTimeField(auto_now=True, verbose_name=_("granted at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))

    class Meta:
        verbose_name = _("application consent")
        verbose_name_plural = _("application consents")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "application"], condition=Q(revoked_at__isnull=True), name="clientconsent_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.application_id}"


class AuthContext(models.Model):
    """How the holder authenticated (acr, amr) for one authorization code and the tokens issued from it, so that the
    ID token of a code exchange or a refresh says what actually happened, not what the latest session did."""

    key = models.CharField(
        max_length=64, unique=True, help_text=_("SHA-256 of the code or token."), verbose_name=_("key")
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", verbose_name=_("account"))
    acr = models.CharField(max_length=40, verbose_name=_("assurance level"))
    amr = models.JSONField(default=list, verbose_name=_("authentication methods"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("authentication context")
        verbose_name_plural = _("authentication contexts")

    def __str__(self) -> str:
        return self.acr


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Could not be sent")


class OutboundMessage(models.Model):
    """The outbox: an SMS or e-mail to a citizen, written in the transaction that decided it and delivered after
    the commit; a delivery that fails is retried with back-off (``dancu messages deliver``). The text is erased once
    delivered (it may hold a one-time code)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    channel = models.CharField(max_length=8, help_text=_("sms or email"), verbose_name=_("channel"))
    to = models.CharField(max_length=254, verbose_name=_("recipient"))
    subject = models.CharField(max_length=200, blank=True, verbose_name=_("subject"))
    text = models.TextField(blank=True, verbose_name=_("text"))
    status = models.CharField(
        max_length=8, choices=MessageStatus.choices, default=MessageStatus.PENDING, verbose_name=_("status")
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt at"))
    error = models.CharField(
        max_length=80, blank=True, help_text=_("The last failure's kind (never its text)."), verbose_name=_("error")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    claimed_by = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text=_("The deliverer sending it now (a random token), if any."),
        verbose_name=_("claimed by"),
    )
    claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the claim lapses (a crashed deliverer's messages are then retried)."),
        verbose_name=_("claimed until"),
    )

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_due", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.channel}, {self.status})"


class OfficialAgency(models.TextChoices):
    """The agencies officials work for; the first four are those of ``procedures.models.Agency`` (same codes)."""

    COMMUNE_CIVIL_STATUS = "commune_civil_status", _("Commune People's Committee (justice and civil status)")
    COMMUNE_POLICE = "commune_police", _("Commune police (residence registration)")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    PROVINCIAL_JUSTICE = "provincial_justice", _("Provincial Department of Justice")
    POPULATION_REGISTRY = "population_registry", _("Population registry (police)")


class AreaLevel(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    PROVINCE = "province", _("Province")
    NATIONAL = "national", _("National")


class Official(models.Model):
    """An official (cán bộ) bound to one agency and one area: a commune (xã, phường), a province or the whole
    country. What they see and act on in the back office stays within it (accounts/services/officials.py)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="official", verbose_name=_("user")
    )
    agency = models.CharField(_("agency"), max_length=30, choices=OfficialAgency.choices)
    level = models.CharField(_("area level"), max_length=10, choices=AreaLevel.choices)
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("commune"),
        help_text=_("A current commune, for a commune official."),
    )  # fmt: skip
    province = models.ForeignKey(
        "geo.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("province"),
        help_text=_("A current province, for a provincial official."),
    )  # fmt: skip
    office = models.CharField(
        _("office"), max_length=200, blank=True,
        help_text=_("The office's name as it signs (left blank: derived from the agency and the area)."),
    )  # fmt: skip

    class Meta:
        verbose_name = _("official")
        verbose_name_plural = _("officials")
        constraints = [
            models.CheckConstraint(
                condition=Q(level="commune", commune__isnull=False, province__isnull=True)
                | Q(level="province", commune__isnull=True, province__isnull=False)
                | Q(level="national", commune__isnull=True, province__isnull=True),
                name="official_area_matches_level",
            )
        ]

    def __str__(self) -> str:
        return self.office_name

    def clean(self) -> None:
        """The admin's check: the area matches the level and is a current unit (since 1 July 2025)."""
        from django.core.exceptions import ValidationError

        errors = {}
        if self.level == AreaLevel.COMMUNE and (self.commune is None or self.commune.era != "current"):
            errors["commune"] = _("A commune official needs a current commune.")
        if self.level == AreaLevel.PROVINCE and (self.province is None or self.province.era != "current"):
            errors["province"] = _("A provincial official needs a current province.")
        if self.level != AreaLevel.COMMUNE and self.commune_id is not None:
            errors["commune"] = _("Only a commune official has a commune.")
        if self.level != AreaLevel.PROVINCE and self.province_id is not None:
            errors["province"] = _("Only a provincial official has a province.")
        if errors:
            raise ValidationError(errors)

    @property
    def office_name(self) -> str:
        """The office as people read it: "UBND Phường Ba Đình", "Bảo hiểm xã hội Thành phố Hà Nội"."""
        if self.office:
            return self.office
        unit = (
            self.commune.name
            if self.level == AreaLevel.COMMUNE and self.commune
            else self.province.name
            if self.level == AreaLevel.PROVINCE and self.province
            else ""
        )
        offices = OFFICE_NAMES.get(self.agency, {})
        return str(offices.get("unit" if unit else "national", OfficialAgency(self.agency).label)) % {"unit": unit}


#: How each agency's office is named, for an area (``unit``: the commune's or province's name) or nationally.
OFFICE_NAMES = {
    OfficialAgency.COMMUNE_CIVIL_STATUS: {
        "unit": _("People's Committee of %(unit)s"), "national": _("Ministry of Justice"),
    },
    OfficialAgency.COMMUNE_POLICE: {"unit": _("Police of %(unit)s"), "national": _("Ministry of Public Security")},
    OfficialAgency.SOCIAL_INSURANCE: {
        "unit": _("Social insurance of %(unit)s"), "national": _("Vietnam Social Security"),
    },
    OfficialAgency.PROVINCIAL_JUSTICE: {
        "unit": _("Department of Justice of %(unit)s"), "national": _("Ministry of Justice"),
    },
    OfficialAgency.POPULATION_REGISTRY: {
        "unit": _("Police of %(unit)s"),
        "national": _("Police Department for Administrative Management of Social Order (C06)"),
    },
}  # fmt: skip


class OfficerDevice(models.Model):
    """A browser an officer enrolled for the offline workspace (thiết bị làm việc ngoại tuyến): the public half of a
    non-extractable WebCrypto ECDSA P-256 key pair that signs every record typed on it. An operator revokes it
    (admin action, ``dancu offline_devices revoke``); a revoked device's records and key requests are refused."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False, verbose_name=_("ID"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offline_devices", verbose_name=_("officer")
    )
    label = models.CharField(_("label"), max_length=60, blank=True)
    public_key = models.BinaryField(_("public key"), help_text=_("SubjectPublicKeyInfo (DER) of the ECDSA P-256 key."))
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    last_sync_at = models.DateTimeField(_("last sync at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.CharField(_("revoked by"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("offline device")
        verbose_name_plural = _("offline devices")
        ordering = ["-enrolled_at"]

    def __str__(self) -> str:
        return f"{self.label or _('device')} ({str(self.id)[:8]})"
