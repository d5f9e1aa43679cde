"""What one plugin adds to Gazette's build time, on the same synthetic archive.

    .venv/bin/python bench/plugin_cost.py [--items 10000] [--plugin tags] [--repeat 1]

Builds the archive of ``run.py`` (``bench/out/n<items>-s1/gazette``) without and
with ``[plugins.<plugin>]`` in its ``site.toml``, cold (no cache, no output)
and warm, each in a fresh process, and prints both times and the difference.
The archive's ``site.toml`` is restored afterwards.
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


def build_times(project: Path, repeat: int) -> tuple[float, float, int]:
    """Fastest cold and warm build in seconds, and the number of files written."""
    command = [str(GAZETTE_PYTHON), str(REPO / "build.py"), "build", "--project", str(project)]
    colds, warms = [], []
    for _ in range(repeat):
        remove([project / "site", project / ".gazette-cache"])
        for times in (colds, warms):
            settle(project)
            run = measure(command, project, 3600)
            if run.rc != 0:
                sys.exit(f"build failed:\n{run.stderr_tail}")
            times.append(run.wall_s)
    files = sum(1 for p in (project / "site").rglob("*") if p.is_file())
    return min(colds), min(warms), files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--plugin", default="tags")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    project = ensure_archive(args.items, 1, "gazette")
    config = project / "site.toml"
    original = config.read_text()
    try:
        without = build_times(project, args.repeat)
        config.write_text(original + f"\n[plugins.{args.plugin}]\n")
        with_plugin = build_times(project, args.repeat)
    finally:
        config.write_text(original)
    print(f"{args.items} items, plugin '{args.plugin}' (fastest of {args.repeat}):")
    print(f"{'':>10} {'cold s':>8} {'warm s':>8} {'files':>7}")
    for label, (cold, warm, files) in (("without", without), ("with", with_plugin)):
        print(f"{label:>10} {cold:8.2f} {warm:8.2f} {files:7d}")
    for index, name in ((0, "cold"), (1, "warm")):
        added = with_plugin[index] - without[index]
        print(f"{name}: +{added:.2f} s ({100 * added / without[index]:+.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
