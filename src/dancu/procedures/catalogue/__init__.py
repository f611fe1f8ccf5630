"""The procedure catalogue's data file and its loader."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

CATALOGUE = Path(__file__).with_name("procedures.json")


@transaction.atomic
def load_catalogue(path: Path = CATALOGUE) -> tuple[int, int]:
    """Create or update every procedure and group of the file (idempotent); returns their counts."""
    from dancu.procedures.models import Procedure, ProcedureGroup

    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for item in data["procedures"]:
        Procedure.objects.update_or_create(code=item["code"], defaults={k: v for k, v in item.items() if k != "code"})
    known = set(Procedure.objects.values_list("code", flat=True))
    for group in data["groups"]:
        missing = {m["procedure"] for m in group["members"]} - known
        if missing:
            raise ValueError(f"group {group['code']} names unknown procedures: {sorted(missing)}")
        ProcedureGroup.objects.update_or_create(
            code=group["code"], defaults={k: v for k, v in group.items() if k != "code"}
        )
    # The linked groups' event consumer starts at the end of the log: no dossier existed before the catalogue.
    from dancu.events.models import ConsumerOffset
    from dancu.events.services import last_sequence
    from dancu.procedures.consumers import CONSUMER

    ConsumerOffset.objects.get_or_create(consumer=CONSUMER, defaults={"sequence": last_sequence()})
    return len(data["procedures"]), len(data["groups"])
