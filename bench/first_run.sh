#!/usr/bin/env bash
# A new user's first hour, timed: clone this repository into a temporary folder,
# then time `python3 dev.py serve` until the site answers 200, and
# `python3 dev.py test` until it finishes. Prints both, and the size of .venv
# after each (the runtime profile, then the test profile).
#
#     bench/first_run.sh            # both
#     bench/first_run.sh --serve    # only the serve part
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${serve_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q "$repo" "$work/gazette"
# Tests that read the seed newsletters look for ../shared beside the clone.
[ -d "$repo/../shared" ] && ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"
cd "$work/gazette"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
python3 dev.py serve --port "$port" > "$work/serve.log" 2>&1 &
serve_pid=$!
until curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null; do
  if ! kill -0 "$serve_pid" 2>/dev/null; then cat "$work/serve.log"; exit 1; fi
  sleep 0.2
done
serve_s=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
runtime_mb=$(du -sm .venv | cut -f1)
echo "dev.py serve, fresh clone -> first 200: ${serve_s} s (.venv, runtime profile: ${runtime_mb} MB)"
if [ "${1:-}" = "--serve" ]; then exit 0; fi
start=$(date +%s.%N)
python3 dev.py test > "$work/test.log" 2>&1 || { tail -30 "$work/test.log"; exit 1; }
test_s=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
test_mb=$(du -sm .venv | cut -f1)
echo "dev.py test, after serve -> done: ${test_s} s (.venv, test profile: ${test_mb} MB)"
tail -1 "$work/test.log"
