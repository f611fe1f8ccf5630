"""Birth-group declarations submitted through the citizen portal over HTTP, end to end: signed-in parents POST the
declaration form (multipart, a 200 KB birth certificate) to the web server in its production layout (granian WSGI,
2 workers x 4 threads, SQLite), which checks the session and CSRF token, validates against the registry, stores the
case with its three dossiers and the file, and queues the notification. Load from wrk through
../shared/tools/http-load (loopback only), rotating over the parents' sessions, every child with its own name.

Usage: .venv/bin/python bench/portal_submit_bench.py [--seconds 20] [--connections 8] [--people 20000] [--parents 64]
       [--src DIR ...]   (source trees to measure one after the other, each on its own fresh registry, e.g. an
                          earlier commit's from `git archive COMMIT src | tar -x -C /tmp/base`)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
HTTP_LOAD = ROOT.parent / "shared" / "tools" / "http-load"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from oidc_bench import free_port, load  # noqa: E402

PASSWORD = "Bench-password-2026!"

# Creates level-1 accounts for the first N mothers aged 19-40 with a household (run in the measured source tree).
ACCOUNTS = """
import json, sys, django
django.setup()
from django.contrib.auth.hashers import make_password
sys.path.insert(0, %(bench)r)
from services_bench import accounts_for, mothers
people = mothers(%(count)d)
accounts = accounts_for(people)
from django.contrib.auth.models import User
User.objects.filter(pk__in=[a.user_id for a in accounts]).update(password=make_password(%(password)r))
print(json.dumps([{"pin": p.pin, "commune": p.household.commune.code} for p in people]))
"""

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Phan"]
MIDDLE = ["Văn", "Thị", "Minh", "Gia", "Bảo", "Ngọc", "Đức", "Thanh", "Hoàng", "Khánh"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hòa", "Khang", "Lan", "Linh", "Minh", "Nam", "Ngọc",
         "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy"]  # fmt: skip

# Each request: the next parent's session, a name and birth date no request used before (so no duplicate refusals).
SUBMIT_LUA = """
local sessions = {%(sessions)s}
local family = {%(family)s}
local middle = {%(middle)s}
local given = {%(given)s}
local dates = {%(dates)s}
local boundary = "----dancubench7MA4YWxkTrZu0gW"
local pdf = "%%PDF-1.7\\n" .. string.rep("0", 200000)
local counter = 0
wrk.method = "POST"
local crlf = "\\r\\n"
local function field(name, value)
  return "--" .. boundary .. crlf .. "Content-Disposition: form-data; name=\\"" .. name .. "\\"" .. crlf .. crlf ..
    value .. crlf
