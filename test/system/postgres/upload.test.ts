/**
 * The off-site copy, proven against a real S3 API: s3rver on loopback (test/support/s3.ts) and the
 * real AWS CLI, running upload.sh and fetch-offsite.sh as the backup and drill pods run them, and
 * a full round trip through a real PostgreSQL server: backup.sh, upload.sh, the volume lost,
 * fetch-offsite.sh, restore-drill.sh (test/support/round-trip.ts, on a small database: the restore
 * time docs/backups.md quotes is measured by `npm run bench` with the same round trip).
 *
 * The tests run concurrently (each AWS CLI start costs most of a second of one core): each one
 * works under its own prefix of the bucket and in its own folders.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { POSTGRES_SCRIPTS } from '../../../lib/system/postgres/scripts';
import { runAsync, type Run, removedAfterAll } from '../../support/cli';
import { startPostgres, type PostgresServer } from '../../support/postgres';
import { offsiteRoundTrip, type Restore } from '../../support/round-trip';
import { startS3, type S3Server } from '../../support/s3';

const BUCKET = 'gravl-backups';
let s3: S3Server | undefined;
let pg: PostgresServer | undefined;
let startError: unknown;
let mount = '';
const temps = removedAfterAll();

const temp = (prefix: string): string => temps.make(prefix);

function servers(): { s3: S3Server; pg: PostgresServer } {
  if (!s3 || !pg) throw startError ?? new Error('the S3 or PostgreSQL server did not start');
  return { s3, pg };
}

beforeAll(async () => {
  mount = temp('s3-scripts');
  for (const [name, text] of Object.entries(POSTGRES_SCRIPTS)) fs.writeFileSync(path.join(mount, name), text, { mode: 0o644 });
  try {
    [s3, pg] = await Promise.all([startS3([BUCKET]), startPostgres()]);
  } catch (error) {
    startError = error;
  }
});

afterAll(async () => {
  try {
    await s3?.stop();
    pg?.stop();
  } finally {
  }
});


/** Runs a shipped script with `sh` against the S3 server (and, for the PG* variables, PostgreSQL). */
function runScript(script: string, env: Record<string, string>, base: NodeJS.ProcessEnv = {}): Promise<Run> {
  const { s3: store } = servers();
  return runAsync('sh', [path.join(mount, script)], { env: { ...base, ...store.env(), PGDATABASE: 'gravl', BACKUP_S3_ENDPOINT: store.endpoint, ...env } });
}

/** Dump files as backup.sh leaves them, each with its checksum; returns the folder. */
function localDumps(names: readonly string[]): string {
  const dir = temp('s3-backups');
  for (const name of names) {
    const content = `dump ${name} ${crypto.randomBytes(8).toString('hex')}`;
    fs.writeFileSync(path.join(dir, name), content);
    fs.writeFileSync(path.join(dir, `${name}.sha256`), `${crypto.createHash('sha256').update(content).digest('hex')}  ${name}\n`);
  }
  return dir;
}

/** The keys under `prefix` in the bucket, without the prefix, sorted (as the server stores them). */
async function remote(prefix: string): Promise<string[]> {
  const keys = await servers().s3.keys(BUCKET, `${prefix}/`);
  return keys.map((k) => k.slice(prefix.length + 1)).sort();
}

/** Puts every file of `dir` under `prefix`, as an earlier upload.sh left them. */
async function seed(dir: string, prefix: string): Promise<void> {
  for (const name of fs.readdirSync(dir)) await servers().s3.put(BUCKET, `${prefix}/${name}`, fs.readFileSync(path.join(dir, name)));
}

/** Concurrent AWS CLI starts share the cores, so each test may take several times its time alone. */
const CONCURRENT_TIMEOUT = 60_000;

const stamp = (day: number) => `gravl-202611${String(day).padStart(2, '0')}T020000Z.dump`;

