"""Pure rules of the registry, shared by the domain services and the bulk path of ``synth`` so both refuse the same
things and write the same events. No database access here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from dancu.core.ages import age_on
from dancu.core.errors import DomainError
from dancu.core.names import NameParts, fold_name, split_name
from dancu.core.pin import check_pin
from dancu.registry.choices import ETHNIC_GROUPS, DatePrecision, Sex

#: A mother younger than this at the child's birth is refused as an impossible record (and so is a father).
MIN_PARENT_AGE_YEARS = 12
#: Minimum ages for marriage: men 20, women 18 (Law on Marriage and Family 2014 art. 8).
MARRIAGE_AGE = {Sex.MALE: 20, Sex.FEMALE: 18}
#: Longest term of one temporary-residence registration (Law on Residence 2020 art. 27(3)).
TEMPORARY_RESIDENCE_MAX_DAYS = 2 * 366
#: A father may have died up to this long before the birth (posthumous birth).
POSTHUMOUS_FATHER_DAYS = 310

# Event types (stable strings: consumers depend on them).
PERSON_REGISTERED = "person.registered"
BIRTH_REGISTERED = "birth.registered"
PERMANENT_RESIDENCE_REGISTERED = "residence.permanent.registered"
PERMANENT_RESIDENCE_REMOVED = "residence.permanent.removed"
TEMPORARY_RESIDENCE_REGISTERED = "residence.temporary.registered"
TEMPORARY_RESIDENCE_ENDED = "residence.temporary.ended"
MARRIAGE_REGISTERED = "marriage.registered"
NAME_CHANGED = "name.changed"
DEATH_RECORDED = "death.recorded"
EVENT_TYPES = (
    PERSON_REGISTERED,
    BIRTH_REGISTERED,
    PERMANENT_RESIDENCE_REGISTERED,
    PERMANENT_RESIDENCE_REMOVED,
    TEMPORARY_RESIDENCE_REGISTERED,
    TEMPORARY_RESIDENCE_ENDED,
    MARRIAGE_REGISTERED,
    NAME_CHANGED,
    DEATH_RECORDED,
)


def normalise_birth_date(value: date, precision: str) -> date:
    """Store a partial date with its unknown parts set to 1."""
    if precision == DatePrecision.YEAR:
        return date(value.year, 1, 1)
    if precision == DatePrecision.MONTH:
        return date(value.year, value.month, 1)
    if precision != DatePrecision.DAY:
        raise DomainError("date_precision_invalid", "Date precision is 'day', 'month' or 'year'.", field="precision")
    return value


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """The facts of a person as registered at birth or at the initial load, already validated."""

    pin: str
    name: NameParts
    sex: str
    birth_date: date
    birth_date_precision: str
    ethnicity: int
    religion: str
    nationality: str
    birth_commune: str | None  # current commune code
    birth_place_text: str
    origin_commune: str | None
    father_pin: str | None
    mother_pin: str | None

    @property
    def name_folded(self) -> str:
        return fold_name(self.name.full)

    def payload(self) -> dict[str, Any]:
        """The event payload that records these facts (``person.registered`` / ``birth.registered``)."""
        return {
            "full_name": self.name.full,
            "family_name": self.name.family,
            "middle_name": self.name.middle,
            "given_name": self.name.given,
            "sex": self.sex,
            "birth_date": self.birth_date.isoformat(),
            "birth_date_precision": self.birth_date_precision,
            "birth_commune": self.birth_commune,
            "birth_place_text": self.birth_place_text,
            "origin_commune": self.origin_commune,
            "ethnicity": self.ethnicity,
            "religion": self.religion,
            "nationality": self.nationality,
            "father": self.father_pin,
            "mother": self.mother_pin,
        }


def validate_person_facts(
    *,
    pin: str,
    full_name: str,
    sex: str,
    birth_date: date,
    birth_date_precision: str = DatePrecision.DAY,
    ethnicity: int = 1,
    religion: str = "Không",
    nationality: str = "VN",
    birth_commune: str | None = None,
    birth_place_text: str = "",
    origin_commune: str | None = None,
    father_pin: str | None = None,
    mother_pin: str | None = None,
    today: date,
) -> PersonFacts:
    """Check a person's own facts (not those needing the database: duplicates, parents' records)."""
    if sex not in (Sex.MALE, Sex.FEMALE):
        raise DomainError("sex_invalid", "Sex is 'M' (male) or 'F' (female).", field="sex")
    if not isinstance(birth_date, date):
        raise DomainError("birth_date_invalid", "The date of birth is not a date.", field="birth_date")
    birth_date = normalise_birth_date(birth_date, birth_date_precision)
    if birth_date > today:
        raise DomainError("birth_date_in_future", "The date of birth is in the future.", field="birth_date")
    check_pin(pin, sex=sex, birth_year=birth_date.year)
    name = split_name(full_name)
    if ethnicity not in ETHNIC_GROUPS:
        raise DomainError("ethnicity_unknown", "Ethnicity is one of the 54 group codes (1-54).", field="ethnicity")
    if not isinstance(nationality, str) or len(nationality) != 2 or not nationality.isalpha():
        raise DomainError("nationality_invalid", "Nationality is a two-letter ISO 3166 code.", field="nationality")
    religion = (religion or "Không").strip()
    if len(religion) > 60:
        raise DomainError("religion_invalid", "Religion has at most 60 characters.", field="religion")
    if father_pin is not None and father_pin == mother_pin:
        raise DomainError("parents_same_person", "Father and mother are the same person.", field="father")
    if pin in (father_pin, mother_pin):
        raise DomainError("parent_is_self", "A person cannot be their own parent.", field="father")
    return PersonFacts(
        pin=pin,
        name=name,
        sex=sex,
        birth_date=birth_date,
        birth_date_precision=birth_date_precision,
        ethnicity=ethnicity,
        religion=religion,
        nationality=nationality.upper(),
        birth_commune=birth_commune,
        birth_place_text=birth_place_text.strip(),
        origin_commune=origin_commune,
        father_pin=father_pin,
        mother_pin=mother_pin,
    )


def check_parent(
    role: str, *, parent_sex: str, parent_birth: date, parent_death: date | None, child_birth: date
) -> None:
    """A mother is female, a father male; neither younger than 12 at the birth; the mother alive at the birth."""
    expected = Sex.FEMALE if role == "mother" else Sex.MALE
    if parent_sex != expected:
        if role == "mother":
            raise DomainError("parent_sex_mismatch", "The mother on record is not a woman.", field=role)
        raise DomainError("parent_sex_mismatch", "The father on record is not a man.", field=role)
    if age_on(parent_birth, child_birth) < MIN_PARENT_AGE_YEARS:
        age = {"years": MIN_PARENT_AGE_YEARS}
        if role == "mother":
            raise DomainError(
                "mother_too_young",
                "The mother would have been younger than %(years)d at the child's birth.",
                field=role,
                params=age,
            )
        raise DomainError(
            "father_too_young",
            "The father would have been younger than %(years)d at the child's birth.",
            field=role,
            params=age,
        )
    if parent_death is not None:
        limit = parent_death if role == "mother" else parent_death + timedelta(days=POSTHUMOUS_FATHER_DAYS)
        if child_birth > limit:
            if role == "mother":
                raise DomainError("parent_deceased", "The mother had died before the child's birth.", field=role)
            raise DomainError("parent_deceased", "The father had died before the child's birth.", field=role)


def check_residence_dates(*, valid_from: date, birth_date: date, today: date) -> None:
    if valid_from < birth_date:
        raise DomainError("residence_before_birth", "A residence cannot start before birth.", field="valid_from")
    if valid_from > today:
        raise DomainError("residence_in_future", "A residence cannot start in the future.", field="valid_from")


def check_death(*, death_date: date, birth_date: date, today: date) -> None:
    if death_date < birth_date:
        raise DomainError("death_before_birth", "The date of death is before the date of birth.", field="death_date")
    if death_date > today:
        raise DomainError("death_date_in_future", "The date of death is in the future.", field="death_date")
