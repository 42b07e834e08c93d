#!/bin/sh
# upload.sh: copy the newest dump of PGDATABASE and its checksum from BACKUP_DIR to object storage,
# after checking the checksum, so an off-site copy exists of every night's backup. It runs after
# backup.sh, in the same Job, in an image with the AWS CLI (any S3-compatible store works).
#
# Environment:
#   PGDATABASE          the database whose dumps are copied (required)
#   BACKUP_DIR          folder of the dumps (default /backups)
#   BACKUP_S3_URI       destination, s3://bucket/prefix (required)
#   BACKUP_S3_ENDPOINT  endpoint URL of a store other than AWS S3 (optional)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION  credentials and region
# Exits non-zero on any failure.

set -eu
# shellcheck source=common.sh
. "$(dirname -- "$0")/common.sh"

[ -n "$PGDATABASE" ] || die "PGDATABASE is not set"
[ -n "${BACKUP_S3_URI:-}" ] || die "BACKUP_S3_URI is not set"
case "$BACKUP_S3_URI" in s3://?*) ;; *) die "BACKUP_S3_URI must look like s3://bucket/prefix, found $BACKUP_S3_URI" ;; esac

newest_dump
verify_checksum "$dump" 'not uploading it'
newest=${dump##*/}

destination=${BACKUP_S3_URI%/}
set --
if [ -n "${BACKUP_S3_ENDPOINT:-}" ]; then set -- --endpoint-url "$BACKUP_S3_ENDPOINT"; fi
log "copying $newest to $destination/"
aws "$@" s3 cp --only-show-errors "$dump" "$destination/$newest" || die "copy of $newest failed"
aws "$@" s3 cp --only-show-errors "$dump.sha256" "$destination/$newest.sha256" || die "copy of $newest.sha256 failed"
log "copied $newest and its checksum"
