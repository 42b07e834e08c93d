#!/bin/sh
# restore.sh: replace the live Gravl database with a dump from BACKUP_DIR.
#
# Steps, one log line each on stdout:
#   1. refuse to do anything unless CONFIRM_RESTORE=yes;
#   2. take BACKUP_FILE, or else the newest <PGDATABASE>-<stamp>.dump in BACKUP_DIR;
#   3. verify its sha256 against <dump>.sha256;
#   4. restore it into PGDATABASE with pg_restore --clean --if-exists --single-transaction
#      --no-owner: every object in the dump is dropped and recreated with the dump's rows, in one
#      transaction, so an error leaves the database exactly as it was. Objects that are not in
#      the dump are left alone.
# Exits non-zero when it refuses or any step fails.
#
# Stop the writers first (scale the backend to 0): the restore takes exclusive locks, waits for
# open transactions, and rows written during it are replaced.
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD  connection to the server (libpq); the role must own the
#                    objects the dump replaces
#   PGDATABASE       the live database to replace (required)
#   BACKUP_DIR       folder of the dumps (default /backups)
#   BACKUP_FILE      file name of the dump inside BACKUP_DIR, for example
#                    gravl-20260301T020000Z.dump (default: the newest dump of PGDATABASE)
#   CONFIRM_RESTORE  must be exactly yes
# Unset and empty variables both take their default.

set -eu
# shellcheck source=common.sh
. "$(dirname -- "$0")/common.sh"


BACKUP_FILE=${BACKUP_FILE:-}
CONFIRM_RESTORE=${CONFIRM_RESTORE:-}

[ -n "$PGDATABASE" ] || die "PGDATABASE is not set: expected the name of the database to replace"
[ "$CONFIRM_RESTORE" = yes ] ||
  die "refusing to replace database $PGDATABASE: set CONFIRM_RESTORE=yes to confirm (found \"$CONFIRM_RESTORE\")"

if [ -n "$BACKUP_FILE" ]; then
  case $BACKUP_FILE in
    */* | . | ..) die "BACKUP_FILE: found \"$BACKUP_FILE\", expected the name of a file inside BACKUP_DIR ($BACKUP_DIR), without a path" ;;
  esac
  dump="$BACKUP_DIR/$BACKUP_FILE"
  [ -f "$dump" ] || die "BACKUP_FILE: found \"$BACKUP_FILE\", which is not a file in $BACKUP_DIR"
  log "dump chosen by BACKUP_FILE: $dump ($(size_of "$dump") bytes)"
else
  newest_dump
fi
verify_checksum "$dump" 'nothing was restored'

log "replacing database $PGDATABASE with $dump (one transaction)"
pg_restore --no-password --clean --if-exists --single-transaction --no-owner --dbname="$PGDATABASE" "$dump" ||
  die "restoring $dump into $PGDATABASE failed; the transaction was rolled back and $PGDATABASE is as it was"
log "done: database $PGDATABASE restored from $dump"
