"""Passive and active authentication of a chip (ICAO Doc 9303 part 11, 5.1 and 6.1), plain Python.

:func:`passive_authentication` checks, in this order, each failure a :class:`ChipError` whose code names the step:

1. sizes (``sod_too_large``, ``dg_too_large``) before anything is parsed;
2. the SOD's structure (``sod_malformed``) and its hash and signature algorithms (``hash_algorithm_not_allowed``);
3. the Document Signer certificate: it chains to a CSCA of the trust store (``ds_chain_invalid``), has the key usage
   of a signer (``ds_key_usage_invalid``), was valid when the SOD was signed (``ds_not_valid_on_signing_date``),
   and is not on its CSCA's CRL (``ds_revoked``);
4. the signed attributes' message digest against the LDSSecurityObject (``sod_digest_mismatch``);
5. the signature over the signed attributes (``sod_signature_invalid``);
6. every data group presented: known tag (``dg_unknown``), listed in the SOD (``dg_missing_from_sod``), equal hash
   (``dg_hash_mismatch``); required groups present (``dg_required``).

:func:`active_authentication` checks a chip's signature over a challenge with the DG15 key (``aa_key_invalid``,
``aa_challenge_invalid``, ``aa_challenge_replayed``, ``aa_signature_invalid``).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import algos, cms, crl, keys, x509
from asn1crypto import core as asn1
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

from dancu.core.chip import lds
from dancu.core.chip.sod import CSCA_MASTER_LIST, HASHES, LDS_SECURITY_OBJECT, CscaMasterList

MAX_SOD_BYTES = 64 * 1024
MAX_DG_BYTES = 512 * 1024
#: How far in the future a signing time may lie (clock skew of the issuing system).
SIGNING_TIME_SKEW = timedelta(minutes=10)

_HASH_OBJECTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_SIGNATURE_HASHES = {
    "sha224_ecdsa": "sha224",
    "sha256_ecdsa": "sha256",
    "sha384_ecdsa": "sha384",
    "sha512_ecdsa": "sha512",
    "sha256_rsa": "sha256",
    "sha384_rsa": "sha384",
    "sha512_rsa": "sha512",
}


class ChipError(Exception):
    """A chip check that failed: ``code`` is stable snake_case, ``step`` the check that failed
    (``input``, ``sod``, ``ds_certificate``, ``signature``, ``data_groups``, ``active_authentication``)."""

    def __init__(self, code: str, step: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.step = step
        self.detail = detail


@dataclass(frozen=True)
class _Authority:
    certificate: x509.Certificate
    public_key: Any
    revoked: frozenset[int]


@dataclass
class TrustStore:
    """The CSCA certificates a verifier trusts and the serials each has revoked (from its CRLs)."""

    authorities: list[_Authority] = field(default_factory=list)
    _signer_cache: dict[bytes, tuple[x509.Certificate, Any, _Authority]] = field(default_factory=dict)

    @classmethod
    def build(cls, csca_certificates: Iterable[bytes], crls: Iterable[bytes] = ()) -> TrustStore:
        """A store from DER CSCA certificates and DER CRLs; a CRL not signed by one of the CSCAs is refused."""
        parsed = [x509.Certificate.load(der) for der in csca_certificates]
        revoked: dict[bytes, set[int]] = {bytes(c.subject.dump()): set() for c in parsed}
        for der in crls:
            crl_object = crl.CertificateList.load(der)
            issuer = bytes(crl_object["tbs_cert_list"]["issuer"].dump())
            authority = next((c for c in parsed if bytes(c.subject.dump()) == issuer), None)
            if authority is None:
                raise ChipError("crl_issuer_unknown", "trust_store")
            try:
                _verify(
                    _public_key(authority),
                    crl_object["signature_algorithm"],
                    bytes(crl_object["signature"].native),
                    bytes(crl_object["tbs_cert_list"].dump()),
                )
            except ChipError as error:
                raise ChipError("crl_signature_invalid", "trust_store") from error
            for entry in crl_object["tbs_cert_list"]["revoked_certificates"]:
                revoked[issuer].add(int(entry["user_certificate"].native))
        return cls([_Authority(c, _public_key(c), frozenset(revoked[bytes(c.subject.dump())])) for c in parsed])

    def signer(self, der: bytes) -> tuple[x509.Certificate, Any, _Authority]:
        """The DS certificate parsed, its public key and the CSCA it chains to (cached: checked once per DS)."""
        cached = self._signer_cache.get(der)
        if cached is not None:
            return cached
        certificate = x509.Certificate.load(der)
        issuer = bytes(certificate.issuer.dump())
        tbs = bytes(certificate["tbs_certificate"].dump())
        signature = bytes(certificate["signature_value"].native)
        for authority in self.authorities:
            if bytes(authority.certificate.subject.dump()) != issuer:
                continue
            try:
                _verify(authority.public_key, certificate["signature_algorithm"], signature, tbs)
            except ChipError:
                continue
            result = (certificate, _public_key(certificate), authority)
            if len(self._signer_cache) < 1024:
                self._signer_cache[der] = result
            return result
        raise ChipError("ds_chain_invalid", "ds_certificate", "the Document Signer does not chain to a trusted CSCA")


@dataclass(frozen=True)
class _Signer:
    """The one SignerInfo of a SignedData, as read from its DER."""

    issuer: bytes  #: the DER of the issuer's Name
    serial: int
    digest_name: str
    signed_attrs: bytes  #: the attributes' TLV as stored ([0] IMPLICIT)
    signature_algorithm: Any  #: asn1crypto SignedDigestAlgorithm
    signature: bytes


def _tlv(data: bytes, offset: int, tag: int | None = None) -> tuple[int, bytes, int, bytes]:
    """``(tag, value, next offset, the whole TLV)`` at ``offset``; with ``tag``, that tag is required."""
    found, value, end = lds.read_tlv(data, offset)
    if tag is not None and found != tag:
        raise lds.LDSError("unexpected tag")
    return found, value, end, data[offset:end]


_OID_SIGNED_DATA = bytes.fromhex("2a864886f70d010702")


def _read_signed_data(der: bytes, content_type: str) -> tuple[bytes, list[bytes], _Signer]:
    """``(encapsulated content, certificates, signer)`` of a ContentInfo with SignedData (RFC 5652) holding one
    signer identified by issuer and serial number, read with the TLV reader (asn1crypto's generic parsing was most
    of a verification's cost); :class:`lds.LDSError` when it is not one."""
    _, info, end, _ = _tlv(der, 0, 0x30)
    if end != len(der):
        raise lds.LDSError("trailing data")
    _, oid, at, _ = _tlv(info, 0, 0x06)
    _, explicit, at, _ = _tlv(info, at, 0xA0)
    if oid != _OID_SIGNED_DATA or at != len(info):
        raise lds.LDSError("not SignedData")
    _, body, end, _ = _tlv(explicit, 0, 0x30)
    if end != len(explicit):
        raise lds.LDSError("trailing data")
    _, _, at, _ = _tlv(body, 0, 0x02)  # version
    _, _, at, _ = _tlv(body, at, 0x31)  # digestAlgorithms
    _, encap, at, _ = _tlv(body, at, 0x30)
    _, encap_type, inner, _ = _tlv(encap, 0, 0x06)
    if encap_type != bytes(asn1.ObjectIdentifier(content_type).dump())[2:]:
        raise lds.LDSError("content type")
    _, wrapped, inner_end, _ = _tlv(encap, inner, 0xA0)
    _, content, wrapped_end, _ = _tlv(wrapped, 0, 0x04)
    if inner_end != len(encap) or wrapped_end != len(wrapped):
        raise lds.LDSError("encapsulated content")
    tag, value, next_at, _ = _tlv(body, at)
    certificates: list[bytes] = []
    if tag == 0xA0:
        offset = 0
        while offset < len(value):
            cert_tag, _, offset, whole = _tlv(value, offset)
            if cert_tag == 0x30:
                certificates.append(whole)
        at = next_at
        tag, value, next_at, _ = _tlv(body, at)
    if tag == 0xA1:  # CRLs
        at = next_at
        tag, value, next_at, _ = _tlv(body, at)
    if tag != 0x31 or next_at != len(body):
        raise lds.LDSError("signer infos")
    _, signer_info, end, _ = _tlv(value, 0, 0x30)
    if end != len(value):
        raise ChipError("sod_malformed", "sod", "exactly one signer expected")
    _, _, at, _ = _tlv(signer_info, 0, 0x02)  # version
    sid_tag, sid, at, _ = _tlv(signer_info, at)
    if sid_tag != 0x30:
        raise ChipError("sod_malformed", "sod", "signer identified by key id")
    _, _, sid_at, issuer = _tlv(sid, 0, 0x30)
    _, serial, sid_end, _ = _tlv(sid, sid_at, 0x02)
    if sid_end != len(sid) or not serial:
        raise lds.LDSError("signer identifier")
    _, digest_algorithm, at, _ = _tlv(signer_info, at, 0x30)
    _, _, oid_end, _ = _tlv(digest_algorithm, 0, 0x06)
    _, _, at, signed_attrs = _tlv(signer_info, at, 0xA0)
    _, _, at, signature_algorithm = _tlv(signer_info, at, 0x30)
    _, signature, at, _ = _tlv(signer_info, at, 0x04)
    if at != len(signer_info):
        _, _, at, _ = _tlv(signer_info, at, 0xA1)  # unsigned attributes
        if at != len(signer_info):
            raise lds.LDSError("trailing data in the signer")
    signer = _Signer(
        issuer=issuer,
        serial=int.from_bytes(serial, "big", signed=True),
        digest_name=_DIGEST_OIDS.get(digest_algorithm[:oid_end], "unknown"),
        signed_attrs=signed_attrs,
        signature_algorithm=algos.SignedDigestAlgorithm.load(signature_algorithm),
        signature=signature,
    )
    return content, certificates, signer


def load_master_list(data: bytes) -> list[bytes]:
    """The CSCA certificates of a master list after checking its signature by a certificate issued by one of them."""
    try:
        content, embedded, signer = _read_signed_data(data, CSCA_MASTER_LIST)
        listing = CscaMasterList.load(content)
        certificates = [bytes(c.dump()) for c in listing["cert_list"]]
    except ChipError as error:
        raise ChipError("master_list_malformed", "master_list") from error
    except Exception as error:
        raise ChipError("master_list_malformed", "master_list") from error
    store = TrustStore.build(certificates)
    for candidate in embedded:
        try:
            _, key, _ = store.signer(candidate)
        except ChipError:
            continue
        _check_signed_attributes(signer, CSCA_MASTER_LIST, content)
        _verify(key, signer.signature_algorithm, signer.signature, _signed_bytes(signer))
        return certificates
    raise ChipError("master_list_signature_invalid", "master_list")


@dataclass(frozen=True)
class PassiveResult:
    """What passive authentication established."""

    signing_time: datetime | None
    hash_algorithm: str
    data_groups: tuple[int, ...]
    ds_serial: int
    ds_subject: str
    sod_hashes: Mapping[int, bytes]


def _public_key(certificate: x509.Certificate) -> Any:
    return load_der_public_key(bytes(certificate.public_key.dump()))


def _verify(public_key: Any, algorithm: Any, signature: bytes, data: bytes) -> None:
    """Check ``signature`` over ``data`` under an asn1crypto SignedDigestAlgorithm; SHA-1 and MD5 are refused."""
    name = algorithm["algorithm"].native
    try:
        if name == "rsassa_pss":
            parameters = algorithm["parameters"]
            hash_name = parameters["hash_algorithm"]["algorithm"].native
            if hash_name not in HASHES:
                raise ChipError("hash_algorithm_not_allowed", "signature")
            hash_object = _HASH_OBJECTS[hash_name]()
            if not isinstance(public_key, rsa.RSAPublicKey):
                raise ChipError("sod_signature_invalid", "signature", "key and algorithm disagree")
            pss = padding.PSS(mgf=padding.MGF1(hash_object), salt_length=int(parameters["salt_length"].native))
            public_key.verify(signature, data, pss, hash_object)
            return
        hash_name = _SIGNATURE_HASHES.get(name, "")
        if not hash_name:
            raise ChipError("hash_algorithm_not_allowed", "signature", "signature algorithm not allowed")
        hash_object = _HASH_OBJECTS[hash_name]()
        if name.endswith("_ecdsa") and isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hash_object))
        elif name.endswith("_rsa") and isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hash_object)
        else:
            raise ChipError("sod_signature_invalid", "signature", "key and algorithm disagree")
    except InvalidSignature as error:
        raise ChipError("sod_signature_invalid", "signature") from error
    except ChipError:
        raise
    except Exception as error:  # malformed signatures or parameters
        raise ChipError("sod_signature_invalid", "signature") from error


