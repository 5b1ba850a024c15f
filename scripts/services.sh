#!/usr/bin/env bash
# Makes sure the Redis and PostgreSQL servers the tests talk to are reachable on
# 127.0.0.1, installing them from Debian's packages and starting them if needed.
set -euo pipefail

# The test database named by TEST_POSTGRES_URL (scripts/test.sh sets it).
PG_DB=${TEST_POSTGRES_URL:-postgresql://postgres:postgres@127.0.0.1:5432/repay_test}
PG_DB=${PG_DB##*/}

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  if ! have apt-get; then
    echo "services: $* missing and no apt-get here; install it and start it on 127.0.0.1" >&2
    exit 1
  fi
  [[ -n "${APT_UPDATED:-}" ]] || { as_root apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! port_open 6379; then
  have redis-server || apt_install redis-server
  echo "services: starting redis-server"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/repay-redis.log
  for _ in $(seq 50); do port_open 6379 && break; sleep 0.2; done
fi

if ! port_open 5432; then
  if ! have pg_ctlcluster; then
    apt_install postgresql
    fresh_postgres=1
  fi
  echo "services: starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 50); do port_open 5432 && break; sleep 0.2; done
  if [[ -n "${fresh_postgres:-}" ]]; then
    as_root su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\""
  fi
fi

export PGPASSWORD=postgres
if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PG_DB"
fi
# The agent console's browser test (tests/e2e/test_console_browser.py) drives Debian's
# Chromium through Playwright; Playwright's own browser download is never used.
if [[ -z "${CHROMIUM_PATH:-}" ]] && ! have chromium; then
  echo "services: installing chromium (for the console's browser test)"
  if ! (apt_install chromium chromium-driver); then
    echo "services: could not install chromium; install Debian's chromium package or set" \
      "CHROMIUM_PATH to a Chromium binary" >&2
    exit 1
  fi
fi

echo "services: redis and postgresql reachable, chromium installed"
