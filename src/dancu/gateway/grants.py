"""The exchange's configuration as the gateway reads it from the projection: the connected systems (status and
keys), their grants by purpose (operations, fields, status flag, rate and daily quota) and the purpose codes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from dancu.gateway import projection


@dataclass(frozen=True, slots=True)
class GrantRule:
    operations: frozenset[str]
    fields: frozenset[str]
    status_flag: bool
    rate_per_second: int
    daily_quota: int


@dataclass(frozen=True)
class ExchangeConfig:
    version: str
    systems: dict[str, tuple[str, dict[str, Any]]]  # client_id -> (status, jwks)
    grants: dict[tuple[str, str], GrantRule]
    purposes: frozenset[str]


def load_exchange(conn: sqlite3.Connection) -> ExchangeConfig:
    version = projection.meta(conn, "config_version")
    systems = {cid: (status, orjson.loads(jwks)) for cid, status, jwks in conn.execute(
        "SELECT client_id, status, jwks FROM systems")}  # fmt: skip
    grants = {
        (cid, purpose): GrantRule(frozenset(orjson.loads(ops)), frozenset(orjson.loads(fields)), bool(flag), rps, day)
        for cid, purpose, ops, fields, flag, rps, day in conn.execute(
            "SELECT client_id, purpose, operations, fields, status_flag, rate_per_second, daily_quota FROM grants"
        )
    }
    purposes = frozenset(row[0] for row in conn.execute("SELECT code FROM purposes"))
    return ExchangeConfig(version, systems, grants, purposes)
