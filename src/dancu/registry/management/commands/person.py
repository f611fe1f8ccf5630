"""``dancu person PIN [--as-of YYYY-MM-DD] [--history]``: a person's record (or history) as JSON, for operators."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dancu.core.errors import DomainError
from dancu.core.pin import parse_pin
from dancu.registry import history, presenters


class Command(BaseCommand):
    help = "Print a person's current record, their record as of a date, or their event history, as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("pin")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--as-of", type=dt.date.fromisoformat, help="The record as it stood on this date.")
        group.add_argument("--history", action="store_true", help="Every event about the person.")

    def handle(self, *args: Any, **options: Any) -> None:
        pin = options["pin"]
        try:
            parse_pin(pin)
        except DomainError as error:
            raise CommandError(f"{error.code}: {error.message}") from None
        record = presenters.person_record(pin)
        if record is None:
            raise CommandError("person_not_found: No person with this personal ID number.")
        if options["history"]:
            output: Any = [presenters.event_dict(e) for e in history.person_events(pin)]
        elif options["as_of"]:
            output = {"as_of": options["as_of"].isoformat(), "record": history.record_as_of(pin, options["as_of"])}
        else:
            output = record
        self.stdout.write(json.dumps(output, ensure_ascii=False, indent=2, default=str))
