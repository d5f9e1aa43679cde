#!/usr/bin/env python3
"""Gazette's command-line entry: python build.py [build|check|serve|new|import|init] --help."""

import sys

from gazette.cli import main

if __name__ == "__main__":
    sys.exit(main())