def _signed_bytes(signer: _Signer) -> bytes:
    # Signed attributes are stored [0] IMPLICIT; the signature covers them with the SET OF tag (RFC 5652 5.4).
    return b"\x31" + signer.signed_attrs[1:]


_OID_CONTENT_TYPE = bytes.fromhex("06092a864886f70d010903")
_OID_MESSAGE_DIGEST = bytes.fromhex("06092a864886f70d010904")
_OID_SIGNING_TIME = bytes.fromhex("06092a864886f70d010905")


def _attribute_values(signer: _Signer) -> dict[bytes, bytes]:
    """The signed attributes as {encoded OID: encoded single value}, read straight from the DER."""
    _, raw, _ = lds.read_tlv(signer.signed_attrs)
    found: dict[bytes, bytes] = {}
    offset = 0
    while offset < len(raw):
        tag, attribute, offset = lds.read_tlv(raw, offset)
        if tag != 0x30:
            raise ChipError("sod_malformed", "sod", "signed attribute is not a SEQUENCE")
        oid_tag, _, at = lds.read_tlv(attribute)
        set_tag, values, end = lds.read_tlv(attribute, at)
        if oid_tag != 0x06 or set_tag != 0x31 or end != len(attribute):
            raise ChipError("sod_malformed", "sod", "signed attribute malformed")
        _, _, value_end = lds.read_tlv(values)
        if value_end != len(values):
            raise ChipError("sod_malformed", "sod", "a signed attribute has one value")
        key = attribute[:at]
        if key in found:
            raise ChipError("sod_malformed", "sod", "a signed attribute appears twice")
        found[key] = values
    return found


