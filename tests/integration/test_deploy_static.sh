#!/usr/bin/env bash
# Issue 13 "Must show": the production path, checked without a container
# engine (CI has none):
#  - docker-compose.yml against the tables of docs/operations.md, mounts,
#    secrets and provisioning files (deploy_check.py), the Grafana panels'
#    and the alert rules' metrics against a live /metrics;
#  - promtool: the Prometheus configuration, `check rules`, `test rules`;
#  - systemd-analyze verify on the units (no warning);
#  - cmake --install into a scratch prefix: programs, schemas, units, example
#    configuration, runbook.
# Needs neither PostgreSQL nor a broker.
set -euo pipefail
: "${SWI_BIN:?}" "${SWI_SRC:?}"
work=$(mktemp -d /tmp/swi-deploy.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
passed=0 failed=0
check_eq() { if [ "$2" = "$3" ]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "test_deploy_static: FAIL $1: expected [$2], got [$3]" >&2; fi; }

# a live /metrics: swi-etl serves it before it reaches PostgreSQL (here: never)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'deploy-check-key-0123456789abcdef0123' >"$work/key"; chmod 600 "$work/key"
"$SWI_BIN/swi-etl" -X pg.conninfo="host=127.0.0.1 port=1 connect_timeout=1" \
  -X pseudonym.key.file="$work/key" -X schema.dir="$SWI_SRC/schemas" -X metrics.port="$port" \
  -X log.level=error 2>"$work/etl.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" >"$work/metrics.txt" && break; sleep 0.1; done
check_eq "live /metrics" 1 "$([ -s "$work/metrics.txt" ] && echo 1 || echo 0)"
check_eq "readyz while starting" 503 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=

rc=0; python3 "$SWI_SRC/tests/integration/deploy_check.py" "$SWI_SRC" "$work/metrics.txt" || rc=$?
check_eq "compose = docs, mounts, secrets, panels and alerts' metrics" 0 "$rc"

rc=0; out=$(promtool check config "$SWI_SRC/deploy/prometheus/prometheus.yml" 2>&1) || rc=$?
check_eq "promtool check config" 0 "$rc"; [ "$rc" = 0 ] || echo "$out" >&2
rc=0; out=$(promtool check rules "$SWI_SRC/deploy/prometheus/alerts.yml" 2>&1) || rc=$?
check_eq "promtool check rules" 0 "$rc"; [ "$rc" = 0 ] || echo "$out" >&2
rc=0; out=$(cd "$SWI_SRC/deploy/prometheus" && promtool test rules alerts.test.yml 2>&1) || rc=$?
check_eq "promtool test rules" 0 "$rc"; [ "$rc" = 0 ] || echo "$out" >&2
check_eq "every alert is tested" \
  "$(grep -c '^      - alert: ' "$SWI_SRC/deploy/prometheus/alerts.yml")" \
  "$(grep -o 'alertname: [A-Za-z]*' "$SWI_SRC/deploy/prometheus/alerts.test.yml" | sort -u | wc -l)"
check_eq "every alert has its runbook section" "" \
  "$(for a in $(grep -o '^      - alert: [A-Za-z]*' "$SWI_SRC/deploy/prometheus/alerts.yml" | awk '{print $3}'); do
       grep -q "^### $a\$" "$SWI_SRC/docs/operations.md" || echo "$a"; done)"

# systemd: the units as installed, pointing at real programs (a stub for the dashboard when it
# is not built in this tree)
mkdir -p "$work/bin" "$work/etc" "$work/units"
for b in swi-etl swi-dashboard; do
  if [ -x "$SWI_BIN/$b" ]; then ln -s "$SWI_BIN/$b" "$work/bin/$b"
  else printf '#!/bin/sh\n' >"$work/bin/$b"; chmod +x "$work/bin/$b"; fi
done
for u in swi-etl@.service swi-dashboard.service; do
  sed -e "s|@SWI_BINDIR@|$work/bin|g; s|@SWI_SYSCONFDIR@|$work/etc|g; s|@SWI_DOCDIR@|$work/doc|g" \
    "$SWI_SRC/deploy/systemd/$u.in" >"$work/units/$u"
done
rc=0; out=$(systemd-analyze verify --man=no "$work/units/swi-etl@9464.service" \
  "$work/units/swi-dashboard.service" 2>&1) || rc=$?
