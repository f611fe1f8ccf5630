"""Random and mutated ASN.1 never makes passive authentication raise anything but a ChipError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dancu.core.chip.verify import ChallengeGuard, ChipError, TrustStore, active_authentication, passive_authentication
from tests.core.chip.pkitools import DER, make_chip

CHIP = make_chip()
TRUST = TrustStore.build([CHIP.ca_cert.public_bytes(DER)])
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(sod: bytes, files: list[bytes]) -> None:
    with contextlib.suppress(ChipError):
        passive_authentication(sod, files, TRUST)


@FAST
@given(st.binary(max_size=400))
def test_random_bytes(data):
    _check(data, CHIP.files())
    _check(CHIP.sod, [data])


@FAST
@given(st.data())
def test_mutated_sod(data):
    sod = bytearray(CHIP.sod)
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(sod) - 1))
        sod[position] = data.draw(st.integers(0, 255))
    _check(bytes(sod), CHIP.files())


@FAST
@given(st.data())
def test_truncated_or_spliced_sod(data):
    cut = data.draw(st.integers(0, len(CHIP.sod)))
    tail = data.draw(st.binary(max_size=40))
    _check(CHIP.sod[:cut] + tail, CHIP.files())


@FAST
@given(st.binary(max_size=200), st.binary(min_size=8, max_size=8), st.binary(max_size=80))
def test_active_authentication_inputs(dg15, challenge, signature):
    with pytest.raises(ChipError):
        active_authentication(dg15, challenge, signature, ChallengeGuard())
    with pytest.raises(ChipError):
        active_authentication(CHIP.groups[15], challenge, signature, ChallengeGuard())


@FAST
@given(st.binary(max_size=300))
def test_dg13_reader_raises_only_lds_errors(data):
    from dancu.core.chip import lds

    with contextlib.suppress(lds.LDSError):
        lds.read_dg13(lds.tlv(0x6D, data))
