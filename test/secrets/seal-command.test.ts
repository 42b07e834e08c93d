import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sealIntoValues, type SealRequest } from '../../lib/secrets/seal-command';
import { unseal } from '../../lib/secrets/sealing';
import { runMain, tempDir } from '../support/cli';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'sealing');
const certificate = fs.readFileSync(path.join(FIXTURES, 'cert.pem'), 'utf8');
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
const request = (key: string, value: string | undefined, extra: Partial<SealRequest> = {}): SealRequest => ({
  environment: 'staging', namespace: 'gravl-staging', name: 'gravl-db-credentials', key, scope: 'strict', today: '2026-11-22',
  ...(value === undefined ? {} : { value: Buffer.from(value) }), ...extra,
});

describe('npm run seal', () => {
  it('seals standard input (without the newline echo adds) dated today, and a generated value it never prints', () => {
    const dir = secretsDir();
    const strong = 'correct-horse-battery-staple-2026-x';
    const run = runMain(args(dir, 'password'), { input: `${strong}\n` });
    expect(run.status, run.stderr).toBe(0);
    const entry = values(dir)['gravl-staging']['gravl-db-credentials'].data.password;
    expect(entry.rotated).toBe(new Date().toISOString().slice(0, 10));
    expect(unseal(privateKey, target, entry.sealed).toString()).toBe(strong);
    expect(fs.readFileSync(path.join(dir, 'staging', 'sealed-values.yaml'), 'utf8')).not.toContain(strong);
    // The next step, with the secrets folder it was sealed into.
    expect(run.stdout).toMatch(new RegExp(`^next: npm run synth -- --secrets \\S+, then commit \\S+sealed-values\\.yaml and dist/ together$`, 'm'));

    const generated = runMain(args(dir, 'token', '--generate'));
    expect(generated.status, generated.stderr).toBe(0);
    const plain = unseal(privateKey, target, values(dir)['gravl-staging']['gravl-db-credentials'].data.token.sealed).toString();
    expect(plain).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generated.stdout + generated.stderr).not.toContain(plain);
  });

  it('fails clearly without the controller certificate, and on a bad scope, writing nothing', () => {
    const dir = secretsDir();
    fs.rmSync(path.join(dir, 'staging', 'sealing-cert.pem'));
    const noCert = runMain(args(dir, 'password'), { input: 'x' });
    expect(noCert.status).toBe(1);
    expect(noCert.stderr).toMatch(/sealing-cert\.pem: found no sealing certificate, expected the controller's \(kubeseal --fetch-cert/);
    const badScope = runMain(args(secretsDir(), 'password', '--scope', 'global'), { input: 'x' });
    expect(badScope.status).toBe(1);
    expect(badScope.stderr).toContain('--scope: found "global", expected one of strict, namespace-wide, cluster-wide');
    expect(fs.existsSync(path.join(dir, 'staging', 'sealed-values.yaml'))).toBe(false);
  });
});

describe('sealing into the sealed values', () => {
  it('keeps the other values and the comments of the file', () => {
    const first = sealIntoValues(request('username', 'gravl'), { certificate });
    const both = sealIntoValues(request('password', undefined), { certificate, valuesText: first });
    expect(both).toMatch(/^# Sealed values of the staging environment/);
    const data = parse(both)['gravl-staging']['gravl-db-credentials'].data;
    expect(Object.keys(data).sort()).toEqual(['password', 'username']);
    expect(unseal(privateKey, target, data.username.sealed).toString()).toBe('gravl');
    expect(unseal(privateKey, target, data.password.sealed).toString()).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('seals with the scope asked for and records it', () => {
    const text = sealIntoValues(request('token', 'abc', { scope: 'namespace-wide' }), { certificate });
    const entry = parse(text)['gravl-staging']['gravl-db-credentials'];
    expect(entry.scope).toBe('namespace-wide');
    expect(unseal(privateKey, { ...target, name: 'anything', scope: 'namespace-wide' }, entry.data.token.sealed).toString()).toBe('abc');
  });

  it('rejects a second scope for keys of the same secret', () => {
    const text = sealIntoValues(request('a', 'x'), { certificate });
    expect(() => sealIntoValues(request('b', 'y', { scope: 'cluster-wide' }), { certificate, valuesText: text })).toThrow(/is sealed with scope strict; every key of a secret shares one scope/);
  });

  it('rejects an empty value', () => {
    expect(() => sealIntoValues(request('password', ''), { certificate })).toThrow(/the value is empty/);
  });

  it('rejects the seeds\' default password and any password under 32 characters', () => {
    expect(() => sealIntoValues(request('password', 'gravl_password'), { certificate })).toThrow(/refusing a well-known default as password/);
    expect(() => sealIntoValues(request('smtp-password', 'short-but-not-default'), { certificate })).toThrow(/smtp-password: found 21 characters, expected at least 32/);
    expect(() => sealIntoValues(request('username', 'gravl'), { certificate })).not.toThrow();
  });
});
