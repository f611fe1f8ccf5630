"""E-ID account services, one module per concern. Each refusal is a :class:`~dancu.core.errors.DomainError` with a
stable code; messages never say whether an account exists. Domain functions take a
:class:`~dancu.accounts.services.context.RequestContext` (built once at the door), never an ``HttpRequest``; only
:mod:`~dancu.accounts.services.web_sessions` drives Django's session machinery on the request.

=========================  ===================================================================================
``context``                the request context; the security history (``record``)
``codes``                  phone numbers, one-time codes
``passwords``              strength rules, a change by the holder
``registration``           self-registration at level 1, children's accounts
``signin``                 password sign-in with lockout and back-off, the assurance level (acr)
``sessions``               the account-session rows (the only writer)
``web_sessions``           Django's login/logout and session key, around ``sessions``
``second_factors``         the authenticator app (TOTP)
``recovery``               password recovery by SMS code
``contact_points``         e-mail address, notification channels, notices
``client_consents``        OpenID Connect applications' consents and tokens
``status``                 level 2 by an official, closure at the holder's death
``officials``              officials' agency and area; people and households within it, the name search
=========================  ===================================================================================

The names below are re-exported so that ``from dancu.accounts import services; services.X`` keeps working.
"""

from dancu.accounts.services.client_consents import revoke_client_consent, revoke_client_tokens
from dancu.accounts.services.codes import (
    CODE_ATTEMPTS,
    CODE_TTL,
    check_code,
    issue_code,
    mask_phone,
    normalise_phone,
)
from dancu.accounts.services.contact_points import (
    confirm_email,
    normalise_email,
    remove_email,
    send_notice,
    set_notification_channels,
    start_email_change,
)
from dancu.accounts.services.context import NO_CONTEXT, RequestContext, network_prefix, record
from dancu.accounts.services.passwords import change_password, check_password_strength
from dancu.accounts.services.recovery import RECOVERY_SENT, complete_recovery, start_recovery
from dancu.accounts.services.registration import (
    MIN_SELF_REGISTRATION_AGE,
    confirm_registration,
    create_child_account,
    start_registration,
)
from dancu.accounts.services.second_factors import (
    _secret_box,
    begin_totp,
    confirm_totp,
    disable_totp,
    has_totp,
    verify_totp,
)
from dancu.accounts.services.sessions import end_all_sessions, revoke_session
from dancu.accounts.services.signin import (
    ACR_LEVEL1,
    ACR_LEVEL2,
    FAILED_SIGN_INS_BEFORE_LOCK,
    FIRST_LOCK,
    LONGEST_LOCK,
    SIGN_IN_FAILED,
    acr_for,
    authenticate_password,
)
from dancu.accounts.services.status import MIN_LEVEL2_AGE, activate_level2, close_for_death
from dancu.accounts.services.web_sessions import add_factor, end_session, signed_in, start_session

__all__ = [
    "ACR_LEVEL1",
    "ACR_LEVEL2",
    "CODE_ATTEMPTS",
    "CODE_TTL",
    "FAILED_SIGN_INS_BEFORE_LOCK",
    "FIRST_LOCK",
    "LONGEST_LOCK",
    "MIN_LEVEL2_AGE",
    "MIN_SELF_REGISTRATION_AGE",
    "NO_CONTEXT",
    "RECOVERY_SENT",
    "SIGN_IN_FAILED",
    "RequestContext",
    "_secret_box",
    "acr_for",
    "activate_level2",
    "add_factor",
    "authenticate_password",
    "begin_totp",
    "change_password",
    "check_code",
    "check_password_strength",
    "close_for_death",
    "complete_recovery",
    "confirm_email",
    "confirm_registration",
    "confirm_totp",
    "create_child_account",
    "disable_totp",
    "end_all_sessions",
    "end_session",
    "has_totp",
    "issue_code",
    "mask_phone",
    "network_prefix",
    "normalise_email",
    "normalise_phone",
    "record",
    "remove_email",
    "revoke_client_consent",
    "revoke_client_tokens",
    "revoke_session",
    "send_notice",
    "set_notification_channels",
    "signed_in",
    "start_email_change",
    "start_recovery",
    "start_registration",
    "start_session",
    "verify_totp",
]