check_eq "systemd-analyze verify" "0:" "$rc:$out"

# cmake --install
rc=0; cmake --install "$SWI_BIN" --prefix "$work/prefix" >"$work/install.log" 2>&1 || rc=$?
check_eq "cmake --install" 0 "$rc"; [ "$rc" = 0 ] || tail -5 "$work/install.log" >&2
for f in bin/swi-etl bin/swi-publish bin/swi-schemas bin/swi-redrive bin/swi-replay \
         share/swi-stream/schemas/registry.json lib/systemd/system/swi-etl@.service \
         lib/systemd/system/swi-dashboard.service etc/swi-stream/swi-etl.conf.example \
         share/doc/swi-stream/operations.md; do
  check_eq "installed $f" 1 "$([ -e "$work/prefix/$f" ] && echo 1 || echo 0)"
done
check_eq "installed schemas complete" "$(find "$SWI_SRC/schemas" -name '*.avsc' | wc -l)" \
  "$(find "$work/prefix/share/swi-stream/schemas" -name '*.avsc' | wc -l)"
rc=0; "$work/prefix/bin/swi-etl" -c "$SWI_SRC/deploy/systemd/swi-etl.conf.example" --print-config \
  >/dev/null 2>"$work/example.log" || rc=$?
# the example names credentials systemd provides: only that may be missing
check_eq "example configuration loads (but for systemd's credentials)" 1 \
  "$([ "$rc" = 0 ] || grep -q 'CREDENTIALS_DIRECTORY is not set' "$work/example.log" && echo 1 || echo 0)"
mkdir -p "$work/creds"; echo pw >"$work/creds/pg.password"; chmod 600 "$work/creds/pg.password"
rc=0; CREDENTIALS_DIRECTORY="$work/creds" "$work/prefix/bin/swi-etl" \
  -c "$SWI_SRC/deploy/systemd/swi-etl.conf.example" --print-config >"$work/example.txt" 2>&1 || rc=$?
check_eq "example configuration with credentials" 0 "$rc"
check_eq "the credential is not printed" 0 "$(grep -c 'password=pw\b' "$work/example.txt" || true)"

# swi-dashboard as installed: its front end where the program looks for it, the systemd
# example and the container stack's configuration load with their secrets resolved, and
# neither prints the password
if [ -x "$SWI_BIN/swi-dashboard" ]; then
  for f in bin/swi-dashboard share/swi-stream/dashboard-web/index.html \
           etc/swi-stream/swi-dashboard.conf.example; do
    check_eq "installed $f" 1 "$([ -e "$work/prefix/$f" ] && echo 1 || echo 0)"
  done
  rc=0; CREDENTIALS_DIRECTORY="$work/creds" "$work/prefix/bin/swi-dashboard" \
    -c "$SWI_SRC/deploy/systemd/swi-dashboard.conf.example" --print-config >"$work/dash.txt" 2>&1 || rc=$?
  check_eq "dashboard example configuration with credentials" 0 "$rc"
  check_eq "dashboard: the credential is not printed" 0 "$(grep -c 'password=pw\b' "$work/dash.txt" || true)"
  check_eq "dashboard: the web root is the installed one" 1 \
    "$(grep -c "^web.root = $work/prefix/bin/../share/swi-stream/dashboard-web\$" "$work/dash.txt" || true)"
  sed "s|/run/secrets/dashboard_password|$work/creds/pg.password|" "$SWI_SRC/deploy/compose/swi-dashboard.conf" \
    >"$work/compose-dashboard.conf"
  rc=0; "$work/prefix/bin/swi-dashboard" -c "$work/compose-dashboard.conf" --print-config \
    >"$work/dash2.txt" 2>&1 || rc=$?
  check_eq "dashboard: the compose configuration loads" 0 "$rc"
  check_eq "dashboard: compose listens where docker-compose.yml expects it" "http.bind = 0.0.0.0|http.port = 8080" \
    "$(grep -E '^http\.(bind|port) = ' "$work/dash2.txt" | paste -sd'|')"
  check_eq "dashboard: the compose password is not printed" 0 "$(grep -c 'password=pw\b' "$work/dash2.txt" || true)"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
