"""Loading administrative units and resolving a recorded commune code to its current unit."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from dancu.core.errors import DomainError
from dancu.core.names import fold_name
from dancu.geo.models import Commune, CommuneSuccession, District, Era, Province


@dataclass(frozen=True)
class LoadReport:
    provinces: int
    districts: int
    communes: int
    successions: int


def _code(value: object, width: int) -> str:
    return f"{int(value):0{width}d}"  # type: ignore[call-overload]


@transaction.atomic
def load_administrative_units() -> LoadReport:
    """Load (or refresh) current and legacy units and the conversion table; idempotent."""
    import vietnam_provinces as vp
    from vietnam_provinces import _ward_conversion_2025 as conversion
    from vietnam_provinces.legacy import base as legacy

    def upsert_provinces(era: str, items: list[tuple[str, str, str]]) -> dict[str, Province]:
        existing = {p.code: p for p in Province.objects.filter(era=era)}
        new = [Province(era=era, code=c, name=n, division_type=t) for c, n, t in items if c not in existing]
        Province.objects.bulk_create(new, batch_size=500)
        return {p.code: p for p in Province.objects.filter(era=era)}

    current = upsert_provinces(
        Era.CURRENT, [(_code(p.code, 2), p.name, str(p.division_type)) for p in vp.Province.iter_all()]
    )
    old = upsert_provinces(
        Era.LEGACY, [(_code(p.code, 2), p.name, str(p.division_type)) for p in legacy.Province.iter_all()]
    )

    existing_districts = set(District.objects.values_list("code", flat=True))
    District.objects.bulk_create(
        [
            District(
                code=_code(d.code, 3),
                name=d.name,
                division_type=str(d.division_type),
                province=old[_code(d.province_code, 2)],
            )
            for d in legacy.District.iter_all()
            if _code(d.code, 3) not in existing_districts
        ],
        batch_size=1000,
    )
    districts = {d.code: d for d in District.objects.all()}

    def upsert_communes(era: str, items: list[Commune]) -> dict[str, Commune]:
        have = set(Commune.objects.filter(era=era).values_list("code", flat=True))
        Commune.objects.bulk_create([c for c in items if c.code not in have], batch_size=2000)
        return {c.code: c for c in Commune.objects.filter(era=era).only("id", "code")}

    current_communes = upsert_communes(
        Era.CURRENT,
        [
            Commune(
                era=Era.CURRENT,
                code=_code(w.code, 5),
                name=w.name,
                division_type=str(w.division_type),
                province=current[_code(w.province_code, 2)],
                name_folded=fold_name(w.name),
            )
            for w in vp.Ward.iter_all()
        ],
    )
    legacy_items = []
    for w in legacy.Ward.iter_all():
        district = districts[_code(w.district_code, 3)]
        legacy_items.append(
            Commune(
                era=Era.LEGACY,
                code=_code(w.code, 5),
                name=w.name,
                division_type=str(w.division_type),
                province_id=district.province_id,
                district=district,
                name_folded=fold_name(w.name),
            )
        )
    legacy_communes = upsert_communes(Era.LEGACY, legacy_items)

    have_pairs = set(CommuneSuccession.objects.values_list("legacy_id", "current_id"))
    successions = []
    for old_code, entry in conversion.OLD_TO_NEW.items():
        source = legacy_communes.get(_code(old_code, 5))
        if source is None:
            continue
        for target_ref in entry.new_wards:
            target = current_communes.get(_code(target_ref.code, 5))
            if target is None or (source.id, target.id) in have_pairs:
                continue
            successions.append(CommuneSuccession(legacy=source, current=target, partly=entry.old_ward.is_partly_merged))
    CommuneSuccession.objects.bulk_create(successions, batch_size=5000)
    return LoadReport(
        provinces=Province.objects.count(),
        districts=District.objects.count(),
        communes=Commune.objects.count(),
        successions=CommuneSuccession.objects.count(),
    )


def get_commune(code: str, *, era: str = Era.CURRENT) -> Commune:
    """A commune by its five-digit code; ``commune_unknown`` if there is none."""
    if not isinstance(code, str) or len(code) != 5 or not code.isdigit():
        raise DomainError("commune_malformed", "A commune code has five digits.", field="commune")
    try:
        return Commune.objects.select_related("province").get(era=era, code=code)
    except Commune.DoesNotExist:
        raise DomainError("commune_unknown", "No administrative unit has this commune code.", field="commune") from None


def resolve_current_commune(code: str, *, era: str = Era.CURRENT) -> Commune:
    """The current commune for a code recorded in ``era``.

    A legacy commune that went wholly into one current commune resolves to it; one that was split between several
    ("partly merged") is ambiguous: ``commune_ambiguous``, and the caller must name the current commune.
    """
    commune = get_commune(code, era=era)
    if commune.era == Era.CURRENT:
        return commune
    successors = list(
        Commune.objects.select_related("province").filter(predecessors__legacy=commune).order_by("code").distinct()
    )
    if len(successors) == 1:
        return successors[0]
    if not successors:
        raise DomainError(
            "commune_unmapped", "This legacy commune has no successor in the 2025 table.", field="commune"
        )
    raise DomainError(
        "commune_ambiguous",
        "This legacy commune was split between %(count)d current communes; name the current one.",
        params={"count": len(successors)},
        field="commune",
    )
