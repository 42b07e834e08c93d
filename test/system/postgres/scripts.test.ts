import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_SCRIPTS } from '../../../lib/system/postgres/scripts';
import { runAsync, type Run, removedAfterAll } from '../../support/cli';
import { startPostgres, type PostgresServer } from '../../support/postgres';
import { ROOT } from '../../support/render';

const SOURCE_DIR = path.join(ROOT, 'lib', 'system', 'postgres', 'scripts');
/** <PGDATABASE>-<UTC YYYYmmddTHHMMSSZ>.dump */
const DUMP_NAME = /^gravl_restore-\d{8}T\d{6}Z\.dump$/;

let pg: PostgresServer | undefined;
let startError: unknown;
/** The scripts as the pods see them: POSTGRES_SCRIPTS written into a folder, like a ConfigMap mount. */
let mount = '';
const temps = removedAfterAll();

const temp = (prefix: string): string => temps.make(prefix);

/** The server; every test that needs it fails (never skips) with the reason it did not start. */
function server(): PostgresServer {
  if (!pg) throw startError ?? new Error('the PostgreSQL server did not start');
  return pg;
}

beforeAll(async () => {
  mount = temp('pg-scripts');
  for (const [name, text] of Object.entries(POSTGRES_SCRIPTS)) fs.writeFileSync(path.join(mount, name), text, { mode: 0o644 });
  try {
    pg = await startPostgres();
  } catch (error) {
    startError = error;
  }
});

afterAll(() => {
  try {
    pg?.stop();
  } finally {
  }
});


/** Runs one shipped script with `sh`, as the CronJobs do, connected as the test user to `database`. */
function runScript(script: string, database: string, env: Record<string, string> = {}, pathPrefix?: string): Promise<Run> {
  const base = server().env(database);
  const PATH = pathPrefix ? [pathPrefix, base.PATH].join(path.delimiter) : base.PATH;
  return runAsync('sh', [path.join(mount, script)], { env: { ...base, PATH, ...env } });
}

/** Runs backup.sh and returns the file name of the dump it saved. */
async function backup(database: string, backupDir: string, env: Record<string, string> = {}): Promise<string> {
  const run = await runScript('backup.sh', database, { BACKUP_DIR: backupDir, ...env });
  expect(run.status, run.stderr).toBe(0);
  const saved = /backup: saved (\S+) \(\d+ bytes\)/.exec(run.stdout);
  expect(saved, run.stdout).not.toBeNull();
  return path.basename(saved![1]!);
}

/** A small Gravl-like schema: users, their workouts (foreign key), and sets, with non-ASCII text. */
function loadGravlData(database: string, workouts = 3000): void {
  server().psql(
    database,
    `
    CREATE TABLE users (
      id bigserial PRIMARY KEY,
      name text NOT NULL,
      email text NOT NULL UNIQUE,
      joined_at timestamptz NOT NULL
    );
    CREATE TABLE workouts (
      id bigserial PRIMARY KEY,
      user_id bigint NOT NULL REFERENCES users (id),
      kind text NOT NULL,
      started_at timestamptz NOT NULL,
      distance_km numeric(6, 2),
      notes text
    );
    CREATE TABLE sets (
      id bigserial PRIMARY KEY,
      workout_id bigint NOT NULL REFERENCES workouts (id),
      exercise text NOT NULL,
      reps integer NOT NULL,
      weight_kg numeric(5, 1)
    );
    INSERT INTO users (name, email, joined_at)
      SELECT (ARRAY['Zoë Ångström', '山田 太郎', 'Łukasz Żółć', 'Ñandú Peña', 'Amélie 🏋️'])[1 + i % 5] || ' #' || i,
             'user' || i || '@example.test',
             timestamptz '2025-01-01 00:00:00+00' + i * interval '37 minutes'
      FROM generate_series(1, 500) AS i;
    INSERT INTO workouts (user_id, kind, started_at, distance_km, notes)
      SELECT 1 + i % 500,
             (ARRAY['run', 'lift', 'row', 'swim'])[1 + i % 4],
             timestamptz '2025-02-01 06:00:00+00' + i * interval '53 minutes',
             round((i % 420) / 10.0, 2),
             CASE WHEN i % 7 = 0 THEN 'Schöne Grüße — 💪 ' || i END
      FROM generate_series(1, ${workouts}) AS i;
    INSERT INTO sets (workout_id, exercise, reps, weight_kg)
      SELECT 1 + i % ${workouts}, (ARRAY['squat', 'bench', 'deadlift', 'press'])[1 + i % 4], 1 + i % 12, (i % 200) / 2.0
      FROM generate_series(1, ${workouts * 2}) AS i;
    `,
  );
}

