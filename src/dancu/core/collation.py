"""Vietnamese alphabetical order (thứ tự chữ cái tiếng Việt), which code points do not give: "Đ" comes right after
"D" (not after "Z"), "Ă" and "Â" after "A", "Ơ" after "Ô"; letters are compared first, tone marks only between words
that are otherwise equal, in the dictionary order: no mark, huyền, hỏi, ngã, sắc, nặng (as CLDR's "vi" tailoring)."""

from __future__ import annotations

import unicodedata

#: Letters in order; the four foreign letters (f, j, w, z) in their Latin places, after them other characters.
ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: index for index, letter in enumerate(ALPHABET)}
#: Combining marks that make another letter (â, ă, ơ…) rather than a tone.
_LETTER_MARKS = {"\u0302": {"a": "â", "e": "ê", "o": "ô"}, "\u0306": {"a": "ă"}, "\u031b": {"o": "ơ", "u": "ư"}}
#: Tone marks in dictionary order (the level tone, without a mark, is 0).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def _letters(text: str) -> list[tuple[str, int]]:
    """(base letter, tone) for each character of the text, lower-cased."""
    out: list[tuple[str, int]] = []
    for char in unicodedata.normalize("NFD", text.lower()):
        if unicodedata.combining(char) and out:
            base, tone = out[-1]
            if char in _TONES:
                out[-1] = (base, _TONES[char])
            elif char in _LETTER_MARKS and base in _LETTER_MARKS[char]:
                out[-1] = (_LETTER_MARKS[char][base], tone)
            continue
        out.append((char, 0))
    return out


def _rank(letter: str) -> tuple[int, int]:
    """Spaces and punctuation first (so "An Khánh" comes before "Anh"), then digits, then letters, then the rest."""
    if letter in _RANK:
        return (2, _RANK[letter])
    if letter.isdigit():
        return (1, ord(letter))
    if letter.isspace() or not letter.isalnum():
        return (0, ord(letter))
    return (3, ord(letter))


def vietnamese_sort_key(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], str]:
    """A key for ``sorted``: letters, then tones, then the text itself (so upper and lower case stay stable)."""
    letters = _letters(text)
    return tuple(_rank(base) for base, _ in letters), tuple(tone for _, tone in letters), text
