"""The chip's files (ICAO Doc 9303 part 10): BER-TLV data groups built and read without Django.

Each data group is a TLV whose tag names it (DG1 0x61, DG2 0x75, DG13 0x6D, DG14 0x6E, DG15 0x6F; EF.COM 0x60,
EF.SOD 0x77). DG13 is the Vietnamese personal-data group as open-source readers decode it: a SEQUENCE of
(INTEGER field number, UTF8String value) pairs (DOMAIN.md §4).
"""

from __future__ import annotations

from collections.abc import Mapping

from asn1crypto import core as asn1

#: The tag of each data group's file, and back.
DG_TAGS: dict[int, int] = {1: 0x61, 2: 0x75, 13: 0x6D, 14: 0x6E, 15: 0x6F}
TAG_DGS: dict[int, int] = {tag: number for number, tag in DG_TAGS.items()}
COM_TAG = 0x60
SOD_TAG = 0x77
LDS_VERSION = b"0107"
UNICODE_VERSION = b"040000"

#: DG13 field numbers (DOMAIN.md §4).
DG13_FIELDS: dict[int, str] = {
    1: "pin",
    2: "full_name",
    3: "birth_date",
    4: "sex",
    5: "nationality",
    6: "ethnicity",
    7: "religion",
    8: "place_of_origin",
    9: "permanent_address",
    10: "identifying_features",
    11: "issued_on",
    12: "expires_on",
    13: "parents",
    14: "spouse",
    15: "old_id_number",
}
DG13_NUMBERS: dict[str, int] = {name: number for number, name in DG13_FIELDS.items()}
#: DG13 fields a chip check compares with the registry (the others are the card's own: number, dates).
DG13_COMPARED = ("full_name", "birth_date", "sex", "place_of_origin", "permanent_address")


class LDSError(ValueError):
    """A chip file that cannot be read as ICAO describes it."""


def _length(size: int) -> bytes:
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag: int, value: bytes) -> bytes:
    """One BER-TLV with a one- or two-byte tag and a definite length."""
    head = tag.to_bytes(2 if tag > 0xFF else 1, "big")
    return head + _length(len(value)) + value


