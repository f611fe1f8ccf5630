"""Django's ``makemessages``, also extracting the messages of domain errors: the second argument of every
``DomainError(...)`` and ``NotFound(...)`` call is an English msgid (see :mod:`dancu.core.errors`), and so is the
message of a notice (``notify(account, message, ...)``; messages passed on elsewhere are marked with ``gettext_noop``).
New msgids start empty rather than with a fuzzy guess from a similar one: a guess reads like a translation and is
usually wrong."""

from __future__ import annotations

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=DomainError:2",
        "--keyword=NotFound:2",
        # notices to citizens (procedures.linked.common): the message is an English msgid rendered per language
        "--keyword=notify:2",
    ]
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
