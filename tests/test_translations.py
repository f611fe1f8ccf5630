"""The catalogue (locale/vi) is complete, and every domain error's message reads in Vietnamese and in English.

The messages are collected from the source as ``make messages`` collects them: the literal second argument of every
``DomainError(...)``/``NotFound(...)`` call (or a ``gettext_noop`` literal) outside the gateway, whose answers to
integrators stay English (see docs/architecture.md, "Translations").
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.utils import translation

from dancu.core.errors import DomainError, gettext_noop
from tests.language import assert_english, assert_vietnamese, english_words, vietnamese_words

SRC = Path(__file__).resolve().parents[1] / "src" / "dancu"
CATALOGUE = SRC / "locale" / "vi" / "LC_MESSAGES" / "django.po"
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


def _literal(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "gettext_noop" and node.args:
        return _literal(node.args[0])
    return None


def domain_errors() -> list[tuple[str, str, str]]:
    """(code, English message, where) of every domain error raised with literal code and message."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] == "gateway" or "migrations" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in {"DomainError", "NotFound"}):
                continue
            if len(node.args) < 2:
                continue
            code, message = _literal(node.args[0]), _literal(node.args[1])
            if code is not None and message is not None:
                found.append((code, message, f"{relative}:{node.lineno}"))
    return found


ERRORS = domain_errors()


def _params(message: str) -> dict[str, object]:
    return {name: 7 if kind == "d" else "X" for name, kind in _PLACEHOLDER.findall(message)}


def _render(message: str) -> str:
    return message % _params(message) if "%(" in message else message


def test_the_source_has_the_domain_errors() -> None:
    codes = {code for code, _message, _where in ERRORS}
    assert len(codes) > 120, "the collection found too few codes: is the source walked?"
    assert all(re.fullmatch(r"[a-z0-9]+(?:_[a-z0-9]+)*", code) for code in codes), "codes are snake_case"


@pytest.mark.parametrize(("code", "message", "where"), ERRORS, ids=[f"{c}@{w}" for c, _m, w in ERRORS])
def test_domain_error_message_in_both_languages(code: str, message: str, where: str) -> None:
    error = DomainError(code, message, params=_params(message))
    with translation.override("en"):
        english = error.message
    with translation.override("vi"):
        vietnamese = error.message
    assert english == _render(message)
    assert not vietnamese_words(english), f"{where}: Vietnamese in the English message"
    assert vietnamese != english, f"{where}: no Vietnamese translation of {message!r} (make messages)"
    assert not english_words(vietnamese), f"{where}: English left in the Vietnamese message {vietnamese!r}"
    assert error.english == english and str(error) == f"{code}: {english}", "logs and the gateway read English"


def test_a_message_follows_the_active_language_when_read_not_when_raised() -> None:
    with translation.override("en"):
        error = DomainError("birth_date_in_future", "The date of birth is in the future.")
    with translation.override("vi"):
        assert error.message == "Ngày sinh ở tương lai."
        assert error.as_dict() == {"code": "birth_date_in_future", "message": "Ngày sinh ở tương lai."}
    with translation.override("en"):
        assert error.message == "The date of birth is in the future."


def test_gettext_noop_only_marks() -> None:
    assert gettext_noop("The file is empty.") == "The file is empty."


def _entries(text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of a .po file (singular entries; plural ones are checked on their first form)."""
    return [(msgid, msgstr, fuzzy) for _context, msgid, msgstr, fuzzy in _entries_in_context(text)]


def _plurals(text: str) -> dict[str, str]:
    """msgid -> msgid_plural of the plural entries of a .po file (their first form is compared as a singular)."""
    found = {}
    for msgid, plural in re.findall(r'^msgid ((?:".*"\n)+)msgid_plural ((?:".*"\n)+)', text, re.M):
        found["".join(ast.literal_eval(p) for p in msgid.split("\n") if p)] = "".join(
            ast.literal_eval(p) for p in plural.split("\n") if p
        )
    return found


def _entries_in_context(text: str) -> list[tuple[str, str, str, bool]]:
    """(msgctxt, msgid, msgstr, fuzzy) of a .po file; msgctxt is "" for an entry without a context."""
    entries = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        parts: dict[str, list[str]] = {}
        key = ""
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[0\])?|msgctxt) (".*")$', line)
            if match:
                key = match.group(1)
                parts[key] = [match.group(2)]
            elif line.startswith('"') and key:
                parts[key].append(line)
        if "msgid" not in parts:
            continue
        msgid = "".join(ast.literal_eval(p) for p in parts["msgid"])
        msgstr = "".join(ast.literal_eval(p) for p in parts.get("msgstr", parts.get("msgstr[0]", ['""'])))
        context = "".join(ast.literal_eval(p) for p in parts.get("msgctxt", ['""']))
        if msgid:
            entries.append((context, msgid, msgstr, fuzzy))
    return entries


def test_every_msgid_has_a_vietnamese_translation() -> None:
    entries = _entries(CATALOGUE.read_text())
    assert len(entries) > 300
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if not msgstr.strip() or fuzzy]
    assert not untranslated, f"empty or fuzzy in locale/vi (make messages, then translate): {untranslated[:10]}"
    same = [msgid for msgid, msgstr, _fuzzy in entries if english_words(msgstr)]
    assert not same, f"English left in Vietnamese translations: {same[:10]}"


def test_the_compiled_catalogue_is_up_to_date() -> None:
    """django.mo is what Django reads: every translation of the .po must be in it (run make messages)."""
    text = CATALOGUE.read_text()
    plurals = _plurals(text)

    def compiled(context: str, msgid: str) -> str:
        if msgid in plurals:
            return translation.ngettext(msgid, plurals[msgid], 1)
        return translation.pgettext(context, msgid) if context else translation.gettext(msgid)

    with translation.override("vi"):
        entries = _entries_in_context(text)
        stale = [msgid for context, msgid, msgstr, _f in entries if compiled(context, msgid) != msgstr]
    assert not stale, f"django.mo is older than django.po: {stale[:5]}"


def test_the_language_checks_catch_the_other_language() -> None:
    assert_vietnamese("<p>Ngày sinh ở tương lai.</p>")
    with pytest.raises(AssertionError, match="English on a Vietnamese page"):
        assert_vietnamese("<p>Ngày sinh: The date of birth is in the future.</p>")
    assert_english("<p>The date of birth is in the future.</p>")
    with pytest.raises(AssertionError, match="Vietnamese on an English page"):
        assert_english("<p>Status: Còn hiệu lực</p>")


def test_the_language_checks_leave_data_identifiers_and_marked_text_alone() -> None:
    page = (
        '<html lang="en"><body><p>Name: Nguyễn Văn An</p><button lang="vi">Tiếng Việt</button>'
        "<code>ngày_sinh</code><p>Amount: 16,000 đồng</p><script>var x = 'Đăng';</script></body></html>"
    )
    assert_english(page, data=["Nguyễn Văn An"])
    with pytest.raises(AssertionError):
        assert_english(page)
    vi_page = '<p>Mã lỗi <code>the_code</code>, xem https://example.vn/the/is, <span lang="en">English</span>.</p>'
    assert_vietnamese(vi_page)