def read_tlv(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """``(tag, value, next offset)`` of the TLV at ``offset``; raises :class:`LDSError` on anything malformed."""
    try:
        tag = data[offset]
        offset += 1
        if tag & 0x1F == 0x1F:
            tag = (tag << 8) | data[offset]
            offset += 1
            if data[offset - 1] & 0x80:
                raise LDSError("tags longer than two bytes are not used in the LDS")
        first = data[offset]
        offset += 1
        if first < 0x80:
            size = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4:
                raise LDSError("length not allowed")
            size = int.from_bytes(data[offset : offset + count], "big")
            if len(data[offset : offset + count]) != count:
                raise LDSError("truncated length")
            offset += count
    except IndexError as error:
        raise LDSError("truncated TLV") from error
    end = offset + size
    if end > len(data):
        raise LDSError("value runs past the end")
    return tag, data[offset:end], end


def unwrap(data: bytes, expected_tag: int) -> bytes:
    """The value of a file that must be exactly one TLV with ``expected_tag``."""
    tag, value, end = read_tlv(data)
    if tag != expected_tag or end != len(data):
        raise LDSError("unexpected file tag or trailing bytes")
    return value


def ef_com(dg_numbers: list[int]) -> bytes:
    """EF.COM: LDS version, Unicode version and the tags of the data groups present."""
    tags = bytes(DG_TAGS[n] for n in dg_numbers)
    return tlv(COM_TAG, tlv(0x5F01, LDS_VERSION) + tlv(0x5F36, UNICODE_VERSION) + tlv(0x5C, tags))


def dg1(mrz: str) -> bytes:
    """DG1: the MRZ as printed (90 characters for TD1)."""
    return tlv(DG_TAGS[1], tlv(0x5F1F, mrz.encode("ascii")))


def read_dg1(data: bytes) -> str:
    tag, value, _ = read_tlv(unwrap(data, DG_TAGS[1]))
    if tag != 0x5F1F:
        raise LDSError("DG1 holds no MRZ")
    return value.decode("ascii", "replace")


def facial_record(jpeg: bytes, width: int, height: int) -> bytes:
    """An ISO/IEC 19794-5 facial record with one JPEG image (the minimum ICAO asks: header, one facial information
    block without feature points, image information, the image)."""
    facial_info = (
        b"\x00\x00"  # feature points
        + b"\x00"  # gender unspecified
        + b"\x00"  # eye colour
        + b"\x00"  # hair colour
        + b"\x00\x00\x00"  # property mask
        + b"\x00\x00"  # expression
        + b"\x00\x00\x00"  # pose angle
        + b"\x00\x00\x00"  # pose angle uncertainty
    )
    image_info = b"\x01" + b"\x00" + width.to_bytes(2, "big") + height.to_bytes(2, "big") + b"\x01\x00" + b"\x00\x00"
    block_length = 4 + len(facial_info) + len(image_info) + len(jpeg)
    block = block_length.to_bytes(4, "big") + facial_info + image_info + jpeg
    header = b"FAC\x00" + b"010\x00" + (14 + len(block)).to_bytes(4, "big") + b"\x00\x01"
    return header + block


def dg2(jpeg: bytes, width: int, height: int) -> bytes:
    """DG2: one biometric information template holding the facial record (ICAO 9303 part 10, 4.7.2)."""
    header = tlv(0x80, b"\x01\x01") + tlv(0x87, b"\x01\x01") + tlv(0x88, b"\x00\x08")
    template = tlv(0x7F60, tlv(0xA1, header) + tlv(0x5F2E, facial_record(jpeg, width, height)))
    return tlv(DG_TAGS[2], tlv(0x7F61, tlv(0x02, b"\x01") + template))


class DG13Entry(asn1.Sequence):
    _fields = [("field", asn1.Integer), ("value", asn1.UTF8String)]


class DG13Content(asn1.SequenceOf):
    _child_spec = DG13Entry


def dg13(fields: Mapping[str, str]) -> bytes:
    """DG13 from named fields (names of :data:`DG13_FIELDS`; empty values are left out): the DER that
    :class:`DG13Content` gives, written directly (field numbers are small; asn1crypto's building took 2.5 ms)."""
    numbered = sorted((DG13_NUMBERS[name], value) for name, value in fields.items() if value)
    entries = b"".join(tlv(0x30, b"\x02\x01" + bytes([n]) + tlv(0x0C, value.encode())) for n, value in numbered)
    return tlv(DG_TAGS[13], tlv(0x30, entries))


def read_dg13(data: bytes) -> dict[str, str]:
    """DG13's named fields; unknown field numbers are kept as ``field_<n>``. Read with the TLV reader (the gateway
    reads one on every chip check)."""
    tag, body, end = read_tlv(unwrap(data, DG_TAGS[13]))
    if tag != 0x30 or end != len(unwrap(data, DG_TAGS[13])):
        raise LDSError("DG13 is not a SEQUENCE")
    result: dict[str, str] = {}
    offset = 0
    while offset < len(body):
        tag, entry, offset = read_tlv(body, offset)
        number_tag, number, at = read_tlv(entry)
        value_tag, value, entry_end = read_tlv(entry, at) if at < len(entry) else (0, b"", at)
        if tag != 0x30 or number_tag != 0x02 or value_tag != 0x0C or entry_end != len(entry) or not 0 < len(number) < 4:
            raise LDSError("DG13 is not a sequence of (field, value)")
        field = int.from_bytes(number, "big", signed=True)
        try:
            result[DG13_FIELDS.get(field, f"field_{field}")] = value.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LDSError("DG13 holds a value that is not UTF-8") from error
    return result


def _oid(dotted: str) -> bytes:
    return bytes(asn1.ObjectIdentifier(dotted).dump())


#: id-PK-ECDH and id-CA-ECDH-AES-CBC-CMAC-128 (BSI TR-03110, ICAO 9303 part 11, 9.2).
ID_PK_ECDH = "0.4.0.127.0.7.2.2.1.2"
ID_CA_ECDH_AES_CBC_CMAC_128 = "0.4.0.127.0.7.2.2.3.2.2"
#: id-AA: the ActiveAuthenticationInfo naming the signature algorithm for ECDSA active authentication.
ID_AA = "2.23.136.1.1.5"
ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2"


def dg14(chip_authentication_spki: bytes) -> bytes:
    """DG14: SecurityInfos with the chip-authentication public key and protocol, and the AA signature algorithm."""
    integer_one = bytes(asn1.Integer(1).dump())
    infos = [
        tlv(0x30, _oid(ID_PK_ECDH) + chip_authentication_spki),
        tlv(0x30, _oid(ID_CA_ECDH_AES_CBC_CMAC_128) + integer_one),
        tlv(0x30, _oid(ID_AA) + integer_one + _oid(ECDSA_WITH_SHA256)),
    ]
    return tlv(DG_TAGS[14], tlv(0x31, b"".join(sorted(infos))))


def dg15(active_authentication_spki: bytes) -> bytes:
    """DG15: the active-authentication public key (SubjectPublicKeyInfo)."""
    return tlv(DG_TAGS[15], active_authentication_spki)


def read_dg15(data: bytes) -> bytes:
    return unwrap(data, DG_TAGS[15])


def dg_number(data: bytes) -> int:
    """The data-group number of a file from its tag; :class:`LDSError` for a tag the LDS does not know here."""
    if not data:
        raise LDSError("empty file")
    number = TAG_DGS.get(data[0])
    if number is None:
        raise LDSError("unknown data-group tag")
    return number
