"""Benchmark Gazette against Hugo and Pelican on identical synthetic archives.

Why: build time is the one thing a static site generator for a growing archive
must not lose, and a number means little without a well-known reference built
from the same content on the same machine in the same run.

    python bench/run.py [--sizes 1000,10000] [--tools gazette,hugo,pelican] [--keep]
                        [--repeat N] [--json PATH] [--install-peers] [--timeout S]

For each size the archives are generated once into ``bench/out/`` (reused while
the generator and its arguments are unchanged, see the ``*.stamp.json`` files);
then every installed tool is timed for a cold build, a warm rebuild with
nothing changed and a rebuild after appending one sentence to one item. See
bench/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
OUT = BENCH / "out"
PEERS_VENV = OUT / ".venv-peers"
GAZETTE_PYTHON = REPO / ".venv" / "bin" / "python"
ALL_TOOLS = ("gazette", "hugo", "pelican")
TAIL_LINES = 25

# Runs one command in a fresh process so that RUSAGE_CHILDREN covers only that
# command's process tree: ru_maxrss is then the peak RSS of its largest process.
# A thread samples /proc every 50 ms and adds up the proportional set size (PSS:
# each shared page divided among the processes sharing it, so a forked worker
# is not counted twice) of every process in the command's session: the peak of
# the whole tree's memory (Linux only; 0 elsewhere). Reading every process's
# smaps_rollup every 50 ms is not free: it took about a quarter of one of the
# project machine's two cores during a 30,000-item build, which slows the build
# it measures. With ``--unobserved`` each build is run again without the sampler
# and the time columns come from those runs (the last argument is "0").
WRAPPER = r"""
import json, os, resource, signal, subprocess, sys, threading, time
cmd, cwd, timeout, result = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
sampling = sys.argv[5] == "1"
start = time.perf_counter()
proc = subprocess.Popen(cmd, cwd=cwd, start_new_session=True)
tree_peak, done = [0], threading.Event()

def sample():
    while not done.wait(0.05):
        total = 0
        for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
            if not pid.isdigit():
                continue
            try:
                if os.getsid(int(pid)) != proc.pid:
                    continue
                with open(f"/proc/{pid}/smaps_rollup") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1])
                            break
            except (OSError, ValueError, IndexError):
                continue
        tree_peak[0] = max(tree_peak[0], total)

sampler = threading.Thread(target=sample, daemon=True)
if sampling:
    sampler.start()
timed_out = False
try:
    rc = proc.wait(timeout=timeout)
except subprocess.TimeoutExpired:
    timed_out = True
    os.killpg(proc.pid, signal.SIGKILL)
    rc = proc.wait()
wall = time.perf_counter() - start
done.set()
if sampling:
    sampler.join()
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(result, "w") as fh:
    json.dump({"wall": wall, "rc": rc, "maxrss_kb": usage.ru_maxrss, "timed_out": timed_out,
               "cpu": usage.ru_utime + usage.ru_stime, "tree_kb": tree_peak[0]}, fh)
"""


# --------------------------------------------------------------------------- data


@dataclass
class Run:
    """One timed build."""

    wall_s: float
    rc: int
    maxrss_kb: int
    timed_out: bool
    stderr_tail: str = ""
    cpu_s: float = 0.0  # user + system seconds of the build and its worker processes
    tree_kb: int = 0  # peak of the summed PSS of every process of the build (sampled)
    sampled: bool = True  # False: run without the memory sampler (``--unobserved``), tree_kb 0

    @property
    def ok(self) -> bool:
        """A build counts only if it exited 0 within the time limit."""
        return self.rc == 0 and not self.timed_out


@dataclass
class Result:
    """All measurements of one tool on one archive size (one table row)."""

    size: int
    tool: str
    version: str = ""
    status: str = "ok"
    notes: list[str] = field(default_factory=list)
    cold_s: float | None = None
    warm_s: float | None = None
    edit_s: float | None = None
    peak_mb: float | None = None
    tree_mb: float | None = None
    output_bytes: int | None = None
    files: int | None = None
    runs: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class Tool:
    """How to build, clean and inspect one generator's copy of the archive."""

    name: str
    command: Callable[[Path], list[str]]
    output: Callable[[Path], Path]
    caches: Callable[[Path], list[Path]]
    item_files: Callable[[Path], list[Path]]
    version: Callable[[], str]
    check: Callable[[], str | None]  # None if usable, else why not
    cwd: Callable[[Path], Path] = lambda project: REPO


