"""Benchmarks of the chip (issue 20).

personalise: a fresh SQLite registry of N synthetic people (``dancu synth``), their cards (``dancu issue_cards
    --synthetic``), then ``dancu cards personalise`` timed: chips/s and the extrapolation to 100,000 cards (target
    under 5 minutes). Beside it the floor: the cryptography alone per chip (two EC key pairs, one ECDSA signature).
verify: passive authentication of one genuine chip in process (core.chip.verify), against the bare ECDSA
    signature check of the SOD (the floor).

gateway: POST /v1/chip/verify through the gateway (granian, 2 workers, access token, a durable ledger entry per
    call, the card checked against the projection) in closed loop with wrk (../shared/tools/http-load) over the
    chips of 200 people, side by side with the floor: bare ECDSA P-256 verifications/s on one core and on two.

Usage: .venv/bin/python bench/chip_bench.py personalise [--people 20000]
       .venv/bin/python bench/chip_bench.py verify [--seconds 5]
       .venv/bin/python bench/chip_bench.py gateway [--seconds 15] [--connections 32] [--port 8104]
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
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds, out = dancu(env, "cards", "personalise")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        count = int(out.split()[0])
        floor = crypto_floor()
        per_chip = seconds / count
        print(f"machine: {machine()}")
        rate = count / seconds
        estimate = per_chip * 100_000
        print(f"personalise: {count:,} chips in {seconds:.1f} s = {rate:,.0f} chips/s ({per_chip * 1000:.2f} ms/chip)")
        print(f"100,000 cards ~ {estimate:.0f} s wall at this load (target < 300 s)")
        print(f"CPU of the command: {cpu:.1f} s = {cpu / count * 1000:.2f} ms/chip (Django start included); "
              f"100,000 cards ~ {cpu / count * 100_000:.0f} s of one core")  # fmt: skip
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


def bare_verifications(seconds: float) -> float:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public, message = key.public_key(), b"signed attributes of a SOD" * 4
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        count += 200
    return count / (time.perf_counter() - started)


def _floor_two_cores(seconds: float) -> float:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        return sum(pool.map(bare_verifications, [seconds, seconds]))


def gateway(seconds: int, connections: int, port: int) -> None:
    import base64
    import json

    sys.path.insert(0, str(ROOT / "bench"))
    from gateway_bench import get_token, load, lua, serve, stop

    with tempfile.TemporaryDirectory(prefix="chipgw") as var:
        env = dict(os.environ, DANCU_VAR_DIR=var, DANCU_GATEWAY_WORKERS="2",
                   DANCU_GATEWAY_ISSUER=f"http://127.0.0.1:{port}")  # fmt: skip
        env.pop("DATABASE_URL", None)
        for step in (("migrate", "-v0"), ("load_geo",),
                     ("synth", "--people", "2000", "--seed", "7", "--province", "01", "--no-progress"),
                     ("issue_cards", "--synthetic"), ("cards", "personalise", "--limit", "200"),
                     ("demo_gateway",), ("cards", "pki", "publish")):  # fmt: skip
            dancu(env, *step)
        os.environ["DANCU_VAR_DIR"] = var
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
        import django

        django.setup()
        from dancu.cards.models import ChipImage

        bodies = []
        for chip in ChipImage.objects.all()[:200]:
            groups = [base64.b64encode(g).decode() for g in chip.data_groups().values()]
            bodies.append(json.dumps({"purpose": "kyc-banking", "sod": base64.b64encode(bytes(chip.sod)).decode(),
                                      "data_groups": groups}))  # fmt: skip
        process = serve("dancu.gateway.app:app_factory", port, env, True)
        try:
            base = f"http://127.0.0.1:{port}"
            token = get_token(base, Path(var) / "demo-client" / "demo-bank.private.jwk.json")
            script = lua(Path(var) / "chip.lua", "/v1/chip/verify", bodies, token)
            result = load(f"{base}/v1/chip/verify", seconds, connections, script)
        finally:
            stop(process)
        floor_one = bare_verifications(3)
        floor_two = _floor_two_cores(3)
        print(f"machine: {machine()}")
        rps, p50, p99, non2xx = result["rps"], result["p50"], result["p99"], result["non2xx"]
        print(f"gateway /v1/chip/verify: {rps:,.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms, non-2xx {non2xx:.0f}")
        print(f"  ({seconds} s, {connections} connections, 2 workers, a durable ledger entry per call)")
        print(f"floor: bare ECDSA P-256 verification {floor_one:,.0f}/s on one core, {floor_two:,.0f}/s on two; "
              f"gateway / floor(two cores) = {result['rps'] / floor_two:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("personalise")
    p.add_argument("--people", type=int, default=20_000)
    v = sub.add_parser("verify")
    v.add_argument("--seconds", type=float, default=5)
    g = sub.add_parser("gateway")
    g.add_argument("--seconds", type=int, default=15)
    g.add_argument("--connections", type=int, default=32)
    g.add_argument("--port", type=int, default=8104)
    args = parser.parse_args()
    if args.what == "personalise":
        personalise(args.people)
    elif args.what == "gateway":
        gateway(args.seconds, args.connections, args.port)
    else:
        verify(args.seconds)


if __name__ == "__main__":
    main()
