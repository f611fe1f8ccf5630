from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dancu.core.errors import DomainError
from dancu.core.names import clean_name, fold_name, normalize_name, split_name, validate_name


def test_normalisation_handles_case_spacing_and_composition() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
    assert normalize_name("  NGUYỄN   thị  ánh ") == "nguyễn thị ánh"
    assert normalize_name(decomposed) == "nguyễn thị ánh"
    assert clean_name(decomposed) == "Nguyễn Thị Ánh"


def test_folding_drops_diacritics_and_handles_d_bar() -> None:
    assert fold_name("Đặng Thị Ánh") == "dang thi anh"
    assert fold_name("ĐỖ ĐỨC ĐẠT") == "do duc dat"
    assert fold_name("Nguyễn Văn Hưng") == fold_name("nguyen van hung")
    assert fold_name("Lê Thị Hồng Nhung") == fold_name("Lê Thị Hồng Nhưng")


def test_split_name() -> None:
    parts = split_name("Nguyễn Thị Minh Khai")
    assert (parts.family, parts.middle, parts.given) == ("Nguyễn", "Thị Minh", "Khai")
    single = split_name("Páo")
    assert (single.family, single.middle, single.given) == ("", "", "Páo")
    assert split_name("H'Hen Niê").given == "Niê"


@pytest.mark.parametrize(
    ("raw", "code"),
    [("", "name_missing"), ("   ", "name_missing"), ("Nguyễn Văn 3", "name_invalid"), ("A" * 101, "name_too_long")],
)
def test_bad_names(raw: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        validate_name(raw)
    assert caught.value.code == code


vietnamese_letters = st.sampled_from(
    list("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")
)
words = st.lists(vietnamese_letters, min_size=1, max_size=8).map("".join)
names = st.lists(words, min_size=1, max_size=5).map(" ".join)


@given(name=names)
def test_folding_is_idempotent_ascii_and_case_insensitive(name: str) -> None:
    folded = fold_name(name)
    assert folded.isascii()
    assert fold_name(folded) == folded
    assert fold_name(name.upper()) == folded
    assert normalize_name(normalize_name(name)) == normalize_name(name)
    assert unicodedata.is_normalized("NFC", normalize_name(unicodedata.normalize("NFD", name)))


@given(text=st.text(max_size=30))
def test_fast_folding_equals_the_unicode_definition(text: str) -> None:
    from dancu.core.names import _fold_slow

    assert fold_name(text) == _fold_slow(normalize_name(text))


@given(name=names)
def test_fast_folding_equals_the_unicode_definition_on_vietnamese(name: str) -> None:
    from dancu.core.names import _fold_slow

    assert fold_name(name.upper()) == _fold_slow(normalize_name(name.upper()))
