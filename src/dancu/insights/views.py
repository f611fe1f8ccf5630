"""The public open-data page and its JSON (no sign-in): aggregates only, small cells withheld, published with a
delay (:mod:`dancu.insights.opendata`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dancu.geo.models import Era, Province
from dancu.insights import opendata


def _province(request: HttpRequest) -> str | None:
    """The province asked for: ``""`` for the country, ``None`` for a code that is no current province."""
    code = request.GET.get("province", "")
    if not code:
        return ""
    if len(code) == 2 and code.isdigit() and Province.objects.filter(era=Era.CURRENT, code=code).exists():
        return code
    return None


@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    province = _province(request)
    provinces = list(Province.objects.filter(era=Era.CURRENT).order_by("code").values_list("code", "name"))
    if province is None:
        return render(request, "insights/open_data.html", {"unknown": True, "provinces": provinces}, status=404)
    data = opendata.dataset(province)
    rows = [(month, [data["counts"][month][m] for m in data["metrics"]]) for month in data["months"]]
    kinds = sorted({k for month in data["gateway"].values() for k in month})
    context = {
        "data": data,
        "rows": rows,
        "labels": [opendata.METRICS[m] for m in data["metrics"]],
        "province": province,
        "provinces": provinces,
        "gateway_kinds": kinds,
        "gateway_rows": [(m, [data["gateway"][m].get(k) for k in kinds]) for m in data["gateway"]],
    }
    return render(request, "insights/open_data.html", context)


@require_GET
def open_data_json(request: HttpRequest) -> JsonResponse:
    province = _province(request)
    if province is None:
        return JsonResponse({"error": "area_unknown", "message": "No current province has this code."}, status=404)
    response = JsonResponse(opendata.dataset(province), json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response
