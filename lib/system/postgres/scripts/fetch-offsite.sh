#!/bin/sh
# fetch-offsite.sh: download the newest off-site dump of PGDATABASE and its checksum into
# BACKUP_DIR and verify it, so that restore-drill.sh (or restore.sh) restores the off-site copy,
# the one that survives the loss of the cluster. It runs in an image with the AWS CLI, before
# the container that restores.
#
# Steps, one log line each on stdout:
#   1. list the off-site dumps of PGDATABASE (fails on a missing bucket or wrong credentials);
#   2. take the dump BACKUP_FILE names, or else the newest dump that has its .sha256 beside it (a
#      dump without one is an interrupted copy); fails when there is none, or when the named one is
#      not off-site with its checksum;
#   3. download both into BACKUP_DIR and verify the checksum: a mismatch fails and removes the
#      download, so nothing restores it.
# Exits non-zero on any failure.
#
# Environment:
#   PGDATABASE          the database whose dumps are fetched (required)
#   BACKUP_DIR          where the dump is written (default /backups; created if missing)
#   BACKUP_FILE         the off-site dump to fetch, by name (e.g. gravl-20261121T020000Z.dump);
#                       default the newest (a restore after a bad night names an older one)
#   BACKUP_S3_URI, BACKUP_S3_ENDPOINT, AWS_*  see s3.sh

set -eu
# shellcheck source=common.sh
. "$(dirname -- "$0")/common.sh"
# shellcheck source=s3.sh
. "$(dirname -- "$0")/s3.sh"

[ -n "$PGDATABASE" ] || die "PGDATABASE is not set: expected the name of the database whose dumps are fetched"
mkdir -p -- "$BACKUP_DIR" || die "cannot create BACKUP_DIR $BACKUP_DIR"

BACKUP_FILE=${BACKUP_FILE:-}
# shellcheck disable=SC2254 # STAMP_GLOB is a pattern on purpose
case $BACKUP_FILE in
  '' | "$PGDATABASE"-$STAMP_GLOB.dump) ;;
  *) die "BACKUP_FILE: found \"$BACKUP_FILE\", expected the name of an off-site dump of $PGDATABASE, $PGDATABASE-YYYYmmddTHHMMSSZ.dump" ;;
esac

remote=$(remote_names)
name=
for candidate in $(printf '%s\n' "$remote" | grep "^$PGDATABASE-$STAMP_GLOB\.dump\$" || true); do
  if printf '%s\n' "$remote" | grep -qxF "$candidate.sha256"; then name=$candidate; fi
done
[ -n "$name" ] || die "no dump of $PGDATABASE with its checksum in $S3_FOLDER (expected $PGDATABASE-YYYYmmddTHHMMSSZ.dump and .dump.sha256)"
if [ -n "$BACKUP_FILE" ]; then
  printf '%s\n' "$remote" | grep -qxF "$BACKUP_FILE" && printf '%s\n' "$remote" | grep -qxF "$BACKUP_FILE.sha256" ||
    die "BACKUP_FILE: $BACKUP_FILE is not in $S3_FOLDER with its checksum (the newest there is $name)"
  name=$BACKUP_FILE
  log "off-site dump named by BACKUP_FILE: $S3_FOLDER$name"
else
  log "newest off-site dump: $S3_FOLDER$name"
fi

target="$BACKUP_DIR/$name"
s3 s3 cp --only-show-errors --recursive --exclude '*' --include "$name" --include "$name.sha256" "$S3_FOLDER" "$BACKUP_DIR/" ||
  die "download of $S3_FOLDER$name and its checksum failed: see the AWS CLI's error above"
[ -f "$target" ] && [ -f "$target.sha256" ] || die "download of $S3_FOLDER$name and its checksum left no file in $BACKUP_DIR"
log "downloaded $name ($(size_of "$target") bytes) and its checksum to $BACKUP_DIR"
if ! (verify_checksum "$target" 'the off-site copy is damaged; nothing was restored'); then
  rm -f -- "$target" "$target.sha256"
  exit 1
fi
log "done: $target is the verified off-site copy"
