"""Who is asking, as far as the account services need to know: the client's network and browser, taken once at the
door from the HTTP request so that domain functions never see an ``HttpRequest``."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from dancu.accounts.models import Account, SecurityEvent

USER_AGENT_LENGTH = 200


def network_prefix(address: str) -> str:
    """The client's network, not its address: /24 for IPv4, /48 for IPv6 (enough to recognise a place); empty for
    anything that is not an IP address."""
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    prefix = 24 if parsed.version == 4 else 48
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The request's facts that the security history and the rate limits use: the truncated client address
    (``network_prefix``) and the browser's self-description, cut to 200 characters."""

    network_prefix: str = ""
    user_agent: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest | None) -> RequestContext:
        """Built once at the door (a view, the OIDC provider); ``None`` gives the empty context of a command."""
        if request is None:
            return NO_CONTEXT
        return cls(
            network_prefix=network_prefix(request.META.get("REMOTE_ADDR", "")),
            user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_LENGTH],
        )

    @property
    def client_key(self) -> str:
        """The subject of per-client rate limits: the network, or one shared bucket when it is unknown."""
        return self.network_prefix or "unknown"


#: The context of work no person's browser asked for (commands, event consumers, demo data).
NO_CONTEXT = RequestContext()


def record(account: Account, kind: str, context: RequestContext | None = None, **detail: Any) -> SecurityEvent:
    """One entry of the holder's security history (shown on their Security page)."""
    where = context or NO_CONTEXT
    return SecurityEvent.objects.create(
        account=account, kind=kind, ip_prefix=where.network_prefix, user_agent=where.user_agent, detail=detail
    )
