"""Registering OpenID Connect clients (relying parties): by operators, from the CLI or the admin."""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
from urllib.parse import urlparse

from oauth2_provider.models import Application

from dancu.core.errors import DomainError


def _check_redirect(uri: str) -> None:
    parsed = urlparse(uri)
    if parsed.fragment or not parsed.netloc:
        raise DomainError(
            "redirect_uri_invalid", "A redirect URI is absolute and has no fragment.", field="redirect_uri"
        )
    if parsed.scheme == "https":
        return
    host = parsed.hostname or ""
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parsed.scheme != "http" or not loopback:
        raise DomainError(
            "redirect_uri_insecure", "Redirect URIs use https (http only on loopback, RFC 8252).", field="redirect_uri"
        )


def register_client(
    *,
    name: str,
    redirect_uris: list[str],
    confidential: bool = True,
    post_logout_uris: list[str] | None = None,
    client_id: str | None = None,
) -> tuple[Application, str | None]:
    """A client using the authorization code flow with PKCE and RS256 ID tokens. Returns it and, for a
    confidential client, its secret in clear (shown once; stored hashed)."""  # fmt: skip
    if not redirect_uris:
        raise DomainError("redirect_uri_required", "Give at least one redirect URI.", field="redirect_uri")
    for uri in [*redirect_uris, *(post_logout_uris or [])]:
        _check_redirect(uri)
    secret = secrets.token_urlsafe(32) if confidential else None
    app = Application(
        name=name[:255],
        client_type=Application.CLIENT_CONFIDENTIAL if confidential else Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        post_logout_redirect_uris=" ".join(post_logout_uris or []),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=False,
    )
    if client_id:
        if Application.objects.filter(client_id=client_id).exists():
            raise DomainError("client_exists", "A client with this id exists.", field="client_id")
        app.client_id = client_id
    if secret is not None:
        app.client_secret = secret  # hashed on save (hash_client_secret)
    else:
        app.client_secret = ""
    app.save()
    return app, secret
