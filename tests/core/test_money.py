from hypothesis import given
from hypothesis import strategies as st

from dancu.core.money import NBSP, format_vnd


def test_vietnamese_groups_with_dots_and_writes_dong() -> None:
    assert format_vnd(16000, "vi") == f"16.000{NBSP}đ"
    assert format_vnd(23_400_000) == f"23.400.000{NBSP}đ"
    assert format_vnd(500, "vi") == f"500{NBSP}đ"


def test_english_groups_with_commas_and_writes_vnd() -> None:
    assert format_vnd(16000, "en") == f"16,000{NBSP}VND"
    assert format_vnd(0, "en-us") == f"0{NBSP}VND"


@given(st.integers(min_value=0, max_value=10**15), st.sampled_from(["vi", "en"]))
def test_the_digits_are_the_amount(amount: int, language: str) -> None:
    text = format_vnd(amount, language)
    assert int("".join(c for c in text if c.isdigit())) == amount
    groups = text.split(NBSP)[0].split("." if language == "vi" else ",")
    assert all(len(group) == 3 for group in groups[1:]) and 1 <= len(groups[0]) <= 3
