"""Texts of Django's admin, auth, content types and sessions that Django's own Vietnamese catalogues lack (new in
recent releases): they are listed here so that ``make messages`` keeps them in dancu's catalogue, which comes first
(LOCALE_PATHS), and the admin reads in Vietnamese throughout. Nothing imports this module."""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext

ADMIN = (
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Run"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Set password"),
    gettext_noop("This action will <strong>enable</strong> password-based authentication for this user."),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Enable password-based authentication"),
    gettext_noop("Skip to main content"),
    gettext_noop("Hide counts"),
    gettext_noop("Show counts"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would result in deleting related objects, but your "
        "account doesn't have permission to delete the following types of objects:"
    ),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would require deleting the following protected related "
        "objects:"
    ),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s “%(escaped_object)s”? All of the following related "
        "items will be deleted:"
    ),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("Toggle navigation"),
    gettext_noop("Sidebar"),
    gettext_noop("Filter navigation items"),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Search %(name)s"),
    gettext_noop("View selected %(model)s"),
    gettext_noop("In case you’ve forgotten, you are:"),
    gettext_noop("Select all objects on this page for an action"),
)

AUTH = (
    gettext_noop("Conflicting form data submitted. Please try again."),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Set password: %s"),
    gettext_noop("Reset password"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they may still be able "
        "to authenticate using other backends, such as Single Sign-On or LDAP."
    ),
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop("Enable password-based authentication for this user by setting a password."),
    gettext_noop(
        "Enter a valid username. This value may contain only unaccented lowercase a-z and uppercase A-Z letters, "
        "numbers, and @/./+/-/_ characters."
    ),
    gettext_noop("Content type %(ct_id)s object %(obj_id)s doesn’t exist"),
    gettext_noop("%(ct_name)s objects don’t have a get_absolute_url() method"),
    gettext_noop("Sessions"),
)


def _plurals(count: int) -> tuple[str, ...]:
    """The plural texts (never called: makemessages reads them from here)."""
    return (
        ngettext("Please correct the error below.", "Please correct the errors below.", count),
        ngettext("entry", "entries", count),
        ngettext(
            "This password is too short. It must contain at least %d character.",
            "This password is too short. It must contain at least %d characters.",
            count,
        ),
    )
