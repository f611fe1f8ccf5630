"""The family the linked procedures are declared for: a mother with her e-ID account, the father."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests import factories


@pytest.fixture
def family(db: None) -> dict[str, Any]:
    mother = factories.person(full_name="Đỗ Thị Lan", sex="F", birth_date=date(1995, 4, 2), residence="00004")
    father = factories.person(full_name="Vũ Minh Đức", sex="M", birth_date=date(1993, 9, 9))
    return {"mother": mother, "father": father, "account": factories.account(mother)}
