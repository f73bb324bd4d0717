#!/usr/bin/env bash
# LocalStack in host mode (no Docker, no auth token): its own virtualenv, bound to 127.0.0.1 only.
# Facts behind the pins: ../shared/notes/localstack-facts.md (localstack-core 4.13.1 is the newest that runs on
# Python 3.11; five dependency pins; a one-line patch for Python 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE=.localstack
VENV=$STATE/venv
PORT=${LOCALSTACK_PORT:-4566}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
PIDFILE=$STATE/localstack.pid
LOG=$STATE/localstack.log

install() {
  if [ -f "$VENV/.installed-4.13.1" ]; then return; fi
  mkdir -p "$STATE"
  test -x "$VENV/bin/python" || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet 'localstack-core[runtime]==4.13.1' 'cbor2<6' 'cryptography<45' \
    'pyopenssl<25' service_identity 'joserfc<1.2'
  api=$("$VENV/bin/python" -c 'import localstack.packages.api as m; print(m.__file__)' 2>/dev/null || true)
  if [ -n "$api" ] && ! head -1 "$api" | grep -q '__future__'; then
    sed -i '1i from __future__ import annotations' "$api"   # `Lock | None` needs Python 3.13 otherwise
  fi
  touch "$VENV/.installed-4.13.1"
}

healthy() {
  "$VENV/bin/python" - "$PORT" <<'PY' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/_localstack/health", timeout=2) as r:
    json.load(r)
PY
}

up() {
  install
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then echo "LocalStack already running (pid $(cat "$PIDFILE"))"; return; fi
  mkdir -p "$STATE/data"
  OVERRIDE_IN_DOCKER=0 GATEWAY_SERVER=hypercorn GATEWAY_LISTEN=127.0.0.1:$PORT DNS_ADDRESS=0 \
  SERVICES=sqs,events,s3,sns,sts DISABLE_EVENTS=1 LOCALSTACK_HOST=127.0.0.1:$PORT \
  FILESYSTEM_ROOT="$PWD/$STATE/data" SKIP_SSL_CERT_DOWNLOAD=1 \
    nohup "$VENV/bin/python" -m localstack.runtime.main > "$LOG" 2>&1 &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 120); do
    if healthy; then echo "LocalStack 4.13.1 ready on http://127.0.0.1:$PORT (pid $(cat "$PIDFILE"), log $LOG)"; return; fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then echo "LocalStack exited; last log lines:"; tail -20 "$LOG"; exit 1; fi
    sleep 0.5
  done
  echo "LocalStack did not become healthy within 60 s; see $LOG"; exit 1
}

down() {
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -9 "$pid" 2>/dev/null || true
      echo "LocalStack (pid $pid) stopped"
    fi
    rm -f "$PIDFILE"
  else
    echo "LocalStack is not running (no $PIDFILE)"
  fi
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  *) echo "usage: $0 install|up|down"; exit 2 ;;
esac