def _check_signed_attributes(signer: _Signer, content_type: str, content: bytes) -> datetime | None:
    digest_name = signer.digest_name
    if digest_name not in HASHES:
        raise ChipError("hash_algorithm_not_allowed", "sod", "digest algorithm not allowed")
    found = _attribute_values(signer)
    if _OID_MESSAGE_DIGEST not in found or _OID_CONTENT_TYPE not in found:
        raise ChipError("sod_malformed", "sod", "signed attributes incomplete")
    if found[_OID_CONTENT_TYPE] != bytes(asn1.ObjectIdentifier(content_type).dump()):
        raise ChipError("sod_malformed", "sod", "content type attribute differs")
    tag, message_digest, _ = lds.read_tlv(found[_OID_MESSAGE_DIGEST])
    if tag != 0x04:
        raise ChipError("sod_malformed", "sod", "message digest is not an OCTET STRING")
    expected = hashlib.new(HASHES[digest_name], content).digest()
    if not hmac.compare_digest(message_digest, expected):
        raise ChipError("sod_digest_mismatch", "sod")
    if _OID_SIGNING_TIME in found:
        value = cms.Time.load(found[_OID_SIGNING_TIME]).native
        return value if isinstance(value, datetime) else None
    return None


@dataclass
class _ParsedSOD:
    signer: _Signer
    certificates: list[bytes]
    lds_content: bytes
    hash_algorithm: str
    hashes: dict[int, bytes]


