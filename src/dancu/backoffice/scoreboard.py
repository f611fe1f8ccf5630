"""The programme's scoreboard (bảng chỉ số Đề án 06) for leaders and operators: each indicator with its definition,
trend and the reports' national figure, drill-down country -> province -> commune, a period and an agency, and the
tables as CSV (streamed) or Excel. Area-scoped like every official's page: an official sees their own area and
what is inside it, nothing else."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dancu.accounts.services import officials
from dancu.backoffice.dossiers import refused
from dancu.backoffice.forms import ScoreboardForm
from dancu.core.errors import DomainError
from dancu.insights import kpis, services
from dancu.insights.kpis import Period, Scope

PERMISSION = "insights.view_scoreboard"


def _query(request: HttpRequest) -> tuple[ScoreboardForm, Scope, Period, str, list[str]]:
    """The area, period and agency asked for, checked against the official's area; problems with the period are
    shown on the form (the default period is used meanwhile), an area outside the official's is refused."""
    official = officials.official_of(request.user)
    form = ScoreboardForm(request.GET or None)
    problems: list[str] = []
    data: dict[str, Any] = {}
    if form.is_bound and not form.is_valid():
        problems = [str(error) for errors in form.errors.values() for error in errors]
    if form.is_bound:
        data = form.cleaned_data
    scope = services.scope_for(official, data.get("province") or "", data.get("commune") or "")
    period = services.default_period()
    if data.get("start") or data.get("end"):
        try:
            period = services.check_period(data.get("start") or period.start, data.get("end") or period.end)
        except DomainError as exc:
            problems.append(exc.message)
    return form, scope, period, data.get("agency") or "", problems


def _series(points: list[tuple[str, kpis.Figure]]) -> dict[str, list[Any]]:
    return {"labels": [label for label, _f in points], "values": [services.as_number(f.value) for _l, f in points]}


@login_required
@permission_required(PERMISSION, raise_exception=True)
def scoreboard(request: HttpRequest) -> HttpResponse:
    try:
        form, scope, period, agency, problems = _query(request)
    except DomainError as exc:
        return refused(request, exc)
    seen = kpis.overview(scope, period, agency)
    board, trend = seen.board, seen.trend
    durations = kpis.linked_durations(scope, period)
    linked = kpis.linked_summary(durations)
    areas = services.table("areas", scope, period, agency, seen)
    calls = kpis.lookups(period) if scope.level == "national" else None
    charts: dict[str, Any] = {code: _series(points) for code, points in trend.items()}
    charts["linked"] = {
        "labels": [d for d, _n in linked.extra.get("histogram", [])],
        "values": [n for _d, n in linked.extra.get("histogram", [])],
        "targets": kpis.LINKED_TARGETS,
    }
    if calls is not None:
        kinds = sorted({kind for month in calls["by_month"].values() for kind in month})
        charts["lookups"] = {"labels": calls["months"], "series": [
            {"name": kind, "values": [calls["by_month"].get(m, {}).get(kind, 0) for m in calls["months"]]}
            for kind in kinds
        ]}  # fmt: skip
    query = request.GET.copy()
    context = {
        "form": form,
        "problems": problems,
        "scope": scope,
        "area": services.area_name(scope),
        "parent": _parent(scope),
        "period": period,
        "agency": agency,
        "indicators": [
            {"indicator": i, "figure": board[i.code], "shown": services.show(board[i.code], i.unit)}
            for i in kpis.INDICATORS
        ],
        "completeness": services.table("completeness", scope, period, seen=seen),
        "linked": linked,
        "linked_count": len(durations),
        "areas": areas,
        "child_level": scope.child_field,
        "calls": calls,
        "charts": charts,
        "tables": [(name, services.TABLE_TITLES[name]) for name in services.TABLES],
        "query": query.urlencode(),
    }
    return render(request, "backoffice/scoreboard.html", context)


def _parent(scope: Scope) -> dict[str, str] | None:
    if scope.commune:
        return {"province": scope.province or "", "name": services.area_name(Scope(province=scope.province))}
    if scope.province:
        return {"province": "", "name": str(_("Whole country"))}
    return None


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@permission_required(PERMISSION, raise_exception=True)
def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """One table of the scoreboard as CSV (streamed, UTF-8 with a BOM for Excel) or as an Excel workbook."""
    try:
        _form, scope, period, agency, _problems = _query(request)
        data = services.table(name, scope, period, agency)
    except DomainError as exc:
        return refused(request, exc)
    filename = f"dancu-{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield "\ufeff"
            for row in services.csv_lines(data):
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=name[:31])
    for row in services.csv_lines(data):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
