"""Gazette: a static site generator for newsletter archives."""

__version__ = "0.1.0"
