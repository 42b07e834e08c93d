import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { unseal } from '../../lib/secrets/sealing';
import { runMain, tempDir } from '../support/cli';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'sealing');
const privateKey = crypto.createPrivateKey(fs.readFileSync(path.join(FIXTURES, 'key.pem')));
const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A secrets folder whose staging environment seals with the test key pair. */
function secretsDir(): string {
  const dir = tempDir('secrets');
  temps.push(dir);
  fs.mkdirSync(path.join(dir, 'staging'));
  fs.copyFileSync(path.join(FIXTURES, 'cert.pem'), path.join(dir, 'staging', 'sealing-cert.pem'));
  return dir;
}

const args = (dir: string, key: string, ...extra: string[]) => ['seal', '--env', 'staging', '--namespace', 'gravl-staging', '--name', 'gravl-db-credentials', '--key', key, '--secrets', dir, ...extra];
const values = (dir: string) => parse(fs.readFileSync(path.join(dir, 'staging', 'sealed-values.yaml'), 'utf8'));
const target = { namespace: 'gravl-staging', name: 'gravl-db-credentials', scope: 'strict' as const };

describe('npm run seal', () => {
  it('seals standard input (without the newline echo adds) into the sealed values, dated today', () => {
    const dir = secretsDir();
    const run = runMain(args(dir, 'password'), { input: 's3cret-value\n' });
    expect(run.status, run.stderr).toBe(0);
    const entry = values(dir)['gravl-staging']['gravl-db-credentials'].data.password;
    expect(entry.rotated).toBe(new Date().toISOString().slice(0, 10));
    expect(unseal(privateKey, target, entry.sealed).toString()).toBe('s3cret-value');
    expect(fs.readFileSync(path.join(dir, 'staging', 'sealed-values.yaml'), 'utf8')).not.toContain('s3cret-value');
  });

  it('generates a strong value with --generate and never prints it', () => {
    const dir = secretsDir();
    const run = runMain(args(dir, 'password', '--generate'));
    expect(run.status, run.stderr).toBe(0);
    const plain = unseal(privateKey, target, values(dir)['gravl-staging']['gravl-db-credentials'].data.password.sealed).toString();
    expect(plain).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(run.stdout + run.stderr).not.toContain(plain);
  });

  it('keeps the other values and the comments of the file', () => {
    const dir = secretsDir();
    expect(runMain(args(dir, 'username'), { input: 'gravl' }).status).toBe(0);
    expect(runMain(args(dir, 'password', '--generate')).status).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'staging', 'sealed-values.yaml'), 'utf8');
    expect(text).toMatch(/^# Sealed values of the staging environment/);
    const data = values(dir)['gravl-staging']['gravl-db-credentials'].data;
    expect(Object.keys(data).sort()).toEqual(['password', 'username']);
    expect(unseal(privateKey, target, data.username.sealed).toString()).toBe('gravl');
  });

  it('seals with the scope asked for and records it', () => {
    const dir = secretsDir();
    expect(runMain(args(dir, 'token', '--scope', 'namespace-wide'), { input: 'abc' }).status).toBe(0);
    const entry = values(dir)['gravl-staging']['gravl-db-credentials'];
    expect(entry.scope).toBe('namespace-wide');
    expect(unseal(privateKey, { ...target, name: 'anything', scope: 'namespace-wide' }, entry.data.token.sealed).toString()).toBe('abc');
  });

  it('rejects a second scope for keys of the same secret', () => {
    const dir = secretsDir();
    expect(runMain(args(dir, 'a'), { input: 'x' }).status).toBe(0);
    const run = runMain(args(dir, 'b', '--scope', 'cluster-wide'), { input: 'y' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('is sealed with scope strict; every key of a secret shares one scope');
  });

  it('fails clearly without the controller certificate, on a bad scope, and on an empty value', () => {
    const dir = secretsDir();
    fs.rmSync(path.join(dir, 'staging', 'sealing-cert.pem'));
    const noCert = runMain(args(dir, 'password'), { input: 'x' });
    expect(noCert.status).toBe(1);
    expect(noCert.stderr).toMatch(/sealing-cert\.pem: found no sealing certificate, expected the controller's \(kubeseal --fetch-cert/);
    const dir2 = secretsDir();
    const badScope = runMain(args(dir2, 'password', '--scope', 'global'), { input: 'x' });
    expect(badScope.status).toBe(1);
    expect(badScope.stderr).toContain('--scope: found "global", expected one of strict, namespace-wide, cluster-wide');
    const empty = runMain(args(dir2, 'password'), { input: '\n' });
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('the value is empty');
    expect(fs.existsSync(path.join(dir2, 'staging', 'sealed-values.yaml'))).toBe(false);
  });
});
