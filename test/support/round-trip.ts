/**
 * The off-site round trip, as the backup and drill pods run it, through a real PostgreSQL server and
 * a real S3 API: a database of `rows` workouts loaded, backup.sh, upload.sh, the volume lost,
 * fetch-offsite.sh and restore-drill.sh with a check of every row. Shared by the test of its
 * correctness (test/system/postgres/upload.test.ts, on a small database) and the measurement of
 * the restore time that docs/backups.md quotes (test/support/rto.ts, run by `npm run bench`).
 * It imports nothing of vitest: the measurement runs outside the test runner.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PostgresServer } from './postgres';
import type { S3Server } from './s3';
import { runAsync, type Run } from './run-async';

/** A run of a script or tool: status and output. */
export type ScriptRun = Run;

/** Runs a command asynchronously (s3rver answers in this process, so never spawnSync). */
export function runCommand(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ScriptRun> {
  return runAsync(file, args, { env });
}

export interface RoundTripOptions {
  readonly pg: PostgresServer;
  readonly s3: S3Server;
  /** Folder holding the shipped scripts (POSTGRES_SCRIPTS written out, as the ConfigMap mounts them). */
  readonly scripts: string;
  /** A fresh folder of the caller's, for the backup volume and the drill's scratch volume. */
  readonly work: string;
  /** s3://bucket/prefix of the off-site copies. */
  readonly uri: string;
  /** The database's name (created here). */
  readonly database: string;
  /** Rows of the workouts table (users: one per 20 workouts, at least one). */
  readonly rows: number;
  /** How many times the restore (fetch-offsite.sh + restore-drill.sh) runs after the upload. @default 1 */
  readonly restores?: number;
}

/** One restore of the off-site copy: the fetch and the drill, and their wall time together. */
export interface Restore {
  readonly fetch: ScriptRun;
  readonly drill: ScriptRun;
  readonly seconds: number;
  /** Size of the dump fetched, in bytes (0 when none was). */
  readonly dumpBytes: number;
}

export interface RoundTrip {
  readonly load: ScriptRun;
  /** pg_database_size of the loaded database, in bytes (0 when the load failed). */
  readonly databaseBytes: number;
  readonly backup: ScriptRun;
  readonly upload: ScriptRun;
  /** The restores, in order; none when a step before them failed. */
  readonly restores: readonly Restore[];
}

/**
 * Runs the round trip, stopping at the first step that fails (its run carries the status and the
 * error). The drill's DRILL_CHECK_SQL proves every row came back: their count and the sum of a
 * column computed afresh from the generator, so a lost or changed row fails it.
 */
export async function offsiteRoundTrip(o: RoundTripOptions): Promise<RoundTrip> {
  const users = Math.max(1, Math.floor(o.rows / 20));
  const env = { ...o.pg.env(o.database), ...o.s3.env(), BACKUP_S3_ENDPOINT: o.s3.endpoint, BACKUP_S3_URI: o.uri };
  const script = (name: string, extra: Record<string, string>) => runCommand('sh', [path.join(o.scripts, name)], { ...env, ...extra });
  const none = { status: null, stdout: '', stderr: 'not run: an earlier step failed' };

  o.pg.createDatabase(o.database);
  const load = await runCommand(path.join(o.pg.binDir, 'psql'), ['--no-psqlrc', '--quiet', '-v', 'ON_ERROR_STOP=1', '-c', `
    CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
    CREATE TABLE workouts (id bigint PRIMARY KEY, user_id int REFERENCES users (id), started_at timestamptz NOT NULL, minutes int NOT NULL, notes text);
    INSERT INTO users SELECT i, 'user' || i || '@gravl.app' FROM generate_series(1, ${users}) AS i;
    INSERT INTO workouts SELECT i, 1 + i % ${users}, timestamptz '2026-01-01' + i * interval '1 minute', 10 + i % 80, md5(i::text) FROM generate_series(1, ${o.rows}) AS i;
    CREATE INDEX ON workouts (user_id, started_at);`], env);
  if (load.status !== 0) return { load, databaseBytes: 0, backup: none, upload: none, restores: [] };
  const databaseBytes = Number(o.pg.psql(o.database, `select pg_database_size('${o.database}')`));

  const volume = path.join(o.work, 'volume');
  const backup = await script('backup.sh', { BACKUP_DIR: volume });
  if (backup.status !== 0) return { load, databaseBytes, backup, upload: none, restores: [] };
  const upload = await script('upload.sh', { BACKUP_DIR: volume });
  if (upload.status !== 0) return { load, databaseBytes, backup, upload, restores: [] };
  // The volume is lost: only the off-site copy remains.
  fs.rmSync(volume, { recursive: true, force: true });

  const restores: Restore[] = [];
  for (let i = 0; i < (o.restores ?? 1); i++) {
    const offsite = path.join(o.work, `offsite-${i}`);
    const started = process.hrtime.bigint();
    const fetch = await script('fetch-offsite.sh', { BACKUP_DIR: offsite });
    const drill =
      fetch.status === 0
        ? await script('restore-drill.sh', {
            BACKUP_DIR: offsite,
            DRILL_COPY: `off-site copy ${o.uri}`,
            DRILL_CHECK_SQL: `select count(*) = ${o.rows} and sum(minutes) = (select sum(10 + i % 80) from generate_series(1, ${o.rows}) as i) from workouts`,
          })
        : none;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const dump = fs.existsSync(offsite) ? fs.readdirSync(offsite).find((n) => n.endsWith('.dump')) : undefined;
    restores.push({ fetch, drill, seconds, dumpBytes: dump ? fs.statSync(path.join(offsite, dump)).size : 0 });
    fs.rmSync(offsite, { recursive: true, force: true });
    if (drill.status !== 0) break;
  }
  return { load, databaseBytes, backup, upload, restores };
}