#: Digest algorithms by the DER of their OID (MD5 and SHA-1 are named so that they are refused by name).
_DIGEST_OIDS = {
    bytes(asn1.ObjectIdentifier(algos.DigestAlgorithmId.unmap(name)).dump()): name
    for name in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")
}


def _read_lds_security_object(content: bytes) -> tuple[str, dict[int, bytes]]:
    """``(hash algorithm, {data-group number: hash})`` of an LDSSecurityObject (version 0 or 1), read with the TLV
    reader; :class:`lds.LDSError` when it is not one."""
    tag, body, end = lds.read_tlv(content)
    if tag != 0x30 or end != len(content):
        raise lds.LDSError("not a SEQUENCE")
    tag, version, at = lds.read_tlv(body)
    if tag != 0x02 or version not in (b"\x00", b"\x01"):
        raise lds.LDSError("LDSSecurityObject version")
    tag, algorithm, at = lds.read_tlv(body, at)
    if tag != 0x30:
        raise lds.LDSError("hash algorithm")
    oid_tag, _, oid_end = lds.read_tlv(algorithm)
    if oid_tag != 0x06:
        raise lds.LDSError("hash algorithm")
    name = _DIGEST_OIDS.get(algorithm[:oid_end], "unknown")
    tag, listing, at = lds.read_tlv(body, at)
    if tag != 0x30:
        raise lds.LDSError("data-group hash values")
    if at < len(body):
        tag, _, at = lds.read_tlv(body, at)  # ldsVersionInfo (version 1)
        if tag != 0x30 or at != len(body) or version != b"\x01":
            raise lds.LDSError("trailing data")
    values: dict[int, bytes] = {}
    offset = 0
    while offset < len(listing):
        tag, entry, offset = lds.read_tlv(listing, offset)
        number_tag, number, inner = lds.read_tlv(entry)
        value_tag, value, entry_end = lds.read_tlv(entry, inner) if inner < len(entry) else (0, b"", inner)
        if tag != 0x30 or number_tag != 0x02 or value_tag != 0x04 or entry_end != len(entry) or len(number) != 1:
            raise lds.LDSError("data-group hash")
        if number[0] in values:
            raise lds.LDSError("a data group listed twice")
        values[number[0]] = value
    return name, values


