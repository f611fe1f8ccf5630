"""django-oauth-toolkit's admin pages (relying parties, grants, tokens) in the reader's language.

The toolkit marks its field labels, choices, help texts and validation messages for translation but ships no
Vietnamese catalogue, and names its models and two admin actions in plain English. dancu's catalogue holds the
Vietnamese of every one of those texts (:data:`TOOLKIT_TEXTS` keeps them in ``make messages``), and
:func:`translate_toolkit_admin` gives the models, the app and the actions translatable names when Django starts.

Only what the pages show is changed: the models' ``Meta`` as declared (``_meta.original_attrs``) and the fields'
declared labels are left as they are, so the toolkit's migrations see no change.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext_lazy

#: The toolkit's own translatable texts, as its source writes them (oauth2_provider/models.py, admin.py, forms.py).
TOOLKIT_TEXTS = (
    # choices
    gettext_noop("Manual"), gettext_noop("Dynamic Client Registration"), gettext_noop("Client ID Metadata Document"),
    gettext_noop("Confidential"), gettext_noop("Public"), gettext_noop("Authorization code"),
    gettext_noop("Device Code"), gettext_noop("Implicit"), gettext_noop("Resource owner password-based"),
    gettext_noop("Client credentials"), gettext_noop("OpenID connect hybrid"), gettext_noop("No OIDC support"),
    gettext_noop("RSA with SHA-2 256"), gettext_noop("HMAC with SHA-2 256"), gettext_noop("Authorized"),
    gettext_noop("Authorization pending"), gettext_noop("Expired"), gettext_noop("Denied"),
    # field labels
    gettext_noop("client ID"), gettext_noop("user"), gettext_noop("redirect URIs"),
    gettext_noop("post logout redirect URIs"), gettext_noop("client type"), gettext_noop("authorization grant type"),
    gettext_noop("client secret"), gettext_noop("hash client secret"), gettext_noop("name"),
    gettext_noop("skip authorization"), gettext_noop("created"), gettext_noop("updated"), gettext_noop("algorithm"),
    gettext_noop("allowed origins"), gettext_noop("registration source"), gettext_noop("CIMD expires at"),
    gettext_noop("code"), gettext_noop("application"), gettext_noop("expires"), gettext_noop("redirect URI"),
    gettext_noop("scope"), gettext_noop("code challenge"), gettext_noop("code challenge method"),
    gettext_noop("nonce"), gettext_noop("claims"), gettext_noop("resource"), gettext_noop("source refresh token"),
    gettext_noop("token"), gettext_noop("token checksum"), gettext_noop("ID token"), gettext_noop("access token"),
    gettext_noop("token family"), gettext_noop("revoked"), gettext_noop("JWT Token ID"), gettext_noop("device code"),
    gettext_noop("user code"), gettext_noop("interval"), gettext_noop("status"), gettext_noop("last checked"),
    # help texts
    gettext_noop("Allowed URIs list, space separated"),
    gettext_noop("Allowed Post Logout URIs list, space separated"),
    gettext_noop("Client secret for authentication"),
    gettext_noop("Allowed origins list to enable CORS, space separated"),
    gettext_noop("How this application was registered (manual, DCR per RFC 7591, or CIMD)"),
    gettext_noop("When the cached Client ID Metadata Document should be re-fetched"),
    gettext_noop(
        "The client secret is hashed and can no longer be viewed. To rotate it, enter a new value and copy it before "
        "saving; the original secret cannot be recovered."
    ),
    gettext_noop("Copy and store this secret now. Once saved, it will be hashed and cannot be recovered."),
    gettext_noop(
        "This application stores its client secret unhashed, so the value above remains usable. Entering a new "
        "value replaces it."
    ),
    gettext_noop("Copy and store this secret now. This application stores the secret unhashed."),
    gettext_noop(
        "HS256 signs tokens with the client secret as the HMAC key, so the secret must be stored unhashed. Uncheck "
        "“Hash client secret” and set an unhashed client secret, or choose a different algorithm."
    ),
    gettext_noop(
        "HS256 requires an unhashed client secret. Uncheck this and set an unhashed client secret, or choose a "
        "different algorithm."
    ),
    # validation
    gettext_noop("redirect_uris cannot be empty with grant_type {grant_type}"),
    gettext_noop("You must set OIDC_RSA_PRIVATE_KEY to use RSA algorithm"),
    gettext_noop("You cannot use HS256 with public grants or clients"),
    gettext_noop("You cannot use HS256 without a client secret; it is the HMAC signing key."),
    gettext_noop(
        "You cannot use HS256 with a hashed client secret. For HS256 the client secret is the shared signing key and "
        "must be stored unhashed so the relying party can verify the token; set hash_client_secret=False and store "
        "an unhashed client_secret on this application."
    ),
    # the admin's messages after an action
    ngettext_lazy("Revoked %d access token.", "Revoked %d access tokens.", "count"),
    ngettext_lazy("Revoked %d refresh token.", "Revoked %d refresh tokens.", "count"),
)  # fmt: skip

#: model name -> (singular, plural), for the models the toolkit names after their class
MODEL_NAMES = {
    "application": (_("OIDC client application"), _("OIDC client applications")),
    "grant": (_("authorization code"), _("authorization codes")),
    "accesstoken": (_("access token"), _("access tokens")),
    "refreshtoken": (_("refresh token"), _("refresh tokens")),
    "idtoken": (_("ID token"), _("ID tokens")),
    "devicegrant": (_("device grant"), _("device grants")),
}

#: the admin's actions and columns the toolkit describes in plain English -> their translatable description
DESCRIPTIONS = {
    "Revoke selected access tokens": _("Revoke the selected access tokens"),
    "Revoke selected refresh tokens": _("Revoke the selected refresh tokens"),
    "token": _("token"),
    "code": _("code"),
}


def translate_toolkit_admin() -> None:
    """Give the toolkit's app, models and admin actions translatable names (``AccountsConfig.ready`` calls it)."""
    config = apps.get_app_config("oauth2_provider")
    config.verbose_name = _("OpenID Connect provider")
    for model in config.get_models():
        names = MODEL_NAMES.get(model._meta.model_name)
        if names is not None:
            model._meta.verbose_name, model._meta.verbose_name_plural = names
        model_admin = admin.site._registry.get(model)
        if model_admin is None:
            continue
        for name in dir(type(model_admin)):
            function = getattr(type(model_admin), name, None)
            description = getattr(function, "short_description", None)
            if isinstance(description, str) and description in DESCRIPTIONS:
                function.short_description = DESCRIPTIONS[description]  # type: ignore[union-attr]
