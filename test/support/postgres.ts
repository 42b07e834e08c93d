/**
 * A throwaway real PostgreSQL server for a test file: initdb into a fresh temporary folder, start
 * on a free TCP port of 127.0.0.1 with scram-sha-256 password authentication, stop and remove
 * everything afterwards. Start one per test file (beforeAll) and stop it in afterAll.
 *
 * The folder is in memory (/dev/shm, where it is a tmpfs with room to spare) unless the test asks
 * for a disk: initdb writes about a thousand files, which costs a second on a slow disk and next
 * to nothing in memory; the server is the same, with the same durability settings (none).
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A running server, and the libpq settings to reach it as the test user. */
export interface PostgresServer {
  /** Folder of the server's binaries (initdb, postgres, pg_dump, pg_restore, psql). */
  readonly binDir: string;
  readonly host: string;
  readonly port: number;
  /** The test role: LOGIN, CREATEDB, not a superuser, with a scram-sha-256 password. */
  readonly user: string;
  readonly password: string;
  /**
   * The environment of a client connecting as the test user to `database`: the PG* variables,
   * and PATH with this server's binaries first so that clients match the server's version.
   */
  env(database: string): NodeJS.ProcessEnv;
  /** Runs SQL with psql (ON_ERROR_STOP) as the test user; returns unaligned, tuples-only output. */
  psql(database: string, sql: string): string;
  /** Creates a database owned by the test user. */
  createDatabase(name: string): void;
  /** The bootstrap superuser (as the official image's POSTGRES_USER), for tests of the role job only. */
  readonly superuser: { readonly user: string; readonly password: string };
  /** The environment of a client connecting as `user` with `password` to `database`. */
  envAs(user: string, password: string, database: string): NodeJS.ProcessEnv;
  /** Runs SQL with psql (ON_ERROR_STOP) as `user`; never throws: the caller reads the status. */
  tryPsqlAs(user: string, password: string, database: string, sql: string): { status: number | null; stdout: string; stderr: string };
  /** Stops the server and removes its folder. */
  stop(): void;
}

const ADMIN_USER = 'gravl_admin';
const TEST_USER = 'gravl_test';

/** Finds initdb and postgres: Debian's /usr/lib/postgresql/<newest version>/bin, else PATH. */
export function findServerBinaries(): string {
  const has = (dir: string) => ['initdb', 'postgres', 'pg_ctl'].every((b) => fs.existsSync(path.join(dir, b)));
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && has(path.join(debian, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return path.join(debian, versions[0]!, 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && has(dir)) return dir;
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found, neither in /usr/lib/postgresql/<version>/bin nor on PATH: ' +
      'install postgresql (Debian and Ubuntu: apt-get install postgresql) to run the backup script tests',
  );
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Environment without the caller's PG* settings, so a developer's own PGHOST cannot leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
}

/**
 * Runs a server binary. initdb and postgres refuse to run as root, so as root they run as the
 * `postgres` OS user (which owns the server's folder); otherwise as the current user.
 */
function runServerTool(asPostgres: boolean, command: string, args: readonly string[], cwd: string): void {
  const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]];
  const result = spawnSync(file, argv, { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw new Error(`${path.basename(command)}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(' ')} exited with ${result.status}:\n${result.stdout}${result.stderr}`);
  }
}

/** The uid and gid of the `postgres` OS user, which the server runs as when the tests run as root. */
function postgresOsUser(): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no postgres OS user to run the server as: install postgresql, which creates it');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PostgresOptions {
  /**
   * `memory`: a throwaway server, its files on a tmpfs when there is one with room (else the
   * temporary folder) and durability off (no fsync): what the tests want. `disk`: a server as a
   * real one runs, PostgreSQL's own durability settings, its files in `under` (or the temporary
   * folder): for a run that measures the server's own speed (test/support/rto.ts).
   * @default 'memory'
   */
  readonly storage?: 'memory' | 'disk';
  /** The folder to make the `disk` server's folder in. @default the temporary folder */
  readonly under?: string;
}

/** The tmpfs magic number of statfs(2). */
export const TMPFS_MAGIC = 0x01021994;
/** Room a server needs (a fresh cluster is about 40 MiB, WAL included), with a margin for the tests' data. */
const MEMORY_NEEDED = 512 * 1024 * 1024;

