#!/usr/bin/env bash
# docs/operations.md, "A managed PostgreSQL": with the group roles created by a
# DBA, a login role that is neither superuser nor CREATEROLE, only a member of
# swi_writer and owner of its database, applies every migration.
source "$(dirname "$0")/lib.sh"

login="it_mig_$$"
maint() { psql "$SWI_TEST_PG" -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"; }
trap 'drop_extra_dbs; it_cleanup; maint "DROP ROLE IF EXISTS $login" >/dev/null 2>&1 || true' EXIT

# what the DBA does once (the group roles are cluster-global: other runs may have made them)
for r in swi_writer analyst researcher gemeente_user swi_monitor; do
  maint "DO \$\$ BEGIN CREATE ROLE $r NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$"
done
maint "CREATE ROLE $login LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB IN ROLE swi_writer"
maint "CREATE DATABASE ${db}_managed OWNER $login"
ci="$(printf '%s' "$SWI_TEST_PG" | sed -E 's/dbname=[^ ]*//; s/user=[^ ]*//') dbname=${db}_managed user=$login"
printf 'integration-test-key-0123456789abcdef' >"$work/key"; chmod 600 "$work/key"
rc=0
"$SWI_BIN/swi-etl" -X pg.conninfo="$ci" -X pseudonym.key.file="$work/key" \
  -X schema.dir="$SWI_SRC/schemas" --migrate-only 2>"$work/migrate.log" || rc=$?
[ "$rc" = 0 ] || tail -5 "$work/migrate.log" >&2
check_eq "migrations as a non-superuser" 0 "$rc"
qm() { psql "$ci" -X -q -A -t -c "$1"; }
check_eq "every migration applied" "$(ls "$SWI_SRC"/sinks/migrations/[0-9][0-9][0-9]_*.sql | wc -l)" \
  "$(qm 'SELECT count(*) FROM swi_ops.schema_migrations')"
check_eq "schemas owned by swi_writer" "swi_writer swi_writer swi_writer" \
  "$(qm "SELECT string_agg(pg_get_userbyid(nspowner), ' ' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ('swi', 'swi_ops', 'swi_pub')")"
check_eq "the login is no superuser" f "$(qm "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")"
it_finish
