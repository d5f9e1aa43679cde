#!/usr/bin/env python3
"""Set-up and everyday commands, on a fresh machine with only Python 3.11+.

    python3 dev.py serve [ARGS]   build the sample archive and serve it with live reload
    python3 dev.py test  [ARGS]   lint, then run the whole test suite (ARGS go to pytest)
    python3 dev.py build [ARGS]   build the site into site/

Each command first makes sure that ``.venv/`` exists and holds what
``pyproject.toml`` asks for; it reinstalls only when ``pyproject.toml`` changed.
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".gazette-installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may run on an older python3
        sys.exit(f"Gazette needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating .venv ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("Installing Gazette and its dependencies into .venv ...", file=sys.stderr)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def run(*args: str) -> int:
    return subprocess.call([str(PYTHON), *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("serve", [])
    if command not in ("serve", "test", "build"):
        print(__doc__, file=sys.stderr)
        return 2
    ensure_venv()
    if command == "test":
        for check in (["-m", "ruff", "check", "."], ["-m", "ruff", "format", "--check", "."]):
            code = run(*check)
            if code:
                print(
                    "Lint failed: run .venv/bin/ruff format . && .venv/bin/ruff check --fix .",
                    file=sys.stderr,
                )
                return code
        return run("-m", "pytest", *rest)
    return run("build.py", command, *rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
