#!/bin/sh
# upload.sh: copy every dump of PGDATABASE in BACKUP_DIR that is not off-site yet, with its
# checksum, to object storage, then prune the off-site copies to the newest BACKUP_RETAIN, so the
# bucket keeps what the volume keeps. It runs after backup.sh, in the same Job, in an image with
# the AWS CLI (any S3-compatible store works).
#
# Steps, one log line each on stdout:
#   1. list the off-site dumps of PGDATABASE (fails on a missing bucket or wrong credentials);
#   2. verify the checksum of each local dump that is not off-site with its checksum, then copy
#      those that pass with their .sha256 (a dump that fails it is never uploaded, and the run
#      fails at the end). A dump off-site without its checksum is an interrupted copy, which the
#      next run copies again and the drill never takes;
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

# Every local dump whose dump or checksum is not off-site: verified, then all copied with their
# checksums in one call (each object lands whole or not at all). A dump that fails its checksum is
# never uploaded; the others still are, and the run fails at the end.
copied=
damaged=0
set --
for local_dump in "$BACKUP_DIR/$PGDATABASE"-$STAMP_GLOB.dump; do
  [ -f "$local_dump" ] || continue
  name=${local_dump##*/}
  if printf '%s\n' "$remote" | grep -qxF "$name.sha256" && printf '%s\n' "$remote" | grep -qxF "$name"; then continue; fi
  if ! (verify_checksum "$local_dump" 'not uploading it'); then
    damaged=$((damaged + 1))
    continue
  fi
  set -- "$@" --include "$name" --include "$name.sha256"
  copied="$copied $name $name.sha256"
done
if [ "$#" -gt 0 ]; then
  s3 s3 cp --only-show-errors --recursive --exclude '*' "$@" "$BACKUP_DIR/" "$S3_FOLDER" ||
    die "copy of$copied to $S3_FOLDER failed: see the AWS CLI's error above"
fi
for name in $copied; do
  case $name in *.dump) log "copied $name and its checksum to $S3_FOLDER" ;; esac
done
# shellcheck disable=SC2086 # names have no blanks or glob characters
log "copied $(printf '%s\n' $copied | grep -c '\.dump$' || true) dump(s)"

# Prune: names sort in time order, so all but the last BACKUP_RETAIN dumps go, with their
# checksums, and so do checksums whose dump is gone; in one call.
# shellcheck disable=SC2086 # names have no blanks or glob characters
remote=$(printf '%s\n' $remote $copied | sort -u)
dumps=$(printf '%s\n' "$remote" | grep "^$PGDATABASE-$STAMP_GLOB\.dump\$" || true)
count=$(printf '%s\n' "$dumps" | grep -c . || true)
excess=$((count - BACKUP_RETAIN))
set --
for name in $dumps; do
  [ "$excess" -gt 0 ] || break
  set -- "$@" --include "$name" --include "$name.sha256"
  log "deleting $S3_FOLDER$name and its checksum (BACKUP_RETAIN=$BACKUP_RETAIN)"
  excess=$((excess - 1))
done
for name in $(printf '%s\n' "$remote" | grep '\.dump\.sha256$' || true); do
  if ! printf '%s\n' "$remote" | grep -qxF "${name%.sha256}"; then
    set -- "$@" --include "$name"
    log "deleting $S3_FOLDER$name, whose dump is gone"
  fi
done
if [ "$#" -gt 0 ]; then
  s3 s3 rm --only-show-errors --recursive --exclude '*' "$@" "$S3_FOLDER" || die "pruning $S3_FOLDER failed: see the AWS CLI's error above"
fi
[ "$damaged" -eq 0 ] || die "$damaged dump(s) failed their checksum and were not uploaded (see above): replace them with a good backup"
# shellcheck disable=SC2154 # dump is set by newest_dump
log "done: $((count < BACKUP_RETAIN ? count : BACKUP_RETAIN)) dump(s) of $PGDATABASE kept in $S3_FOLDER, the newest ${dump##*/}"
