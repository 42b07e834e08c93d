# s3.sh: what upload.sh and fetch-offsite.sh share about object storage. Each sources it after
# common.sh. It is not run on its own.
# shellcheck shell=sh
#
# Environment:
#   BACKUP_S3_URI       the off-site folder, s3://bucket/prefix (required; the prefix may be empty)
#   BACKUP_S3_ENDPOINT  endpoint URL of an S3-compatible store other than AWS S3 (optional)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION  read by the AWS CLI itself

BACKUP_S3_URI=${BACKUP_S3_URI:-}
BACKUP_S3_ENDPOINT=${BACKUP_S3_ENDPOINT:-}
[ -n "$BACKUP_S3_URI" ] || die "BACKUP_S3_URI is not set: expected s3://bucket/prefix"
case $BACKUP_S3_URI in
  s3://?*) ;;
  *) die "BACKUP_S3_URI: found \"$BACKUP_S3_URI\", expected s3://bucket/prefix" ;;
esac
command -v aws >/dev/null 2>&1 || die "the AWS CLI (aws) is not on PATH: run this script in an image that has it"

# s3://bucket/a/b/ -> bucket "bucket", key prefix "a/b/" (empty for the bucket's root).
S3_BUCKET=${BACKUP_S3_URI#s3://}
S3_BUCKET=${S3_BUCKET%%/*}
S3_PREFIX=${BACKUP_S3_URI#s3://"$S3_BUCKET"}
S3_PREFIX=${S3_PREFIX#/}
S3_PREFIX=${S3_PREFIX%/}
[ -z "$S3_PREFIX" ] || S3_PREFIX="$S3_PREFIX/"
S3_FOLDER="s3://$S3_BUCKET/$S3_PREFIX"

# The AWS CLI with the endpoint, if any; its errors go to stderr as they are (NoSuchBucket,
# InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied name the cause).
s3() {
  if [ -n "$BACKUP_S3_ENDPOINT" ]; then
    aws --endpoint-url "$BACKUP_S3_ENDPOINT" "$@"
  else
    aws "$@"
  fi
}

# Prints the names (keys without the prefix) of the off-site objects of PGDATABASE, one a line,
# sorted; dies with the CLI's error when the bucket cannot be listed.
remote_names() {
  listing=$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$S3_PREFIX$PGDATABASE-" --query 'Contents[].Key' --output text) ||
    die "cannot list $S3_FOLDER (bucket $S3_BUCKET): see the AWS CLI's error above (a missing bucket, wrong credentials or no permission to list)"
  [ "$listing" = None ] && return 0
  printf '%s\n' "$listing" | tr '\t' '\n' | sed -n "s|^$S3_PREFIX||p" | sort
}
