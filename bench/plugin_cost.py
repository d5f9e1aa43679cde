"""What one plugin adds to Gazette's build time, on the same synthetic archive.

    .venv/bin/python bench/plugin_cost.py [--items 10000] [--plugin tags] [--repeat 3]
                                          [--where disk|memory]

Builds the archive of ``run.py`` (``bench/out/n<items>-s1/gazette``) without and
with ``[plugins.<plugin>]`` in its ``site.toml``, cold (no cache, no output)
and warm, each in a fresh process, and prints two measures:

* **A/B**: wall-clock and CPU seconds (user + system of the build and its
  workers) of both variants, and the difference. The variants are interleaved,
  so drift on a busy machine hits both; the median of ``--repeat`` rounds is
  reported, with the best beside it. On a shared virtual machine, disk and CPU
  noise between two runs of the same build is often larger than 10 %.
* **Own cost**: the "with" builds run with ``--timings``, which times the
  plugin's hooks and the rendering of its pages inside the build. That share
  of the build is what the plugin itself costs, free of run-to-run noise.

``--where memory`` builds a copy of the archive under ``/dev/shm`` (tmpfs), to
take the disk out of the comparison. The archive's ``site.toml`` is restored
afterwards.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import GAZETTE_PYTHON, REPO, ensure_archive, measure, remove

PHASES = ("cold", "warm")


@dataclass(frozen=True)
class Build:
    """One timed build, and the plugin's own seconds from ``--timings`` (0 without it)."""

    wall_s: float
    cpu_s: float
    own_s: float
    files: int


def settle(project: Path) -> None:
    """Wait until the previous build's detached removal of the old site is done.

    Otherwise the next build competes with it for the disk, and whichever
    variant happens to follow a warm build looks slower.
    """
    for _ in range(600):
        if not list(project.glob(".site-old-*")):
            return
        time.sleep(0.1)


def own_seconds(stderr: str, plugin: str) -> float:
    """The plugin's hooks and pages seconds, from the ``--timings`` table."""
    for line in stderr.splitlines():
        fields = line.split()
        # plugin, hooks s, files, pages s, ms/file[, reused, rendered, written]
        if len(fields) >= 5 and fields[0] == plugin:
            return float(fields[1]) + float(fields[3])
    return 0.0


def build_once(project: Path, plugin: str) -> dict[str, Build]:
    """One cold and one warm build of the archive as its site.toml stands."""
    command = [
        str(GAZETTE_PYTHON),
        str(REPO / "build.py"),
        "build",
        "--timings",
        "--project",
        str(project),
    ]
    remove([project / "site", project / ".gazette-cache"])
    builds = {}
    for phase in PHASES:
        settle(project)
        run = measure(command, project, 3600)
        if run.rc != 0:
            sys.exit(f"build failed:\n{run.stderr_tail}")
        files = sum(1 for p in (project / "site").rglob("*") if p.is_file())
        builds[phase] = Build(run.wall_s, run.cpu_s, own_seconds(run.stderr_tail, plugin), files)
    return builds


def working_copy(project: Path, where: str, stack: list[Path]) -> Path:
    """The archive itself, or a copy of its sources on tmpfs."""
    if where == "disk":
        return project
    shm = Path("/dev/shm")
    if not shm.is_dir():
        sys.exit("--where memory needs /dev/shm (a tmpfs)")
    folder = Path(tempfile.mkdtemp(prefix="gazette-plugin-cost-", dir=shm))
    stack.append(folder)
    copy = folder / "gazette"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("site", ".site-*", ".gazette-*"))
    return copy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--plugin", default="tags")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--where", choices=("disk", "memory"), default="disk")
    args = parser.parse_args()
    temporary: list[Path] = []
    source = ensure_archive(args.items, 1, "gazette")
    project = working_copy(source, args.where, temporary)
    config = project / "site.toml"
    original = config.read_text()
    variants = {"without": original, "with": original + f"\n[plugins.{args.plugin}]\n"}
    rounds: list[dict[str, dict[str, Build]]] = []
    try:
        for _ in range(args.repeat):
            done = {}
            for name, text in variants.items():
                config.write_text(text)
                done[name] = build_once(project, args.plugin)
            rounds.append(done)
    finally:
        config.write_text(original)
        for folder in temporary:
            shutil.rmtree(folder, ignore_errors=True)
    report(args, rounds)
    return 0


def report(args: argparse.Namespace, rounds: list[dict[str, dict[str, Build]]]) -> None:
    def values(name: str, phase: str, field: str) -> list[float]:
        return [getattr(done[name][phase], field) for done in rounds]

    print(
        f"{args.items} items, plugin '{args.plugin}', on {args.where}, "
        f"{len(rounds)} interleaved rounds (median, best in brackets):"
    )
    header = "".join(f" {phase + ' ' + unit:>18}" for phase in PHASES for unit in ("s", "CPU s"))
    print(f"{'':>8}{header} {'files':>7}")
    for name in ("without", "with"):
        cells = ""
        for phase in PHASES:
            for field in ("wall_s", "cpu_s"):
                numbers = values(name, phase, field)
                cells += f" {statistics.median(numbers):9.2f} ({min(numbers):6.2f})"
        print(f"{name:>8}{cells} {rounds[-1][name]['warm'].files:7d}")
    for phase in PHASES:
        for field, label in (("wall_s", "s"), ("cpu_s", "CPU s")):
            base = statistics.median(values("without", phase, field))
            added = statistics.median(values("with", phase, field)) - base
            deltas = [
                100 * (getattr(d["with"][phase], field) / getattr(d["without"][phase], field) - 1)
                for d in rounds
            ]
            spread = ", ".join(f"{delta:+.1f}" for delta in deltas)
            print(
                f"A/B {phase} {label:>5}: {added:+6.2f} ({100 * added / base:+5.1f} %); "
                f"per round: {spread} %"
            )
    for phase in PHASES:
        own = values("with", phase, "own_s")
        walls = values("with", phase, "wall_s")
        # Added to the build without the plugin: own / (with - own).
        shares = [100 * o / (w - o) for o, w in zip(own, walls, strict=True)]
        print(
            f"own {phase}: hooks + pages {statistics.median(own):.2f} s, "
            f"+{statistics.median(shares):.1f} % on the rest of the build (rounds: "
            + ", ".join(f"{share:.1f}" for share in shares)
            + " %)"
        )


if __name__ == "__main__":
    sys.exit(main())