def _parse_sod(sod: bytes) -> _ParsedSOD:
    try:
        lds_content, certificates, signer = _read_signed_data(lds.unwrap(sod, lds.SOD_TAG), LDS_SECURITY_OBJECT)
        hash_algorithm, values = _read_lds_security_object(lds_content)
    except ChipError:
        raise
    except Exception as error:  # the TLV reader's LDSError, asn1crypto's errors on a malformed algorithm
        raise ChipError("sod_malformed", "sod") from error
    if hash_algorithm not in HASHES or signer.digest_name not in HASHES:
        raise ChipError("hash_algorithm_not_allowed", "sod", "SHA-1 and MD5 are not allowed")
    return _ParsedSOD(signer, certificates, lds_content, hash_algorithm, values)


def _document_signer(parsed: _ParsedSOD, trust: TrustStore) -> tuple[x509.Certificate, Any, _Authority]:
    """The certificate the SignerInfo names, among those the SOD carries, chained to a CSCA of the trust store."""
    if not parsed.certificates:
        raise ChipError("ds_chain_invalid", "ds_certificate", "the SOD carries no Document Signer certificate")
    failure = ChipError("ds_chain_invalid", "ds_certificate", "no certificate matches the signer")
    for der in parsed.certificates:
        try:
            certificate, key, authority = trust.signer(der)
        except ChipError as error:
            failure = error
            continue
        except Exception as error:
            raise ChipError("ds_chain_invalid", "ds_certificate", "unreadable certificate") from error
        if (
            bytes(certificate.issuer.dump()) == parsed.signer.issuer
            and certificate.serial_number == parsed.signer.serial
        ):
            return certificate, key, authority
    raise failure


def _ds_checks(certificate: x509.Certificate, authority: _Authority, signing_time: datetime | None) -> None:
    try:
        usage = certificate.key_usage_value
        usages = set(usage.native) if usage is not None else set()
        if "digital_signature" not in usages or "key_cert_sign" in usages:
            raise ChipError("ds_key_usage_invalid", "ds_certificate")
        if signing_time is not None:
            validity = certificate["tbs_certificate"]["validity"]
            start, end = validity["not_before"].native, validity["not_after"].native
            period = certificate.private_key_usage_period_value
            if period is not None:
                start = period["not_before"].native or start
                end = period["not_after"].native or end
            if not start <= signing_time <= end:
                raise ChipError("ds_not_valid_on_signing_date", "ds_certificate")
    except ChipError:
        raise
    except Exception as error:
        raise ChipError("ds_chain_invalid", "ds_certificate", "unreadable certificate") from error
    if certificate.serial_number in authority.revoked:
        raise ChipError("ds_revoked", "ds_certificate")


