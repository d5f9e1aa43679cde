"""Serving: the preview server with live reload, and the ``serve`` command."""
