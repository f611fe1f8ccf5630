"""Checks that a page or a message is in one language: ``assert_vietnamese(html)`` finds English sentences on a
Vietnamese page, ``assert_english(html)`` Vietnamese words on an English one.

What a person reads is checked: the text of the page and the attributes they see or hear (``title``, ``alt``,
``placeholder``, ``aria-label``, button values). Left out, as legitimate in either language: scripts and styles,
``code``/``pre``/``kbd``/``samp`` (identifiers, codes), any element marked with another ``lang`` (the language
switch, a quoted name), URLs, e-mail addresses and identifiers (words with ``_``, ``/``, ``@``, ``=`` or digits), and
the ``data`` a test passes: the people's names, places and other values shown as they are recorded.

Vietnamese is recognised by its letters (đ, ơ, ư, and vowels with tone marks); English by its function words (a
stoplist of words that are not Vietnamese syllables: "the", "is", "your", "please"...).

Use them on new pages::

    page = client.get("/portal/").content.decode()
    assert_vietnamese(page, data=[person.full_name])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser

#: Letters that only Vietnamese uses among the languages of the pages (vowels with breve, circumflex, horn and tone
#: marks, and đ), lower and upper case.
VIETNAMESE_LETTERS = frozenset(
    "ăâđêôơư"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
    "ĂÂĐÊÔƠƯ"
    "ÀÁẢÃẠẰẮẲẴẶẦẤẨẪẬÈÉẺẼẸỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌỒỐỔỖỘỜỚỞỠỢÙÚỦŨỤỪỨỬỮỰỲÝỶỸỴ"
)

#: English function words that are not Vietnamese syllables (so "to", "in", "on", "a", "an", "me" are left out:
#: "to" is big, "in" is print in Vietnamese).
ENGLISH_WORDS = frozenset(
    [
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "not",
        "your",
        "you",
        "yours",
        "please",
        "this",
        "that",
        "these",
        "those",
        "with",
        "and",
        "or",
        "of",
        "from",
        "for",
        "must",
        "cannot",
        "can't",
        "don't",
        "does",
        "did",
        "has",
        "have",
        "had",
        "will",
        "would",
        "should",
        "could",
        "there",
        "here",
        "what",
        "which",
        "when",
        "where",
        "who",
        "why",
        "how",
        "into",
        "about",
        "after",
        "before",
        "than",
        "then",
        "their",
        "them",
        "they",
        "its",
        "it's",
        "our",
        "we",
        "us",
        "my",
        "if",
        "no",
        "yes",
        "any",
        "some",
        "all",
        "each",
        "every",
        "only",
        "also",
        "other",
        "been",
        "being",
        "such",
        "very",
        "more",
        "most",
        "less",
    ]
)

#: Words used as they are in English texts too.
SHARED_WORDS = frozenset({"đồng"})

_HIDDEN = {"script", "style", "code", "pre", "kbd", "samp", "template", "noscript"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_SEEN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "aria-description")
_IDENTIFIER = re.compile(r"\S*[_/@=0-9]\S*|https?:\S+|\S+\.\w{2,4}\b")
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|\{\{[^}]*\}\}|\{[\w.]*\}")


class _Text(HTMLParser):
    """The text a reader of the page meets, as (text, element stack) pieces, without the parts left out above."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.pieces: list[str] = []

    @property
    def skipping(self) -> bool:
        return any(skipped for _tag, skipped in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = (values.get("lang") or "").split("-")[0]
        skipped = tag in _HIDDEN or (bool(lang) and lang != self.language and tag != "html")
        if not skipped and not self.skipping:
            self.pieces.extend(values[name] or "" for name in _SEEN_ATTRIBUTES if values.get(name))
            if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
                self.pieces.append(values["value"] or "")
        if tag not in _VOID:
            self.stack.append((tag, skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.pieces.append(data)


def readable_text(content: str, language: str, data: Iterable[str] = ()) -> str:
    """What a reader of ``content`` (HTML, or plain text such as a message) reads, minus ``data`` and identifiers."""
    if "<" in content and ">" in content:
        parser = _Text(language)
        parser.feed(content)
        parser.close()
        text = "\n".join(parser.pieces)
    else:
        text = content
    for value in sorted((str(v) for v in data if v), key=len, reverse=True):
        text = text.replace(value, " ")
    return _IDENTIFIER.sub(" ", text)


def _words(text: str) -> list[str]:
    return _WORD.findall(_PLACEHOLDER.sub(" ", text))


def vietnamese_words(text: str) -> list[str]:
    return [w for w in _words(text) if VIETNAMESE_LETTERS.intersection(w) and w.lower() not in SHARED_WORDS]


def english_words(text: str) -> list[str]:
    return [w for w in _words(text) if w.lower() in ENGLISH_WORDS]


def _context(text: str, word: str) -> str:
    at = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)
    if at is None:
        return word
    return " ".join(text[max(0, at.start() - 60) : at.end() + 60].split())


def assert_vietnamese(content: str, *, data: Iterable[str] = ()) -> None:
    """No English sentence in ``content`` (HTML or text) shown in Vietnamese, except ``data``."""
    text = readable_text(content, "vi", data)
    found = english_words(text)
    assert not found, f"English on a Vietnamese page: {sorted(set(found))} in «{_context(text, found[0])}»"


def assert_english(content: str, *, data: Iterable[str] = ()) -> None:
    """No Vietnamese word in ``content`` (HTML or text) shown in English, except ``data``."""
    text = readable_text(content, "en", data)
    found = vietnamese_words(text)
    assert not found, f"Vietnamese on an English page: {sorted(set(found))} in «{_context(text, found[0])}»"
