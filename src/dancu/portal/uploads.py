"""Files kept across a submission that comes back with errors: a citizen who attached the birth certificate and
mistyped a date is not asked to attach it again, and the page says "already attached: name (size), remove".

The bytes are held by the attachment store (:func:`dancu.procedures.attachments.hold`); the session keeps, per form
and field, the file's name, size, type and digest, so only this session can send a held file with its declaration.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _

from dancu.core.errors import DomainError
from dancu.forms import DoorForm
from dancu.procedures import attachments
from dancu.procedures.attachments import Upload

SESSION_KEY = "portal_held_uploads"
#: The checkbox that removes a held file (``<input type="checkbox" name="remove_upload" value="birth_certificate">``,
#: templates/forms/held_file.html): a box, not a button, so that Enter in a text field still sends the form.
REMOVE_FIELD = "remove_upload"


class HeldUploads:
    """The files held for one form (``form_key``) in this session."""

    def __init__(self, request: HttpRequest, form_key: str) -> None:
        self.session = request.session
        self.form_key = form_key

    def _all(self) -> dict[str, dict[str, dict[str, Any]]]:
        return self.session.get(SESSION_KEY) or {}

    def _save(self, files: dict[str, dict[str, Any]]) -> None:
        everything = self._all()
        if everything.get(self.form_key, {}) == files:
            return  # unchanged: the session is not written again (a GET of the form clears nothing, most often)
        if files:
            everything[self.form_key] = files
        else:
            everything.pop(self.form_key, None)
        self.session[SESSION_KEY] = everything

    def files(self) -> dict[str, dict[str, Any]]:
        """Field name to ``{"name", "size", "content_type", "sha256"}``: what the form and the page are told."""
        return dict(self._all().get(self.form_key, {}))

    def keep(self, form: DoorForm, names: tuple[str, ...]) -> None:
        """Hold each of ``names`` that the form accepted (a refused file is not kept); a new file replaces the one
        held before."""
        files = self.files()
        for name in names:
            file = form.cleaned_data.get(name) if name not in form.errors else None
            if not file:
                continue
            file.seek(0)
            content = file.read()
            files[name] = {
                "name": str(file.name or "")[-100:],
                "size": len(content),
                "content_type": file.content_type or "",
                "sha256": attachments.hold(content),
            }
        self._save(files)

    def upload(self, form: DoorForm, name: str, code: str) -> Upload | None:
        """The held file of ``name`` as the attachment store takes it, or ``None``; a held file that is gone is
        dropped, with an error on its field."""
        meta = self.files().get(name)
        if meta is None:
            return None
        try:
            content = attachments.held(meta["sha256"])
        except DomainError as exc:
            self.drop(name)
            message = _("The file attached earlier is no longer kept: attach it again.")
            form.add_error(name, ValidationError(message, code=exc.code))
            return None
        return Upload(code, meta["content_type"], content)

    def drop(self, *names: str) -> None:
        if not names:
            return
        files = self.files()
        for name in names:
            files.pop(name, None)
        self._save(files)

    def clear(self) -> None:
        self._save({})
