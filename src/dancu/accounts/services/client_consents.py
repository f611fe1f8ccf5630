"""What the holder allowed OpenID Connect applications to see, and taking it back (tokens included)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dancu.accounts.models import Account, ClientConsent
from dancu.accounts.services.context import RequestContext, record
from dancu.core.errors import DomainError


def revoke_client_tokens(account: Account, application_id: int | None = None) -> None:
    from oauth2_provider.models import AccessToken, RefreshToken

    refresh = RefreshToken.objects.filter(user=account.user, revoked__isnull=True)
    access = AccessToken.objects.filter(user=account.user)
    if application_id is not None:
        refresh = refresh.filter(application_id=application_id)
        access = access.filter(application_id=application_id)
    for token in refresh:
        token.revoke()
    access.delete()


def remember_client_consent(
    account: Account, application: Any, scopes: list[str], context: RequestContext | None = None
) -> ClientConsent:
    """The holder allowed ``application`` to see ``scopes``: remembered (added to an open consent) so that the
    consent screen is skipped next time, until the holder revokes it."""
    scopes = sorted(set(scopes))
    consent = ClientConsent.objects.filter(account=account, application=application, revoked_at__isnull=True).first()
    if consent is None:
        consent = ClientConsent.objects.create(account=account, application=application, scopes=scopes)
    else:
        consent.scopes = sorted(set(consent.scopes) | set(scopes))
        consent.granted_at = timezone.now()
        consent.save(update_fields=["scopes", "granted_at"])
    record(account, "client_consent_granted", context, client=application.name, scopes=scopes)
    return consent


def revoke_client_consent(account: Account, consent_id: int, context: RequestContext | None = None) -> None:
    consent = ClientConsent.objects.filter(account=account, pk=consent_id, revoked_at__isnull=True).first()
    if consent is None:
        raise DomainError("consent_not_found", "No such consent.", status=404)
    consent.revoked_at = timezone.now()
    consent.save(update_fields=["revoked_at"])
    revoke_client_tokens(account, consent.application_id)
    record(account, "client_consent_revoked", context, client=consent.application.name)


#: Which data each claim an OpenID Connect client can receive carries (field codes of exchange.choices.DATA_NAMES).
#: ``sub`` (a random account number), ``acr``/``amr``/``level`` (how the holder signed in), ``locale`` and
#: ``phone_number_verified`` say nothing about the person's registry data and are not listed.
CLAIM_DATA = {
    "name": "full_name",
    "family_name": "full_name",
    "middle_name": "full_name",
    "given_name": "full_name",
    "birthdate": "birth_date",
    "gender": "sex",
    "pin": "pin",
    "address": "permanent_address",
    "phone_number": "phone",
}

#: The data each scope lets a client receive (``openid`` alone: only that the holder signed in).
SCOPE_DATA = {
    "profile": ("full_name", "birth_date", "sex"),
    "pin": ("pin",),
    "address": ("permanent_address",),
    "phone": ("phone",),
}


def scope_data(scopes: list[str]) -> list[str]:
    """The field codes ``scopes`` let a client receive."""
    return sorted({code for scope in scopes for code in SCOPE_DATA.get(scope, ())})


def record_claims_release(account: Account, application: Any, claims: dict[str, Any], *, release: str) -> None:
    """``application`` received ``claims`` about the holder (in an ID token: ``release="sign_in"``; at the userinfo
    endpoint: ``"userinfo"``): recorded for the holder's "who accessed my data". Each release is one record, a
    relying party that asks the userinfo endpoint ten times read the data ten times (the access records are
    append-only; the portal folds identical records in a row into one line with a count)."""
    from dancu.exchange.access import AccessChannel, record_access
    from dancu.exchange.models import ConnectedSystem

    fields = {CLAIM_DATA[name] for name in claims if name in CLAIM_DATA}
    # An application registered for a connected organisation (same client id) is shown under its organisation.
    organisation = (
        ConnectedSystem.objects.filter(client_id=application.client_id).values_list("organisation", flat=True).first()
        or application.name
    )
    record_access(
        account.person.pin,
        channel=AccessChannel.SIGN_IN,
        organisation=organisation,
        actor=application.name,
        purpose=release,
        fields=fields,
        reference=application.client_id,
    )
