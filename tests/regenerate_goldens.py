"""Regenerate tests/golden/ from tests/fixtures/golden/. Review the diff before committing.

.venv/bin/python tests/regenerate_goldens.py && git diff tests/golden
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden_build import GOLDEN, build_golden


def main() -> None:
    files, _ = build_golden()  # static assets are checked against theme/static
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for relative, data in files.items():
        target = GOLDEN / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"Wrote {len(files)} files to {GOLDEN}")


if __name__ == "__main__":
    main()
