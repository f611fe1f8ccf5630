"""Benchmarks of the chip (issue 20).

personalise: a fresh SQLite registry of N synthetic people (``dancu synth``), their cards (``dancu issue_cards
    --synthetic``), then ``dancu cards personalise`` timed: chips/s and the extrapolation to 100,000 cards (target
    under 5 minutes). Beside it the floor: the cryptography alone per chip (two EC key pairs, one ECDSA signature).
verify: passive authentication of one genuine chip in process (core.chip.verify), against the bare ECDSA
    signature check of the SOD (the floor).

Usage: .venv/bin/python bench/chip_bench.py personalise [--people 20000]
       .venv/bin/python bench/chip_bench.py verify [--seconds 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DANCU = str(ROOT / ".venv" / "bin" / "dancu")
sys.path.insert(0, str(ROOT))


def machine() -> str:
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {load[0]:.2f} {load[1]:.2f}"


def dancu(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([DANCU, *args], env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout.strip()


def crypto_floor(count: int = 2000) -> float:
    """Seconds per chip for the cryptography alone: two P-256 key pairs and one ECDSA-SHA-256 signature."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    signer = ec.generate_private_key(ec.SECP256R1())
    started = time.perf_counter()
    for i in range(count):
        ec.generate_private_key(ec.SECP256R1())
        ec.generate_private_key(ec.SECP256R1())
        signer.sign(i.to_bytes(8, "big"), ec.ECDSA(hashes.SHA256()))
    return (time.perf_counter() - started) / count


def personalise(people: int) -> None:
    with tempfile.TemporaryDirectory(prefix="chipbench") as var:
        env = dict(os.environ, DANCU_VAR_DIR=var)
        env.pop("DATABASE_URL", None)
        dancu(env, "migrate", "-v0")
        dancu(env, "load_geo")
        dancu(env, "synth", "--people", str(people), "--seed", "7", "--province", "01", "--no-progress")
        dancu(env, "issue_cards", "--synthetic")
        dancu(env, "cards", "pki", "rotate")
        seconds, out = dancu(env, "cards", "personalise")
        count = int(out.split()[0])
        floor = crypto_floor()
        per_chip = seconds / count
        print(f"machine: {machine()}")
        rate = count / seconds
        estimate = per_chip * 100_000
        print(f"personalise: {count:,} chips in {seconds:.1f} s = {rate:,.0f} chips/s ({per_chip * 1000:.2f} ms/chip)")
        print(f"100,000 cards ~ {estimate:.0f} s (target < 300 s)")
        print(f"floor (keys + signature only): {floor * 1000:.2f} ms/chip; ratio {per_chip / floor:.1f}x")


def verify(seconds: float) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from tests.core.chip.pkitools import DER, make_chip

    from dancu.core.chip.verify import TrustStore, passive_authentication

    chip = make_chip()
    trust = TrustStore.build([chip.ca_cert.public_bytes(DER)])
    files = chip.files()
    public = chip.ds_key.public_key()
    message = b"signed attributes of a SOD" * 4
    signature = chip.ds_key.sign(message, ec.ECDSA(hashes.SHA256()))

    def rate(call) -> float:
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            for _ in range(100):
                call()
            count += 100
        return count / (time.perf_counter() - started)

    floor = rate(lambda: public.verify(signature, message, ec.ECDSA(hashes.SHA256())))
    full = rate(lambda: passive_authentication(chip.sod, files, trust))
    print(f"machine: {machine()}")
    print(f"bare ECDSA P-256 verification (floor): {floor:,.0f}/s")
    print(f"passive authentication in process: {full:,.0f}/s = {full / floor:.2f} of the floor")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("personalise")
    p.add_argument("--people", type=int, default=20_000)
    v = sub.add_parser("verify")
    v.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    if args.what == "personalise":
        personalise(args.people)
    else:
        verify(args.seconds)


if __name__ == "__main__":
    main()
