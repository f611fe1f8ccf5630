"""The front desk of a health facility (quầy tiếp đón): a receptionist scans the ID card's QR code or types the PIN
and sees the social-insurance answer big and clear, with the next step; and the day's check-ins."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from dancu.backoffice.dossiers import refused
from dancu.backoffice.forms import FrontDeskForm
from dancu.core.errors import DomainError
from dancu.core.insurance import RESULTS
from dancu.insurance import desk


@login_required
def front_desk(request: HttpRequest) -> HttpResponse:
    try:
        receptionist = desk.receptionist_of(request.user)
    except DomainError as exc:
        return refused(request, exc)
    form = FrontDeskForm(request.POST if request.method == "POST" else None)
    answer = None
    if request.method == "POST" and form.is_valid():
        try:
            answer = desk.check_in(receptionist, form.cleaned_data["card"])
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            form = FrontDeskForm()  # ready for the next patient
    result = None
    if answer is not None:
        result = {
            "code": answer.result_code, "admitted": answer.admitted, "next_step": _(RESULTS[answer.result_code][1]),
            "name_pending": "name_changed_not_at_social_insurance" in answer.reasons,
            "benefit_level": answer.benefit_level, "at_registered_facility": answer.at_registered_facility,
            "valid_to": answer.valid_to,
        }  # fmt: skip
    today = desk.todays_check_ins(receptionist)
    admitted = sum(1 for c in today if c.code in ("000", "090"))
    return render(request, "backoffice/front_desk.html", {
        "form": form, "result": result, "facility": receptionist.facility, "today": today, "admitted": admitted,
    })  # fmt: skip
