#!/usr/bin/env bash
# The whole test command behind `make test`. SQLite by default; PostgreSQL when DATABASE_URL is set.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export DEBUG="${DEBUG:-1}"

step() { printf '\n==> %s\n' "$*"; }

step "ruff (lint and format)"
$BIN/ruff check .
$BIN/ruff format --check .

step "manage.py check"
$BIN/xiaoneng check --fail-level WARNING

step "makemigrations --check"
$BIN/xiaoneng makemigrations --check --dry-run

step "production profile: check --deploy"
DEBUG=0 SECRET_KEY="ci-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" \
  XIAONENG_DATA_KEY="$(head -c 32 /dev/urandom | base64)" \
  ALLOWED_HOSTS=xiaoneng.example.gov.cn USE_HTTPS=1 \
  $BIN/xiaoneng check --deploy --fail-level WARNING

step "message catalogues"
$BIN/python scripts/messages.py check

step "pytest on ${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite}"
if [ -x /usr/bin/chromium ]; then
  echo "Chromium found: browser tests run."
elif [ "${XN_REQUIRE_BROWSER:-0}" = "1" ]; then
  echo "Chromium is required (XN_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing." >&2
  exit 1
else
  echo "Chromium not found at /usr/bin/chromium: browser tests are skipped (apt-get install -y chromium)."
fi
$BIN/pytest -q -n "${XN_TEST_WORKERS:-2}" "$@"
