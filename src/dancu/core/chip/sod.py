"""The Document Security Object (EF.SOD) and the CSCA master list: CMS SignedData as ICAO Doc 9303 parts 10-12 and
the ICAO PKD describe them, built here with asn1crypto and signed with ``cryptography`` keys.

EF.SOD is tag 0x77 around a ContentInfo whose SignedData encapsulates an LDSSecurityObject (OID 2.23.136.1.1.1)
listing the hash of every data group; the signer is a Document Signer whose certificate travels inside. The master
list is a SignedData over a CscaMasterList (OID 2.23.136.1.1.2) with the country's CSCA certificates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from asn1crypto import algos, cms, x509
from asn1crypto import core as asn1
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from dancu.core.chip.lds import SOD_TAG, tlv

LDS_SECURITY_OBJECT = "2.23.136.1.1.1"
CSCA_MASTER_LIST = "2.23.136.1.1.2"

#: Hash algorithms a SOD may use; MD5 and SHA-1 are refused (ICAO 9303 part 12 deprecates SHA-1).
HASHES: dict[str, str] = {"sha224": "sha224", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
_HASH_OBJECTS: dict[str, hashes.HashAlgorithm] = {
    "sha224": hashes.SHA224(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


class DataGroupHash(asn1.Sequence):
    _fields = [("data_group_number", asn1.Integer), ("data_group_hash_value", asn1.OctetString)]


class DataGroupHashValues(asn1.SequenceOf):
    _child_spec = DataGroupHash


class LDSSecurityObject(asn1.Sequence):
    """LDSSecurityObject ::= SEQUENCE { version, hashAlgorithm, dataGroupHashValues } (version 0: no LDS version)."""

    _fields = [
        ("version", asn1.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
    ]


class CertificateSet(asn1.SetOf):
    _child_spec = x509.Certificate


class CscaMasterList(asn1.Sequence):
    _fields = [("version", asn1.Integer), ("cert_list", CertificateSet)]


def digest(algorithm: str, data: bytes) -> bytes:
    return hashlib.new(HASHES[algorithm], data).digest()


def lds_security_object(data_groups: Mapping[int, bytes], algorithm: str = "sha256") -> bytes:
    """The DER of an LDSSecurityObject over the given data groups (number -> file bytes)."""
    values = [
        DataGroupHash({"data_group_number": n, "data_group_hash_value": digest(algorithm, data_groups[n])})
        for n in sorted(data_groups)
    ]
    return bytes(
        LDSSecurityObject(
            {
                "version": 0,
                "hash_algorithm": {"algorithm": algorithm},
                "data_group_hash_values": values,
            }
        ).dump()
    )


def _signature_algorithm(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, algorithm: str) -> dict[str, object]:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {"algorithm": f"{algorithm}_ecdsa"}
    return {"algorithm": "rsassa_pss", "parameters": _pss_parameters(algorithm)}


def _pss_parameters(algorithm: str) -> dict[str, object]:
    size = _HASH_OBJECTS[algorithm].digest_size
    return {
        "hash_algorithm": {"algorithm": algorithm},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": algorithm}},
        "salt_length": size,
        "trailer_field": "trailer_field_bc",
    }


def sign_bytes(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, data: bytes, algorithm: str) -> bytes:
    hash_object = _HASH_OBJECTS[algorithm]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hash_object))
    pss = padding.PSS(mgf=padding.MGF1(hash_object), salt_length=hash_object.digest_size)
    return key.sign(data, pss, hash_object)


def signed_data(
    *,
    content_type: str,
    content: bytes,
    signer_certificate: bytes,
    signer_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    algorithm: str = "sha256",
    signing_time: datetime | None = None,
    certificates: Sequence[bytes] = (),
) -> bytes:
    """A DER ContentInfo with SignedData (version 3) encapsulating ``content``, signed attributes contentType,
    messageDigest and signingTime in DER order, the signer's certificate and any ``certificates`` included."""
    certificate = x509.Certificate.load(signer_certificate)
    when = (signing_time or datetime.now(UTC)).replace(microsecond=0)
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
        cms.CMSAttribute({"type": "message_digest", "values": [digest(algorithm, content)]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": when})]}),
    ]
    attributes.sort(key=lambda a: bytes(a.dump()))  # DER orders a SET OF by encoding; openssl re-encodes it so
    signed_attrs = cms.CMSAttributes(attributes)
    to_sign = b"\x31" + bytes(signed_attrs.dump())[1:]  # signed over with the SET tag, stored [0] IMPLICIT
    signature = sign_bytes(signer_key, to_sign, algorithm)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": certificate.issuer,
                        "serial_number": certificate.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": algorithm},
            "signed_attrs": signed_attrs,
            "signature_algorithm": _signature_algorithm(signer_key, algorithm),
            "signature": signature,
        }
    )
    body = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": algorithm}],
            "encap_content_info": {"content_type": content_type, "content": asn1.ParsableOctetString(content)},
            "certificates": [certificate, *(x509.Certificate.load(c) for c in certificates)],
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": body}).dump())