end
request = function()
  counter = counter + 1
  local s = sessions[(counter %% #sessions) + 1]
  local n = math.floor(counter / #sessions)
  local name = family[(n %% #family) + 1] .. " " .. middle[(math.floor(n / #family) %% #middle) + 1] .. " " ..
    given[(math.floor(n / (#family * #middle)) %% #given) + 1]
  local born = dates[(math.floor(n / (#family * #middle * #given)) %% #dates) + 1]
  local body = field("csrfmiddlewaretoken", s[3]) .. field("child_full_name", name) .. field("child_sex", "F") ..
    field("child_birth_date", born) .. field("child_birth_commune", s[4]) .. field("extract_copies", "0") ..
    "--" .. boundary .. crlf ..
    "Content-Disposition: form-data; name=\\"birth_certificate\\"; filename=\\"gcs.pdf\\"" .. crlf ..
    "Content-Type: application/pdf\\r\\n\\r\\n" .. pdf .. "\\r\\n--" .. boundary .. "--\\r\\n"
  local headers = {}
  headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
  headers["Cookie"] = "sessionid=" .. s[1] .. "; csrftoken=" .. s[2]
  return wrk.format("POST", "/portal/thu-tuc/khai-sinh/", headers, body)
end
local shown = 0
response = function(status, headers, body)
  if status ~= 302 and shown < 3 then
    shown = shown + 1
    io.stderr:write(status .. " " .. string.sub(body, 1, 300) .. "\\n")
  end
end
"""


def lua_list(items: list[str]) -> str:
    return ", ".join(json.dumps(item, ensure_ascii=False) for item in items)


def sign_in(base: str, pin: str) -> tuple[str, str]:
    """The portal's sign-in form, as a browser fills it: the session cookie and the (rotated) CSRF cookie."""
    http = requests.Session()
    page = http.get(f"{base}/portal/dang-nhap/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = http.post(
        f"{base}/portal/dang-nhap/", {"csrfmiddlewaretoken": token, "pin": pin, "password": PASSWORD},
        allow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 302, done.status_code
    http.get(f"{base}/portal/thu-tuc/khai-sinh/")
    return http.cookies["sessionid"], http.cookies["csrftoken"]


def measure(src: Path, args: argparse.Namespace) -> dict[str, float]:
    var = Path(tempfile.mkdtemp(prefix="dancu-portal-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANCU_", "DATABASE_URL"))}
    env.update(
        DANCU_VAR_DIR=str(var), DANCU_SECURE_COOKIES="0", DANCU_RATE_LIMIT_FACTOR="1000000", PYTHONPATH=str(src),
        DJANGO_SETTINGS_MODULE="dancu.settings",
    )  # fmt: skip
    env.update(item.split("=", 1) for item in args.env or [])
    started = time.monotonic()

    def dancu(*command: str) -> str:
        return subprocess.run(
            [str(BIN / "dancu"), *command], env=env, check=True, capture_output=True, text=True
        ).stdout

    dancu("migrate", "--no-input", "-v0")
    dancu("load_geo", "-v0")
    dancu("synth", "--people", str(args.people), "--province", "01", "--seed", "11", "-v0")
    dancu("load_catalogue", "-v0")
    script = ACCOUNTS % {"bench": str(ROOT / "bench"), "count": args.parents, "password": PASSWORD}
    parents = json.loads(
        subprocess.run([str(BIN / "python"), "-c", script], env=env, check=True, capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    print(f"[{src}] setup {time.monotonic() - started:.1f} s in {var}")
    server = subprocess.Popen(
        [str(BIN / "dancu-serve"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
         "--blocking-threads", "4", "--log-level", "error", "dancu.wsgi:application"],
        env=env, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/portal/dang-nhap/", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.2)
        sessions = []
        for parent in parents:
            session, csrf = sign_in(base, parent["pin"])
            sessions.append("{" + lua_list([session, csrf, csrf, parent["commune"]]) + "}")
        today = date.today()
        dates = [(today - timedelta(days=d)).isoformat() for d in range(1, 40)]
        lua = Path(tempfile.mkdtemp(prefix="dancu-portal-lua-")) / "submit.lua"
        lua.write_text(
            SUBMIT_LUA
            % {
                "sessions": ", ".join(sessions),
                "family": lua_list(FAMILY),
                "middle": lua_list(MIDDLE),
                "given": lua_list(GIVEN),
                "dates": lua_list(dates),
            },
            encoding="utf-8",
        )
        result = load(f"{base}/portal/thu-tuc/khai-sinh/", args.seconds, args.connections, str(lua))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
    cases = subprocess.run(
        [str(BIN / "python"), "-c", "import django; django.setup(); from dancu.procedures.models import Case; "
         "print(Case.objects.count())"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    result["cases"] = float(cases)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--parents", type=int, default=64)
    parser.add_argument("--env", action="append", help="KEY=VALUE for the server (e.g. a DATABASE_URL)")
    parser.add_argument("--src", type=Path, action="append", help="source tree(s) to measure, in this order")
    args = parser.parse_args()
    results = {str(src): measure(src, args) for src in (args.src or [ROOT / "src"])}
    print(f"\n{'source':<40} {'submissions/s':>14} {'p50 ms':>8} {'p99 ms':>8} {'refused':>8} {'cases':>7}")
    for src, r in results.items():
        print(f"{src:<40} {r['rps']:>14.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} {r['errors']:>8.0f} {r['cases']:>7.0f}")


if __name__ == "__main__":
    main()
