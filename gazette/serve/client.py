"""What ``serve`` sends the browser: the live-reload client, its error overlay, the error page.

Pages carry ``Content-Security-Policy: script-src 'self'; style-src 'self'``,
so the client is an external script (``__gazette/livereload.js``) and the
overlay is built with DOM calls and styled through ``element.style`` (CSSOM,
which that policy allows), never with inline markup. Error text goes in as
``textContent``: a message quoting a hostile file cannot inject anything.

Events on the stream (``__gazette/events?page=<path>``):

- ``hello`` (the server's id; a new id means it restarted: reload);
- ``reload`` (data: JSON list of the changed page paths; the server sends it
  only to the browsers showing one of them);
- ``errors`` (data: JSON list of ``{where, message, fix}``): show the overlay;
- ``ok``: the errors are gone; a page that showed the overlay reloads.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable

from gazette.diagnostics import Diagnostic

RECONNECT_MS = 1000
OVERLAY_ID = "gazette-error-overlay"

LIVERELOAD_JS = """\
// Gazette live reload and error overlay for `python build.py serve`.
(() => {
  "use strict";
  const url = %(url)s + "?page=" + encodeURIComponent(location.pathname);
  let serverId = null;
  let source = null;

  function hide() {
    const old = document.getElementById(%(overlay)s);
    if (old) old.remove();
  }

  function show(errors) {
    hide();
    const box = document.createElement("div");
    box.id = %(overlay)s;
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-labelledby", %(overlay)s + "-title");
    Object.assign(box.style, {
      position: "fixed", inset: "0", zIndex: "2147483647", overflow: "auto",
      background: "rgba(20, 20, 20, 0.94)", color: "#f5f5f5", padding: "2rem",
      font: "15px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
    });
    const title = document.createElement("h2");
    title.id = %(overlay)s + "-title";
    title.textContent = errors.length === 1
      ? "The last save has 1 error" : `The last save has ${errors.length} errors`;
    Object.assign(title.style, { color: "#ff8a80", font: "bold 1.3rem sans-serif" });
    box.append(title);
    const note = document.createElement("p");
    note.textContent = "Fix it and save: this page reloads by itself. "
      + "Until then, the last good version of the site is served.";
    box.append(note);
    const list = document.createElement("ol");
    for (const error of errors) {
      const item = document.createElement("li");
      item.style.margin = "1rem 0";
      const where = document.createElement("strong");
      where.className = "where";
      where.textContent = error.where;
      where.style.color = "#ffd180";
      const message = document.createElement("div");
      message.className = "message";
      message.textContent = error.message;
      item.append(where, message);
      if (error.fix) {
        const fix = document.createElement("div");
        fix.className = "fix";
        fix.textContent = "Fix: " + error.fix;
        fix.style.color = "#b9f6ca";
        item.append(fix);
      }
      list.append(item);
    }
    box.append(list);
    document.body.append(box);
  }

  function connect() {
    source = new EventSource(url);
    source.addEventListener("hello", (event) => {
      // A different id means the server restarted: the site may have changed.
      if (serverId !== null && serverId !== event.data) location.reload();
      serverId = event.data;
    });
    source.addEventListener("reload", () => location.reload());
    source.addEventListener("errors", (event) => show(JSON.parse(event.data)));
    source.addEventListener("ok", () => {
      // The errors are gone: what lies under the overlay is the last good
      // version, so show the page as it is now (a reload may also be on its way).
      if (!document.getElementById(%(overlay)s)) return;
      hide();
      location.reload();
    });
    source.onerror = () => {
      // The browser retries by itself unless the stream was refused; then retry quietly.
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, %(retry)d);
    };
  }

  connect();
})();
"""


def livereload_script(events_url: str) -> bytes:
    """The live-reload client, pointed at this server's events stream."""
    values = {
        "url": json.dumps(events_url),
        "retry": RECONNECT_MS,
        "overlay": json.dumps(OVERLAY_ID),
    }
    return (LIVERELOAD_JS % values).encode()


def error_items(diagnostics: Iterable[Diagnostic]) -> list[dict[str, str]]:
    """The overlay's rows: ``{where, message, fix}``, errors only, in order."""
    rows = []
    for diagnostic in diagnostics:
        if diagnostic.is_error:
            message = f"error[{diagnostic.code}]: {diagnostic.message}"
            rows.append({"where": diagnostic.where, "message": message, "fix": diagnostic.fix})
    return rows


def error_page(errors: list[dict[str, str]], script_src: str) -> bytes:
    """The page served when there is no site yet to show under the overlay."""
    rows = "".join(
        f"<li><strong>{html.escape(e['where'])}</strong><div>{html.escape(e['message'])}</div>"
        + (f"<div>Fix: {html.escape(e['fix'])}</div>" if e["fix"] else "")
        + "</li>"
        for e in errors
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Build failed · Gazette preview</title></head><body>"
        "<h1>The site could not be built</h1>"
        "<p>Fix the errors below and save; this page reloads by itself.</p>"
        f"<ol>{rows}</ol>"
        f'<script src="{html.escape(script_src, quote=True)}" defer></script>'
        "</body></html>"
    ).encode()
