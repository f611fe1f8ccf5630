"""The country's chip-signing PKI (ICAO Doc 9303 part 12): a Country Signing CA (CSCA), Document Signers (DS) with
short issuing periods, the CRL and the CSCA master list.

- The CSCA key (EC P-384) and certificate are PEM files in ``DANCU_CSCA_DIR`` (kept apart from the database: an
  operator mounts them from an HSM export or a secret store; the embedded default generates them on first use, never
  in the repository). A master-list signer certificate issued by the CSCA lives beside them.
- Document Signers (EC P-256) are rows of :class:`~dancu.cards.models.DocumentSigner`, their keys sealed under
  ``document-signer-keys.json``; ``dancu cards pki rotate`` starts a new issuing period. A DS signs chips for
  ``ISSUING_PERIOD``; its certificate stays valid for as long as the cards it signed can be read.
- The CRL and the master list are published under ``DANCU_PKI_PUBLIC_DIR`` (files the gateway reads) and at
  ``/pki/csca.crl`` and ``/pki/masterlist.ml`` on the web side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dancu.cards.models import DocumentSigner
from dancu.core.chip.sod import build_master_list
from dancu.core.crypto import SecretBox
from dancu.core.errors import DomainError

COUNTRY = "VN"
ORGANISATION = "Bo Cong an"
CSCA_VALIDITY = timedelta(days=15 * 365)
#: A DS signs for three months (ICAO recommends a short private-key usage period) ...
ISSUING_PERIOD = timedelta(days=90)
#: ... and its certificate outlives the longest card it may have signed (issued at 14, renewed at 25).
DS_VALIDITY = timedelta(days=12 * 365)
CRL_VALIDITY = timedelta(days=30)
#: documentTypeList (ICAO 9303 part 12, 7.1.1.3): this DS signs identity cards ("ID").
DOCUMENT_TYPE_LIST = x509.ObjectIdentifier("2.23.136.1.1.6")
#: Extended key usage of a master-list signer (ICAO 9303 part 12, 7.1.1.4).
MASTER_LIST_SIGNER = x509.ObjectIdentifier("2.23.136.1.1.9")


@dataclass(frozen=True)
class Authority:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def _csca_dir() -> Path:
    return Path(settings.DANCU_CSCA_DIR)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    tmp.replace(path)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, COUNTRY),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _load_authority(key_path: Path, cert_path: Path) -> Authority:
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise DomainError("csca_key_invalid", "The CSCA key must be an EC key.")
    return Authority(key, x509.load_pem_x509_certificate(cert_path.read_bytes()))


def _create_csca(directory: Path) -> None:
    now = datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP384R1())
    name = _name("CSCA Viet Nam")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CSCA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA384())
    )
    _write_private(directory / "csca-key.pem", _pem_key(key))
    (directory / "csca.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    authority = Authority(key, certificate)
    ml_key = ec.generate_private_key(ec.SECP256R1())
    ml_certificate = _issue(
        authority,
        ml_key,
        "Master List Signer Viet Nam",
        now - timedelta(minutes=5),
        now + CSCA_VALIDITY - timedelta(days=1),
        extended_usage=MASTER_LIST_SIGNER,
    )
    _write_private(directory / "masterlist-signer-key.pem", _pem_key(ml_key))
    (directory / "masterlist-signer.pem").write_bytes(ml_certificate.public_bytes(serialization.Encoding.PEM))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _issue(
    authority: Authority,
    key: ec.EllipticCurvePrivateKey,
    common_name: str,
    not_before: datetime,
    not_after: datetime,
    *,
    usage_until: datetime | None = None,
    extended_usage: x509.ObjectIdentifier | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if usage_until is not None:
        builder = builder.add_extension(x509.PrivateKeyUsagePeriod(not_before, usage_until), critical=False)
        # documentTypeList ::= SEQUENCE { version INTEGER (0), docTypeList SET OF PrintableString } -> {0, {"ID"}}
        builder = builder.add_extension(
            x509.UnrecognizedExtension(DOCUMENT_TYPE_LIST, bytes.fromhex("300a020100310513024944")), critical=False
        )
    if extended_usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([extended_usage]), critical=True)
    return builder.sign(authority.key, hashes.SHA384())


@lru_cache(maxsize=4)
def _authorities(directory: str) -> tuple[Authority, Authority]:
    path = Path(directory)
    if not (path / "csca-key.pem").exists():
        _create_csca(path)
    return (
        _load_authority(path / "csca-key.pem", path / "csca.pem"),
        _load_authority(path / "masterlist-signer-key.pem", path / "masterlist-signer.pem"),
    )


def csca() -> Authority:
    """The CSCA (created on first use where no key file exists: the embedded default)."""
    return _authorities(settings.DANCU_CSCA_DIR)[0]


def master_list_signer() -> Authority:
    return _authorities(settings.DANCU_CSCA_DIR)[1]


def csca_certificates() -> list[bytes]:
    """DER certificates of every CSCA the country publishes (with a rolled-over CSCA, its link certificates too:
    files ``csca-*.pem`` beside the active one)."""
    own = csca().certificate.public_bytes(serialization.Encoding.DER)
    extra = [
        x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(serialization.Encoding.DER)
        for p in sorted(_csca_dir().glob("csca-*.pem"))
        if p.name != "csca-key.pem"
    ]
    return [own, *extra]


def _box() -> SecretBox:
    return SecretBox(Path(settings.DANCU_KEYS_DIR) / "document-signer-keys.json")


@transaction.atomic
def rotate_document_signer(*, now: datetime | None = None) -> DocumentSigner:
    """Start a new issuing period: a new DS key and certificate; the previous DS stops signing now."""
    moment = now or timezone.now()
    DocumentSigner.objects.filter(issuing_until__gt=moment).update(issuing_until=moment)
    key = ec.generate_private_key(ec.SECP256R1())
    not_before = moment - timedelta(minutes=5)
    until = moment + ISSUING_PERIOD
    certificate = _issue(
        csca(),
        key,
        f"Document Signer Viet Nam {moment:%Y%m%d%H%M%S}",
        not_before,
        moment + DS_VALIDITY,
        usage_until=until,
    )
    serial = format(certificate.serial_number, "x")
    sealed = _box().seal(serial.encode(), _pem_key(key))
    signer = DocumentSigner.objects.create(
        serial=serial,
        certificate=certificate.public_bytes(serialization.Encoding.DER),
        private_key=sealed,
        issuing_from=moment,
        issuing_until=until,
        created_at=moment,
    )
    transaction.on_commit(publish)
    return signer


def current_document_signer() -> DocumentSigner:
    """The DS of the current issuing period; a new one is started when the last period is over."""
    now = timezone.now()
    signer = (
        DocumentSigner.objects.filter(issuing_from__lte=now, issuing_until__gt=now, revoked_at__isnull=True)
        .order_by("-issuing_from")
        .first()
    )
    return signer or rotate_document_signer(now=now)


@lru_cache(maxsize=16)
def _signer_key(serial: str, sealed: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(_box().open(serial.encode(), sealed), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def signer_key(signer: DocumentSigner) -> ec.EllipticCurvePrivateKey:
    return _signer_key(signer.serial, bytes(signer.private_key))


@transaction.atomic
def revoke_document_signer(serial: str) -> DocumentSigner:
    """Put a DS on the CRL (its key is compromised or its issuing went wrong); it stops signing at once."""
    signer = DocumentSigner.objects.select_for_update().filter(serial=serial.lower()).first()
    if signer is None:
        raise DomainError("document_signer_not_found", "No Document Signer has this serial number.", field="serial")
    if signer.revoked_at is None:
        now = timezone.now()
        signer.revoked_at = now
        signer.issuing_until = min(signer.issuing_until, now)
        signer.save(update_fields=["revoked_at", "issuing_until"])
        transaction.on_commit(publish)
    return signer


def crl_der(*, now: datetime | None = None) -> bytes:
    """The CSCA's CRL (DER) with every revoked Document Signer."""
    moment = now or datetime.now(UTC)
    authority = csca()
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority.certificate.subject)
        .last_update(moment)
        .next_update(moment + CRL_VALIDITY)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(authority.key.public_key()), critical=False)
        .add_extension(x509.CRLNumber(int(moment.timestamp())), critical=False)
    )
    for serial, revoked_at in DocumentSigner.objects.filter(revoked_at__isnull=False).values_list(
        "serial", "revoked_at"
    ):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(serial, 16)).revocation_date(revoked_at).build()
        )
    return builder.sign(authority.key, hashes.SHA384()).public_bytes(serialization.Encoding.DER)


def master_list_der() -> bytes:
    """The CSCA master list: CMS SignedData (2.23.136.1.1.2) signed by the master-list signer."""
    signer = master_list_signer()
    return build_master_list(
        csca_certificates(),
        signer_certificate=signer.certificate.public_bytes(serialization.Encoding.DER),
        signer_key=signer.key,
    )


def publish(directory: str | None = None) -> Path:
    """Write ``masterlist.ml`` and ``csca.crl`` for the gateway and the web side to serve."""
    target = Path(directory or settings.DANCU_PKI_PUBLIC_DIR)
    target.mkdir(parents=True, exist_ok=True)
    for name, data in (("masterlist.ml", master_list_der()), ("csca.crl", crl_der())):
        tmp = target / f".{name}.{os.getpid()}"
        tmp.write_bytes(data)
        tmp.replace(target / name)
    return target
