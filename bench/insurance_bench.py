"""Health-insurance check-ins through the gateway, side by side with single verification in the same run (issue 21).

On a populated registry (``dancu synth`` into DIR, or synth_bench.py --keep DIR): the demo bank and the demo
hospital with its receptionist, everyone's insurance record (``dancu insurance demo``), one projection; then, on a
granian gateway with 2 workers, each with authentication and a durable ledger entry, closed loop (wrk through
../shared/tools/http-load): the floor (constant JSON), POST /v1/verify, POST /v1/health-insurance/check-in (typed
PIN, name, date of birth, sex: the full comparison), the floor again.

Usage: .venv/bin/python bench/insurance_bench.py --var-dir DIR [--seconds 15] [--connections 128]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gateway_bench import (
    BIN,
    FLOOR_APP,
    ROOT,
    free_port,
    load_with_cpu,
    lua,
    serve,
    stop,
)


def token_for(base: str, key_path: Path, client_id: str, scope: str) -> str:
    from joserfc import jwt
    from joserfc.jwk import OKPKey

    key = OKPKey.import_key(json.loads(key_path.read_text()))
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": f"{base}/oauth/token", "iat": now, "exp": now + 60,
              "jti": uuid.uuid4().hex}  # fmt: skip
    assertion = jwt.encode({"alg": "Ed25519", "kid": key.kid}, claims, key, algorithms=["Ed25519"])
    form = ("grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type"
            f"%3Ajwt-bearer&client_assertion={assertion}&scope={scope}").encode()  # fmt: skip
    request = urllib.request.Request(f"{base}/oauth/token", data=form, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--var-dir", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=128)
    args = parser.parse_args()
    var = args.var_dir.resolve()
    env = os.environ | {"DANCU_VAR_DIR": str(var)}
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    started = time.perf_counter()
    for command in (["migrate", "-v0"], ["demo_gateway"], ["insurance", "demo"]):
        subprocess.run([str(BIN / "dancu"), *command], env=env, check=True, capture_output=True)
    lift = (
        "from dancu.exchange.models import Grant; "
        "Grant.objects.filter(system__client_id__in=['demo-bank', 'demo-hospital'])"
        ".update(rate_per_second=10**6, daily_quota=10**9)"
    )
    subprocess.run([str(BIN / "dancu"), "shell", "-c", lift], env=env, check=True, capture_output=True)
    subprocess.run([str(BIN / "dancu"), "project", "-v0"], env=env, check=True)
    print(f"(setup and projection: {time.perf_counter() - started:.1f} s)")
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["DANCU_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dancu.settings")
    import django

    django.setup()
    from dancu.insurance.demo import DEMO_FACILITY, DEMO_RECEPTIONIST
    from dancu.insurance.models import Participant
    from dancu.registry.models import Person

    total = Person.objects.count()
    covered = Participant.objects.count()
    people = list(Person.objects.exclude(status="deceased").values_list("pin", "full_name", "sex", "birth_date"))
    sample = random.Random(3).sample(people, min(5000, len(people)))
    gw_port = free_port()
    floor_port = next(port for port in iter(free_port, 0) if port != gw_port)
    base = f"http://127.0.0.1:{gw_port}"
    gw_env = env | {"DANCU_GATEWAY_ISSUER": base, "DANCU_GATEWAY_WORKERS": "2"}
    staff_pin, staff_name = DEMO_RECEPTIONIST
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        (scratch / "floor_app.py").write_text(FLOOR_APP)
        verify_bodies = [json.dumps({"pin": p, "purpose": "kyc-banking", "full_name": n, "sex": s},
                                    ensure_ascii=False) for p, n, s, _b in sample]  # fmt: skip
        checkin_bodies = [json.dumps({"facility": DEMO_FACILITY, "receptionist_pin": staff_pin,
                                      "receptionist_name": staff_name, "pin": p, "full_name": n,
                                      "birth_date": b.isoformat(), "sex": s}, ensure_ascii=False)
                          for p, n, s, b in sample]  # fmt: skip

        def floor() -> dict[str, float]:
            process = serve("floor_app:app", floor_port, os.environ | {"PYTHONPATH": str(scratch)}, factory=False)
            try:
                return load_with_cpu(process, f"http://127.0.0.1:{floor_port}/", args.seconds, args.connections,
                                     lua(scratch / "floor.lua", "/v1/verify", verify_bodies, "x"))  # fmt: skip
            finally:
                stop(process)

        before = floor()
        gateway = serve("dancu.gateway.app:app_factory", gw_port, gw_env | {"DANCU_LEDGER": str(scratch / "ledger")},
                        factory=True, scratch=scratch)  # fmt: skip
        try:
            bank = token_for(base, var / "demo-client" / "demo-bank.private.jwk.json", "demo-bank", "kyc-banking")
            hospital = token_for(base, var / "demo-client" / "demo-hospital.private.jwk.json", "demo-hospital",
                                 "health-insurance")  # fmt: skip
            verify = load_with_cpu(gateway, base + "/", args.seconds, args.connections,
                                   lua(scratch / "v.lua", "/v1/verify", verify_bodies, bank))  # fmt: skip
            checkin = load_with_cpu(gateway, base + "/", args.seconds, args.connections,
                                    lua(scratch / "c.lua", "/v1/health-insurance/check-in", checkin_bodies,
                                        hospital))  # fmt: skip
            verify_again = load_with_cpu(gateway, base + "/", args.seconds, args.connections,
                                         lua(scratch / "v2.lua", "/v1/verify", verify_bodies, bank))  # fmt: skip
        finally:
            stop(gateway)
        after = floor()
    floor_rps = (before["rps"] + after["rps"]) / 2
    load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"{total:,} people, {covered:,} with an insurance record; load average after: {load_average}")
    print(f"floor (constant JSON) before and after: {before['rps']:,.0f} and {after['rps']:,.0f} req/s")
    for label, run in (("verify", verify), ("check-in", checkin), ("verify again", verify_again)):
        print(
            f"{label}: {run['rps']:,.0f} req/s = {run['rps'] / floor_rps:.0%} of the floor, p50 {run['p50']:.2f} ms,"
            f" p99 {run['p99']:.2f} ms, non-2xx {run['non2xx']:.0f}, server CPU {run['cpu_us']:.0f} us/request"
        )


if __name__ == "__main__":
    main()
