"""The citizen portal: sign in with the e-ID, my record, my consents, who accessed my data, my account's security.

Every page shows only the signed-in citizen's own data (or their young children's, for a parent). PINs and other
personal data travel in POST bodies, never in URLs.

One module per group of pages; every view is re-exported here, so ``dancu.portal.views.home`` keeps working.
"""

from dancu.portal.views.common import _safe_next, citizen_required, context_of
from dancu.portal.views.consents import FIELD_NAMES, access_history, consents
from dancu.portal.views.passkeys import passkey_login, passkey_login_options, passkey_register, passkey_register_options
from dancu.portal.views.record import add_child, child_record, home
from dancu.portal.views.registration import recover, recover_confirm, register, register_confirm
from dancu.portal.views.security import SECURITY_EVENT_LABELS, security, security_action
from dancu.portal.views.signin import PRE_AUTH_KEY, PRE_AUTH_SECONDS, login_totp, login_view, logout_view, step_up

__all__ = [
    "FIELD_NAMES",
    "PRE_AUTH_KEY",
    "PRE_AUTH_SECONDS",
    "SECURITY_EVENT_LABELS",
    "_safe_next",
    "access_history",
    "add_child",
    "child_record",
    "citizen_required",
    "consents",
    "context_of",
    "home",
    "login_totp",
    "login_view",
    "logout_view",
    "passkey_login",
    "passkey_login_options",
    "passkey_register",
    "passkey_register_options",
    "recover",
    "recover_confirm",
    "register",
    "register_confirm",
    "security",
    "security_action",
    "step_up",
]
