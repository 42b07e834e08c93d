import * as fs from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../../kit/project-root';

const SCRIPT_NAMES = ['backup.sh', 'common.sh', 'fetch-offsite.sh', 'restore-drill.sh', 'restore.sh', 'roles.sh', 's3.sh', 'upload.sh'] as const;

/**
 * The PostgreSQL maintenance scripts, file name to content, as the constructs ship them in a
 * ConfigMap. Each is a POSIX `sh` script (dash and busybox ash) that needs only pg_dump,
 * pg_restore, psql and coreutils or busybox, so it runs in the official `postgres` image, Debian
 * or Alpine; run it as `sh <mount>/<name>` (a ConfigMap file is not executable by default).
 *
 * Every script connects with the standard libpq variables `PGHOST`, `PGPORT`, `PGUSER`,
 * `PGPASSWORD`, and reads:
 * - `PGDATABASE` (required): the live database; dumps are named `<PGDATABASE>-<UTC YYYYmmddTHHMMSSZ>.dump`,
 *   each beside a `<dump>.sha256` in sha256sum format;
 * - `BACKUP_DIR`: the folder of the dumps, default `/backups`.
 * An unset or empty variable takes its default. Each logs one line per step on stdout and exits
 * non-zero on any failure. What they share (logging, finding the newest dump, checking its
 * checksum) is `common.sh`, which each sources from its own folder: ship them together.
 *
 * `backup.sh`: removes partial files that killed runs left behind, dumps PGDATABASE
 * (`pg_dump --format=custom`) into a hidden partial file, verifies it (`pg_restore --list`, then a
 * full read), writes its checksum, and only then renames it to its dump name, so a failed run never
 * replaces or shadows the last good dump; then keeps the newest `BACKUP_RETAIN` dumps. A run in the
 * same second as the newest dump waits for the next second, so names stay unique and in time
 * order. Runs must not overlap (CronJob `concurrencyPolicy: Forbid`).
 * - `BACKUP_RETAIN`: how many dumps to keep, an integer >= 1 (at most 999999), default 7.
 *
 * `restore-drill.sh`: verifies the checksum of the newest dump, restores it into a throwaway
 * database (`pg_restore --exit-on-error --no-owner --no-privileges`), checks that it holds a user
 * table and that `DRILL_CHECK_SQL` (if set) returns `t`, and drops the throwaway database again,
 * also on failure. Fails when there is no dump. The role needs CREATEDB.
 * - `DRILL_DATABASE`: the throwaway database, default `<PGDATABASE>_restore_drill`; refused if it
 *   is PGDATABASE, `postgres`, `template0` or `template1`.
 * - `DRILL_CHECK_SQL`: optional query run in the restored copy; it must return the single value `t`.
 * - `DRILL_COPY`: which copy the dump is, for the log (the off-site copy, or the volume's).
 *
 * `restore.sh`: replaces PGDATABASE with a dump after verifying its checksum
 * (`pg_restore --clean --if-exists --single-transaction --no-owner`: all or nothing).
 * - `CONFIRM_RESTORE`: must be exactly `yes`, or the script refuses before connecting.
 * - `BACKUP_FILE`: the dump's file name inside BACKUP_DIR (no path), default the newest dump of
 *   PGDATABASE.
 *
 * `upload.sh` (after backup.sh, in an image with the AWS CLI): copies every dump not yet off-site,
 * each with its checksum and only after verifying it, then prunes the off-site dumps to the newest
 * `BACKUP_RETAIN`. `fetch-offsite.sh`: downloads the newest off-site dump that has its checksum into
 * BACKUP_DIR and verifies it, for the drill. Both read (see `s3.sh`, which they source):
 * - `BACKUP_S3_URI`: s3://bucket/prefix (required); `BACKUP_S3_ENDPOINT`: another S3-compatible
 *   store's endpoint (optional); AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.
 *
 * `roles.sh` (the role Job, as the superuser): creates the owner, app, backup and monitoring roles
 * and keeps their attributes, memberships, grants and passwords exactly as declared; idempotent.
 * - `ROLE_OWNER`, `ROLE_APP`, `ROLE_BACKUP`, `ROLE_MONITORING` and each `<name>_PASSWORD`.
 */
export const POSTGRES_SCRIPTS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(SCRIPT_NAMES.map((name) => [name, fs.readFileSync(path.join(PROJECT_ROOT, 'lib', 'system', 'postgres', 'scripts', name), 'utf8')])),
);
