"""Passive and active authentication in core: every failure at its own step, with a PKI made in the test."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms
from asn1crypto import core as asn1
from cryptography.hazmat.primitives.asymmetric import ec

from dancu.core.chip import lds
from dancu.core.chip.sod import LDS_SECURITY_OBJECT, build_sod, signed_data
from dancu.core.chip.verify import (
    MAX_SOD_BYTES,
    ChallengeGuard,
    ChipError,
    TrustStore,
    aa_sign,
    active_authentication,
    passive_authentication,
)
from tests.core.chip.pkitools import DER, crl, make_ca, make_chip, make_ds, usage


@pytest.fixture(scope="module")
def chip():
    return make_chip()


@pytest.fixture(scope="module")
def trust(chip):
    return TrustStore.build([chip.ca_cert.public_bytes(DER)], [crl(chip.ca_key, chip.ca_cert, [])])


def code_of(call) -> str:
    with pytest.raises(ChipError) as caught:
        call()
    return caught.value.code


def test_genuine_chip_passes(chip, trust):
    result = passive_authentication(chip.sod, chip.files(), trust)
    assert result.data_groups == (1, 13, 15)
    assert result.hash_algorithm == "sha256"
    assert result.ds_serial == chip.ds_cert.serial_number


def test_one_byte_of_dg13_changed(chip, trust):
    dg13 = bytearray(chip.groups[13])
    dg13[-1] ^= 0x01
    files = [chip.groups[1], bytes(dg13)]
    assert code_of(lambda: passive_authentication(chip.sod, files, trust)) == "dg_hash_mismatch"


def _replace_content(sod: bytes, content: bytes) -> bytes:
    info = cms.ContentInfo.load(lds.unwrap(sod, lds.SOD_TAG))
    info["content"]["encap_content_info"]["content"] = asn1.ParsableOctetString(content)
    return lds.tlv(lds.SOD_TAG, info.dump(force=True))


def test_hash_list_rewritten(chip, trust):
    from dancu.core.chip.sod import lds_security_object

    forged = dict(chip.groups)
    forged[13] = lds.dg13({"pin": "001090000123", "full_name": "Kẻ Giả Mạo"})
    sod = _replace_content(chip.sod, lds_security_object(forged))
    files = [forged[1], forged[13]]
    assert code_of(lambda: passive_authentication(sod, files, trust)) == "sod_digest_mismatch"


def test_self_made_document_signer(chip, trust):
    rogue = make_chip(ca=make_ca("Rogue CSCA"))
    assert code_of(lambda: passive_authentication(rogue.sod, rogue.files(), trust)) == "ds_chain_invalid"


def test_document_signer_claiming_the_csca_name(chip, trust):
    rogue_key, _ = make_ca("Test CSCA")  # same subject as the real CSCA, other key
    ds = make_ds(rogue_key, chip.ca_cert)
    forged = make_chip(ca=(chip.ca_key, chip.ca_cert), ds=ds)
    assert code_of(lambda: passive_authentication(forged.sod, forged.files(), trust)) == "ds_chain_invalid"


def test_revoked_document_signer(chip):
    store = TrustStore.build(
        [chip.ca_cert.public_bytes(DER)], [crl(chip.ca_key, chip.ca_cert, [chip.ds_cert.serial_number])]
    )
    assert code_of(lambda: passive_authentication(chip.sod, chip.files(), store)) == "ds_revoked"


def test_crl_not_signed_by_the_csca(chip):
    other_key, _ = make_ca("Test CSCA")
    bad = crl(other_key, chip.ca_cert, [])
    assert code_of(lambda: TrustStore.build([chip.ca_cert.public_bytes(DER)], [bad])) == "crl_signature_invalid"


def test_signature_changed(chip, trust):
    info = cms.ContentInfo.load(lds.unwrap(chip.sod, lds.SOD_TAG))
    signer = info["content"]["signer_infos"][0]
    other = ec.generate_private_key(ec.SECP256R1())
    signer["signature"] = other.sign(
        b"something else", ec.ECDSA(__import__("cryptography").hazmat.primitives.hashes.SHA256())
    )
    sod = lds.tlv(lds.SOD_TAG, info.dump(force=True))
    assert code_of(lambda: passive_authentication(sod, chip.files(), trust)) == "sod_signature_invalid"


def test_dg_missing_from_sod(chip, trust):
    files = [*chip.files(), lds.dg2(b"\xff\xd8jpeg", 1, 1)]
    assert code_of(lambda: passive_authentication(chip.sod, files, trust)) == "dg_missing_from_sod"


def test_unknown_data_group_tag(chip, trust):
    files = [*chip.files()[:2], lds.tlv(0x63, b"dg3")]
    assert code_of(lambda: passive_authentication(chip.sod, files, trust)) == "dg_unknown"


def test_required_group_absent(chip, trust):
    assert code_of(lambda: passive_authentication(chip.sod, [chip.groups[13]], trust)) == "dg_required"


def test_sha1_hash_list_refused(chip, trust):
    values = [
        {"data_group_number": n, "data_group_hash_value": hashlib.sha1(d).digest()} for n, d in chip.groups.items()
    ]
    from dancu.core.chip.sod import LDSSecurityObject

    content = LDSSecurityObject(
        {"version": 0, "hash_algorithm": {"algorithm": "sha1"}, "data_group_hash_values": values}
    ).dump()
    sod = lds.tlv(
        lds.SOD_TAG,
        signed_data(
            content_type=LDS_SECURITY_OBJECT,
            content=content,
            signer_certificate=chip.ds_cert.public_bytes(DER),
            signer_key=chip.ds_key,
        ),
    )
    assert code_of(lambda: passive_authentication(sod, chip.files(), trust)) == "hash_algorithm_not_allowed"


def test_document_signer_with_certificate_signing_usage(chip, trust):
    ds = make_ds(chip.ca_key, chip.ca_cert, key_usage=usage(signer=False))
    forged = make_chip(ca=(chip.ca_key, chip.ca_cert), ds=ds)
    assert code_of(lambda: passive_authentication(forged.sod, forged.files(), trust)) == "ds_key_usage_invalid"


def test_signed_outside_the_document_signer_validity(chip, trust):
    when = datetime.now(UTC) - timedelta(days=400)
    sod = build_sod(
        chip.groups, signer_certificate=chip.ds_cert.public_bytes(DER), signer_key=chip.ds_key, signing_time=when
    )
    assert code_of(lambda: passive_authentication(sod, chip.files(), trust)) == "ds_not_valid_on_signing_date"


def test_signing_time_in_the_future(chip, trust):
    when = datetime.now(UTC) + timedelta(days=2)
    sod = build_sod(
        chip.groups, signer_certificate=chip.ds_cert.public_bytes(DER), signer_key=chip.ds_key, signing_time=when
    )
    assert code_of(lambda: passive_authentication(sod, chip.files(), trust)) == "sod_signing_time_invalid"


def test_huge_sod_refused_before_parsing(chip, trust):
    huge = b"\x77\x84" + (50 * 1024 * 1024).to_bytes(4, "big") + bytes(MAX_SOD_BYTES)
    assert code_of(lambda: passive_authentication(huge, chip.files(), trust)) == "sod_too_large"


@pytest.mark.parametrize("sod", [b"", b"\x77", b"\x77\x00", b"\x30\x03\x02\x01\x00", b"\x77\x05\x30\x03\x02\x01\x00"])
def test_malformed_sod(sod, chip, trust):
    assert code_of(lambda: passive_authentication(sod, chip.files(), trust)) == "sod_malformed"


def test_active_authentication_and_replay(chip):
    guard = ChallengeGuard()
    challenge = bytes.fromhex("0102030405060708")
    answer = aa_sign(chip.aa_key, challenge)
    active_authentication(chip.groups[15], challenge, answer, guard)
    with pytest.raises(ChipError) as replay:
        active_authentication(chip.groups[15], challenge, answer, guard)
    assert (replay.value.code, replay.value.step) == ("aa_challenge_replayed", "active_authentication")


def test_active_authentication_with_another_key(chip):
    challenge = bytes.fromhex("1112131415161718")
    answer = aa_sign(ec.generate_private_key(ec.SECP256R1()), challenge)
    assert code_of(lambda: active_authentication(chip.groups[15], challenge, answer, None)) == "aa_signature_invalid"


def test_active_authentication_challenge_size(chip):
    assert code_of(lambda: active_authentication(chip.groups[15], b"\x01", b"", None)) == "aa_challenge_invalid"


def test_sod_template_gives_the_asn1_encoding(chip):
    """build_sod's per-signer template gives the bytes asn1crypto's SignedData does (the signature apart: ECDSA draws
    a random number)."""
    from dancu.core.chip.sod import lds_security_object

    when = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    fast = build_sod(chip.groups, signer_certificate=chip.ds_cert.public_bytes(DER), signer_key=chip.ds_key,
                     signing_time=when)  # fmt: skip
    reference = signed_data(content_type=LDS_SECURITY_OBJECT, content=lds_security_object(chip.groups),
                            signer_certificate=chip.ds_cert.public_bytes(DER), signer_key=chip.ds_key,
                            signing_time=when)  # fmt: skip

    def unsigned(der: bytes) -> bytes:
        info = cms.ContentInfo.load(der)
        info["content"]["signer_infos"][0]["signature"] = b""
        return bytes(info.dump())  # unchanged parts keep their own bytes

    assert unsigned(lds.unwrap(fast, lds.SOD_TAG)) == unsigned(reference)
