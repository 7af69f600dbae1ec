#!/usr/bin/env bash
# One entry point for a fresh machine: sets up .venv, makes sure Redis answers, then
#   ./run.sh demo   runs the daemon on the built-in demo (no internet needed; --duration SECONDS)
#   ./run.sh test   runs the test suite
#   ./run.sh check  lint (ruff) and type check (mypy), as CI does
#   ./run.sh setup  only installs
# Environment: PYTHON (default python3, 3.11+), MONITOR_REDIS_URL (default 127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.installed

setup() {
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
    "$PYTHON" -m venv "$VENV"
  fi
  # Re-install when pyproject.toml changed since the last install.
  if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
    # An old pip silently skips trafilatura's lxml_html_clean requirement: upgrade it first.
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[dev]"
    touch "$STAMP"
  fi
}

redis_answers() {
  "$VENV/bin/python" - "$1" <<'PY'
import sys, redis
try:
    redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
except Exception:
    sys.exit(1)
PY
}

STARTED_REDIS_PORT=""

ensure_test_redis() {
  # Tests use MONITOR_TEST_REDIS_URL (default db 14 on 127.0.0.1:6379, flushed by the tests).
  local url=${MONITOR_TEST_REDIS_URL:-redis://127.0.0.1:6379/14}
  if redis_answers "$url"; then return 0; fi
  if [ -n "${MONITOR_TEST_REDIS_URL:-}" ]; then
    echo "error: Redis at MONITOR_TEST_REDIS_URL=$url is not answering" >&2; exit 2
  fi
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "error: no Redis answers on 127.0.0.1:6379 and redis-server is not installed" \
         "(install it, e.g. 'apt-get install redis-server', or set MONITOR_TEST_REDIS_URL)" >&2
    exit 2
  fi
  mkdir -p .state/test-redis
  echo "run.sh: no Redis on 127.0.0.1:6379; starting a redis-server for the tests (stopped after them)" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$PWD/.state/test-redis" \
    --save "" --appendonly no --logfile "$PWD/.state/test-redis/redis.log"
  STARTED_REDIS_PORT=6379
  for _ in $(seq 50); do redis_answers "$url" && return 0; sleep 0.1; done
  echo "error: the redis-server started for the tests does not answer (see .state/test-redis/redis.log)" >&2
  exit 2
}

stop_test_redis() {
  if [ -n "$STARTED_REDIS_PORT" ]; then
    "$VENV/bin/python" -c 'import redis; redis.Redis(port=6379).shutdown(nosave=True)' 2>/dev/null || true
  fi
}

cmd=${1:-}
shift || true
case "$cmd" in
  setup) setup ;;
  demo)
    # monitor demo finds its Redis itself: MONITOR_REDIS_URL, else 127.0.0.1:6379, else it starts
    # its own redis-server (data under .state/redis) and stops it on exit.
    setup
    exec "$VENV/bin/monitor" demo "$@" ;;
  test)
    setup; ensure_test_redis
    trap stop_test_redis EXIT
    "$VENV/bin/python" -m pytest "$@" ;;
  check)
    setup
    "$VENV/bin/ruff" check monitor workers tests bench scripts
    exec "$VENV/bin/mypy" ;;
  *) echo "usage: ./run.sh demo|test|check|setup" >&2; exit 2 ;;
esac
