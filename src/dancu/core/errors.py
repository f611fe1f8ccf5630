"""Domain errors with stable codes, shared by every layer (API, CLI, services)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal of bad input: ``code`` is a stable snake_case string, ``message`` is readable by a person.

    Messages never echo personal data back: they name the field and the rule, not the value.
    """

    code: str = "domain_error"
    status: int = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status

    def as_dict(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(DomainError):
    """The thing asked for does not exist (404 on the API)."""

    status = 404
