#!/bin/sh
# backup.sh: dump the live Gravl database into BACKUP_DIR, verified, checksummed and rotated.
#
# Steps, one log line each on stdout:
#   1. remove partial files left by earlier runs that were killed, and checksums whose dump is gone
#      (a failed run removes its own partial file);
#   2. pg_dump --format=custom into a hidden partial file, .<PGDATABASE>-<stamp>.dump.partial;
#   3. verify it: pg_restore --list reads its table of contents, then pg_restore reads every entry
#      (all table data) through to /dev/null, so a dump cut short does not pass;
#   4. write its sha256 to <PGDATABASE>-<stamp>.dump.sha256 in sha256sum format with a relative
#      name (`cd BACKUP_DIR && sha256sum -c <dump>.sha256` checks it);
#   5. rename it to <PGDATABASE>-<stamp>.dump, stamp being the UTC start time YYYYmmddTHHMMSSZ.
#      Only a complete, verified dump ever carries a dump's name, so a failed or interrupted run
#      never replaces or shadows the last good one;
#   6. keep the newest BACKUP_RETAIN dumps with their checksums, delete older ones.
# Runs must not overlap (the CronJob's concurrencyPolicy: Forbid): a run removes partial files.
# Exits non-zero on any failure, leaving the dumps of earlier runs untouched.
#
# Dump names sort in time order and are unique: a run that starts within the same second as the
# newest dump waits for the next second before it names its dump.
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD  connection to the server (libpq)
#   PGDATABASE     the live database to dump (required); also names the dumps
#   BACKUP_DIR     folder of the dumps (default /backups; created if missing)
#   BACKUP_RETAIN  how many good dumps to keep, an integer >= 1 (default 7)
# Unset and empty variables both take their default.

set -eu
# shellcheck source=common.sh
. "$(dirname -- "$0")/common.sh"
# Dumps hold user data: readable by the owner and the pod's group (fsGroup) only.
umask 027


BACKUP_RETAIN=${BACKUP_RETAIN:-7}

[ -n "$PGDATABASE" ] || die "PGDATABASE is not set: expected the name of the database to back up"
case $PGDATABASE in
  */*) die "PGDATABASE: found \"$PGDATABASE\", expected a database name without \"/\" (it names the dump files)" ;;
esac
case $BACKUP_RETAIN in
  *[!0-9]* | 0*) die "BACKUP_RETAIN: found \"$BACKUP_RETAIN\", expected an integer >= 1 (how many dumps to keep)" ;;
esac
[ "${#BACKUP_RETAIN}" -le 6 ] || die "BACKUP_RETAIN: found \"$BACKUP_RETAIN\", expected an integer >= 1 and <= 999999"

mkdir -p -- "$BACKUP_DIR" || die "cannot create BACKUP_DIR $BACKUP_DIR"

# Clear what earlier runs that were killed left behind first: it frees their space for this dump.
for leftover in "$BACKUP_DIR/.$PGDATABASE"-$STAMP_GLOB.dump.partial "$BACKUP_DIR/.$PGDATABASE"-$STAMP_GLOB.dump.sha256.partial; do
  if [ -e "$leftover" ]; then
    rm -f -- "$leftover"
    log "removed $leftover, left by an earlier run that was killed"
  fi
done
for checksum in "$BACKUP_DIR/$PGDATABASE"-$STAMP_GLOB.dump.sha256; do
  if [ -e "$checksum" ] && [ ! -e "${checksum%.sha256}" ]; then
    rm -f -- "$checksum"
    log "removed $checksum, whose dump is gone"
  fi
done

while :; do
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="$PGDATABASE-$stamp.dump"
  [ -e "$BACKUP_DIR/$name" ] || [ -e "$BACKUP_DIR/$name.sha256" ] || break
  sleep 1
done
partial="$BACKUP_DIR/.$name.partial"
sum_partial="$BACKUP_DIR/.$name.sha256.partial"

cleanup() {
  status=$?
  rm -f -- "$partial" "$sum_partial"
  # This run's name was free when it started: a checksum without its dump is this run's own.
  if [ ! -e "$BACKUP_DIR/$name" ]; then rm -f -- "$BACKUP_DIR/$name.sha256"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log "dumping database $PGDATABASE to $partial"
pg_dump --no-password --format=custom --file="$partial" ||
  die "pg_dump of database $PGDATABASE failed; the last good dump is untouched"
log "dumped $partial ($(size_of "$partial") bytes)"

entries=$(pg_restore --list "$partial") || die "pg_restore --list cannot read $partial: the dump is not usable"
# Comment lines of the listing start with ";"; every other line is one archive entry.
count=0
old_ifs=$IFS
IFS='
'
set -f
for line in $entries; do
  case $line in ';'*) ;; *) count=$((count + 1)) ;; esac
done
set +f
IFS=$old_ifs
pg_restore --file=/dev/null "$partial" || die "pg_restore cannot read every entry of $partial: the dump is not usable"
log "verified $partial: $count archive entries, all readable"

sum=$(sha256sum <"$partial") || die "sha256sum of $partial failed"
sum=${sum%% *}
[ "${#sum}" -eq 64 ] || die "sha256sum of $partial printed \"$sum\", expected 64 hex digits"
printf '%s  %s\n' "$sum" "$name" >"$sum_partial"
mv -f -- "$sum_partial" "$BACKUP_DIR/$name.sha256"
log "wrote checksum $BACKUP_DIR/$name.sha256 (sha256 $sum)"

# The rename is the commit point: the checksum is already in place, so a dump name never exists
# without its checksum.
mv -- "$partial" "$BACKUP_DIR/$name"
log "saved $BACKUP_DIR/$name ($(size_of "$BACKUP_DIR/$name") bytes)"

# Globs expand in sorted order and stamps sort in time order: oldest first.
set --
for dump in "$BACKUP_DIR/$PGDATABASE"-$STAMP_GLOB.dump; do
  if [ -f "$dump" ]; then set -- "$@" "$dump"; fi
done
excess=$(($# - BACKUP_RETAIN))
while [ "$excess" -gt 0 ]; do
  rm -f -- "$1" "$1.sha256"
  log "deleted $1 and its checksum (BACKUP_RETAIN=$BACKUP_RETAIN)"
  shift
  excess=$((excess - 1))
done
log "done: $# dump(s) of $PGDATABASE kept in $BACKUP_DIR, newest $name"