const TABLES = ['users', 'workouts', 'sets'] as const;

/** Row count and md5 of every row's text, in id order, for each table. */
function contentChecksums(database: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const table of TABLES) {
    out[table] = server().psql(database, `SELECT count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) FROM ${table} AS t`);
  }
  return out;
}

function databaseExists(name: string): boolean {
  return server().psql('postgres', `SELECT count(*) FROM pg_database WHERE datname = '${name}'`) === '1';
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Flips 16 bytes in the middle of the file (in the compressed table data). */
function flipBytes(file: string): void {
  const bytes = fs.readFileSync(file);
  const at = Math.floor(bytes.length / 2);
  for (let i = at; i < at + 16; i++) bytes[i] = bytes[i]! ^ 0xff;
  fs.writeFileSync(file, bytes);
}

/** A copy of a backup folder, for damaging one dump without touching the others. */
function copyDir(dir: string): string {
  const copy = temp('pg-copy');
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

describe('the PostgreSQL scripts', () => {
  it('ships exactly the scripts and the common.sh and s3.sh they source, byte for byte as written', () => {
    expect(Object.keys(POSTGRES_SCRIPTS).sort()).toEqual(['backup.sh', 'common.sh', 'fetch-offsite.sh', 'restore-drill.sh', 'restore.sh', 'roles.sh', 's3.sh', 'upload.sh']);
    for (const [name, text] of Object.entries(POSTGRES_SCRIPTS)) {
      expect(text, name).toBe(fs.readFileSync(path.join(SOURCE_DIR, name), 'utf8'));
      if (name === 'common.sh' || name === 's3.sh') continue;
      expect(text.split('\n')[0], name).toBe('#!/bin/sh');
      expect(text, name).toContain('. "$(dirname -- "$0")/common.sh"');
    }
  });

  it('parses with POSIX sh, dash, busybox and bash --posix, and passes shellcheck', () => {
    const which = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
    // Every checker is required (scripts/setup-system.sh installs them): a missing one fails here
    // rather than weakening the check. shellcheck --shell=sh reports the bashisms that
    // checkbashisms would, so that one (a large package) is not used.
    for (const tool of ['dash', 'busybox', 'shellcheck', 'bash']) expect(which(tool), `${tool} is not installed: run bash scripts/setup-system.sh`).toBe(true);
    const checkers: [string, string[]][] = [
      ['sh', ['-n']],
      ['dash', ['-n']],
      ['busybox', ['sh', '-n']],
      ['bash', ['--posix', '-n']],
      ['shellcheck', ['--shell=sh', '--severity=warning', '--external-sources', '--source-path=SCRIPTDIR']],
    ];
    for (const name of Object.keys(POSTGRES_SCRIPTS)) {
      for (const [tool, args] of checkers) {
        const result = spawnSync(tool, [...args, path.join(SOURCE_DIR, name)], { encoding: 'utf8' });
        expect(result.status, `${tool} ${args.join(' ')} ${name}:\n${result.stdout}${result.stderr}`).toBe(0);
      }
    }
  });
});

/**
 * The live database and the backup folder the two drill tests read (a full load and a backup
 * each, shared): made once, by the first test that asks. The drills never write to either: each
 * restores into a throwaway database of its own name, and a test that damages a dump does it in a
 * copy of the folder (copyDir).
 */
let drillFixture: Promise<{ db: string; dir: string; name: string }> | undefined;
function drillSource(): Promise<{ db: string; dir: string; name: string }> {
  drillFixture ??= (async () => {
    const db = 'gravl_drill';
    const dir = temp('pg-backups');
    server().createDatabase(db);
    loadGravlData(db);
    return { db, dir, name: await backup(db, dir) };
  })();
  return drillFixture;
}

describe.concurrent('backup.sh, restore.sh and restore-drill.sh against a real PostgreSQL server', () => {
  it('backs up, and restore.sh brings back every row after a table is dropped, rows deleted and values changed', async () => {
    const db = 'gravl_restore';
    const dir = temp('pg-backups');
    server().createDatabase(db);
    loadGravlData(db);
    const before = contentChecksums(db);
    expect(before.users).toMatch(/^500 /);
    expect(before.workouts).toMatch(/^3000 /);
    expect(before.sets).toMatch(/^6000 /);

    const name = await backup(db, dir);
    expect(name).toMatch(DUMP_NAME);
    expect(fs.readdirSync(dir).sort()).toEqual([name, `${name}.sha256`]);
    const check = spawnSync('sha256sum', ['-c', `${name}.sha256`], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toBe(`${name}: OK\n`);

    server().psql(
      db,
      `DROP TABLE sets;
       DELETE FROM workouts WHERE id % 3 = 0;
       UPDATE users SET name = 'overwritten' WHERE id <= 100;
       INSERT INTO users (name, email, joined_at) VALUES ('written after the backup', 'late@example.test', now());`,
    );
    expect(server().psql(db, `SELECT count(*) FROM pg_tables WHERE tablename = 'sets'`)).toBe('0');

    const restore = await runScript('restore.sh', db, { BACKUP_DIR: dir, CONFIRM_RESTORE: 'yes' });
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`checksum verified`);
    expect(restore.stdout).toContain(`restore: done: database ${db} restored from ${path.join(dir, name)}`);

    expect(contentChecksums(db)).toEqual(before);
    // The sequences came back too: the next user gets the next id, not a duplicate key.
    expect(server().psql(db, `INSERT INTO users (name, email, joined_at) VALUES ('new', 'new@example.test', now()) RETURNING id`)).toBe('501');
  });

  it('fails a dump that cannot connect or is cut short, and never replaces or shadows the last good one', async () => {
    const db = 'gravl_failed';
    const dir = temp('pg-backups');
    server().createDatabase(db);
    loadGravlData(db, 300);
    const good = await backup(db, dir);
    const goodFiles = { [good]: sha256(path.join(dir, good)), [`${good}.sha256`]: sha256(path.join(dir, `${good}.sha256`)) };
    const filesNow = () => Object.fromEntries(fs.readdirSync(dir).map((f) => [f, sha256(path.join(dir, f))]));

    const wrongPassword = await runScript('backup.sh', db, { BACKUP_DIR: dir, PGPASSWORD: 'not-the-password' });
    expect(wrongPassword.status).not.toBe(0);
    expect(wrongPassword.stderr).toMatch(/password authentication failed/);
    expect(wrongPassword.stderr).toContain(`backup: error: pg_dump of database ${db} failed; the last good dump is untouched`);
    expect(filesNow()).toEqual(goodFiles);

    const missing = await runScript('backup.sh', 'gravl_does_not_exist', { BACKUP_DIR: dir });
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toMatch(/database "gravl_does_not_exist" does not exist/);
    expect(filesNow()).toEqual(goodFiles);

    // A pg_dump that reports success but leaves half a file (a volume that lost its tail): the
    // table of contents still lists, so only reading every entry catches it.
    const shims = temp('pg-shim');
    fs.writeFileSync(
      path.join(shims, 'pg_dump'),
      [
        '#!/bin/sh',
        `"${path.join(server().binDir, 'pg_dump')}" "$@" || exit`,
        'for a; do case $a in --file=*) f=${a#--file=} ;; esac; done',
        'size=$(wc -c <"$f")',
        'head -c $((size / 2)) "$f" >"$f.cut" && mv "$f.cut" "$f"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const cutShort = await runScript('backup.sh', db, { BACKUP_DIR: dir }, shims);
    expect(cutShort.status).not.toBe(0);
    expect(cutShort.stderr).toMatch(/pg_restore cannot read every entry of \S+\.dump\.partial: the dump is not usable/);
    expect(filesNow()).toEqual(goodFiles);
  });

  it('keeps exactly BACKUP_RETAIN newest dumps, gives runs within one second distinct names, and clears what killed runs left behind', async () => {
    const db = 'gravl_retention';
    const dir = temp('pg-backups');
    server().createDatabase(db);
    server().psql(db, `CREATE TABLE plans (id int PRIMARY KEY, title text); INSERT INTO plans VALUES (1, 'Halbmarathon in 12 Wochen');`);
    const leftovers = [`.${db}-20250101T000000Z.dump.partial`, `.${db}-20250101T000000Z.dump.sha256.partial`, `${db}-20250101T000000Z.dump.sha256`];
    for (const f of leftovers) fs.writeFileSync(path.join(dir, f), 'left by a failed run\n');
    // Dumps of another database share the folder and are not this database's to rotate.
    fs.writeFileSync(path.join(dir, 'other-20250101T000000Z.dump'), 'not ours\n');

    const names: string[] = [];
    for (let i = 0; i < 3; i++) names.push(await backup(db, dir, { BACKUP_RETAIN: '2' }));

    expect(new Set(names).size).toBe(3);
    expect([...names].sort()).toEqual(names);
    expect(fs.readdirSync(dir).sort()).toEqual(['other-20250101T000000Z.dump', names[1], `${names[1]}.sha256`, names[2], `${names[2]}.sha256`].sort());
  });

  it('passes the restore drill on a good dump, runs DRILL_CHECK_SQL, and drops its throwaway database', async () => {
    const { db, dir, name } = await drillSource();
    const before = contentChecksums(db);

    const drill = await runScript('restore-drill.sh', db, {
      BACKUP_DIR: dir,
      DRILL_CHECK_SQL: `SELECT count(*) = 3000 AND count(DISTINCT user_id) = 500 FROM workouts`,
    });
    expect(drill.status, drill.stderr).toBe(0);
    expect(drill.stdout).toContain(`newest dump: ${path.join(dir, name)}`);
    expect(drill.stdout).toContain('check passed: 3 user table(s)');
    expect(drill.stdout).toContain('check passed: DRILL_CHECK_SQL returned t');
    expect(drill.stdout).toContain(`dropped throwaway database ${db}_restore_drill`);
    expect(databaseExists(`${db}_restore_drill`)).toBe(false);
    expect(contentChecksums(db)).toEqual(before);
  });

  it('fails the restore drill on a corrupted dump, a checksum mismatch, a failing DRILL_CHECK_SQL and a missing dump, dropping its database, and refuses to drop the live one', async () => {
    const { db, dir, name } = await drillSource();
    const drillDb = 'gravl_drill_fail_copy';
    const drill = (backupDir: string, env: Record<string, string> = {}) =>
      runScript('restore-drill.sh', db, { BACKUP_DIR: backupDir, DRILL_DATABASE: drillDb, ...env });

    // Damaged before its checksum was taken: the checksum matches, the restore must still fail.
    const corrupted = copyDir(dir);
    flipBytes(path.join(corrupted, name));
    fs.writeFileSync(path.join(corrupted, `${name}.sha256`), `${sha256(path.join(corrupted, name))}  ${name}\n`);
    const onCorrupted = await drill(corrupted);
    expect(onCorrupted.status).not.toBe(0);
    expect(onCorrupted.stdout).toContain('checksum verified');
    expect(onCorrupted.stderr).toMatch(/pg_restore: error: /);
    expect(onCorrupted.stderr).toContain(`restoring ${path.join(corrupted, name)} into ${drillDb} failed`);
    expect(databaseExists(drillDb)).toBe(false);

    const mismatch = copyDir(dir);
    flipBytes(path.join(mismatch, name));
    const onMismatch = await drill(mismatch);
    expect(onMismatch.status).not.toBe(0);
    expect(onMismatch.stderr).toContain(`checksum mismatch for ${path.join(mismatch, name)}`);
    expect(onMismatch.stdout).not.toContain('restoring');

    const onCheck = await drill(dir, { DRILL_CHECK_SQL: 'SELECT count(*) = 1 FROM workouts' });
    expect(onCheck.status).not.toBe(0);
    expect(onCheck.stderr).toContain('check failed: DRILL_CHECK_SQL returned "f", expected t');
    expect(onCheck.stdout).toContain(`dropped throwaway database ${drillDb}`);
    expect(databaseExists(drillDb)).toBe(false);

    const empty = temp('pg-backups');
    const onEmpty = await drill(empty);
    expect(onEmpty.status).not.toBe(0);
    expect(onEmpty.stderr).toContain(`no dump of ${db} in ${empty}`);

    const onLive = await drill(dir, { DRILL_DATABASE: db });
    expect(onLive.status).not.toBe(0);
    expect(onLive.stderr).toContain(`DRILL_DATABASE: found "${db}", the live database`);
    const onPostgres = await drill(dir, { DRILL_DATABASE: 'postgres' });
    expect(onPostgres.status).not.toBe(0);
    expect(onPostgres.stderr).toContain('DRILL_DATABASE: found "postgres", a database the server needs');
    expect(databaseExists(db) && databaseExists('postgres')).toBe(true);
  });

  it('fails the restore drill on a dump that holds no user table', async () => {
    const db = 'gravl_drill_empty';
    const dir = temp('pg-backups');
    server().createDatabase(db);
    await backup(db, dir);
    const drill = await runScript('restore-drill.sh', db, { BACKUP_DIR: dir });
    expect(drill.status).not.toBe(0);
    expect(drill.stderr).toContain(`check failed: ${db}_restore_drill holds no user table after the restore`);
    expect(databaseExists(`${db}_restore_drill`)).toBe(false);
  });

  it('refuses to restore without CONFIRM_RESTORE=yes, leaving the database as it was', async () => {
    const db = 'gravl_refuse';
    const dir = temp('pg-backups');
    server().createDatabase(db);
    loadGravlData(db, 100);
    await backup(db, dir);
    server().psql(db, `DELETE FROM sets`);
    const before = contentChecksums(db);

    for (const confirm of [undefined, '', 'no', 'YES', 'y', 'true']) {
      const run = await runScript('restore.sh', db, confirm === undefined ? { BACKUP_DIR: dir } : { BACKUP_DIR: dir, CONFIRM_RESTORE: confirm });
      expect(run.status, `CONFIRM_RESTORE=${confirm}`).not.toBe(0);
      expect(run.stderr).toContain(`refusing to replace database ${db}: set CONFIRM_RESTORE=yes to confirm`);
      expect(run.stdout).toBe('');
    }
    expect(contentChecksums(db)).toEqual(before);
  });

  it('fails to restore a dump whose checksum does not match, or a BACKUP_FILE outside BACKUP_DIR, leaving the database as it was', async () => {
    const db = 'gravl_restore_mismatch';
    const dir = temp('pg-backups');
    server().createDatabase(db);
    loadGravlData(db, 100);
    const name = await backup(db, dir);
    server().psql(db, `DELETE FROM sets`);
    const before = contentChecksums(db);

    flipBytes(path.join(dir, name));
    const mismatch = await runScript('restore.sh', db, { BACKUP_DIR: dir, BACKUP_FILE: name, CONFIRM_RESTORE: 'yes' });
    expect(mismatch.status).not.toBe(0);
    expect(mismatch.stdout).toContain(`dump chosen by BACKUP_FILE: ${path.join(dir, name)}`);
    expect(mismatch.stderr).toContain(`checksum mismatch for ${path.join(dir, name)}`);

    for (const file of [`../${path.basename(dir)}/${name}`, 'gravl_restore_mismatch-20250101T000000Z.dump']) {
      const run = await runScript('restore.sh', db, { BACKUP_DIR: dir, BACKUP_FILE: file, CONFIRM_RESTORE: 'yes' });
      expect(run.status, file).not.toBe(0);
      expect(run.stderr).toContain(`BACKUP_FILE: found "${file}"`);
    }
    expect(contentChecksums(db)).toEqual(before);
  });

  it('rejects a BACKUP_RETAIN that is not a positive integer, before dumping anything', async () => {
    const db = 'gravl_retain';
    server().createDatabase(db);
    const dir = temp('pg-backups');
    const values = ['0', '-1', 'seven', '1.5', ' 3', '3x', '007', '10000000'];
    const runs = await Promise.all(values.map((value) => runScript('backup.sh', db, { BACKUP_DIR: dir, BACKUP_RETAIN: value })));
    runs.forEach((run, i) => {
      expect(run.status, values[i]).toBe(1);
      expect(run.stderr).toContain(`BACKUP_RETAIN: found "${values[i]}", expected an integer >= 1`);
      expect(run.stdout).toBe('');
    });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
