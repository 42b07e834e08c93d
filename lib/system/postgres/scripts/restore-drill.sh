#!/bin/sh
# restore-drill.sh: prove that the newest dump in BACKUP_DIR restores, without touching the live
# database.
#
# Steps, one log line each on stdout:
#   1. take the newest <PGDATABASE>-<stamp>.dump in BACKUP_DIR (fails when there is none);
#   2. verify its sha256 against <dump>.sha256;
#   3. drop and recreate the throwaway database DRILL_DATABASE (from template0);
#   4. restore the dump into it: pg_restore --exit-on-error --no-owner --no-privileges, so any
#      error fails (ownership and grants are the live database's business: the role Job keeps
#      them, and the drill's role need not be a member of the owner role);
#   5. check that it holds at least one user table and, when DRILL_CHECK_SQL is set, that the
#      query returns t;
#   6. drop DRILL_DATABASE again, also when a step failed.
# Exits non-zero when there is no dump or any step or check fails.
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD  connection to the server (libpq); the role needs CREATEDB
#   PGDATABASE       the live database (required): names the dumps, and is where psql connects
#                    to create and drop DRILL_DATABASE; never written to
#   BACKUP_DIR       folder of the dumps (default /backups)
#   DRILL_DATABASE   the throwaway database (default <PGDATABASE>_restore_drill); refused if it
#                    is PGDATABASE, postgres, template0 or template1
#   DRILL_COPY       which copy the dump is, for the log (default: the volume copy in BACKUP_DIR);
#                    the drill Job sets it to the off-site copy where it fetched one
#   DRILL_CHECK_SQL  optional query run in DRILL_DATABASE after the restore; it must return the
#                    single value t (for example: select count(*) > 0 from users)
# Unset and empty variables both take their default.

set -eu
# shellcheck source=common.sh
. "$(dirname -- "$0")/common.sh"


[ -n "$PGDATABASE" ] || die "PGDATABASE is not set: expected the name of the live database (it names the dumps)"
DRILL_DATABASE=${DRILL_DATABASE:-${PGDATABASE}_restore_drill}
DRILL_CHECK_SQL=${DRILL_CHECK_SQL:-}
DRILL_COPY=${DRILL_COPY:-volume copy $BACKUP_DIR}
case $DRILL_DATABASE in
  "$PGDATABASE") die "DRILL_DATABASE: found \"$DRILL_DATABASE\", the live database; expected a throwaway database name (it is dropped)" ;;
  postgres | template0 | template1) die "DRILL_DATABASE: found \"$DRILL_DATABASE\", a database the server needs; expected a throwaway database name (it is dropped)" ;;
esac

newest_dump
log "proving the $DRILL_COPY"
verify_checksum "$dump" 'the drill did not run'

# psql variables quote the database name as an identifier (:"db"); they are not expanded in -c.
admin_sql() {
  printf '%s\n' 'SET client_min_messages = warning;' "$1" | psql --no-password --no-psqlrc --quiet -v ON_ERROR_STOP=1 -v db="$DRILL_DATABASE" --dbname="$PGDATABASE"
}

cleanup() {
  status=$?
  if admin_sql 'DROP DATABASE IF EXISTS :"db";'; then
    log "dropped throwaway database $DRILL_DATABASE"
  else
    error "could not drop throwaway database $DRILL_DATABASE"
    [ "$status" -ne 0 ] || status=1
  fi
  if [ "$status" -eq 0 ]; then log "passed: $dump ($DRILL_COPY) restores"; else log "FAILED: see the errors above"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

admin_sql 'DROP DATABASE IF EXISTS :"db";' || die "could not drop an earlier $DRILL_DATABASE"
admin_sql 'CREATE DATABASE :"db" TEMPLATE template0;' || die "could not create throwaway database $DRILL_DATABASE"
log "created throwaway database $DRILL_DATABASE"

log "restoring $dump into $DRILL_DATABASE"
pg_restore --no-password --exit-on-error --no-owner --no-privileges --dbname="$DRILL_DATABASE" "$dump" ||
  die "restoring $dump into $DRILL_DATABASE failed"
log "restored $dump into $DRILL_DATABASE without errors"

drill_query() {
  psql --no-password --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 --dbname="$DRILL_DATABASE" -c "$1"
}

tables=$(drill_query "select count(*) from pg_catalog.pg_tables where schemaname not in ('pg_catalog', 'information_schema')") ||
  die "could not count the tables of $DRILL_DATABASE"
[ "$tables" -ge 1 ] || die "check failed: $DRILL_DATABASE holds no user table after the restore"
log "check passed: $tables user table(s)"

if [ -n "$DRILL_CHECK_SQL" ]; then
  result=$(drill_query "$DRILL_CHECK_SQL") || die "DRILL_CHECK_SQL failed to run: $DRILL_CHECK_SQL"
  [ "$result" = t ] || die "check failed: DRILL_CHECK_SQL returned \"$result\", expected t: $DRILL_CHECK_SQL"
  log "check passed: DRILL_CHECK_SQL returned t"
fi
