"""The social-insurance record (its agency is the writer, not the registry): participants, their health-insurance
coverage periods, health facilities as reference data, facility staff who check cards, and check-ins for the KPIs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dancu.insurance.choices import BeneficiaryGroup, CoverageStatus, FacilityLevel


class HealthFacility(models.Model):
    """A health facility (cơ sở khám chữa bệnh) with its 5-digit code (province + number) and level; connected to
    the gateway through its connected system."""

    code = models.CharField(max_length=5, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    level = models.PositiveSmallIntegerField(choices=FacilityLevel.choices, verbose_name=_("level"))
    province_code = models.CharField(max_length=2, verbose_name=_("province"))
    system = models.ForeignKey(
        "exchange.ConnectedSystem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("connected system"),
    )  # fmt: skip
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("health facility")
        verbose_name_plural = _("health facilities")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Participant(models.Model):
    """A person known to social insurance: the 10-digit social-insurance number (mã số BHXH) and the name as
    social insurance holds it (which may lag a change of name in the registry)."""

    person = models.OneToOneField(
        "registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    social_insurance_number = models.CharField(max_length=10, unique=True, verbose_name=_("social insurance number"))
    full_name = models.CharField(max_length=100, verbose_name=_("name at social insurance"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("insurance participant")
        verbose_name_plural = _("insurance participants")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(social_insurance_number__regex=r"^[0-9]{10}$"), name="insurance_si_number_digits"
            )
        ]

    def __str__(self) -> str:
        return self.social_insurance_number


class CoveragePeriod(models.Model):
    """A period of health-insurance participation (Law on Health Insurance art. 12, 16, 22): the card, its group and
    benefit level, the registered primary-care facility, the five-consecutive-years flag and its status."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="periods", verbose_name=_("participant")
    )
    card_number = models.CharField(max_length=15, verbose_name=_("card number"))
    beneficiary_group = models.CharField(
        max_length=2, choices=BeneficiaryGroup.choices, verbose_name=_("beneficiary group")
    )
    benefit_level = models.PositiveSmallIntegerField(verbose_name=_("benefit level"))
    facility = models.ForeignKey(
        HealthFacility, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered facility")
    )
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(verbose_name=_("valid to"))
    five_consecutive_years = models.BooleanField(default=False, verbose_name=_("five consecutive years"))
    status = models.CharField(
        max_length=10, choices=CoverageStatus.choices, default=CoverageStatus.ACTIVE, verbose_name=_("status")
    )
    ended_reason = models.CharField(max_length=20, blank=True, verbose_name=_("reason ended"))
    updated_at = models.DateTimeField(auto_now=True, db_index=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("coverage period")
        verbose_name_plural = _("coverage periods")
        ordering = ["participant", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(benefit_level__gte=1, benefit_level__lte=5), name="insurance_benefit_level_1_5"
            ),
            models.CheckConstraint(condition=models.Q(valid_to__gte=models.F("valid_from")), name="insurance_period"),
        ]

    def __str__(self) -> str:
        return self.card_number


class Receptionist(models.Model):
    """A named user of a facility's connected system who checks cards at the front desk (054/055 when absent or
    when the name does not match the ID number)."""

    facility = models.ForeignKey(
        HealthFacility, on_delete=models.CASCADE, related_name="receptionists", verbose_name=_("facility")
    )
    pin = models.CharField(max_length=12, verbose_name=_("PIN"))
    full_name = models.CharField(max_length=100, verbose_name=_("full name"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    active = models.BooleanField(default=True, verbose_name=_("active"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("receptionist")
        verbose_name_plural = _("receptionists")
        constraints = [models.UniqueConstraint(fields=["facility", "pin"], name="insurance_receptionist_once")]

    def __str__(self) -> str:
        return self.full_name


class CheckIn(models.Model):
    """One check-in's outcome, without the patient: what the KPIs count (per facility, province, code, day)."""

    facility = models.ForeignKey(HealthFacility, on_delete=models.CASCADE, related_name="+", verbose_name=_("facility"))
    at = models.DateTimeField(db_index=True, verbose_name=_("time"))
    code = models.CharField(max_length=3, verbose_name=_("result code"))
    receptionist = models.ForeignKey(
        Receptionist, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("receptionist"),
    )  # fmt: skip
    simulated = models.BooleanField(default=False, verbose_name=_("simulated"))

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        indexes = [models.Index(fields=["facility", "at"], name="insurance_checkin_day")]

    def __str__(self) -> str:
        return self.code