/**
 * Rows of the round trip's database: enough for several data pages and an index, few enough to
 * load in a moment. The restore time of a 200000-row database, which docs/backups.md quotes, is
 * measured by `npm run bench` (test/support/rto.ts, the same round trip), not here.
 */
const ROUND_TRIP_ROWS = 2_000;

describe.concurrent('the off-site round trip through a real PostgreSQL server and a real S3 API', { timeout: CONCURRENT_TIMEOUT }, () => {
  it(`restores the off-site copy of a ${ROUND_TRIP_ROWS}-row database after the volume is lost: its checksum verified, every row back, the off-site copy proven`, async ({ expect }) => {
    const { s3: store, pg: server } = servers();
    const uri = `s3://${BUCKET}/round-trip`;
    const trip = await offsiteRoundTrip({ pg: server, s3: store, scripts: mount, work: temp('s3-round-trip'), uri, database: 'gravl', rows: ROUND_TRIP_ROWS });
    expect(trip.load.status, trip.load.stderr).toBe(0);
    expect(trip.databaseBytes).toBeGreaterThan(0);
    expect(trip.backup.status, trip.backup.stderr).toBe(0);
    expect(trip.upload.status, trip.upload.stderr).toBe(0);
    expect(trip.upload.stdout).toContain('copied 1 dump(s)');
    expect(trip.restores).toHaveLength(1);
    const [{ fetch, drill, seconds, dumpBytes }] = trip.restores as [Restore];
    expect(fetch.status, fetch.stderr).toBe(0);
    expect(fetch.stdout).toContain('checksum verified');
    expect(dumpBytes).toBeGreaterThan(0);
    // DRILL_CHECK_SQL (test/support/round-trip.ts): the row count and a column's sum, recomputed.
    expect(drill.status, drill.stderr).toBe(0);
    expect(drill.stdout).toContain('check passed: DRILL_CHECK_SQL returned t');
    expect(drill.stdout).toMatch(new RegExp(`passed: \\S+gravl-\\d{8}T\\d{6}Z\\.dump \\(off-site copy ${uri}\\) restores`));
    expect(seconds).toBeLessThan(60);
  });
});

