/**
 * The restore time (RTO) that docs/backups.md quotes, measured: `npm run bench` runs this file
 * (`node --import tsx test/support/rto.ts [--rows N] [--runs N] [--dir DIR]`). It starts a
 * PostgreSQL server with its own durability settings (fsync on), its files in DIR (the bench's
 * folder beside the repository; else the temporary folder), and an S3 server (s3rver) on loopback, as the tests do (test/support/postgres.ts, s3.ts),
 * runs the off-site round trip of test/support/round-trip.ts once on a database of `--rows`
 * workouts (default 200000), then times the restore (fetch-offsite.sh + restore-drill.sh, with its
 * check of every row) `--runs` times (default 3) and prints, on its last line, one JSON object:
 *   {"rows":200000,"databaseBytes":...,"dumpBytes":...,"seconds":[...],"medianSeconds":...,"filesystem":"disk"}
 * Without PostgreSQL or the AWS CLI it measures nothing: it prints `not measured: <why>` and exits 3
 * (scripts/setup-system.sh installs both). Any other failure exits 1 with the failing step's error.
 * The suite proves the same round trip on a small database (test/system/postgres/upload.test.ts);
 * this file times it and asserts nothing beyond the drill passing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median } from '../../lib/cli/bench';
import { POSTGRES_SCRIPTS } from '../../lib/system/postgres/scripts';
import { findServerBinaries, startPostgres, TMPFS_MAGIC, type PostgresServer } from './postgres';
import { offsiteRoundTrip, type ScriptRun } from './round-trip';
import { requireAwsCli, startS3, type S3Server } from './s3';

/** Exit code when a tool is missing and nothing was measured (lib/cli/bench.ts reads it). */
const NOT_MEASURED = 3;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`rto: --${name}: found ${JSON.stringify(process.argv[at + 1] ?? '')}, expected a whole number of at least 1`);
    process.exit(2);
  }
  return value;
}

/** Throws (so that the servers are stopped) with the step's last lines of output. */
function failed(step: string, run: ScriptRun): never {
  const tail = `${run.stderr}${run.stdout}`.trim().split('\n').slice(-3).join(' | ');
  throw new Error(`${step} failed (exit ${String(run.status)}): ${tail}`);
}

async function main(): Promise<void> {
  const rows = option('rows', 200_000);
  const runs = option('runs', 3);
  try {
    findServerBinaries();
    requireAwsCli();
  } catch (error) {
    console.log(`not measured: ${(error as Error).message}`);
    process.exit(NOT_MEASURED);
  }
  // Where to work: --dir (npm run bench gives a folder beside the repository, on the disk dist/ is
  // on), else the temporary folder. Which file system it is, is reported with the figure.
  const dirAt = process.argv.indexOf('--dir');
  const base = dirAt === -1 ? os.tmpdir() : path.resolve(process.argv[dirAt + 1] ?? '.');
  const work = fs.mkdtempSync(path.join(base, 'gravl-rto-'));
  // Run as root, the server runs as the postgres user, which must be able to reach its folder.
  fs.chmodSync(work, 0o711);
  const filesystem = fs.statfsSync(work).type === TMPFS_MAGIC ? 'tmpfs (memory)' : 'disk';
  let s3: S3Server | undefined;
  let pg: PostgresServer | undefined;
  // Stopped (the bench's timeout, Ctrl-C): the server and the folder go too.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      pg?.stop();
      fs.rmSync(work, { recursive: true, force: true });
      process.exit(1);
    });
  }
  try {
    const scripts = path.join(work, 'scripts');
    fs.mkdirSync(scripts);
    for (const [name, text] of Object.entries(POSTGRES_SCRIPTS)) fs.writeFileSync(path.join(scripts, name), text, { mode: 0o644 });
    // On disk, as a real server's volume: the restore writes the whole database.
    [s3, pg] = await Promise.all([startS3(['gravl-backups']), startPostgres({ storage: 'disk', under: work })]);
    const trip = await offsiteRoundTrip({ pg, s3, scripts, work, uri: 's3://gravl-backups/postgres', database: 'gravl', rows, restores: runs });
    if (trip.load.status !== 0) failed('loading the database', trip.load);
    if (trip.backup.status !== 0) failed('backup.sh', trip.backup);
    if (trip.upload.status !== 0) failed('upload.sh', trip.upload);
    for (const r of trip.restores) {
      if (r.fetch.status !== 0) failed('fetch-offsite.sh', r.fetch);
      if (r.drill.status !== 0) failed('restore-drill.sh', r.drill);
    }
    const seconds = trip.restores.map((r) => r.seconds);
    const medianSeconds = median(seconds);
    console.log(JSON.stringify({ rows, databaseBytes: trip.databaseBytes, dumpBytes: trip.restores[0]!.dumpBytes, seconds, medianSeconds, filesystem }));
  } finally {
    await s3?.stop();
    pg?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`rto: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
