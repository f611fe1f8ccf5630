"""Dossier attachments in the content-addressed file store: written before the declaration's transaction, read back
checked against their digest (a file altered or lost on disk is refused, and `dancu attachments check` names it),
unreferenced files (declarations refused after the file was stored) removed by `dancu attachments gc`; and the
database store, which keeps the file in the row."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from dancu.accounts.models import Account
from dancu.core.errors import DomainError
from dancu.procedures import attachments, linked
from dancu.procedures.models import Attachment, Dossier
from tests import factories

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n" + b"birth certificate " * 100


@pytest.fixture(autouse=True)
def _var(settings: Any, tmp_path: Any) -> None:
    settings.VAR_DIR = tmp_path
    settings.DANCU_ATTACHMENTS_DIR = ""
    settings.DANCU_ATTACHMENT_STORE = "files"


@pytest.fixture
def mother() -> Account:
    person = factories.person(full_name="Đỗ Thị Lan", sex="F", birth_date=date(1995, 4, 2), residence="00004")
    return factories.account(person, phone="")


def _declare(account: Account, name: str = "Vũ Minh An", content: bytes = PDF) -> Any:
    return linked.declare_birth(
        account, child_full_name=name, child_sex="M", child_birth_date=timezone.localdate() - timedelta(days=2),
        child_birth_commune="00004", requester_relationship="mother",
        birth_certificate=attachments.Upload("birth_certificate", "application/pdf", content),
    )  # fmt: skip


def _officer() -> Client:
    client = Client()
    client.force_login(factories.official("hotich-a", role="civil_status_officer"))
    return client


def test_the_file_is_stored_outside_the_row_and_read_back_checked(settings: Any, mother: Account) -> None:
    case = _declare(mother)
    row = Attachment.objects.get(dossier__case=case)
    assert row.stored and bytes(row.content) == b""
    on_disk = Path(settings.VAR_DIR) / "attachments" / row.stored
    assert on_disk.read_bytes() == PDF and row.stored.endswith(row.sha256)
    birth = Dossier.objects.get(case=case, procedure__code=linked.BIRTH)
    officer = _officer()
    response = officer.get(f"/ho-so/{birth.pk}/tep/{row.pk}/")
    assert response.status_code == 200 and response.content == PDF

    on_disk.write_bytes(PDF.replace(b"birth", b"forge"))  # altered on disk
    with pytest.raises(DomainError) as damaged:
        attachments.read(row)
    assert damaged.value.code == "attachment_damaged"
    response = officer.get(f"/ho-so/{birth.pk}/tep/{row.pk}/")
    assert response.status_code == 409
    with pytest.raises(CommandError):
        call_command("attachments", "check", stdout=StringIO())
    on_disk.unlink()  # lost
    with pytest.raises(DomainError):
        attachments.read(row)


def test_unreferenced_files_are_collected(settings: Any, mother: Account) -> None:
    kept = _declare(mother)
    refused_bytes = PDF + b"other"
    with pytest.raises(DomainError) as refused:  # the same child again: refused after its file was stored
        _declare(mother, content=refused_bytes)
    assert refused.value.code == "birth_already_declared"
    root = Path(settings.VAR_DIR) / "attachments"
    orphan = root / attachments.name_for(hashlib.sha256(refused_bytes).hexdigest())
    assert orphan.exists()
    out = StringIO()
    call_command("attachments", "gc", stdout=out)  # younger than 24 h: kept (it may be about to be referenced)
    assert "deleted 0" in out.getvalue() and orphan.exists()
    crashed = orphan.parent / ".incoming-k3j2h1"  # a write interrupted by a crash
    crashed.write_bytes(b"%PDF-1.7 half")
    old = time.time() - 2 * 86400
    for path in root.glob("*/*/*"):
        os.utime(path, (old, old))
    call_command("attachments", "gc", stdout=out)
    assert not orphan.exists() and not crashed.exists()
    row = Attachment.objects.get(dossier__case=kept)
    assert attachments.read(row) == PDF, "the referenced file stays"
    call_command("attachments", "check", stdout=out)


def test_the_same_bytes_are_stored_once_and_refreshed(settings: Any, mother: Account) -> None:
    _declare(mother)
    root = Path(settings.VAR_DIR) / "attachments"
    (path,) = list(root.glob("*/*/*"))
    old = time.time() - 2 * 86400
    os.utime(path, (old, old))
    _declare(mother, name="Vũ Minh Anh")  # a twin, the same certificate file
    assert list(root.glob("*/*/*")) == [path]
    assert path.stat().st_mtime > old, "re-used: fresh again, so gc leaves it"
    assert Attachment.objects.filter(stored=attachments.name_for(path.name)).count() == 2


def test_the_database_store_keeps_the_file_in_the_row(settings: Any, mother: Account) -> None:
    settings.DANCU_ATTACHMENT_STORE = "database"
    case = _declare(mother)
    row = Attachment.objects.get(dossier__case=case)
    assert row.stored == "" and bytes(row.content) == PDF and attachments.read(row) == PDF
    assert not (Path(settings.VAR_DIR) / "attachments").exists()


@pytest.mark.parametrize("kind", ["files", "database"])
def test_a_held_file_is_read_back_by_its_digest_and_collected_if_never_sent(settings: Any, kind: str) -> None:
    """A file kept for a declaration that came back with errors (the portal's held uploads)."""
    settings.DANCU_ATTACHMENT_STORE = kind
    digest = attachments.hold(PDF)
    assert digest == hashlib.sha256(PDF).hexdigest() and attachments.held(digest) == PDF
    for wrong in ("0" * 64, "../../etc/passwd", ""):
        with pytest.raises(DomainError) as expired:
            attachments.held(wrong)
        assert expired.value.code == "attachment_expired"
    path = Path(settings.VAR_DIR) / "attachments" / attachments.name_for(digest)
    old = time.time() - 2 * 86400
    os.utime(path, (old, old))
    call_command("attachments", "gc", stdout=StringIO())
    assert not path.exists()
    with pytest.raises(DomainError):
        attachments.held(digest)
