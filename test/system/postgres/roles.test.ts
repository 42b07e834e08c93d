/**
 * roles.sh against a real PostgreSQL server, connected as its bootstrap superuser as the role Job
 * is: each role can do its job and nothing more. Every refusal is also checked the other way: the
 * grant it depends on is widened by hand, the same statement then succeeds (so the check would
 * catch a wider grant), and the next run of the job narrows it again.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_SCRIPTS } from '../../../lib/system/postgres/scripts';
import { runAsync, tempDir, type Run, removedAfterAll } from '../../support/cli';
import { startPostgres, type PostgresServer } from '../../support/postgres';

const DB = 'gravl';
const ROLES = { owner: 'gravl_owner', app: 'gravl_app', backup: 'gravl_backup', monitoring: 'gravl_monitoring' } as const;
type RoleKey = keyof typeof ROLES;
const password = () => crypto.randomBytes(24).toString('base64url');
const passwords: Record<RoleKey, string> = { owner: password(), app: password(), backup: password(), monitoring: password() };

let pg: PostgresServer | undefined;
let startError: unknown;
let mount = '';
const temps = removedAfterAll();

function server(): PostgresServer {
  if (!pg) throw startError ?? new Error('the PostgreSQL server did not start');
  return pg;
}


/** Runs a shipped script with `sh`, as the Jobs do (async: the server must not be blocked). */
function runScript(script: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return runAsync('sh', [path.join(mount, script)], { env });
}

/** The role Job: roles.sh as the superuser, with the role names and passwords of its Secrets. */
function roleJob(overrides: Record<string, string> = {}): Promise<Run> {
  const s = server();
  return runScript('roles.sh', {
    ...s.envAs(s.superuser.user, s.superuser.password, DB),
    ROLE_OWNER: ROLES.owner,
    ROLE_APP: ROLES.app,
    ROLE_BACKUP: ROLES.backup,
    ROLE_MONITORING: ROLES.monitoring,
    ROLE_OWNER_PASSWORD: passwords.owner,
    ROLE_APP_PASSWORD: passwords.app,
    ROLE_BACKUP_PASSWORD: passwords.backup,
    ROLE_MONITORING_PASSWORD: passwords.monitoring,
    ...overrides,
  });
}

async function keepRoles(): Promise<void> {
  const run = await roleJob();
  expect(run.status, run.stderr).toBe(0);
}

const superuserSql = (sql: string, database = DB) => {
  const s = server();
  const result = s.tryPsqlAs(s.superuser.user, s.superuser.password, database, sql);
  if (result.status !== 0) throw new Error(`superuser SQL failed: ${result.stderr}\nSQL: ${sql}`);
  return result.stdout;
};
const as = (role: RoleKey, sql: string, database = DB) => server().tryPsqlAs(ROLES[role], passwords[role], database, sql);

/** Every fact about the roles that roles.sh decides, as one text: attributes, memberships, privileges. */
function roleState(): string {
  const names = Object.values(ROLES).map((r) => `'${r}'`).join(', ');
  return superuserSql(`
    select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, rolconfig from pg_roles where rolname in (${names}) order by 1;
    select g.rolname, m.rolname from pg_auth_members a join pg_roles g on g.oid = a.roleid join pg_roles m on m.oid = a.member where m.rolname in (${names}) or g.rolname in (${names}) order by 1, 2;
    select datname, pg_get_userbyid(datdba), datacl from pg_database where datname = '${DB}';
    select nspname, pg_get_userbyid(nspowner), nspacl from pg_namespace where nspname = 'public';
    select relname, pg_get_userbyid(relowner), relacl from pg_class where relnamespace = 'public'::regnamespace order by 1;
    select pg_get_userbyid(defaclrole), defaclobjtype, defaclacl from pg_default_acl order by 1, 2;`);
}

beforeAll(async () => {
  mount = tempDir('pg-roles');
  temps.push(mount);
  for (const [name, text] of Object.entries(POSTGRES_SCRIPTS)) fs.writeFileSync(path.join(mount, name), text, { mode: 0o644 });
  try {
    pg = await startPostgres();
  } catch (error) {
    startError = error;
    return;
  }
  // The database as the official image leaves it, with a table the application created while it
  // still connected as the superuser.
  superuserSql(`CREATE DATABASE ${DB} TEMPLATE template0;`, 'postgres');
  superuserSql(`
    CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE);
    INSERT INTO users (email) SELECT 'user' || i || '@gravl.app' FROM generate_series(1, 50) AS i;
    CREATE TABLE scratch_a (id int); CREATE TABLE scratch_b (id int);`);
  await keepRoles();
});

afterAll(() => {
  try {
    pg?.stop();
  } finally {
  }
});

/**
 * `sql` as `role` is refused with `reason`; with `widen` applied by the superuser it succeeds
 * (so this check fails on that wider grant); the next run of the role Job refuses it again.
 */
