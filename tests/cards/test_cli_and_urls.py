"""``dancu cards`` (PKI, simulated chip) and the public master list and CRL URLs."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from dancu.cards import pki
from dancu.cards.models import DocumentSigner
from dancu.cards.services import issue_card
from dancu.core.chip import lds
from dancu.core.chip.verify import (
    ChallengeGuard,
    TrustStore,
    active_authentication,
    load_master_list,
    passive_authentication,
)
from tests import factories

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("cards", *args, stdout=out)
    return out.getvalue()


def test_simulated_chip_files_verify_and_answer_challenges(pki_dirs, tmp_path):
    holder = factories.person(residence="00004")
    issue_card(pin=holder.pin, issued_on=date(2021, 6, 1), actor="t")
    assert "7 files" in run("chip", holder.pin, "--out", str(tmp_path / "chip"))
    files = {p.stem: p.read_bytes() for p in (tmp_path / "chip").glob("*.bin")}
    assert set(files) == {"EF.COM", "DG1", "DG2", "DG13", "DG14", "DG15", "EF.SOD"}
    trust = TrustStore.build(load_master_list(pki.master_list_der()), [pki.crl_der()])
    groups = [files[name] for name in ("DG1", "DG2", "DG13", "DG14", "DG15")]
    assert passive_authentication(files["EF.SOD"], groups, trust).data_groups == (1, 2, 13, 14, 15)
    answer = bytes.fromhex(run("chip", holder.pin, "--challenge", "0011223344556677").strip())
    active_authentication(files["DG15"], bytes.fromhex("0011223344556677"), answer, ChallengeGuard())
    assert lds.read_dg13(files["DG13"])["pin"] == holder.pin


def test_chip_of_a_card_issued_without_one_is_personalised_on_demand(pki_dirs, tmp_path):
    from dancu.cards.services import issue_synthetic_cards

    holder = factories.person(birth_date=date(1980, 1, 1))
    assert issue_synthetic_cards(seed=3) >= 1
    run("chip", holder.pin, "--out", str(tmp_path))
    assert (tmp_path / "EF.SOD.bin").exists()


def test_chip_refusals(pki_dirs):
    with pytest.raises(CommandError, match="card_not_found"):
        run("chip", "001090999999", "--challenge", "0011223344556677")
    with pytest.raises(CommandError, match="pin_malformed"):
        run("chip", "12", "--challenge", "00")
    holder = factories.person()
    issue_card(pin=holder.pin, issued_on=date(2021, 6, 1), actor="t")
    with pytest.raises(CommandError, match="aa_challenge_invalid"):
        run("chip", holder.pin, "--challenge", "0011")
    with pytest.raises(CommandError, match="chip_action_required"):
        run("chip", holder.pin)


def test_pki_rotate_revoke_publish(pki_dirs):
    assert "signs until" in run("pki", "rotate")
    signer = DocumentSigner.objects.get()
    assert "revoked" in run("pki", "revoke", signer.serial)
    assert "revoked" in run("pki", "list")
    with pytest.raises(CommandError, match="document_signer_not_found"):
        run("pki", "revoke", "abc")
    folder = run("pki", "publish").strip()
    trust = TrustStore.build(load_master_list((pki_dirs / "pki" / "masterlist.ml").read_bytes()),
                             [(pki_dirs / "pki" / "csca.crl").read_bytes()])  # fmt: skip
    assert folder.endswith("pki")
    assert int(signer.serial, 16) in trust.authorities[0].revoked


def test_public_urls(pki_dirs, client):
    response = client.get("/pki/masterlist.ml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkcs7-mime"
    assert load_master_list(response.content) == pki.csca_certificates()
    response = client.get("/pki/csca.crl")
    assert response.status_code == 200
    TrustStore.build(pki.csca_certificates(), [response.content])
    assert client.get("/pki/csca.cer").status_code == 200
    assert client.post("/pki/csca.crl").status_code == 405
