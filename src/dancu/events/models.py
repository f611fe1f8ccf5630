"""The event log: the registry's history and its outbox, and the offsets of the consumers that read it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dancu.core.ids import uuid7


class Event(models.Model):
    """One change to the registry, appended in the same transaction as the change (the history is the events).

    ``sequence`` increases with commit order (see :func:`dancu.events.services.append_event`), so a consumer that
    has read up to N never later finds a committed event below N.
    """

    sequence = models.BigAutoField(primary_key=True, verbose_name=_("sequence"))
    event_id = models.UUIDField(default=uuid7, unique=True, editable=False, verbose_name=_("event id"))
    type = models.CharField(max_length=64, verbose_name=_("type"))
    pin = models.CharField(max_length=12, db_index=True, blank=True, verbose_name=_("personal ID number"))
    effective_date = models.DateField(
        verbose_name=_("effective date"), help_text=_("When the fact took effect in the world (may precede recording).")
    )
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"), help_text=_("When the registry recorded it."))
    actor = models.CharField(
        max_length=150, verbose_name=_("actor"), help_text=_("Official, system or job that made the change.")
    )
    source = models.CharField(
        max_length=200, blank=True, verbose_name=_("source"), help_text=_("Dossier, import file or job run behind it.")
    )
    payload = models.JSONField(default=dict, verbose_name=_("payload"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["sequence"]
        indexes = [models.Index(fields=["pin", "sequence"], name="event_pin_seq")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.type}"


class ConsumerOffset(models.Model):
    """How far a named consumer of the event log has read (the last sequence it applied)."""

    consumer = models.CharField(max_length=100, unique=True, verbose_name=_("consumer"))
    sequence = models.BigIntegerField(default=0, verbose_name=_("sequence"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("consumer position")
        verbose_name_plural = _("consumer positions")

    def __str__(self) -> str:
        return f"{self.consumer}@{self.sequence}"