# --------------------------------------------------------------------------- tools


def first_line(cmd: list[str]) -> str:
    """First line of a command's output, or "" if it cannot run: versions are best effort."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else ""


def gazette_check() -> str | None:
    """Gazette is usable once ``build.py --help`` succeeds (the engine may be unfinished)."""
    if not (REPO / "build.py").exists():
        return "build.py does not exist yet"
    if not GAZETTE_PYTHON.exists():
        return f"{GAZETTE_PYTHON} is missing"
    done = subprocess.run(
        [str(GAZETTE_PYTHON), str(REPO / "build.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    if done.returncode != 0:
        return "build.py --help failed:\n" + tail(done.stderr or done.stdout)
    # Byte-compiled, as a pip install leaves a package: an editable install does
    # not, and where PYTHONDONTWRITEBYTECODE is set (this machine) every build
    # would compile the changed modules again (about 0.3 s).
    subprocess.run(
        [str(GAZETTE_PYTHON), "-m", "compileall", "-q", "gazette", "plugins"],
        cwd=REPO,
        check=False,
        capture_output=True,
    )
    return None


def gazette_version() -> str:
    """The repository commit, since Gazette has no release number yet."""
    rev = first_line(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = first_line(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", "gazette", "build.py"]
    )
    return f"git {rev or '?'}{'+dirty' if dirty else ''}"


def pelican_bin() -> Path:
    """The Pelican executable inside the benchmark's private peers venv."""
    return PEERS_VENV / "bin" / "pelican"


def make_tools() -> dict[str, Tool]:
    """Every tool the benchmark knows, keyed by the name used on the command line."""
    return {
        "gazette": Tool(
            name="gazette",
            command=lambda d: [
                str(GAZETTE_PYTHON),
                str(REPO / "build.py"),
                "build",
                "--project",
                str(d),
            ],
            output=lambda d: d / "site",
            # The spare is the site before last, which the writer updates in
            # place: build state like the cache, so a cold build starts without it.
            caches=lambda d: [d / ".gazette-cache", d / ".site-spare"],
            item_files=lambda d: sorted((d / "content" / "items").rglob("*.md")),
            version=gazette_version,
            check=gazette_check,
        ),
        "hugo": Tool(
            name="hugo",
            command=lambda d: ["hugo", "--quiet", "-s", str(d), "-d", str(d / "public")],
            output=lambda d: d / "public",
            caches=lambda d: [d / "resources", d / ".hugo_build.lock"],
            item_files=lambda d: sorted((d / "content" / "items").glob("*.md")),
            version=lambda: first_line(["hugo", "version"]),
            check=lambda: (
                None
                if shutil.which("hugo")
                else "hugo is not on PATH (install it with: apt-get install -y hugo)"
            ),
            cwd=lambda d: d,
        ),
        "pelican": Tool(
            name="pelican",
            command=lambda d: [
                str(pelican_bin()),
                str(d / "content"),
                "-s",
                str(d / "pelicanconf.py"),
                "-o",
                str(d / "output"),
                "--cache-path",
                str(d / ".pelican-cache"),
                "--quiet",
            ],
            output=lambda d: d / "output",
            caches=lambda d: [d / ".pelican-cache", d / "__pycache__"],
            item_files=lambda d: sorted((d / "content").glob("*.md")),
            version=lambda: first_line([str(pelican_bin()), "--version"]),
            check=lambda: (
                None
                if pelican_bin().exists()
                else "Pelican is not installed in "
                f"{PEERS_VENV.relative_to(REPO)} (rerun with --install-peers)"
            ),
            cwd=lambda d: d,
        ),
    }


