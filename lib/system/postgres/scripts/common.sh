# common.sh: what backup.sh, restore.sh, restore-drill.sh and upload.sh share. Each sources it
# from its own folder (they ship together in one ConfigMap) right after `set -eu`:
#   . "$(dirname -- "$0")/common.sh"
# It is not run on its own.
# shellcheck shell=sh

# Byte order for globs and sort, whatever the image's locale.
LC_ALL=C
export LC_ALL

# Log lines are prefixed with the UTC time and the script's name (backup, restore, ...).
SCRIPT=${0##*/}
SCRIPT=${SCRIPT%.sh}
log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SCRIPT" "$*"; }
error() { printf '%s %s: error: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$SCRIPT" "$*" >&2; }
die() { error "$@"; exit 1; }
size_of() { s=$(wc -c <"$1"); echo "${s##* }"; }

BACKUP_DIR=${BACKUP_DIR:-/backups}
PGDATABASE=${PGDATABASE:-}

# The UTC stamp of a dump's name, YYYYmmddTHHMMSSZ, as a glob.
STAMP_GLOB='[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'

# Sets `dump` to the newest <PGDATABASE>-<stamp>.dump in BACKUP_DIR, or dies when there is none.
newest_dump() {
  # Globs expand in sorted order and stamps sort in time order: the last match is the newest.
  dump=
  for candidate in "$BACKUP_DIR/$PGDATABASE"-$STAMP_GLOB.dump; do
    if [ -f "$candidate" ]; then dump=$candidate; fi
  done
  [ -n "$dump" ] || die "no dump of $PGDATABASE in $BACKUP_DIR (expected $PGDATABASE-YYYYmmddTHHMMSSZ.dump)"
  log "newest dump: $dump ($(size_of "$dump") bytes)"
}

# verify_checksum DUMP CONSEQUENCE: dies unless DUMP matches the sha256 in DUMP.sha256; the
# consequence ("nothing was restored") ends the message.
verify_checksum() {
  [ -f "$1.sha256" ] || die "no checksum file $1.sha256: cannot trust $1; $2"
  expected=$(head -n 1 <"$1.sha256")
  expected=${expected%% *}
  actual=$(sha256sum <"$1") || die "sha256sum of $1 failed; $2"
  actual=${actual%% *}
  [ "${#expected}" -eq 64 ] && [ "$expected" = "$actual" ] ||
    die "checksum mismatch for $1: $1.sha256 says \"$expected\", the file has $actual; $2"
  log "checksum verified: sha256 $actual"
}