def build_sod(
    data_groups: Mapping[int, bytes],
    *,
    signer_certificate: bytes,
    signer_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    algorithm: str = "sha256",
    signing_time: datetime | None = None,
) -> bytes:
    """EF.SOD (tag 0x77) over the data groups, signed by the Document Signer: the same bytes as :func:`signed_data`
    would give, assembled from a per-signer template (personalisation makes one per card: asn1crypto's object
    building took 6 ms of each)."""
    template = _template(signer_certificate, algorithm, isinstance(signer_key, ec.EllipticCurvePrivateKey))
    when = (signing_time or datetime.now(UTC)).replace(microsecond=0)
    content = _lds_der(data_groups, algorithm, template.hash_algorithm)
    attributes = sorted(
        (
            tlv(0x30, _OID_CONTENT_TYPE + tlv(0x31, template.content_type)),
            tlv(0x30, _OID_MESSAGE_DIGEST + tlv(0x31, tlv(0x04, digest(algorithm, content)))),
            tlv(0x30, _OID_SIGNING_TIME + tlv(0x31, _time(when))),
        )
    )
    signed_attrs = b"".join(attributes)
    signature = sign_bytes(signer_key, tlv(0x31, signed_attrs), algorithm)
    signer_info = tlv(
        0x30,
        b"\x02\x01\x01"
        + template.sid
        + template.hash_algorithm
        + tlv(0xA0, signed_attrs)
        + template.signature_algorithm
        + tlv(0x04, signature),
    )
    body = tlv(
        0x30,
        b"\x02\x01\x03"
        + tlv(0x31, template.hash_algorithm)
        + tlv(0x30, template.content_type + tlv(0xA0, tlv(0x04, content)))
        + tlv(0xA0, signer_certificate)
        + tlv(0x31, signer_info),
    )
    return tlv(SOD_TAG, tlv(0x30, _OID_SIGNED_DATA + tlv(0xA0, body)))


_OID_SIGNED_DATA = bytes.fromhex("06092a864886f70d010702")
_OID_CONTENT_TYPE = bytes.fromhex("06092a864886f70d010903")
_OID_MESSAGE_DIGEST = bytes.fromhex("06092a864886f70d010904")
_OID_SIGNING_TIME = bytes.fromhex("06092a864886f70d010905")


@dataclass(frozen=True)
class _Template:
    sid: bytes
    hash_algorithm: bytes
    signature_algorithm: bytes
    content_type: bytes


@lru_cache(maxsize=16)
def _template(signer_certificate: bytes, algorithm: str, elliptic: bool) -> _Template:
    certificate = x509.Certificate.load(signer_certificate)
    sid = cms.IssuerAndSerialNumber({"issuer": certificate.issuer, "serial_number": certificate.serial_number})
    hash_algorithm = algos.DigestAlgorithm({"algorithm": algorithm})
    if elliptic:
        signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": f"{algorithm}_ecdsa"})
    else:
        signature_algorithm = algos.SignedDigestAlgorithm(
            {"algorithm": "rsassa_pss", "parameters": _pss_parameters(algorithm)}
        )
    return _Template(
        bytes(sid.dump()),
        bytes(hash_algorithm.dump()),
        bytes(signature_algorithm.dump()),
        bytes(asn1.ObjectIdentifier(LDS_SECURITY_OBJECT).dump()),
    )


def _lds_der(data_groups: Mapping[int, bytes], algorithm: str, hash_algorithm: bytes) -> bytes:
    """The LDSSecurityObject's DER, as :func:`lds_security_object` encodes it (data-group numbers are small)."""
    values = b"".join(
        tlv(0x30, b"\x02\x01" + bytes([n]) + tlv(0x04, digest(algorithm, data_groups[n]))) for n in sorted(data_groups)
    )
    return tlv(0x30, b"\x02\x01\x00" + hash_algorithm + tlv(0x30, values))


def _time(when: datetime) -> bytes:
    """A signing time as CMS encodes it: UTCTime up to 2049, GeneralizedTime after (RFC 5652 11.3)."""
    moment = when.astimezone(UTC)
    if 1950 <= moment.year < 2050:
        return tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


def build_master_list(
    csca_certificates: Sequence[bytes],
    *,
    signer_certificate: bytes,
    signer_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
    signing_time: datetime | None = None,
) -> bytes:
    """The CSCA master list (CMS SignedData, content type 2.23.136.1.1.2) as the ICAO PKD publishes it."""
    content = CscaMasterList({"version": 0, "cert_list": [x509.Certificate.load(c) for c in csca_certificates]}).dump()
    return signed_data(
        content_type=CSCA_MASTER_LIST,
        content=bytes(content),
        signer_certificate=signer_certificate,
        signer_key=signer_key,
        signing_time=signing_time,
    )