def passive_authentication(
    sod: bytes,
    data_groups: Iterable[bytes],
    trust: TrustStore,
    *,
    required: Iterable[int] = (1,),
    now: datetime | None = None,
) -> PassiveResult:
    """Check a chip's data groups and SOD against the trust store; see the module docstring for the steps."""
    if len(sod) > MAX_SOD_BYTES:
        raise ChipError("sod_too_large", "input")
    files = list(data_groups)
    if len(files) > len(lds.DG_TAGS) or any(len(f) > MAX_DG_BYTES for f in files):
        raise ChipError("dg_too_large", "input")
    parsed = _parse_sod(sod)
    ds_certificate, ds_key, authority = _document_signer(parsed, trust)
    try:
        signing_time = _check_signed_attributes(parsed.signer, LDS_SECURITY_OBJECT, parsed.lds_content)
    except ChipError:
        raise
    except Exception as error:
        raise ChipError("sod_malformed", "sod") from error
    moment = now or datetime.now(UTC)
    if signing_time is not None and signing_time > moment + SIGNING_TIME_SKEW:
        raise ChipError("sod_signing_time_invalid", "sod")
    _ds_checks(ds_certificate, authority, signing_time)
    _verify(
        ds_key,
        parsed.signer.signature_algorithm,
        parsed.signer.signature,
        _signed_bytes(parsed.signer),
    )
    seen: list[int] = []
    for data in files:
        try:
            number = lds.dg_number(data)
        except lds.LDSError as error:
            raise ChipError("dg_unknown", "data_groups") from error
        expected = parsed.hashes.get(number)
        if expected is None:
            raise ChipError("dg_missing_from_sod", "data_groups", f"DG{number}")
        if not hmac.compare_digest(hashlib.new(HASHES[parsed.hash_algorithm], data).digest(), expected):
            raise ChipError("dg_hash_mismatch", "data_groups", f"DG{number}")
        seen.append(number)
    missing = [n for n in required if n not in seen]
    if missing:
        raise ChipError("dg_required", "data_groups", ", ".join(f"DG{n}" for n in missing))
    return PassiveResult(
        signing_time=signing_time,
        hash_algorithm=parsed.hash_algorithm,
        data_groups=tuple(sorted(seen)),
        ds_serial=int(ds_certificate.serial_number),
        ds_subject=str(ds_certificate.subject.human_friendly),
        sod_hashes=parsed.hashes,
    )


class ChallengeGuard:
    """Remembers the challenges answered per chip key for ``ttl`` seconds so a recorded answer cannot be replayed.
    In-process and bounded; the gateway's workers share theirs (:class:`dancu.gateway.chip.SharedChallengeGuard`)."""

    def __init__(self, ttl: float = 24 * 3600, capacity: int = 1_000_000) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: bytes) -> bool:
        """Record ``key``; False if it was recorded within ``ttl`` (a replay). Atomic."""
        now = time.monotonic()
        with self._lock:
            stamp = self._seen.get(key)
            if stamp is not None and stamp > now - self.ttl:
                return False
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.capacity:
                self._seen.popitem(last=False)
            return True


def active_authentication(dg15: bytes, challenge: bytes, signature: bytes, guard: ChallengeGuard | None) -> None:
    """Check the chip's answer to an active-authentication challenge (8 bytes): ECDSA with SHA-256 over the challenge,
    the signature as plain r||s (BSI TR-03111) or DER; RSA keys with ISO 9796-2 are not issued here."""
    if len(challenge) != 8:
        raise ChipError("aa_challenge_invalid", "active_authentication", "the challenge is 8 bytes")
    try:
        spki = keys.PublicKeyInfo.load(lds.read_dg15(dg15), strict=True)
        public_key = load_der_public_key(bytes(spki.dump()))
    except Exception as error:
        raise ChipError("aa_key_invalid", "active_authentication") from error
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ChipError("aa_key_invalid", "active_authentication", "only ECDSA keys are issued")
    replay_key = hashlib.sha256(bytes(spki.dump()) + challenge).digest()
    size = (public_key.curve.key_size + 7) // 8
    try:
        if len(signature) == 2 * size:
            signature = encode_dss_signature(
                int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big")
            )
        public_key.verify(signature, challenge, ec.ECDSA(hashes.SHA256()))
    except Exception as error:
        raise ChipError("aa_signature_invalid", "active_authentication") from error
    # Claimed once the answer is good: a recorded good answer sent again is a replay, whatever else it gets right.
    if guard is not None and not guard.claim(replay_key):
        raise ChipError("aa_challenge_replayed", "active_authentication")


def aa_sign(private_key: ec.EllipticCurvePrivateKey, challenge: bytes) -> bytes:
    """The chip's side of active authentication: ECDSA-SHA-256 over the challenge, plain r||s."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(private_key.sign(challenge, ec.ECDSA(hashes.SHA256())))
    size = (private_key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")