async function refusedUntilWidened(role: RoleKey, sql: string, reason: RegExp, widen: string, cleanUp = ''): Promise<void> {
  const refused = as(role, sql);
  expect(refused.status, `${ROLES[role]} ran: ${sql}`).not.toBe(0);
  expect(refused.stderr).toMatch(reason);
  superuserSql(widen);
  const widened = as(role, sql);
  expect(widened.status, `with "${widen}", ${sql} should succeed: ${widened.stderr}`).toBe(0);
  if (cleanUp) superuserSql(cleanUp);
  await keepRoles();
  const again = as(role, sql);
  expect(again.status, `after the role Job, ${ROLES[role]} still ran: ${sql}`).not.toBe(0);
  expect(again.stderr).toMatch(reason);
}

describe('roles.sh against a real PostgreSQL server', () => {
  it('is idempotent: a second run succeeds and changes no attribute, membership or privilege', async () => {
    const before = roleState();
    expect(before).toContain(ROLES.app);
    await keepRoles();
    expect(roleState()).toBe(before);
  });

  it('hands the tables the superuser created to the owner role, and the owner role runs migrations without being a superuser', () => {
    expect(superuserSql(`select pg_get_userbyid(relowner) from pg_class where relname in ('users', 'users_id_seq') order by relname`)).toBe(`${ROLES.owner}\n${ROLES.owner}`);
    const migrate = as('owner', 'CREATE TABLE workouts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int REFERENCES users (id), minutes int NOT NULL); ALTER TABLE users ADD COLUMN IF NOT EXISTS name text;');
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(superuserSql(`select rolsuper, rolcreaterole, rolcreatedb from pg_roles where rolname = '${ROLES.owner}'`)).toBe('f|f|f');
    expect(as('owner', `CREATE ROLE intruder`).stderr).toMatch(/permission denied to create role/);
  });

  it('lets the application role select, insert, update and delete rows of the tables the migrations create, and use their sequences', () => {
    as('owner', 'CREATE TABLE IF NOT EXISTS workouts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int REFERENCES users (id), minutes int NOT NULL);');
    const dml = as('app', `
      INSERT INTO users (email) VALUES ('new@gravl.app');
      INSERT INTO workouts (user_id, minutes) SELECT id, 30 FROM users WHERE email = 'new@gravl.app';
      UPDATE workouts SET minutes = 45 WHERE minutes = 30;
      UPDATE users SET email = 'renamed@gravl.app' WHERE email = 'new@gravl.app';
      SELECT count(*) FROM users;
      DELETE FROM workouts WHERE minutes = 45;
      DELETE FROM users WHERE email = 'renamed@gravl.app';
      SELECT count(*) FROM users;`);
    expect(dml.status, dml.stderr).toBe(0);
    expect(dml.stdout.split('\n')).toEqual(['51', '50']);
    expect(superuserSql(`select rolsuper, rolcreaterole, rolcreatedb, rolbypassrls from pg_roles where rolname = '${ROLES.app}'`)).toBe('f|f|f|f');
  });

  it('refuses CREATE TABLE to the application role, also as a temporary table', async () => {
    await refusedUntilWidened('app', 'CREATE TABLE sneaky (id int)', /permission denied for schema public/, `GRANT CREATE ON SCHEMA public TO ${ROLES.app}`, 'DROP TABLE sneaky');
    await refusedUntilWidened('app', 'CREATE TEMP TABLE sneaky (id int)', /permission denied to create temporary tables/, `GRANT TEMP ON DATABASE ${DB} TO ${ROLES.app}`);
  });

  it('refuses DROP TABLE and TRUNCATE to the application role', async () => {
    await refusedUntilWidened('app', 'DROP TABLE scratch_a', /must be owner of table scratch_a/, `GRANT ${ROLES.owner} TO ${ROLES.app}`, 'CREATE TABLE scratch_a (id int)');
    await refusedUntilWidened('app', 'TRUNCATE scratch_b', /permission denied for table scratch_b/, `GRANT TRUNCATE ON scratch_b TO ${ROLES.app}`);
  });

  it('refuses COPY ... TO PROGRAM to the application role', async () => {
    await refusedUntilWidened('app', "COPY (SELECT 1) TO PROGRAM 'cat >/dev/null'", /pg_execute_server_program/, `GRANT pg_execute_server_program TO ${ROLES.app}`);
  });

  it('refuses ALTER ROLE and CREATE ROLE to the application role', async () => {
    await refusedUntilWidened('app', `ALTER ROLE ${ROLES.monitoring} CONNECTION LIMIT 7`, /permission denied/, `ALTER ROLE ${ROLES.app} CREATEROLE`);
    await refusedUntilWidened('app', 'CREATE ROLE intruder', /permission denied to create role/, `ALTER ROLE ${ROLES.app} CREATEROLE`, 'DROP ROLE intruder');
    const escalate = as('app', `ALTER ROLE ${ROLES.app} SUPERUSER`);
    expect(escalate.status).not.toBe(0);
    expect(escalate.stderr).toMatch(/permission denied|must be superuser/);
  });

  it("restores the backup role's pg_dump to the same rows, and refuses it any write to the live database", async () => {
    const s = server();
    const dir = tempDir('pg-roles-dump');
    temps.push(dir);
    const file = path.join(dir, 'gravl.dump');
    const dump = spawnSync('pg_dump', ['--format=custom', `--file=${file}`], { env: s.envAs(ROLES.backup, passwords.backup, DB), encoding: 'utf8' });
    expect(dump.status, dump.stderr).toBe(0);
    superuserSql('CREATE DATABASE gravl_copy TEMPLATE template0', 'postgres');
    const restore = spawnSync('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=gravl_copy`, file], { env: s.envAs(s.superuser.user, s.superuser.password, 'gravl_copy'), encoding: 'utf8' });
    expect(restore.status, restore.stderr).toBe(0);
    const rows = "select count(*), md5(string_agg(id || ':' || email, ',' order by id)) from users";
    expect(superuserSql(rows, 'gravl_copy')).toBe(superuserSql(rows));
    await refusedUntilWidened('backup', "INSERT INTO users (email) VALUES ('backup@gravl.app')", /permission denied for table users/, `GRANT pg_write_all_data TO ${ROLES.backup}`, "DELETE FROM users WHERE email = 'backup@gravl.app'");
  });

  it('runs the restore drill as the backup role: it creates, fills and drops its throwaway database', async () => {
    const s = server();
    const dir = tempDir('pg-roles-drill');
    temps.push(dir);
    const env = { ...s.envAs(ROLES.backup, passwords.backup, DB), BACKUP_DIR: dir };
    const backup = await runScript('backup.sh', env);
    expect(backup.status, backup.stderr).toBe(0);
    const drill = await runScript('restore-drill.sh', { ...env, DRILL_CHECK_SQL: 'select count(*) >= 50 from users' });
    expect(drill.status, drill.stderr).toBe(0);
    expect(drill.stdout).toContain('passed:');
  });

  it('lets the owner role replace the live database with the backup role\'s dump, as the manual restore Job does', async () => {
    const s = server();
    const dir = tempDir('pg-roles-restore');
    temps.push(dir);
    const backup = await runScript('backup.sh', { ...s.envAs(ROLES.backup, passwords.backup, DB), BACKUP_DIR: dir });
    expect(backup.status, backup.stderr).toBe(0);
    const rows = "select count(*), md5(string_agg(id || ':' || email, ',' order by id)) from users";
    const before = superuserSql(rows);
    expect(as('app', "DELETE FROM users WHERE id > 25; UPDATE users SET email = 'changed@gravl.app' WHERE id = 1").status).toBe(0);
    expect(superuserSql(rows)).not.toBe(before);
    const restore = await runScript('restore.sh', { ...s.envAs(ROLES.owner, passwords.owner, DB), BACKUP_DIR: dir, CONFIRM_RESTORE: 'yes' });
    expect(restore.status, restore.stderr).toBe(0);
    expect(superuserSql(rows)).toBe(before);
    // The restored tables are the owner's, and the application role still reads and writes them.
    expect(superuserSql("select pg_get_userbyid(relowner) from pg_class where relname = 'users'")).toBe(ROLES.owner);
    expect(as('app', "UPDATE users SET email = email WHERE id = 1").status).toBe(0);
  });

  it('lets the monitoring role read pg_stat_database and refuses it the rows of the application', async () => {
    const stats = as('monitoring', `select count(*) > 0 from pg_stat_database where datname = '${DB}'; select count(*) > 0 from pg_stat_activity where query is not null and usename <> current_user`);
    expect(stats.status, stats.stderr).toBe(0);
    expect(stats.stdout).toBe('t\nt');
    await refusedUntilWidened('monitoring', 'select count(*) from public.users', /permission denied for (schema public|table users)/, `GRANT pg_read_all_data TO ${ROLES.monitoring}`);
  });

  it('sets a rotated password on the next run: the old one is refused and the new one works', async () => {
    const old = passwords.app;
    expect(as('app', 'select 1').status).toBe(0);
    passwords.app = password();
    await keepRoles();
    const refused = server().tryPsqlAs(ROLES.app, old, DB, 'select 1');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/password authentication failed for user "gravl_app"/);
    expect(as('app', 'select 1').stdout).toBe('1');
  });

  it('rejects a missing role name or a short password before connecting, and fails when the server never answers', async () => {
    const missing = await roleJob({ ROLE_APP: '' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('ROLE_APP is not set: expected a role name');
    const short = await roleJob({ ROLE_BACKUP_PASSWORD: 'short' });
    expect(short.status).toBe(1);
    expect(short.stderr).toContain('ROLE_BACKUP_PASSWORD: found 5 characters, expected a generated password of at least 16');
    const nobody = await roleJob({ PGPORT: '1', ROLES_WAIT_SECONDS: '0' });
    expect(nobody.status).toBe(1);
    expect(nobody.stderr).toMatch(/did not accept connections within 0 seconds/);
  });
});