def install_peers() -> None:
    """Create the private venv for Pelican so it never touches Gazette's own venv."""
    if pelican_bin().exists():
        return
    print(f"creating {PEERS_VENV.relative_to(REPO)} and installing pelican, markdown ...")
    subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    pip = [str(PEERS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    done = subprocess.run(
        [*pip, "pelican", "markdown"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(tail(done.stderr or done.stdout))
        raise subprocess.CalledProcessError(done.returncode, done.args)


# --------------------------------------------------------------------------- archives


def generator_fingerprint() -> str:
    """Hash of the generator's source: a changed generator invalidates cached archives."""
    digest = hashlib.sha256()
    for name in ("generate.py", "wordlist.py"):
        digest.update((BENCH / name).read_bytes())
    return digest.hexdigest()[:16]


def ensure_archive(size: int, seed: int, fmt: str, plugins: str = "minimal") -> Path:
    """Generate ``bench/out/n<size>-s<seed>/<fmt>`` unless an identical one exists.

    With ``plugins="sample"`` (Gazette only) the folder is ``gazette-sample``,
    with ``"sample-pagefind"`` ``gazette-sample-pagefind``.
    """
    name = f"{fmt}-{plugins}" if plugins.startswith("sample") and fmt == "gazette" else fmt
    project = OUT / f"n{size}-s{seed}" / name
    stamp_path = project.parent / f"{name}.stamp.json"
    stamp = {
        "items": size,
        "seed": seed,
        "format": fmt,
        "plugins": plugins,
        "generator": generator_fingerprint(),
    }
    if project.is_dir() and stamp_path.exists():
        try:
            if json.loads(stamp_path.read_text()) == stamp:
                return project
        except json.JSONDecodeError:
            pass
    stamp_path.unlink(missing_ok=True)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(BENCH / "generate.py"),
            "--items",
            str(size),
            "--seed",
            str(seed),
            "--format",
            fmt,
            "--plugins",
            plugins,
            "--out",
            str(project),
            "--force",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n")
    print(f"  generated {fmt} archive of {size} items in {time.perf_counter() - start:.1f} s")
    return project


# --------------------------------------------------------------------------- measuring


def tail(text: str, lines: int = TAIL_LINES) -> str:
    """The last lines of a tool's output: enough to see why it failed."""
    return "\n".join(text.strip().splitlines()[-lines:])


def measure(cmd: list[str], cwd: Path, timeout: float, sampled: bool = True) -> Run:
    """Time one build in a fresh wrapper process and read its peak RSS.

    ``sampled``: also sample the whole tree's memory (``tree_kb``), which costs CPU.
    """
    with tempfile.TemporaryDirectory(prefix="gazette-bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        err_path = Path(tmp) / "stderr.txt"
        with err_path.open("w") as err, open(os.devnull, "w") as devnull:
            wrapper = [sys.executable, "-c", WRAPPER, json.dumps(cmd), str(cwd), str(timeout)]
            subprocess.run(
                [*wrapper, str(result_path), "1" if sampled else "0"],
                stdout=devnull,
                stderr=err,
                check=False,
            )
        stderr = err_path.read_text(errors="replace")
        if not result_path.exists():  # the wrapper itself failed (cannot start the tool, ...)
            return Run(0.0, -1, 0, False, tail(stderr))
        data = json.loads(result_path.read_text())
    return Run(
        data["wall"],
        data["rc"],
        data["maxrss_kb"],
        data["timed_out"],
        tail(stderr),
        data["cpu"],
        data.get("tree_kb", 0),
        sampled,
    )


def remove(paths: Iterable[Path]) -> None:
    """Delete files or folders, ignoring those that do not exist."""
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()


def dir_stats(path: Path) -> tuple[int, int]:
    """Total bytes and number of files under ``path``."""
    total = files = 0
    for root, _, names in os.walk(path):
        for name in names:
            total += os.path.getsize(os.path.join(root, name))
            files += 1
    return total, files


def report_failure(label: str, run: Run) -> None:
    """Say loudly why a build failed: a benchmark must never fail silently."""
    why = f"timed out after {run.wall_s:.0f} s" if run.timed_out else f"exit code {run.rc}"
    print(f"  !! {label} failed ({why}); last lines of its output:")
    for line in (run.stderr_tail or "(no output)").splitlines():
        print(f"     | {line}")


def timed_phase(
    result: Result,
    phase: str,
    tool: Tool,
    project: Path,
    args: argparse.Namespace,
    before: Callable[[int], None],
) -> float | None:
    """Run one phase ``--repeat`` times and keep the fastest; None if any run failed.

    With ``--unobserved`` each repeat runs twice, with the memory sampler and
    without: the time is the fastest run without it, the memory from the runs
    with it. ``before`` gets a new number for every run (an edit differs each time).
    """
    runs: list[Run] = []
    modes = (True, False) if args.unobserved else (True,)
    for i in range(args.repeat):
        for k, sampled in enumerate(modes):
            before(i * len(modes) + k)
            run = measure(tool.command(project), tool.cwd(project), args.timeout, sampled)
            runs.append(run)
            result.runs.setdefault(phase, []).append(asdict(run))
            if not run.ok:
                report_failure(f"{tool.name} {phase} build of {result.size} items", run)
                result.status = "failed"
                result.notes.append(f"{phase} build failed")
                return None
    best = min(r.wall_s for r in runs if not r.sampled or not args.unobserved)
    peak = max(r.maxrss_kb for r in runs) / 1024
    tree = max(r.tree_kb for r in runs) / 1024
    result.peak_mb = max(result.peak_mb or 0.0, peak)
    result.tree_mb = max(result.tree_mb or 0.0, tree)
    print(f"  {tool.name:8} {phase:5} {best:8.2f} s   peak {peak:7.1f} MB   tree {tree:7.1f} MB")
    return best


def append_edit(path: Path, original: bytes, i: int) -> None:
    """Append a sentence that differs per repeat, so every repeat sees a real change."""
    sentence = f"The benchmark appended this sentence to measure a one-item rebuild ({i + 1})."
    path.write_bytes(original.rstrip(b"\n") + f"\n\n{sentence}\n".encode())


def benchmark(tool: Tool, size: int, project: Path, args: argparse.Namespace) -> Result:
    """Cold build, warm rebuild and one-edit rebuild of one tool on one archive."""
    result = Result(size=size, tool=tool.name, version=tool.version())
    output = tool.output(project)

    def wipe(_: int) -> None:
        remove([output, *tool.caches(project)])

    try:
        result.cold_s = timed_phase(result, "cold", tool, project, args, wipe)
        if result.cold_s is None:
            return result
        result.output_bytes, result.files = dir_stats(output)
        result.warm_s = timed_phase(result, "warm", tool, project, args, lambda _: None)
        result.edit_s = edit_phase(result, tool, project, args)
    finally:
        if not args.keep:
            wipe(0)
    return result


def edit_phase(result: Result, tool: Tool, project: Path, args: argparse.Namespace) -> float | None:
    """Time rebuilds after appending to one item, and always put the item back."""
    # By file name (= slug), not path: Gazette nests items in issue folders and the
    # edited item must be the same one for every tool.
    items = sorted(tool.item_files(project), key=lambda p: p.name)
    target = items[len(items) // 2]
    original = target.read_bytes()
    try:
        return timed_phase(
            result, "edit", tool, project, args, lambda i: append_edit(target, original, i)
        )
    finally:
        target.write_bytes(original)


# --------------------------------------------------------------------------- report


def fmt_num(value: float | None, digits: int = 2) -> str:
    """A table cell: the number, or a dash when it was not measured."""
    return "—" if value is None else f"{value:.{digits}f}"


def ratio(result: Result, results: list[Result], attr: str) -> str:
    """This tool's time divided by Hugo's for the same size in this run."""
    if result.tool == "hugo":
        return "—"
    hugo = next((r for r in results if r.tool == "hugo" and r.size == result.size), None)
    mine, ref = getattr(result, attr), getattr(hugo, attr, None) if hugo else None
    if not mine or not ref:
        return "—"
    return f"{mine / ref:.2f}×"


HEADERS = (
    "items",
    "tool",
    "cold s",
    "warm s",
    "one-edit s",
    "peak MB",
    "tree MB",
    "output MB",
    "files",
    "cold ÷ Hugo",
    "warm ÷ Hugo",
    "one-edit ÷ Hugo",
)


def table_rows(results: list[Result]) -> list[list[str]]:
    """The printed table, one row per (size, tool)."""
    rows = []
    for r in results:
        rows.append(
            [
                str(r.size),
                r.tool if r.status == "ok" else f"{r.tool} ({r.status})",
                fmt_num(r.cold_s),
                fmt_num(r.warm_s),
                fmt_num(r.edit_s),
                fmt_num(r.peak_mb, 1),
                fmt_num(r.tree_mb, 1),
                fmt_num(None if r.output_bytes is None else r.output_bytes / 1e6, 1),
                "—" if r.files is None else str(r.files),
                ratio(r, results, "cold_s"),
                ratio(r, results, "warm_s"),
                ratio(r, results, "edit_s"),
            ]
        )
    return rows


def print_table(results: list[Result]) -> None:
    """Print with rich when available, else as aligned plain text."""
    rows = table_rows(results)
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADERS)]
        print("  ".join(h.rjust(w) for h, w in zip(HEADERS, widths, strict=True)))
        for row in rows:
            print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        return
    table = Table(title="Gazette benchmark")
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if i == 1 else "right")
    for row in rows:
        table.add_row(*row)
    # Piped output would otherwise be squeezed to 80 columns and truncate the cells.
    Console(width=None if sys.stdout.isatty() else 140).print(table)


def write_json(
    path: Path, results: list[Result], args: argparse.Namespace, notes: list[str]
) -> None:
    """Raw numbers (every individual run included) for the README or later comparison."""
    payload = {
        "generated_by": "bench/run.py",
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "seed": args.seed,
        "repeat": args.repeat,
        "notes": notes,
        "results": [asdict(r) for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line of the benchmark runner."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated item counts")
    parser.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma-separated tools")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per phase; the fastest counts")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per build")
    parser.add_argument("--keep", action="store_true", help="keep built sites and caches")
    parser.add_argument(
        "--unobserved",
        action="store_true",
        help="run every build again without the memory sampler and time those runs",
    )
    parser.add_argument("--json", type=Path, help="also write the raw numbers to this file")
    parser.add_argument(
        "--plugins",
        choices=("minimal", "sample", "sample-pagefind"),
        default="sample",
        help="Gazette's plugins: every sample plugin, search on Gazette's own index "
        "(sample, the default) or on Pagefind (sample-pagefind), or minimal",
    )
    parser.add_argument(
        "--install-peers", action="store_true", help=f"pip install Pelican into {PEERS_VENV}"
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes must be comma-separated integers")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes must list positive integers")
    args.tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(args.tools) - set(ALL_TOOLS))
    if unknown:
        parser.error(f"unknown tool(s): {', '.join(unknown)}; choose from {', '.join(ALL_TOOLS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def available_tools(names: list[str], install: bool) -> tuple[list[Tool], list[str]]:
    """The requested tools that can run here, and a note for each one skipped."""
    if install and "pelican" in names:
        try:
            install_peers()
        except subprocess.CalledProcessError as exc:
            print(f"  !! installing Pelican failed: {exc}")
    tools, notes = [], []
    known = make_tools()
    for name in names:
        problem = known[name].check()
        if problem:
            notes.append(f"skipped {name}: {problem}")
        else:
            tools.append(known[name])
    return tools, notes


def main(argv: list[str] | None = None) -> int:
    """Generate, measure, print; returns 1 if any build failed."""
    args = parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    tools, notes = available_tools(args.tools, args.install_peers)
    for note in notes:
        print(note)
    results: list[Result] = []
    for size in args.sizes:
        print(f"== {size} items")
        for tool in tools:
            project = ensure_archive(size, args.seed, tool.name, args.plugins)
            results.append(benchmark(tool, size, project, args))
    if results:
        print_table(results)
    for note in notes:
        print(f"note: {note}")
    if args.json:
        write_json(args.json, results, args, notes)
    return 1 if any(r.status != "ok" for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
