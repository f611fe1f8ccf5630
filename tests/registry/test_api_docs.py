"""Every documented example runs, as a reader would run it, against the demo as ``make demo`` builds it.

docs/api.md's ``curl`` blocks run with the real ``curl`` against a real web server that checks CSRF as production
does, with the substitutions the page tells its reader to make (the server's address, the official's password);
each answer must say what the JSON block after it shows. The gateway's verification example of
docs/integrators.md and examples/client.py run against a real gateway over the same demo.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.registry.live_demo import ROOT, LiveDemo, assert_shown, examples, fenced_blocks

CURL = shutil.which("curl")
pytestmark = pytest.mark.skipif(CURL is None, reason="needs the curl binary the docs use")

DOCS_WEB = "http://127.0.0.1:8000"
DOCS_GATEWAY = "http://127.0.0.1:8001"


def _run_shell(block: str, demo: LiveDemo, env: dict[str, str] | None = None) -> Any:
    """Run a documented shell block as written, after the reader's substitutions, and parse what it printed."""
    script = block.replace(DOCS_WEB, demo.web).replace(DOCS_GATEWAY, demo.gateway)
    script = re.sub(r"-u (\w+):PASSWORD", lambda m: f"-u {m.group(1)}:{demo.officials[m.group(1)]}", script)
    assert "PASSWORD" not in script, "an example names an official the demo does not have"
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=demo.root,
        env={**demo.env, **(env or {})},
        check=True,
    )
    return json.loads(done.stdout)


API_EXAMPLES = examples((ROOT / "docs" / "api.md").read_text())


def test_docs_api_has_examples_with_answers() -> None:
    assert len(API_EXAMPLES) >= 4
    assert all(answer is not None for _block, answer in API_EXAMPLES), "every curl example shows its answer"


@pytest.mark.parametrize(("block", "shown"), API_EXAMPLES, ids=[f"api.md#{i}" for i in range(len(API_EXAMPLES))])
def test_api_md_example(block: str, shown: Any, live_demo: LiveDemo) -> None:
    assert_shown(shown, _run_shell(block, live_demo))


def _gateway_token(demo: LiveDemo) -> str:
    """The Python snippet of docs/integrators.md §2, run as written (gateway address substituted)."""
    snippet = next(text for lang, text in fenced_blocks(_integrators()) if lang == "python" and "jwt.encode" in text)
    snippet = snippet.replace(DOCS_GATEWAY, demo.gateway) + "\nprint(token)\n"
    done = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, timeout=60, cwd=demo.root, check=True
    )
    return done.stdout.strip()


def _integrators() -> str:
    return (ROOT / "docs" / "integrators.md").read_text()


def test_integrators_verification_example(live_demo: LiveDemo) -> None:
    verify = [(block, shown) for block, shown in examples(_integrators()) if "/v1/verify" in block]
    assert len(verify) == 1
    block, shown = verify[0]
    answer = _run_shell(block, live_demo, env={"TOKEN": _gateway_token(live_demo)})
    assert_shown(shown, answer)
    assert set(answer["attributes"].values()) == {"match"}, answer


def test_client_example(live_demo: LiveDemo) -> None:
    """examples/client.py's own usage line, run from the demo's directory (where var/ is), gateway substituted."""
    client = ROOT / "examples" / "client.py"
    usage = next(line for line in client.read_text().splitlines() if "examples/client.py --pin" in line)
    args = shlex.split(usage.split("examples/client.py", 1)[1])
    done = subprocess.run(
        [sys.executable, str(client), "--gateway", live_demo.gateway, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=live_demo.root,
        env={**live_demo.env, "PYTHONIOENCODING": "utf-8"},
        check=True,
    )
    status, _, body = done.stdout.partition("\n")
    assert status == "verify -> 200", done.stdout
    answer = json.loads(body)
    assert answer["found"] is True
    assert answer["attributes"] == {
        "full_name": "match", "full_name_without_diacritics": "match", "birth_date": "match", "sex": "not_provided"
    }  # fmt: skip


def test_the_docs_name_the_demo_person_the_demo_has(live_demo: LiveDemo) -> None:
    """The person of the examples is the demo's level-2 citizen (what `make demo` prints)."""
    citizens = json.loads((Path(live_demo.root) / "var" / "demo-citizens.json").read_text())
    assert citizens["level2"]["pin"] in (ROOT / "examples" / "client.py").read_text()
