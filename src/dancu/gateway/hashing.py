"""The gateway's per-call hashing and name forms, computed as :mod:`dancu.core` does but cheaper.

Every verification computes an HMAC of the PIN and of each attribute compared, and the name's two comparison forms.
:func:`hmac.digest` sets up the key on every call (with OpenSSL 3 about 3.5 µs each); :class:`AttributeHasher` keys
the standard library's HMAC once and copies the keyed object per call instead (about 1.4 µs), giving the same bytes
as :meth:`dancu.core.crypto.Keyring.pin_hmac` and :meth:`~dancu.core.crypto.Keyring.attribute_hmac`.

:func:`name_forms` returns ``(normalize_name(raw), fold_name(raw))``. Folding works character by character and
never across a space, so the folded form of a normalised name is the folded forms of its words joined by spaces;
Vietnamese names are made of a few thousand syllables, whose folded forms are kept in a bounded dictionary.
"""

from __future__ import annotations

import hashlib
import hmac
from unicodedata import is_normalized, normalize

from dancu.core.crypto import HMAC_BYTES
from dancu.core.names import fold_name, normalize_name


class AttributeHasher:
    """HMAC-SHA-256 under one key, truncated to :data:`HMAC_BYTES`: the key is set up once, and each call copies
    the keyed state (the standard library's ``hmac.new(...).copy()``, OpenSSL underneath)."""

    __slots__ = ("_keyed",)

    def __init__(self, key: bytes) -> None:
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def digest(self, message: bytes) -> bytes:
        keyed = self._keyed.copy()
        keyed.update(message)
        return keyed.digest()[:HMAC_BYTES]

    def pin_hmac(self, pin: str) -> bytes:
        """Same bytes as :meth:`dancu.core.crypto.Keyring.pin_hmac`."""
        return self.digest(b"pin\0" + pin.encode())

    def attribute_hmac(self, pin: str, attribute: str, value: str) -> bytes:
        """Same bytes as :meth:`dancu.core.crypto.Keyring.attribute_hmac`."""
        return self.digest(f"{attribute}\0{pin}\0{value}".encode())


_WORD_FOLDS: dict[str, str] = {}
_WORD_FOLDS_MAX = 200_000


def _fold_word(word: str) -> str | None:
    """The folded form of one word of a normalised name, remembered; ``None`` if the word is not its own normal form
    (the caller then folds the whole name the slow way)."""
    if not word or normalize_name(word) != word:
        return None
    if len(_WORD_FOLDS) >= _WORD_FOLDS_MAX:
        _WORD_FOLDS.clear()
    folded = _WORD_FOLDS[word] = fold_name(word)
    return folded


def _normalize(raw: str) -> str:
    """:func:`dancu.core.names.normalize_name`, with ``str.split`` for its whitespace regular expression (both split
    on exactly the characters for which ``str.isspace`` is true)."""
    text = raw if is_normalized("NFC", raw) else normalize("NFC", raw)
    if "\u2019" in text or "\u02bc" in text:
        text = text.replace("\u2019", "'").replace("\u02bc", "'")
    text = " ".join(text.split()).casefold()
    return text if is_normalized("NFC", text) else normalize("NFC", text)


def name_forms(raw: str) -> tuple[str, str]:
    """``(normalize_name(raw), fold_name(raw))``, the second from the per-word dictionary."""
    normalized = _normalize(raw)
    words = normalized.split(" ")
    known = _WORD_FOLDS.get
    folds = [known(word) or _fold_word(word) for word in words]
    if None in folds:
        return normalized, fold_name(raw)
    return normalized, " ".join(folds)  # type: ignore[arg-type]
