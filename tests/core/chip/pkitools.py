"""A small CSCA / Document Signer PKI and a chip built with it, in plain Python (no Django), for core's tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dancu.core.chip import lds, mrz
from dancu.core.chip.sod import build_sod

DER = serialization.Encoding.DER
SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"), x509.NameAttribute(NameOID.COMMON_NAME, common)])


def usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(signer, False, False, False, False, not signer, not signer, False, False)


def make_ca(common: str = "Test CSCA") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(common))
        .issuer_name(name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(signer=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_ds(
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    *,
    key_usage: x509.KeyUsage | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("Test DS"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(days=1))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(key_usage or usage(signer=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def crl(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, serials: list[int]) -> bytes:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + timedelta(days=30))
    )
    for serial in serials:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
        )
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(DER)


@dataclass
class BuiltChip:
    groups: dict[int, bytes]
    sod: bytes
    aa_key: ec.EllipticCurvePrivateKey
    ca_key: ec.EllipticCurvePrivateKey
    ca_cert: x509.Certificate
    ds_key: ec.EllipticCurvePrivateKey
    ds_cert: x509.Certificate
    extra: dict[str, bytes] = field(default_factory=dict)

    def files(self) -> list[bytes]:
        return list(self.groups.values())


def make_chip(
    ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None,
    ds: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None,
) -> BuiltChip:
    ca_key, ca_cert = ca or make_ca()
    ds_key, ds_cert = ds or make_ds(ca_key, ca_cert)
    aa_key = ec.generate_private_key(ec.SECP256R1())
    line = mrz.td1(
        pin="001090000123",
        family_name="Nguyễn",
        given_names="Văn An",
        birth_date=date(1990, 5, 17),
        sex="M",
        expires_on=date(2030, 5, 17),
    )
    groups = {
        1: lds.dg1(line),
        13: lds.dg13({"pin": "001090000123", "full_name": "Nguyễn Văn An", "issued_on": "01/06/2021"}),
        15: lds.dg15(aa_key.public_key().public_bytes(*SPKI)),
    }
    sod = build_sod(groups, signer_certificate=ds_cert.public_bytes(DER), signer_key=ds_key)
    return BuiltChip(groups, sod, aa_key, ca_key, ca_cert, ds_key, ds_cert)
