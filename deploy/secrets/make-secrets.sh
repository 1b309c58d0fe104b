#!/usr/bin/env bash
# Creates the secret files of the container stack (docker-compose.yml) in
# deploy/secrets/, each readable only by the container user that reads it.
#
# Docker Compose mounts a file secret as it is on the host (it cannot change
# owner or mode: docker/compose#9648), so the owner and mode set here are what
# the container sees: 0400, owned by
#   10001  swi-etl and swi-dashboard (USER 10001 in deploy/Dockerfile)
#   999    PostgreSQL's postgres user (image postgres:15-bookworm)
#   472    Grafana's grafana user (image grafana/grafana)
# A value that exists is kept (run it again after adding a secret); the
# PostgreSQL side of a password is a copy of the client side.
#   sudo deploy/secrets/make-secrets.sh
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "make-secrets: run as root (it sets owners)" >&2; exit 1; }

put() { # name uid [from-name]
  local f="$dir/$1"
  if [ -n "${3:-}" ]; then
    install -m 0400 -o "$2" -g "$2" "$dir/$3" "$f"
  elif [ ! -s "$f" ]; then
    umask 077
    openssl rand -hex 32 >"$f"
  fi
  chown "$2:$2" "$f"
  chmod 0400 "$f"
}
put pseudonym_key 10001
put swi_etl_password 10001
put dashboard_password 10001
put postgres_password 999
put postgres_swi_etl_password 999 swi_etl_password
put postgres_dashboard_password 999 dashboard_password
put grafana_admin_password 472
ls -ln "$dir" | grep -v make-secrets >&2
