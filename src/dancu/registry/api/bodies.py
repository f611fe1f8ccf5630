"""Request bodies: unknown fields are refused, and every text has its limit."""

from __future__ import annotations

from typing import Literal

from ninja import Field

from dancu.registry.api.schemas import EthnicityCode, IsoDate, Strict, StrictInt, commune_field, pin_field


class BirthIn(Strict):
    full_name: str = Field(max_length=100, examples=["Nguyễn Minh Khang"])
    sex: Literal["M", "F"]
    birth_date: IsoDate
    birth_commune: str = commune_field(
        description="Five-digit code of the current commune of birth.", examples=["00004"]
    )
    registration_commune: str | None = commune_field(default=None)
    mother_pin: str | None = pin_field(default=None)
    father_pin: str | None = pin_field(default=None)
    ethnicity: EthnicityCode | None = None
    religion: str = "Không"
    nationality: str = "VN"
    origin_commune: str | None = commune_field(default=None)
    source: str = Field("", max_length=200, description="Dossier number behind the registration.")


class PersonIn(Strict):
    pin: str = pin_field()
    full_name: str = Field(max_length=100)
    sex: Literal["M", "F"]
    birth_date: IsoDate
    birth_date_precision: Literal["day", "month", "year"] = "day"
    ethnicity: EthnicityCode = 1
    religion: str = "Không"
    nationality: str = "VN"
    birth_commune: str | None = commune_field(default=None)
    birth_place_text: str = ""
    origin_commune: str | None = commune_field(default=None)
    father_pin: str | None = pin_field(default=None)
    mother_pin: str | None = pin_field(default=None)
    source: str = Field("", max_length=200)


class PermanentResidenceIn(Strict):
    pin: str = pin_field()
    commune: str = commune_field()
    address_line: str = Field(max_length=200)
    valid_from: IsoDate
    household_number: str | None = None
    relationship: str = "head"
    era: Literal["current", "legacy"] = "current"
    source: str = Field("", max_length=200)


class RemovalIn(Strict):
    pin: str = pin_field()
    valid_to: IsoDate
    reason: str = Field(max_length=40, examples=["deceased", "moved"])
    source: str = Field("", max_length=200)


class TemporaryResidenceIn(Strict):
    pin: str = pin_field()
    commune: str = commune_field()
    address_line: str = Field(max_length=200)
    valid_from: IsoDate
    valid_until: IsoDate
    source: str = Field("", max_length=200)


class MarriageIn(Strict):
    pin_a: str = pin_field()
    pin_b: str = pin_field()
    marriage_date: IsoDate
    source: str = Field("", max_length=200)


class NameChangeIn(Strict):
    pin: str = pin_field()
    full_name: str = Field(max_length=100)
    effective_date: IsoDate
    reason: str = Field(max_length=200)
    source: str = Field("", max_length=200)


class DeathIn(Strict):
    pin: str = pin_field()
    death_date: IsoDate
    place_text: str = Field("", max_length=200)
    source: str = Field("", max_length=200)


class PinIn(Strict):
    pin: str = pin_field(examples=["001076108037"])


class AsOfIn(PinIn):
    date: IsoDate


class SearchIn(Strict):
    name: str = Field(min_length=2, max_length=100, description="Start of the full name; any case and accents.")
    birth_date: IsoDate | None = None
    commune: str = Field("", max_length=5, description="Five-digit code of the current commune of residence.")
    limit: StrictInt = Field(50, ge=1, le=100)
