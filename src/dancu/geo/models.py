"""Administrative units: the current two tiers (since 1 July 2025: 34 provinces, 3,321 communes) and the legacy three
tiers (63 provinces, districts, communes), with the official old -> new commune conversion table.

Resolution 202/2025/QH15 (provinces) and the provinces' 2025 resolutions on communes; data from the statistics
office's list through the ``vietnam-provinces`` package.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Era(models.TextChoices):
    CURRENT = "current", _("Since 1 July 2025")
    LEGACY = "legacy", _("Before 1 July 2025")


class Province(models.Model):
    """A province or centrally-run city (tỉnh / thành phố trực thuộc trung ương), current or legacy."""

    era = models.CharField(max_length=8, choices=Era.choices, verbose_name=_("era"))
    code = models.CharField(
        max_length=2, help_text=_("Statistics-office code, two digits ('01' for Hanoi)."), verbose_name=_("code")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    division_type = models.CharField(max_length=40, verbose_name=_("division type"))

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["era", "code"]
        constraints = [models.UniqueConstraint(fields=["era", "code"], name="province_era_code_unique")]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A legacy district (quận / huyện / thị xã / thành phố thuộc tỉnh); districts were abolished on 1 July 2025."""

    code = models.CharField(max_length=3, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    division_type = models.CharField(max_length=40, verbose_name=_("division type"))
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="districts", verbose_name=_("province")
    )

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune-level unit (xã / phường / đặc khu; legacy also thị trấn), current or legacy."""

    era = models.CharField(max_length=8, choices=Era.choices, verbose_name=_("era"))
    code = models.CharField(max_length=5, help_text=_("Statistics-office code, five digits."), verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    division_type = models.CharField(max_length=40, verbose_name=_("division type"))
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="communes", verbose_name=_("province")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="communes", verbose_name=_("district")
    )
    name_folded = models.CharField(
        max_length=100,
        db_index=True,
        help_text=_("Diacritics-free lower-case name."),
        verbose_name=_("name without diacritics"),
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["era", "code"]
        constraints = [models.UniqueConstraint(fields=["era", "code"], name="commune_era_code_unique")]

    def __str__(self) -> str:
        return f"{self.name}, {self.province.name}" if self.province_id else self.name

    @property
    def full_name(self) -> str:
        parts = [self.name]
        if self.district_id:
            parts.append(self.district.name)
        parts.append(self.province.name)
        return ", ".join(parts)


class CommuneSuccession(models.Model):
    """One row of the 2025 conversion table: a legacy commune went (wholly or partly) into a current commune."""

    legacy = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="successors", verbose_name=_("former commune")
    )
    current = models.ForeignKey(
        Commune, on_delete=models.CASCADE, related_name="predecessors", verbose_name=_("current commune")
    )
    partly = models.BooleanField(
        default=False, help_text=_("Only part of the legacy commune went into this one."), verbose_name=_("in part")
    )

    class Meta:
        verbose_name = _("commune succession")
        verbose_name_plural = _("commune successions")
        constraints = [models.UniqueConstraint(fields=["legacy", "current"], name="commune_succession_unique")]

    def __str__(self) -> str:
        return f"{self.legacy_id} -> {self.current_id}"
