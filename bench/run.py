"""`make bench`: the registry benchmarks in one run (about 10-15 minutes on a 2-core machine).

1. synth of 1,000,000 people into SQLite (kept) and into PostgreSQL;
2. on the kept SQLite database: event-log reading and person-by-PIN through the API;
3. the gateway: projection rebuild, verify next to the HTTP floor, batch verification, memory.
Record the printed figures in bench/RESULTS.md with the date and the machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    people = sys.argv[1] if len(sys.argv) > 1 else "1000000"
    with tempfile.TemporaryDirectory() as keep:
        subprocess.run([sys.executable, HERE / "synth_bench.py", "--people", people, "--keep", keep], check=True)
        subprocess.run([sys.executable, HERE / "api_bench.py", "--var-dir", keep], check=True)
        subprocess.run([sys.executable, HERE / "gateway_bench.py", "--var-dir", keep], check=True)
