"""Build hook: compiles the gateway's two C accelerators next to their sources.

- ``src/dancu/gateway/_hmac.c``: the per-call HMACs (needs OpenSSL's headers, ``libssl-dev`` on Debian);
- ``src/dancu/gateway/_ledger.c``: the access ledger's append path (OpenSSL's and SQLite's headers,
  ``libsqlite3-dev``).

Each also needs a C compiler and Python's headers. Without them, or if compiling fails for any reason, the build goes
on with a warning and the gateway uses the pure-Python twin, which gives the same bytes and rows, slower.
``python -c "import dancu.gateway.hashing as h; print(h.AttributeHasher)"`` and ``python -c "import
dancu.gateway.ledger as l; print(l.COMPILED_WRITER)"`` tell which are in use; a gateway without them logs a warning at
start.
"""

from __future__ import annotations

import shlex
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: source -> the libraries it links
EXTENSIONS = {
    Path("src/dancu/gateway/_hmac.c"): ["-lcrypto"],
    Path("src/dancu/gateway/_ledger.c"): ["-lcrypto", "-lsqlite3"],
}
SOURCE = Path("src/dancu/gateway/_hmac.c")


def compile_extension(root: Path, source: Path) -> Path:
    """Compile one extension in place and return its path (raises on any failure)."""
    source = root / source
    libraries = EXTENSIONS[source.relative_to(root)]
    target = source.with_name(source.stem + str(sysconfig.get_config_var("EXT_SUFFIX")))
    compiler = shlex.split(str(sysconfig.get_config_var("CC") or "cc"))
    command = [
        *compiler, "-O2", "-shared", "-fPIC", "-Wall", f"-I{sysconfig.get_paths()['include']}",
        str(source), "-o", str(target), *libraries,
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)  # noqa: S603 (our own command)
    return target


def compile_hmac(root: Path) -> Path:
    """Compile the HMAC extension in place and return its path (raises on any failure)."""
    return compile_extension(root, SOURCE)


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        for source in EXTENSIONS:
            try:
                target = compile_extension(Path(self.root), source)
            except (OSError, subprocess.SubprocessError) as error:
                detail = getattr(error, "stderr", "") or error
                self.app.display_warning(f"dancu: {source.name} was not compiled, using pure Python ({detail})")
                continue
            if version != "editable":  # an editable install imports it from src/ where it was built
                build_data["force_include"][str(target)] = f"dancu/gateway/{target.name}"
                build_data["pure_python"] = False
                build_data["infer_tag"] = True
