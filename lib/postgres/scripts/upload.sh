#!/bin/sh
# upload.sh: copy every dump of PGDATABASE in BACKUP_DIR that is not off-site yet, with its
# checksum, to object storage, then prune the off-site copies to the newest BACKUP_RETAIN, so the
# bucket keeps what the volume keeps. It runs after backup.sh, in the same Job, in an image with
# the AWS CLI (any S3-compatible store works).
#
# Steps, one log line each on stdout:
#   1. list the off-site dumps of PGDATABASE (fails on a missing bucket or wrong credentials);
#   2. for each local dump, oldest first, that is not off-site: verify its checksum (a dump that
#      fails it is never uploaded: the script stops there), copy the dump, then its .sha256. The
#      checksum is written last: a dump off-site without its checksum is an interrupted copy,
#      which the next run copies again and the drill never takes;
#   3. delete the off-site dumps older than the newest BACKUP_RETAIN, with their checksums, and
#      checksums whose dump is gone.
# Exits non-zero on any failure.
#
# Environment:
#   PGDATABASE          the database whose dumps are copied (required)
#   BACKUP_DIR          folder of the dumps (default /backups)
#   BACKUP_RETAIN       how many dumps to keep off-site, an integer >= 1 (default 7, as the volume)
#   BACKUP_S3_URI, BACKUP_S3_ENDPOINT, AWS_*  see s3.sh

set -eu
# shellcheck source=common.sh
. "$(dirname -- "$0")/common.sh"
# shellcheck source=s3.sh
. "$(dirname -- "$0")/s3.sh"

BACKUP_RETAIN=${BACKUP_RETAIN:-7}
[ -n "$PGDATABASE" ] || die "PGDATABASE is not set: expected the name of the database whose dumps are copied"
case $BACKUP_RETAIN in
  *[!0-9]* | 0*) die "BACKUP_RETAIN: found \"$BACKUP_RETAIN\", expected an integer >= 1 (how many dumps to keep)" ;;
esac

newest_dump
remote=$(remote_names)
log "$(printf '%s\n' "$remote" | grep -c '\.dump$' || true) dump(s) of $PGDATABASE already in $S3_FOLDER"

copied=0
for local_dump in "$BACKUP_DIR/$PGDATABASE"-$STAMP_GLOB.dump; do
  [ -f "$local_dump" ] || continue
  name=${local_dump##*/}
  if printf '%s\n' "$remote" | grep -qxF "$name.sha256" && printf '%s\n' "$remote" | grep -qxF "$name"; then continue; fi
  verify_checksum "$local_dump" 'not uploading it'
  s3 s3 cp --only-show-errors "$local_dump" "$S3_FOLDER$name" ||
    die "copy of $name to $S3_FOLDER failed: see the AWS CLI's error above"
  s3 s3 cp --only-show-errors "$local_dump.sha256" "$S3_FOLDER$name.sha256" ||
    die "copy of $name.sha256 to $S3_FOLDER failed: see the AWS CLI's error above"
  log "copied $name and its checksum to $S3_FOLDER"
  copied=$((copied + 1))
done
# shellcheck disable=SC2154 # set by newest_dump
log "copied $copied dump(s); the newest, ${dump##*/}, is off-site"

# Prune: names sort in time order, so all but the last BACKUP_RETAIN dumps go.
remote=$(remote_names)
dumps=$(printf '%s\n' "$remote" | grep "^$PGDATABASE-$STAMP_GLOB\.dump\$" || true)
count=$(printf '%s\n' "$dumps" | grep -c . || true)
excess=$((count - BACKUP_RETAIN))
for name in $dumps; do
  [ "$excess" -gt 0 ] || break
  s3 s3 rm --only-show-errors "$S3_FOLDER$name.sha256" || die "cannot delete $S3_FOLDER$name.sha256: see the AWS CLI's error above"
  s3 s3 rm --only-show-errors "$S3_FOLDER$name" || die "cannot delete $S3_FOLDER$name: see the AWS CLI's error above"
  log "deleted $S3_FOLDER$name and its checksum (BACKUP_RETAIN=$BACKUP_RETAIN)"
  excess=$((excess - 1))
done
for name in $(printf '%s\n' "$remote" | grep '\.dump\.sha256$' || true); do
  if ! printf '%s\n' "$remote" | grep -qxF "${name%.sha256}"; then
    s3 s3 rm --only-show-errors "$S3_FOLDER$name" || die "cannot delete $S3_FOLDER$name: see the AWS CLI's error above"
    log "deleted $S3_FOLDER$name, whose dump is gone"
  fi
done
log "done: $((count < BACKUP_RETAIN ? count : BACKUP_RETAIN)) dump(s) of $PGDATABASE kept in $S3_FOLDER"
