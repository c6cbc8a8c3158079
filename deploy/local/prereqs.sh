#!/usr/bin/env bash
# Installs what the local stack and the tests need from Debian's packages when
# it is missing: a JDK and Maven (Kafka), PostgreSQL 15 server binaries,
# promtool (checks the Prometheus rules and scrape config), amtool (checks the
# Alertmanager config), Chromium (renders
# the built-in board headless in its test) with a Chinese font (Noto CJK; without
# one the board's labels render as empty boxes) and Node.js with npm (serves the
# TimescaleDB WASM build the Timescale tests run against).
# Run by `make setup`; safe to run again.
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
getent passwd postgres >/dev/null 2>&1 || missing+=(postgresql-15)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start system services; this project never uses them.
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop prometheus prometheus-node-exporter prometheus-alertmanager 2>/dev/null || true
fi
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters -h 2>/dev/null | while read -r version name _; do
    pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
  done
fi
