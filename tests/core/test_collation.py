from hypothesis import given
from hypothesis import strategies as st

from dancu.core.collation import vietnamese_sort_key


def _sorted(*names: str) -> list[str]:
    return sorted(names, key=vietnamese_sort_key)


def test_d_stroke_comes_after_d_not_after_z() -> None:
    assert _sorted("Xã Đông Anh", "Xã Yên Bài", "Xã Dương Xá", "Xã Bình Minh") == [
        "Xã Bình Minh", "Xã Dương Xá", "Xã Đông Anh", "Xã Yên Bài",
    ]  # fmt: skip


def test_letters_with_marks_follow_their_base_letter() -> None:
    assert _sorted("Ân", "Ăn", "An", "Bản") == ["An", "Ăn", "Ân", "Bản"]
    assert _sorted("Ơn", "Ôn", "On", "Phú") == ["On", "Ôn", "Ơn", "Phú"]
    assert _sorted("Ưu", "Uy", "Vân") == ["Uy", "Ưu", "Vân"]


def test_tones_only_break_ties_in_dictionary_order() -> None:
    assert _sorted("mạ", "má", "mã", "mả", "mà", "ma") == ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert _sorted("Hà Nam", "Ha Tinh") == ["Hà Nam", "Ha Tinh"]  # letters first: "hanam" < "hatinh"


def test_word_boundaries_come_first() -> None:
    assert _sorted("Anh Sơn", "An Khánh") == ["An Khánh", "Anh Sơn"]


@given(st.lists(st.text(alphabet="aăâbdđeêoôơuưAĂĐÔàảãáạ ", max_size=8)))
def test_a_total_order(names: list[str]) -> None:
    once = sorted(names, key=vietnamese_sort_key)
    assert sorted(once, key=vietnamese_sort_key) == once
    assert sorted(reversed(names), key=vietnamese_sort_key) == once