/** A fresh folder for a server's files, in memory when asked and possible. */
function serverFolder(storage: 'memory' | 'disk', under?: string): string {
  if (storage === 'memory') {
    // The suite's temporary folder where it is in memory already (vitest.config.mts), so that the
    // run's folder holds the server too; else /dev/shm where it is a tmpfs with room.
    for (const dir of [os.tmpdir(), '/dev/shm']) {
      try {
        const stats = fs.statfsSync(dir);
        if (stats.type === TMPFS_MAGIC && stats.bavail * stats.bsize >= MEMORY_NEEDED) return fs.mkdtempSync(path.join(dir, 'gravl-pg-'));
      } catch {
        // No such folder (not Linux), or not writable: the next, then the temporary folder.
      }
    }
  }
  return fs.mkdtempSync(path.join((storage === 'disk' && under) || os.tmpdir(), 'gravl-pg-'));
}

/** Starts a fresh server; the caller must call `stop()`. */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findServerBinaries();
  const asPostgres = process.getuid?.() === 0;
  const root = serverFolder(options.storage ?? 'memory', options.under);
  const dataDir = path.join(root, 'data');
  const socketDir = path.join(root, 'socket');
  const logFile = path.join(root, 'server.log');
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  const password = crypto.randomBytes(18).toString('base64url');
  let started = false;

  const stop = () => {
    try {
      if (started) runServerTool(asPostgres, path.join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w'], root);
    } finally {
      started = false;
      fs.rmSync(root, { recursive: true, force: true });
    }
  };

  try {
    fs.mkdirSync(socketDir);
    fs.writeFileSync(path.join(root, 'pwfile'), `${adminPassword}\n`);
    if (asPostgres) {
      const { uid, gid } = postgresOsUser();
      for (const p of [root, socketDir, path.join(root, 'pwfile')]) fs.chownSync(p, uid, gid);
    }
    runServerTool(
      asPostgres,
      path.join(binDir, 'initdb'),
      ['-D', dataDir, '-U', ADMIN_USER, `--pwfile=${path.join(root, 'pwfile')}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-sync', '--no-instructions'],
      root,
    );
    fs.rmSync(path.join(root, 'pwfile'));

    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      // Durability is of no use to a throwaway server; turning it off makes the tests fast. A server
      // that measures its own speed keeps PostgreSQL's defaults (fsync on), as a real one does.
      const durability = (options.storage ?? 'memory') === 'disk' ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
      const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${socketDir}${durability}`;
      try {
        runServerTool(asPostgres, path.join(binDir, 'pg_ctl'), ['start', '-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '20'], root);
        started = true;
        break;
      } catch (error) {
        // Another process may have taken the port between the probe and the start.
        if (attempt >= 3) throw new Error(`${(error as Error).message}\n${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''}`);
      }
    }

    const host = '127.0.0.1';
    const clientEnv = (user: string, pass: string, database: string): NodeJS.ProcessEnv => ({
      ...cleanEnv(),
      PATH: [binDir, process.env.PATH ?? ''].join(path.delimiter),
      PGHOST: host,
      PGPORT: String(port),
      PGUSER: user,
      PGPASSWORD: pass,
      PGDATABASE: database,
      PGCONNECT_TIMEOUT: '5',
    });
    const runPsql = (env: NodeJS.ProcessEnv, sql: string): string => {
      const result = spawnSync(path.join(binDir, 'psql'), ['--no-psqlrc', '--quiet', '--no-align', '--tuples-only', '-v', 'ON_ERROR_STOP=1'], {
        env,
        input: sql,
        encoding: 'utf8',
        timeout: 30_000,
      });
      if (result.status !== 0) throw new Error(`psql failed (${result.status}): ${result.stderr}\nSQL: ${sql}`);
      return result.stdout.trim();
    };

    const escaped = password.replace(/'/g, "''");
    runPsql(clientEnv(ADMIN_USER, adminPassword, 'postgres'), `CREATE ROLE ${TEST_USER} LOGIN CREATEDB PASSWORD '${escaped}';`);

    return {
      binDir,
      host,
      port,
      user: TEST_USER,
      password,
      env: (database) => clientEnv(TEST_USER, password, database),
      psql: (database, sql) => runPsql(clientEnv(TEST_USER, password, database), sql),
      createDatabase: (name) => {
        runPsql(clientEnv(TEST_USER, password, 'postgres'), `CREATE DATABASE "${name.replace(/"/g, '""')}" TEMPLATE template0;`);
      },
      superuser: { user: ADMIN_USER, password: adminPassword },
      envAs: clientEnv,
      tryPsqlAs: (user, pass, database, sql) => {
        const result = spawnSync(path.join(binDir, 'psql'), ['--no-psqlrc', '--quiet', '--no-align', '--tuples-only', '-v', 'ON_ERROR_STOP=1'], {
          env: clientEnv(user, pass, database),
          input: sql,
          encoding: 'utf8',
          timeout: 30_000,
        });
        return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr };
      },
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}
