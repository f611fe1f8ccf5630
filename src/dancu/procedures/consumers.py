"""What the procedures app does when registry events arrive: the dossiers of a linked group that wait for an
upstream result (residence and insurance after a birth, removal and allowances after a death) start when that
result's event, whose source names the upstream dossier, reaches the event log.

Read by sequence from this consumer's own offset (``dancu follow``, and right after a decision commits); applying
an event twice changes nothing (only waiting dossiers move).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_noop

from dancu.events.services import EventRecord, consume
from dancu.procedures.models import Dossier, Status, render_notice
from dancu.procedures.workflow import move
from dancu.registry import rules as registry_rules

#: The offset's name is the one from before the app was renamed (issue 14), so that upgraded databases resume.
CONSUMER = "services-linked"
STARTS_DOWNSTREAM = (registry_rules.BIRTH_REGISTERED, registry_rules.DEATH_RECORDED)


def start_downstream(event: EventRecord) -> None:
    """Receive the case's dossiers that waited for the dossier named by the event's source."""
    if event.type not in STARTS_DOWNSTREAM or not event.source.startswith("dossier:"):
        return
    upstream = Dossier.objects.filter(number=event.source.removeprefix("dossier:")).select_related("case").first()
    if upstream is None or upstream.case is None:
        return
    group = upstream.case.group
    after = [m["procedure"] for m in group.members if m.get("after") == upstream.procedure.code]
    for dossier in (
        Dossier.objects.select_for_update()
        .select_related("procedure")
        .filter(case=upstream.case, procedure__code__in=after, status=Status.WAITING)
    ):
        after = render_notice(
            [[gettext_noop("After the result of %(number)s"), {"number": upstream.number}]], settings.LANGUAGE_CODE
        )
        move(dossier, Status.RECEIVED, actor="system", actor_kind="system", reason=after)


def follow() -> int:
    """Apply new events (idempotent, from this consumer's offset); returns how many were read."""
    return consume(CONSUMER, start_downstream)
