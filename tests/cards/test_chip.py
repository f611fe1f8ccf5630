"""Personalisation at card issue, checked independently: openssl verifies the SOD; each tampering fails at its step;
the card is checked against the registry (cancelled after a death, superseded by a newer card)."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dancu.cards import chip as chips
from dancu.cards import pki, verification
from dancu.cards.services import cancel_cards, issue_card
from dancu.core.chip import lds, mrz
from dancu.core.chip.verify import ChallengeGuard, ChipError, TrustStore, load_master_list
from dancu.core.errors import DomainError
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(pki_dirs):
    holder = factories.person(full_name="Đặng Thị Ánh", sex="F", residence="00004")
    return issue_card(pin=holder.pin, issued_on=date(2021, 6, 1), actor="t")


def _openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=False, timeout=30)


def test_issue_personalises_the_chip(card):
    chip = card.chip
    dg13 = lds.read_dg13(bytes(chip.dg13))
    assert dg13["pin"] == card.number
    assert dg13["full_name"] == "Đặng Thị Ánh"
    assert dg13["issued_on"] == "01/06/2021"
    assert dg13["sex"] == "Nữ"
    line = lds.read_dg1(bytes(chip.dg1))
    assert line[5:14] == card.number[-9:] and line[14] == mrz.check_digit(card.number[-9:])
    assert line[60:].startswith("DANG<<THI<ANH")
    assert bytes(chip.dg2)[:1] == b"\x75" and b"\xff\xd8" in bytes(chip.dg2)  # a JPEG inside the facial record
    assert chip.qr_payload.startswith(f"{card.number}||Đặng Thị Ánh|")
    assert chips.portrait(card.person_id) == chips.portrait(card.person_id)
    verdict = verification.verify_chip(bytes(chip.sod), chip.data_groups().values())
    assert verdict.valid, verdict.reasons
    assert verdict.outdated_fields == []


def test_openssl_verifies_the_sod_and_master_list(card, tmp_path):
    csca = tmp_path / "csca.pem"
    csca.write_bytes(pki.csca().certificate.public_bytes(serialization.Encoding.PEM))
    sod = tmp_path / "sod.der"
    sod.write_bytes(lds.unwrap(bytes(card.chip.sod), lds.SOD_TAG))
    out = tmp_path / "lds.der"
    done = _openssl("cms", "-verify", "-inform", "DER", "-in", str(sod), "-CAfile", str(csca), "-purpose", "any",
                    "-out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    assert b"Verification successful" in done.stderr
    assert out.read_bytes()[:1] == b"\x30"  # the LDSSecurityObject
    master_list = tmp_path / "ml.der"
    master_list.write_bytes(pki.master_list_der())
    done = _openssl("cms", "-verify", "-inform", "DER", "-in", str(master_list), "-CAfile", str(csca), "-purpose",
                    "any", "-out", str(tmp_path / "ml.content"))  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    tampered = bytearray(sod.read_bytes())
    tampered[-10] ^= 0x01  # inside the signature
    sod.write_bytes(bytes(tampered))
    done = _openssl("cms", "-verify", "-inform", "DER", "-in", str(sod), "-CAfile", str(csca), "-purpose", "any",
                    "-out", str(out))  # fmt: skip
    assert done.returncode != 0


def test_openssl_reads_the_crl_and_certificates(card, tmp_path):
    crl = tmp_path / "csca.crl"
    crl.write_bytes(pki.crl_der())
    csca = tmp_path / "csca.pem"
    csca.write_bytes(pki.csca().certificate.public_bytes(serialization.Encoding.PEM))
    done = _openssl("crl", "-inform", "DER", "-in", str(crl), "-CAfile", str(csca), "-noout")
    assert done.returncode == 0, done.stderr.decode()
    ds = x509.load_der_x509_certificate(bytes(card.chip.signer.certificate))
    assert ds.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ds.extensions.get_extension_for_oid(pki.DOCUMENT_TYPE_LIST).value.value == bytes.fromhex(
        "300a020100310513024944"
    )


def test_master_list_and_crl_are_published(card, pki_dirs):
    folder = pki.publish()
    certificates = load_master_list((folder / "masterlist.ml").read_bytes())
    assert certificates == pki.csca_certificates()
    TrustStore.build(certificates, [(folder / "csca.crl").read_bytes()])


def test_revoked_document_signer(card):
    pki.revoke_document_signer(card.chip.signer.serial)
    with pytest.raises(ChipError) as failed:
        verification.verify_chip(bytes(card.chip.sod), card.chip.data_groups().values())
    assert failed.value.code == "ds_revoked"


def test_rotation_starts_a_new_signer(card):
    first = card.chip.signer
    second = pki.rotate_document_signer()
    assert second.serial != first.serial
    assert pki.current_document_signer() == second
    holder = factories.person(residence="00004")
    newer = issue_card(pin=holder.pin, issued_on=date(2022, 1, 1), actor="t")
    assert newer.chip.signer == second
    assert verification.verify_chip(bytes(card.chip.sod), card.chip.data_groups().values()).valid


def test_one_byte_of_dg13_changed(card):
    groups = card.chip.data_groups()
    dg13 = bytearray(groups[13])
    dg13[-3] ^= 0x20
    groups[13] = bytes(dg13)
    with pytest.raises(ChipError) as failed:
        verification.verify_chip(bytes(card.chip.sod), groups.values())
    assert (failed.value.code, failed.value.step) == ("dg_hash_mismatch", "data_groups")


def test_replayed_challenge(card):
    guard = ChallengeGuard()
    challenge = bytes.fromhex("a1a2a3a4a5a6a7a8")
    answer = chips.answer_challenge(card.chip, challenge)
    files = card.chip.data_groups().values()
    assert verification.verify_chip(bytes(card.chip.sod), files, challenge=challenge, aa_signature=answer, guard=guard)
    with pytest.raises(ChipError) as failed:
        verification.verify_chip(bytes(card.chip.sod), files, challenge=challenge, aa_signature=answer, guard=guard)
    assert failed.value.code == "aa_challenge_replayed"


def test_card_cancelled_after_a_death(card):
    cancel_cards(pin=card.number, reason="death", actor="t")
    verdict = verification.verify_chip(bytes(card.chip.sod), card.chip.data_groups().values())
    assert not verdict.valid
    assert verdict.reasons == ["card_cancelled"]


def test_card_superseded_by_a_newer_one(card):
    issue_card(pin=card.number, issued_on=date(2024, 3, 1), actor="t")
    verdict = verification.verify_chip(bytes(card.chip.sod), card.chip.data_groups().values())
    assert verdict.reasons == ["card_superseded"]


def test_outdated_fields_after_a_change(card):
    person = card.person
    person.full_name = "Đặng Thị Ánh Hồng"
    person.save(update_fields=["full_name"])
    verdict = verification.verify_chip(bytes(card.chip.sod), card.chip.data_groups().values())
    assert verdict.valid
    assert verdict.outdated_fields == ["full_name"]


def test_chip_of_an_unknown_card(pki_dirs):
    with pytest.raises(DomainError) as failed:
        chips.chip_for("001090999999")
    assert failed.value.code == "card_not_found"
