"""Current state of the population registry. Only the services in :mod:`dancu.registry.services` write these
tables, and each write appends an event (:mod:`dancu.events`) in the same transaction."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dancu.geo.models import Commune
from dancu.registry.choices import DatePrecision, LifeStatus, Relationship, Sex


class Household(models.Model):
    """A household (hộ gia đình) registered at one permanent address, with its head (chủ hộ).

    Law on Residence 2020 art. 25-26.
    """

    number = models.CharField(max_length=20, unique=True, help_text=_("Household number."), verbose_name=_("number"))
    head = models.ForeignKey(
        "Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("head")
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="households", verbose_name=_("commune"))
    address_line = models.CharField(max_length=200, verbose_name=_("address line"))
    created_on = models.DateField(verbose_name=_("created on"))

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Hộ {self.number}"


class Person(models.Model):
    """A person in the National Population Database (Cơ sở dữ liệu quốc gia về dân cư), keyed by the PIN."""

    pin = models.CharField(max_length=12, unique=True, help_text=_("Personal ID number."), verbose_name=_("PIN"))
    full_name = models.CharField(max_length=100, help_text=_("As written, NFC."), verbose_name=_("full name"))
    family_name = models.CharField(max_length=50, blank=True, verbose_name=_("family name"))
    middle_name = models.CharField(max_length=60, blank=True, verbose_name=_("middle name"))
    given_name = models.CharField(max_length=50, verbose_name=_("given name"))
    name_folded = models.CharField(
        max_length=100,
        help_text=_("Diacritics-free, lower-case: for search."),
        verbose_name=_("name without diacritics"),
    )
    sex = models.CharField(max_length=1, choices=Sex.choices, verbose_name=_("sex"))
    birth_date = models.DateField(
        help_text=_("With a precision of month or year, the unknown parts are 1."), verbose_name=_("birth date")
    )
    birth_date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY, verbose_name=_("birth date precision")
    )
    birth_commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Place of birth."),
        verbose_name=_("birth commune"),
    )
    birth_place_text = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Place of birth abroad or unlisted."),
        verbose_name=_("birth place text"),
    )
    origin_commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Place of origin (home town)."),
        verbose_name=_("origin commune"),
    )
    ethnicity = models.PositiveSmallIntegerField(
        help_text=_("Statistics-office code of the 54 ethnic groups."), verbose_name=_("ethnicity")
    )
    religion = models.CharField(max_length=60, default="Không", verbose_name=_("religion"))
    nationality = models.CharField(
        max_length=2, default="VN", help_text=_("ISO 3166-1 alpha-2."), verbose_name=_("nationality")
    )
    status = models.CharField(
        max_length=8, choices=LifeStatus.choices, default=LifeStatus.LIVING, verbose_name=_("status")
    )
    death_date = models.DateField(null=True, blank=True, verbose_name=_("death date"))
    father = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("father")
    )
    mother = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("mother")
    )
    spouse = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("spouse")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("household")
    )
    relationship_to_head = models.CharField(
        max_length=12, choices=Relationship.choices, blank=True, verbose_name=_("relationship to head")
    )
    version = models.PositiveIntegerField(
        default=1, help_text=_("Bumped by every change (optimistic concurrency)."), verbose_name=_("version")
    )
    created_at = models.DateTimeField(verbose_name=_("created at"))
    updated_at = models.DateTimeField(verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["pin"]
        # On PostgreSQL also person_name_trgm (GIN, pg_trgm on name_folded, for "any word of the name"): created by
        # migration 0004 in the database only, since SQLite has no such index.
        indexes = [
            models.Index(fields=["name_folded", "birth_date"], name="person_name_dob"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(sex__in=["M", "F"]), name="person_sex_valid"),
            models.CheckConstraint(
                condition=Q(status="living", death_date__isnull=True) | Q(status="deceased", death_date__isnull=False),
                name="person_death_date_iff_deceased",
            ),
            models.CheckConstraint(
                condition=Q(death_date__isnull=True) | Q(death_date__gte=models.F("birth_date")),
                name="person_death_after_birth",
            ),
            models.CheckConstraint(condition=Q(ethnicity__gte=1, ethnicity__lte=54), name="person_ethnicity_valid"),
        ]

    def __str__(self) -> str:
        return self.pin

    @property
    def is_deceased(self) -> bool:
        return self.status == LifeStatus.DECEASED


class PermanentResidence(models.Model):
    """A permanent residence (thường trú): one open at a time per person. Law on Residence 2020 art. 20-24."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="permanent_residences", verbose_name=_("person")
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    recorded_commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The unit as recorded, when it was a legacy (pre-2025) code."),
        verbose_name=_("recorded commune"),
    )
    address_line = models.CharField(max_length=200, verbose_name=_("address line"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("household")
    )
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(null=True, blank=True, verbose_name=_("valid to"))
    end_reason = models.CharField(max_length=40, blank=True, verbose_name=_("end reason"))

    class Meta:
        verbose_name = _("permanent residence")
        verbose_name_plural = _("permanent residences")
        ordering = ["person", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(valid_to__isnull=True), name="one_open_permanent_residence"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="permanent_residence_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"thường trú {self.valid_from}"


class TemporaryResidence(models.Model):
    """A temporary residence (tạm trú), registered for up to 2 years and renewable. Law on Residence 2020 art. 27."""

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="temporary_residences", verbose_name=_("person")
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    address_line = models.CharField(max_length=200, verbose_name=_("address line"))
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_until = models.DateField(help_text=_("End of the registered term."), verbose_name=_("valid until"))
    ended_on = models.DateField(
        null=True, blank=True, help_text=_("Set when the residence was ended early."), verbose_name=_("ended on")
    )

    class Meta:
        verbose_name = _("temporary residence")
        verbose_name_plural = _("temporary residences")
        ordering = ["person", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")), name="temporary_residence_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"tạm trú {self.valid_from}"
