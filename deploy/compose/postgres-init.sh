#!/bin/bash
# PostgreSQL's first start in the container stack (docker-entrypoint-initdb.d):
# the roles swi-stream's migrations expect, created beforehand as a DBA of a
# managed PostgreSQL would (docs/operations.md, "A managed PostgreSQL"), and
# the login roles of the stack. The migrations themselves run as swi_etl, a
# non-superuser, when swi-etl starts.
set -euo pipefail
etl_pw=$(cat /run/secrets/postgres_swi_etl_password)
dash_pw=$(cat /run/secrets/postgres_dashboard_password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
     -v etl_pw="$etl_pw" -v dash_pw="$dash_pw" <<'SQL'
CREATE ROLE swi_writer NOLOGIN;
CREATE ROLE analyst NOLOGIN;
CREATE ROLE researcher NOLOGIN;
CREATE ROLE gemeente_user NOLOGIN;
CREATE ROLE swi_monitor NOLOGIN;
CREATE ROLE swi_etl LOGIN PASSWORD :'etl_pw' IN ROLE swi_writer;
CREATE ROLE swi_dashboard LOGIN PASSWORD :'dash_pw' IN ROLE analyst;
CREATE DATABASE swi OWNER swi_etl;
SQL
