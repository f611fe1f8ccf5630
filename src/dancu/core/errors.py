"""Domain errors with stable codes, shared by every layer (API, CLI, services).

A message is written in English (the catalogue's msgid) and rendered in the active language when it is read, at the
edge: Django's processes install their ``gettext`` with :func:`install_translator` (``dancu.events`` does it when the
apps are ready), so ``error.message`` is Vietnamese or English as the page, API call or command asks. Core stays
plain Python and the gateway, which never loads Django, answers integrators in English (``error.english``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _untranslated(message: str) -> str:
    return message


_translate: Callable[[str], str] = _untranslated


def install_translator(translate: Callable[[str], str]) -> None:
    """Render every domain error's message with ``translate`` (Django's ``gettext``) from now on."""
    global _translate
    _translate = translate


def gettext_noop(message: str) -> str:
    """Mark an English message for the catalogue without translating it yet (``make messages`` finds this name, as
    Django's function of the same name): for messages kept in constants and passed to :class:`DomainError` later."""
    return message


class DomainError(Exception):
    """A refusal of bad input: ``code`` is a stable snake_case string, ``message`` is readable by a person.

    ``message`` is given in English with ``%(name)s`` placeholders filled from ``params`` (the English text is the
    msgid of locale/vi; ``make messages`` extracts the second argument of every ``DomainError(...)`` and
    ``NotFound(...)`` call), or as a lazy translation. Messages never echo personal data back: they name the field
    and the rule, not the value.
    """

    code: str = "domain_error"
    status: int = 400

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        field: str | None = None,
        status: int | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.code = code
        self.msgid = message
        self.params = dict(params or {})
        self.field = field
        if status is not None:
            self.status = status
        super().__init__(code)

    def _render(self, text: str) -> str:
        return text % self.params if self.params else text

    @property
    def message(self) -> str:
        """The message in the active language (English where no translator is installed)."""
        if isinstance(self.msgid, str):
            return self._render(_translate(self.msgid))
        return self._render(str(self.msgid))  # a lazy translation renders itself

    @property
    def english(self) -> str:
        """The message as written in the code: for integrators (the gateway) and logs."""
        return self._render(str(self.msgid)) if isinstance(self.msgid, str) else self.message

    def __str__(self) -> str:
        return f"{self.code}: {self.english}"

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(DomainError):
    """The thing asked for does not exist (404 on the API)."""

    status = 404