describe.concurrent('upload.sh against a real S3 API (s3rver) with the AWS CLI', { timeout: CONCURRENT_TIMEOUT }, () => {
  it('copies every dump that is not off-site yet, each with its checksum, under the prefix', async ({ expect }) => {
    const dir = localDumps([stamp(20), stamp(21)]);
    const first = await runScript('upload.sh', { BACKUP_DIR: dir, BACKUP_S3_URI: `s3://${BUCKET}/copies/` });
    expect(first.status, first.stderr).toBe(0);
    expect(await remote('copies')).toEqual([stamp(20), `${stamp(20)}.sha256`, stamp(21), `${stamp(21)}.sha256`]);
    // A second run finds both off-site and copies nothing.
    const second = await runScript('upload.sh', { BACKUP_DIR: dir, BACKUP_S3_URI: `s3://${BUCKET}/copies` });
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('copied 0 dump(s)');
  });

  it('prunes the off-site copies to the newest BACKUP_RETAIN dumps, with their checksums, and checksums whose dump is gone', async ({ expect }) => {
    const old = localDumps([stamp(1), stamp(2), stamp(3), stamp(4)]);
    fs.copyFileSync(path.join(old, `${stamp(1)}.sha256`), path.join(old, `${stamp(9)}.sha256`));
    await seed(old, 'prune');
    const run = await runScript('upload.sh', { BACKUP_DIR: localDumps([stamp(5)]), BACKUP_S3_URI: `s3://${BUCKET}/prune`, BACKUP_RETAIN: '3' });
    expect(run.status, run.stderr).toBe(0);
    expect(await remote('prune')).toEqual([stamp(3), `${stamp(3)}.sha256`, stamp(4), `${stamp(4)}.sha256`, stamp(5), `${stamp(5)}.sha256`]);
    expect(run.stdout).toContain(`deleting s3://${BUCKET}/prune/${stamp(1)} and its checksum (BACKUP_RETAIN=3)`);
    expect(run.stdout).toContain(`deleting s3://${BUCKET}/prune/${stamp(9)}.sha256, whose dump is gone`);
  });

  it('never uploads a dump that fails its checksum, still copies the good ones, and fails the run', async ({ expect }) => {
    const dir = localDumps([stamp(20), stamp(21)]);
    fs.appendFileSync(path.join(dir, stamp(21)), 'tampered');
    const run = await runScript('upload.sh', { BACKUP_DIR: dir, BACKUP_S3_URI: `s3://${BUCKET}/tampered` });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`checksum mismatch for ${path.join(dir, stamp(21))}`);
    expect(run.stderr).toContain('not uploading it');
    expect(run.stderr).toContain('1 dump(s) failed their checksum and were not uploaded');
    expect(await remote('tampered')).toEqual([stamp(20), `${stamp(20)}.sha256`]);
  });

  it('fails with a clear error and a non-zero exit when the bucket is missing', async ({ expect }) => {
    const run = await runScript('upload.sh', { BACKUP_DIR: localDumps([stamp(21)]), BACKUP_S3_URI: 's3://no-such-bucket/postgres' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('NoSuchBucket');
    expect(run.stderr).toContain('upload: error: cannot list s3://no-such-bucket/postgres/ (bucket no-such-bucket)');
  });

  it('fails with a clear error and a non-zero exit on wrong credentials, and uploads nothing', async ({ expect }) => {
    const dir = localDumps([stamp(21)]);
    const wrongKey = await runScript('upload.sh', { BACKUP_DIR: dir, BACKUP_S3_URI: `s3://${BUCKET}/creds`, AWS_ACCESS_KEY_ID: 'AKIAWRONGWRONGWRONG0' });
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toContain('InvalidAccessKeyId');
    expect(wrongKey.stderr).toContain('wrong credentials');
    const wrongSecret = await runScript('upload.sh', { BACKUP_DIR: dir, BACKUP_S3_URI: `s3://${BUCKET}/creds`, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(wrongSecret.status).toBe(1);
    expect(wrongSecret.stderr).toContain('SignatureDoesNotMatch');
    expect(wrongSecret.stdout).not.toContain('copied');
  });

  it('rejects a destination that is not s3://bucket/prefix, and a volume without a dump', async ({ expect }) => {
    const noDestination = await runScript('upload.sh', { BACKUP_DIR: localDumps([stamp(21)]), BACKUP_S3_URI: 'bucket/p' });
    expect(noDestination.status).toBe(1);
    expect(noDestination.stderr).toContain('BACKUP_S3_URI: found "bucket/p", expected s3://bucket/prefix');
    const noDump = await runScript('upload.sh', { BACKUP_DIR: localDumps([]), BACKUP_S3_URI: `s3://${BUCKET}/empty` });
    expect(noDump.status).toBe(1);
    expect(noDump.stderr).toContain('no dump of gravl');
  });
});

describe.concurrent('fetch-offsite.sh against a real S3 API (s3rver) with the AWS CLI', { timeout: CONCURRENT_TIMEOUT }, () => {
  it('downloads the newest off-site dump that has its checksum, and verifies it', async ({ expect }) => {
    const dir = localDumps([stamp(20), stamp(21), stamp(22)]);
    // An interrupted copy: a newer dump without its checksum is never taken.
    fs.rmSync(path.join(dir, `${stamp(22)}.sha256`));
    await seed(dir, 'fetch');
    const into = path.join(temp('s3-fetch'), 'offsite');
    const run = await runScript('fetch-offsite.sh', { BACKUP_DIR: into, BACKUP_S3_URI: `s3://${BUCKET}/fetch` });
    expect(run.status, run.stderr).toBe(0);
    expect(fs.readdirSync(into).sort()).toEqual([stamp(21), `${stamp(21)}.sha256`]);
    expect(run.stdout).toContain('checksum verified');
  });

  it('fetches the dump BACKUP_FILE names instead of the newest, and refuses a name that is not off-site with its checksum', async ({ expect }) => {
    const dir = localDumps([stamp(20), stamp(21), stamp(22)]);
    // An interrupted copy: the dump off-site without its checksum.
    fs.rmSync(path.join(dir, `${stamp(22)}.sha256`));
    await seed(dir, 'named');
    const into = path.join(temp('s3-fetch'), 'offsite');
    const named = await runScript('fetch-offsite.sh', { BACKUP_DIR: into, BACKUP_S3_URI: `s3://${BUCKET}/named`, BACKUP_FILE: stamp(20) });
    expect(named.status, named.stderr).toBe(0);
    expect(named.stdout).toContain(`off-site dump named by BACKUP_FILE: s3://${BUCKET}/named/${stamp(20)}`);
    expect(fs.readdirSync(into).sort()).toEqual([stamp(20), `${stamp(20)}.sha256`]);
    expect(named.stdout).toContain('checksum verified');
    const interrupted = await runScript('fetch-offsite.sh', { BACKUP_DIR: temp('s3-fetch'), BACKUP_S3_URI: `s3://${BUCKET}/named`, BACKUP_FILE: stamp(22) });
    expect(interrupted.status).toBe(1);
    expect(interrupted.stderr).toContain(`BACKUP_FILE: ${stamp(22)} is not in s3://${BUCKET}/named/ with its checksum (the newest there is ${stamp(21)})`);
    // Not a dump's name: refused before the bucket is asked.
    const traversal = await runScript('fetch-offsite.sh', { BACKUP_DIR: temp('s3-fetch'), BACKUP_S3_URI: `s3://${BUCKET}/named`, BACKUP_FILE: `../${stamp(20)}` });
    expect(traversal.status).toBe(1);
    expect(traversal.stderr).toContain(`BACKUP_FILE: found "../${stamp(20)}", expected the name of an off-site dump of gravl, gravl-YYYYmmddTHHMMSSZ.dump`);
  });

  it('refuses an off-site dump whose checksum does not match, and leaves nothing to restore', async ({ expect }) => {
    const dir = localDumps([stamp(21)]);
    // The object changed after its checksum was written (bit rot, a partial overwrite).
    fs.appendFileSync(path.join(dir, stamp(21)), 'bit rot');
    await seed(dir, 'damaged');
    const into = temp('s3-fetch');
    const run = await runScript('fetch-offsite.sh', { BACKUP_DIR: into, BACKUP_S3_URI: `s3://${BUCKET}/damaged` });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`checksum mismatch for ${path.join(into, stamp(21))}`);
    expect(run.stderr).toContain('the off-site copy is damaged; nothing was restored');
    expect(fs.readdirSync(into)).toEqual([]);
  });

  it('fails with a clear error on a missing bucket, wrong credentials or no off-site dump', async ({ expect }) => {
    const into = temp('s3-fetch');
    const missing = await runScript('fetch-offsite.sh', { BACKUP_DIR: into, BACKUP_S3_URI: 's3://no-such-bucket/postgres' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('NoSuchBucket');
    const wrong = await runScript('fetch-offsite.sh', { BACKUP_DIR: into, BACKUP_S3_URI: `s3://${BUCKET}/fetch`, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('SignatureDoesNotMatch');
    expect(wrong.stderr).toContain('fetch-offsite: error: cannot list');
    const none = await runScript('fetch-offsite.sh', { BACKUP_DIR: into, BACKUP_S3_URI: `s3://${BUCKET}/nothing-here` });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(`no dump of gravl with its checksum in s3://${BUCKET}/nothing-here/`);
  });
});
