"""The ``Gateway``: what one worker process serves from (projection, keys, token service, access ledger, limits,
metrics), kept fresh by a background refresh, and the checks and the comparison shared by the endpoints."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from typing import Any, Literal

import msgspec

from dancu.core.crypto import Keyring
from dancu.gateway import projection
from dancu.gateway.auth import AccessClaims, AuthError, TokenService
from dancu.gateway.config import GatewayConfig
from dancu.gateway.errors import LedgerUnavailable, RequestFailed
from dancu.gateway.grants import GrantRule, load_exchange
from dancu.gateway.hashing import AttributeHasher, name_forms
from dancu.gateway.ledger import AsyncLedger, Ledger, LedgerEntry, now_iso
from dancu.gateway.limits import TokenBucket
from dancu.gateway.metrics import MULTIPROCESS, Metrics
from dancu.gateway.schemas import (
    Answer,
    Attributes,
    BatchRequest,
    Item,
    LookupRequest,
    VerifyRequest,
    VerifyResult,
)
from dancu.gateway.state import SharedState, quota_day, seconds_to_quota_midnight


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        keys = Keyring(config.keys_dir)
        self.keys = keys
        self.hasher = AttributeHasher(keys.hmac_key)
        self.db = projection.connect(config.projection)  # creates the schema if the projector has not yet run
        self.db.close()
        self.db = projection.connect(config.projection, readonly=True)
        self.reader = projection.PersonReader(self.db, config.projection.parent)
        self.state = SharedState(config.state)
        kid, key = keys.ledger_signing_key()
        self.ledger = AsyncLedger(Ledger(config.ledger, signing_key=key, key_id=kid))
        self.tokens = TokenService(
            issuer=config.issuer,
            signing=keys.token_signing_key(),
            public_keys=keys.token_public_keys(),
            ttl=config.token_ttl,
            assertion_max_ttl=config.assertion_max_ttl,
            use_jti=self.state.use_jti,
        )
        self.exchange = load_exchange(self.db)
        self._keys_seen = self._keys_stamp()
        self.buckets: dict[tuple[str, str], TokenBucket] = {}
        # Daily usage: this worker's calls not yet handed to the shared state, those being handed over, and the
        # shared total as last read. All three are touched only by the event loop's thread.
        self.usage_local: dict[tuple[str, str, str], int] = {}
        self.usage_pending: dict[tuple[str, str, str], int] = {}
        self.usage_total: dict[tuple[str, str, str], int] = {}
        self.metrics = Metrics()
        self.readiness_cache: tuple[float, Any] | None = None  # (when, health.Readiness): see gateway/health.py
        self._tasks: list[asyncio.Task[None]] = []
        self._decoders = {
            VerifyRequest: msgspec.json.Decoder(VerifyRequest),
            BatchRequest: msgspec.json.Decoder(BatchRequest),
            LookupRequest: msgspec.json.Decoder(LookupRequest),
        }
        self._encoder = msgspec.json.Encoder()

    # -- lifecycle

    async def start(self) -> None:
        await self.ledger.start()
        self._tasks.append(asyncio.create_task(self._refresh_loop()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._flush_usage()
        await self.ledger.stop()
        if MULTIPROCESS:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.config_refresh_seconds)
            try:
                self.refresh()
                pending = self._take_usage()
                self.usage_total = await asyncio.to_thread(self.state.add_usage, pending)
                self.usage_pending = {}
            except (sqlite3.Error, OSError, ValueError, KeyError):
                # A projection being swapped or a key file being rewritten: keep the last good state, retry soon.
                continue

    def refresh(self) -> None:
        version = projection.meta(self.db, "config_version")
        if version != self.exchange.version:
            self.exchange = load_exchange(self.db)
            self.buckets.clear()
        stamp = self._keys_stamp()
        if stamp != self._keys_seen:
            # A rotated key file: sign new tokens with the new active key, keep verifying tokens signed with the
            # older ones still listed (rotation without downtime), and sign new ledger checkpoints with the new key.
            self._keys_seen = stamp
            keys = Keyring(self.config.keys_dir, create=False)
            self.keys = keys
            self.hasher = AttributeHasher(keys.hmac_key)
            self.tokens.rotate(keys.token_signing_key(), keys.token_public_keys())
            kid, key = keys.ledger_signing_key()
            self.ledger.ledger.set_signing_key(key, kid)

    def _keys_stamp(self) -> tuple[float, ...]:
        return tuple(path.stat().st_mtime for path in sorted(self.config.keys_dir.glob("*.json")) if path.is_file())

    def _take_usage(self) -> dict[tuple[str, str, str], int]:
        """Move this worker's new calls to the pending counts (still counted by the quota check until the shared
        total includes them, so a call between the hand-over and the new total cannot slip past the quota), and
        return every pending count: one whose hand-over failed is sent again with the next."""
        for key, count in self.usage_local.items():
            self.usage_pending[key] = self.usage_pending.get(key, 0) + count
        self.usage_local = {}
        return dict(self.usage_pending)

    def _flush_usage(self) -> None:
        self.usage_total = self.state.add_usage(self._take_usage())
        self.usage_pending = {}

    # -- ledger

    async def record(
        self, claims: AccessClaims | None, purpose: str, operation: str, pin_h: bytes | None, fields: tuple[str, ...],
        outcome: str, request_id: str,
    ) -> None:  # fmt: skip
        self.metrics.count(operation, outcome.partition(":")[0])
        if purpose not in self.exchange.purposes:  # a known purpose code is clean already
            purpose = clean(purpose)
        entry = LedgerEntry(
            now_iso(), claims.client_id if claims else "", purpose, operation, pin_h.hex() if pin_h else "", fields,
            outcome, request_id,
        )  # fmt: skip
        try:
            await self.ledger.append(entry)
        except Exception as error:  # the answer must not go out without its durable entry
            raise LedgerUnavailable(request_id) from error

    # -- checks shared by the endpoints

    def authenticate(self, authorization: str | None) -> AccessClaims:
        """The caller's access token, checked before anything of the body is read (401), and its system's status
        (403)."""
        try:
            claims = self.tokens.verify(authorization)
        except AuthError as error:
            raise RequestFailed(401, error.code, error.message) from None
        system = self.exchange.systems.get(claims.client_id)
        if system is None or system[0] != "approved":
            raise RequestFailed(403, "system_not_active", "This system is suspended, retired or unknown.")
        return claims

    def authorise(self, claims: AccessClaims, purpose: str, operation: str, weight: int = 1) -> GrantRule:
        """The authenticated caller's grant for this purpose and operation, and its rate and quota."""
        if purpose not in self.exchange.purposes:
            raise RequestFailed(400, "purpose_unknown", "Unknown purpose code.")
        if claims.purposes and purpose not in claims.purposes:
            raise RequestFailed(403, "purpose_not_in_token", "The access token was not issued for this purpose.")
        rule = self.exchange.grants.get((claims.client_id, purpose))
        if rule is None or operation not in rule.operations:
            raise RequestFailed(403, "purpose_not_granted", f"This system may not {operation} for this purpose.")
        key = (claims.client_id, purpose)
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = TokenBucket(rule.rate_per_second / max(1, self.config.workers))
        wait = bucket.take(weight)
        if wait:
            raise RequestFailed(
                429, "rate_limited", "Too many requests for this system and purpose.", retry_after=max(1, int(wait + 1))
            )
        usage_key = (claims.client_id, purpose, quota_day())
        used = (
            self.usage_total.get(usage_key, 0)
            + self.usage_pending.get(usage_key, 0)
            + self.usage_local.get(usage_key, 0)
        )
        if used + weight > rule.daily_quota:
            raise RequestFailed(429, "daily_quota_exceeded", "The daily quota for this purpose is used up.",
                                retry_after=seconds_to_quota_midnight())  # fmt: skip
        self.usage_local[usage_key] = self.usage_local.get(usage_key, 0) + weight
        return rule

    def person(self, pin_h: bytes) -> tuple[Any, ...] | None:
        """``(name_h, name_fold_h, dob_h, dob_precision, sex_h, deceased)`` of a person, or None."""
        return self.reader.person(pin_h)

    def persons(self, pin_hs: list[bytes]) -> dict[bytes, tuple[Any, ...]]:
        """Rows for many keys (a batch): key -> the same tuple as :meth:`person`."""
        return self.reader.persons(pin_hs)

    def compare(self, pin: str, row: tuple[Any, ...] | None, item: Item, rule: GrantRule) -> VerifyResult:
        found, attributes, reasons, status = self.answers(pin, row, item, rule)
        return VerifyResult(found=found, attributes=attributes, reasons=reasons, status=status)

    def answers(
        self, pin: str, row: tuple[Any, ...] | None, item: Item, rule: GrantRule
    ) -> tuple[bool, Attributes, list[str], Literal["living", "deceased"] | None]:
        """``(found, attributes, reasons, status)`` of one verification (the :class:`Attributes` instances are shared
        between answers: there are 81 of them, never changed)."""
        if row is None:
            return False, _ATTRIBUTES[_absent(item.full_name), _absent(item.full_name), _absent(item.birth_date),
                                      _absent(item.sex)], ["pin_not_found"], None  # fmt: skip
        keys = self.hasher
        reasons: list[str] = []
        name_h, fold_h, dob_h, precision, sex_h, deceased = row
        name: Answer = "not_provided"
        folded: Answer = "not_provided"
        if item.full_name is not None:
            normalized, folded_name = name_forms(item.full_name)
            name = "match" if keys.attribute_hmac(pin, "name", normalized) == name_h else "no_match"
            folded = "match" if keys.attribute_hmac(pin, "name_folded", folded_name) == fold_h else "no_match"
        dob: Answer = "not_provided"
        if item.birth_date is not None:
            cut = (
                item.birth_date[:4]
                if precision == "year"
                else item.birth_date[:7]
                if precision == "month"
                else item.birth_date
            )
            dob = "match" if keys.attribute_hmac(pin, "birth_date", cut) == dob_h else "no_match"
            if precision != "day":
                reasons.append(f"birth_date_known_to_{precision}")
        sex: Answer = "not_provided"
        if item.sex is not None:
            sex = "match" if keys.attribute_hmac(pin, "sex", item.sex) == sex_h else "no_match"
        status: Literal["living", "deceased"] | None = None
        if rule.status_flag:
            status = "deceased" if deceased else "living"
            if deceased:
                reasons.append("person_deceased")
        return True, _ATTRIBUTES[name, folded, dob, sex], reasons, status


def _absent(value: object) -> Answer:
    return "not_provided" if value is None else "no_match"


_ANSWERS: tuple[Answer, ...] = ("match", "no_match", "not_provided")
#: Every combination of answers, made once (msgspec encodes a shared instance as well as a new one).
_ATTRIBUTES = {
    (name, folded, dob, sex): Attributes(name, folded, dob, sex)
    for name in _ANSWERS
    for folded in _ANSWERS
    for dob in _ANSWERS
    for sex in _ANSWERS
}


def clean(text: str, limit: int = 40) -> str:
    """Text from a caller made safe for the ledger: bounded, and valid UTF-8 (no lone surrogates)."""
    return text[:limit].encode("utf-8", "replace").decode("utf-8")
