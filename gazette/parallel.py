"""Process pools for the two costly stages: parsing files and rendering Markdown."""

from __future__ import annotations

import multiprocessing
import sys


def pool_context() -> multiprocessing.context.BaseContext:
    """fork starts workers in milliseconds; elsewhere the platform default is safe."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()
