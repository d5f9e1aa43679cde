"""What one plugin adds to Gazette's build time, on the same synthetic archive.

    .venv/bin/python bench/plugin_cost.py [--items 10000] [--plugin tags] [--repeat 1]

Builds the archive of ``run.py`` (``bench/out/n<items>-s1/gazette``) without and
with ``[plugins.<plugin>]`` in its ``site.toml``, cold (no cache, no output)
and warm, each in a fresh process, and prints wall-clock and CPU seconds (user +
system of the build and its workers) and the difference. The two variants are
interleaved and the best of ``--repeat`` runs is kept; CPU seconds stay
meaningful when other processes compete for the cores. The archive's
``site.toml`` is restored afterwards.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import GAZETTE_PYTHON, REPO, ensure_archive, measure, remove


def settle(project: Path) -> None:
    """Wait until the previous build's detached removal of the old site is done.

    Otherwise the next build competes with it for the disk, and whichever
    variant happens to follow a warm build looks slower.
    """
    for _ in range(600):
        if not list(project.glob(".site-old-*")):
            return
        time.sleep(0.1)


def build_once(project: Path) -> tuple[tuple[float, float], tuple[float, float], int]:
    """One cold and one warm build: (wall, cpu) seconds each, and the files written."""
    command = [str(GAZETTE_PYTHON), str(REPO / "build.py"), "build", "--project", str(project)]
    remove([project / "site", project / ".gazette-cache"])
    measured = []
    for _ in ("cold", "warm"):
        settle(project)
        run = measure(command, project, 3600)
        if run.rc != 0:
            sys.exit(f"build failed:\n{run.stderr_tail}")
        measured.append((run.wall_s, run.cpu_s))
    files = sum(1 for p in (project / "site").rglob("*") if p.is_file())
    return measured[0], measured[1], files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--plugin", default="tags")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    project = ensure_archive(args.items, 1, "gazette")
    config = project / "site.toml"
    original = config.read_text()
    variants = {"without": original, "with": original + f"\n[plugins.{args.plugin}]\n"}
    runs: dict[str, list] = {name: [] for name in variants}
    try:
        for _ in range(args.repeat):  # interleaved, so drift on a busy machine hits both
            for name, text in variants.items():
                config.write_text(text)
                runs[name].append(build_once(project))
    finally:
        config.write_text(original)
    best = {
        name: [min(run[phase][measure] for run in done) for phase in (0, 1) for measure in (0, 1)]
        for name, done in runs.items()
    }
    files = {name: done[-1][2] for name, done in runs.items()}
    print(f"{args.items} items, plugin '{args.plugin}' (best of {args.repeat}, interleaved):")
    print(f"{'':>10} {'cold s':>8} {'cold cpu':>9} {'warm s':>8} {'warm cpu':>9} {'files':>7}")
    for name, (cold, cold_cpu, warm, warm_cpu) in best.items():
        row = f"{cold:8.2f} {cold_cpu:9.2f} {warm:8.2f} {warm_cpu:9.2f}"
        print(f"{name:>10} {row} {files[name]:7d}")
    labels = ("cold wall", "cold cpu", "warm wall", "warm cpu")
    for index, label in enumerate(labels):
        base, added = best["without"][index], best["with"][index] - best["without"][index]
        print(f"{label:>10}: {added:+.2f} s ({100 * added / base:+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
