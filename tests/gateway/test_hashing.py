"""The gateway's cheaper hashing and name forms give exactly what dancu.core gives."""

from __future__ import annotations

import hmac
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dancu.core.crypto import Keyring
from dancu.core.names import fold_name, normalize_name
from dancu.gateway.hashing import AttributeHasher, _normalize, name_forms

VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
names = st.lists(
    st.text(
        alphabet=VIETNAMESE
        + VIETNAMESE.upper()
        + " '-\t\n\x1c\x1f\x85\u00a0\u2000\u2028\u3000\u2019\u02bc\u0301\u0323Đİß",
        min_size=0,
        max_size=8,
    ),
    max_size=5,
).map(" ".join)


@given(st.one_of(names, st.text(max_size=30)))
@settings(max_examples=3000)
def test_name_forms_equal_core(raw: str) -> None:
    assert name_forms(raw) == (normalize_name(raw), fold_name(raw))
    assert _normalize(raw) == normalize_name(raw)


def test_name_forms_examples() -> None:
    assert name_forms("  ĐẶNG  thị   Ánh ") == ("đặng thị ánh", "dang thi anh")
    assert name_forms("Nguye\u0302\u0303n Văn An") == (normalize_name("Nguyễn Văn An"), "nguyen van an")


@pytest.fixture(scope="module")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> Keyring:
    return Keyring(tmp_path_factory.mktemp("keys"))


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@given(key=st.binary(min_size=0, max_size=100), pin=TEXT, value=TEXT)
@settings(max_examples=500, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hmacs_equal_core(keyring: Keyring, key: bytes, pin: str, value: str) -> None:
    original = keyring.hmac_key
    try:
        keyring.hmac_key = key
        hasher = AttributeHasher(key)
        assert hasher.pin_hmac(pin) == keyring.pin_hmac(pin)
        for attribute in ("name", "name_folded", "birth_date", "sex"):
            assert hasher.attribute_hmac(pin, attribute, value) == keyring.attribute_hmac(pin, attribute, value)
        message = f"{pin}\0{value}".encode()
        assert hasher.digest(message) == hmac.digest(key, message, "sha256")[:16]
    finally:
        keyring.hmac_key = original


def test_bad_input_fails_alike() -> None:
    hasher = AttributeHasher(b"k" * 32)
    with pytest.raises(UnicodeEncodeError):
        hasher.pin_hmac("00109\ud800")  # a lone surrogate is not UTF-8
    with pytest.raises(UnicodeEncodeError):
        hasher.attribute_hmac("001091000001", "name", "\udfff")
    with pytest.raises(TypeError):
        hasher.attribute_hmac("001091000001", "sex")  # type: ignore[call-arg]


def test_with_a_generated_key(keyring: Keyring) -> None:
    assert len(keyring.hmac_key) == 32
    hasher = AttributeHasher(keyring.hmac_key)
    assert hasher.pin_hmac("001091000001") == keyring.pin_hmac("001091000001")
    assert hasher.attribute_hmac("001091000001", "sex", "F") == keyring.attribute_hmac("001091000001", "sex", "F")


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"\A0[0-9]{11}\Z"),
            st.one_of(names, st.text(max_size=20)),
            st.sampled_from(["day", "month", "year"]),
            st.sampled_from(["M", "F"]),
            st.sampled_from(["living", "deceased"]),
            st.one_of(st.none(), st.just("2020-01-02")),
            st.one_of(st.none(), st.just("00101")),
        ),
        min_size=1,
        max_size=5,
    )
)
@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_projection_rows_equal_the_keyring_formulas(keyring: Keyring, people: list[tuple[Any, ...]]) -> None:
    """The projector's rows (cheaper primitives) hold the same HMACs and decrypt to the same values as rows made
    with Keyring and dancu.core.names directly."""
    import orjson

    from dancu.exchange.rows import projection_rows

    records = [
        (pin, name, "1990-04-05", precision, sex, status, died, "kinh", "", "VN", code, "Xã A" if code else None,
         "Tỉnh B" if code else None, "1 Đường C", code, "Xã A" if code else None, "Tỉnh B" if code else None)
        for pin, name, precision, sex, status, died, code in people
    ]  # fmt: skip
    for record, row in zip(records, projection_rows(keyring, records), strict=True):
        pin, name, born, precision, sex = record[:5]
        pin_h = keyring.pin_hmac(pin)
        cut = born[:4] if precision == "year" else born[:7] if precision == "month" else born
        assert row[:7] == (
            pin_h, keyring.attribute_hmac(pin, "name", normalize_name(name)),
            keyring.attribute_hmac(pin, "name_folded", fold_name(name)), keyring.attribute_hmac(pin, "birth_date", cut),
            precision, keyring.attribute_hmac(pin, "sex", sex), int(record[5] == "deceased"),
        )  # fmt: skip
        for field_class, blob in zip(("identity", "status", "residence", "origin"), row[7:], strict=True):
            nonce = blob[1 + blob[0] : 13 + blob[0]]
            plain = keyring.decrypt(field_class, pin_h, blob)
            assert blob == keyring.encrypt(field_class, pin_h, plain, nonce)  # Keyring.encrypt's layout and bytes
        assert orjson.loads(keyring.decrypt("identity", pin_h, row[7])) == {
            "full_name": name, "birth_date": born, "sex": sex,
        }  # fmt: skip
        assert orjson.loads(keyring.decrypt("status", pin_h, row[8])) == {"status": record[5], "death_date": record[6]}
