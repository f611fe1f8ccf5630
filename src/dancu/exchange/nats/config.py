"""The nats-server configuration for dancu (``dancu nats-config``): JetStream, one account, a user per connected
system that can read only its own deliveries through its own durable pull consumer, the relay's user, and an internal
user for gateway nodes.

Passwords come from a credentials file (``DANCU_NATS_CREDENTIALS``, default ``var/nats/credentials.json``, mode
0600), generated for a system the first time it is named; they are never in the repository. The rendered
configuration holds them too, so it is written with mode 0600.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from dancu.events.relay import EVENTS_STREAM, EVENTS_SUBJECT_PREFIX

#: The stream of per-system deliveries (shaped payloads) and its subjects: ``dancu.deliver.<client_id>.<type>.<prov>``.
DELIVERIES_STREAM = "DANCU_DELIVERIES"
DELIVERIES_SUBJECT_PREFIX = "dancu.deliver"
RELAY_USER = "dancu-relay"
GATEWAY_USER = "dancu-gateway"
ACCOUNT = "DANCU"

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class NatsConfigError(ValueError):
    """A client id that cannot be a NATS subject token or consumer name (stable code ``nats_client_id_invalid``)."""

    code = "nats_client_id_invalid"


def check_client_id(client_id: str) -> str:
    if not _TOKEN.match(client_id):
        raise NatsConfigError(f"{NatsConfigError.code}: a client id for NATS is letters, digits, '-' or '_'")
    return client_id


def delivery_subject_root(client_id: str) -> str:
    """Every subject a system may read: ``dancu.deliver.<client_id>.>``."""
    return f"{DELIVERIES_SUBJECT_PREFIX}.{check_client_id(client_id)}"


def durable_name(client_id: str) -> str:
    """The one durable pull consumer a system may use (its client id)."""
    return check_client_id(client_id)


def inbox_prefix(client_id: str) -> str:
    """The inbox prefix a system must connect with (nats-py ``inbox_prefix=``): its replies are its alone."""
    return f"_INBOX_{check_client_id(client_id)}"


@dataclass(frozen=True, slots=True)
class Credentials:
    user: str
    password: str


def _password() -> str:
    """A random password that does not begin with '-': on a command line (``--password -x...``) that reads as an
    option, and the example consumer refused one in about one run in 64."""
    while (password := secrets.token_urlsafe(24)).startswith("-"):
        pass
    return password


class CredentialStore:
    """Generated passwords, kept in a JSON file readable by its owner only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, dict[str, str]] = {}
        if path.exists():
            self.data = json.loads(path.read_text())

    @classmethod
    def default(cls) -> CredentialStore:
        from django.conf import settings

        return cls(
            Path(os.environ.get("DANCU_NATS_CREDENTIALS") or Path(settings.VAR_DIR) / "nats" / "credentials.json")
        )

    def get(self, user: str) -> Credentials:
        entry = self.data.setdefault(user, {})
        if not entry.get("password"):
            entry["password"] = _password()
        return Credentials(user, entry["password"])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.data, handle, indent=2, sort_keys=True)
        os.chmod(self.path, 0o600)


def system_permissions(client_id: str) -> dict[str, dict[str, list[str]]]:
    """A system reads its own deliveries through its own durable consumer, and nothing else: it may create (with
    its own subjects as the filter: the server checks the filter named in the API subject against the request),
    inspect, delete (to replay from a sequence or a time) and pull from that consumer, and acknowledge its
    messages; its replies come to its own inbox prefix."""
    durable = durable_name(client_id)
    stream = DELIVERIES_STREAM
    return {
        "publish": {
            "allow": [
                f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.{delivery_subject_root(client_id)}.>",
                f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
                f"$JS.API.CONSUMER.DELETE.{stream}.{durable}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                f"$JS.ACK.{stream}.{durable}.>",
            ]
        },
        "subscribe": {"allow": [f"{inbox_prefix(client_id)}.>"]},
    }


def relay_permissions() -> dict[str, dict[str, list[str]]]:
    """The relay publishes both streams and manages them (creates them when missing, reads their last message)."""
    return {
        "publish": {
            "allow": [f"{EVENTS_SUBJECT_PREFIX}.>", f"{DELIVERIES_SUBJECT_PREFIX}.>", "$JS.API.>"],
        },
        "subscribe": {"allow": ["_INBOX.>"]},
    }


def gateway_permissions() -> dict[str, dict[str, list[str]]]:
    """Gateway nodes follow the internal stream through their own consumers; they publish nothing else."""
    stream = EVENTS_STREAM
    return {
        "publish": {
            "allow": [
                "$JS.API.INFO",
                f"$JS.API.STREAM.INFO.{stream}",
                f"$JS.API.STREAM.MSG.GET.{stream}",
                f"$JS.API.CONSUMER.*.{stream}.>",
                f"$JS.API.CONSUMER.*.{stream}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.>",
                f"$JS.ACK.{stream}.>",
            ]
        },
        "subscribe": {"allow": ["_INBOX.>"]},
    }


def _quote(value: str) -> str:
    return json.dumps(value)


def _permissions_block(permissions: dict[str, dict[str, list[str]]], indent: str) -> str:
    lines = [f"{indent}permissions: {{"]
    for direction, rules in permissions.items():
        for kind, subjects in rules.items():
            lines.append(f"{indent}  {direction}: {{ {kind}: [{', '.join(_quote(s) for s in subjects)}] }}")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def render(
    *,
    store: CredentialStore,
    client_ids: list[str],
    port: int = 4222,
    host: str = "127.0.0.1",
    store_dir: str,
    http_port: int | None = 8222,
    server_name: str = "dancu",
) -> str:
    """The configuration text (nats-server's format; JSON strings are valid values in it)."""
    users: list[tuple[Credentials, dict[str, dict[str, list[str]]]]] = [
        (store.get(RELAY_USER), relay_permissions()),
        (store.get(GATEWAY_USER), gateway_permissions()),
    ]
    for client_id in sorted(set(client_ids)):
        users.append((store.get(check_client_id(client_id)), system_permissions(client_id)))
    user_blocks = []
    for credentials, permissions in users:
        user_blocks.append(
            "      {\n"
            f"        user: {_quote(credentials.user)}\n"
            f"        password: {_quote(credentials.password)}\n"
            f"{_permissions_block(permissions, '        ')}\n"
            "      }"
        )
    monitoring = f"http: {_quote(f'{host}:{http_port}')}\n" if http_port else ""
    system = store.get("sys")
    return (
        "# Generated by `dancu nats-config`: do not edit by hand, run it again (docs/operator.md).\n"
        f"server_name: {_quote(server_name)}\n"
        f"listen: {_quote(f'{host}:{port}')}\n"
        f"{monitoring}"
        "max_payload: 1MB\n"
        "jetstream {\n"
        f"  store_dir: {_quote(store_dir)}\n"
        "}\n"
        "accounts {\n"
        f"  {ACCOUNT}: {{\n"
        "    jetstream: enabled\n"
        "    users: [\n" + "\n".join(user_blocks) + "\n    ]\n"
        "  }\n"
        "  SYS: {\n"
        f"    users: [{{ user: {_quote(system.user)}, password: {_quote(system.password)} }}]\n"
        "  }\n"
        "}\n"
        "system_account: SYS\n"
    )


def write_config(path: Path, text: str) -> None:
    """Write the configuration readable by its owner only (it holds passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)
