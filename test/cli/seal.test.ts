import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadEnvironments } from '../../lib/model/load';
import { GravlEnvironment } from '../../lib/system/gravl';
import { certificateFingerprint } from '../../lib/model/certificate';
import { GENERATED, provided } from '../../lib/model/credentials';
import { sealIntoValues, type SealRequest } from '../../lib/cli/seal';
import { unseal } from '../../lib/cli/sealing';
import { runMain, runSpawned, tempDir, removedAfterAll } from '../support/cli';
import { committedText, edit } from '../support/render';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'sealing');
const certificate = fs.readFileSync(path.join(FIXTURES, 'cert.pem'), 'utf8');
const privateKey = crypto.createPrivateKey(fs.readFileSync(path.join(FIXTURES, 'key.pem')));
const temps = removedAfterAll();

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
  environment: 'staging', namespace: 'gravl-staging', name: 'gravl-db-credentials', key, scope: 'strict', today: '2026-11-22', keyClass: GENERATED,
  ...(value === undefined ? {} : { value: Buffer.from(value) }), ...extra,
});

describe('npm run seal', () => {
  it('seals standard input (without the newline echo adds) dated today, and a generated value it never prints', async () => {
    const dir = secretsDir();
    const strong = 'correct-horse-battery-staple-2026-x';
    // The real process, end to end (standard input read as a process reads it); the others run in this process.
    const run = runSpawned(args(dir, 'password'), { input: `${strong}\n` });
    expect(run.status, run.stderr).toBe(0);
    const entry = values(dir)['gravl-staging']['gravl-db-credentials'].data.password;
    expect(entry.rotated).toBe(new Date().toISOString().slice(0, 10));
    expect(unseal(privateKey, target, entry.sealed).toString()).toBe(strong);
    expect(fs.readFileSync(path.join(dir, 'staging', 'sealed-values.yaml'), 'utf8')).not.toContain(strong);
    // The next step, with the secrets folder it was sealed into.
    expect(run.stdout).toMatch(new RegExp(`^next: npm run synth -- --secrets \\S+, then commit \\S+sealed-values\\.yaml and dist/ together$`, 'm'));

    expect(entry.origin).toBe('provided');
    expect(entry.certificate).toBe(certificateFingerprint(certificate));

    const generated = await runMain(args(dir, 'username', '--generate'));
    expect(generated.status, generated.stderr).toBe(0);
    const made = values(dir)['gravl-staging']['gravl-db-credentials'].data.username;
    expect(made.origin).toBe('generated');
    const plain = unseal(privateKey, target, made.sealed).toString();
    expect(plain).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generated.stdout + generated.stderr).not.toContain(plain);
  });

  it('fails clearly without the controller certificate, and on a bad scope, writing nothing', async () => {
    const dir = secretsDir();
    fs.rmSync(path.join(dir, 'staging', 'sealing-cert.pem'));
    const noCert = await runMain(args(dir, 'password'), { input: 'x' });
    expect(noCert.status).toBe(1);
    expect(noCert.stderr).toMatch(/sealing-cert\.pem: found no sealing certificate, expected the controller's \(npm run seal -- --secrets \S+ --fetch-cert --env staging\)/);
    const badScope = await runMain(args(secretsDir(), 'password', '--scope', 'global'), { input: 'x' });
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
    expect(() => sealIntoValues(request('password', 'gravl_password'), { certificate })).toThrow(/key password: refusing a well-known default/);
    expect(() => sealIntoValues(request('password', 'short-but-not-default'), { certificate })).toThrow(/password: found 21 characters, expected at least 32/);
    expect(() => sealIntoValues(request('username', 'gravl'), { certificate })).not.toThrow();
  });
});

describe('provided credentials', () => {
  const slack = provided('slack-webhook-url');
  const receivers = (key: string, value: string | undefined, keyClass = slack): SealRequest => ({ ...request(key, value), namespace: 'gravl-monitoring', name: 'alertmanager-receivers', keyClass });

  it.each([
    ['gravl-monitoring', 'alertmanager-receivers', 'slack-webhook-url'],
    ['gravl-monitoring', 'alertmanager-receivers', 'smtp-password'],
    ['gravl-monitoring', 'alertmanager-receivers', 'dead-mans-switch-url'],
  ])('rejects --generate for the provided key %s/%s %s, naming it', async (namespace, name, key) => {
    const dir = secretsDir();
    const run = await runMain(['seal', '--env', 'staging', '--namespace', namespace, '--name', name, '--key', key, '--secrets', dir, '--generate']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`--generate: ${namespace}/${name} key ${key} is a provided credential`);
    expect(run.stderr).toContain('only its owner can give it');
    expect(fs.existsSync(path.join(dir, 'staging', 'sealed-values.yaml'))).toBe(false);
  });

  it('rejects --generate for every provided key any construct declares, object-storage keys and the sealed CA included', () => {
    const text = edit(committedText('production'), (doc) => {
      doc.setIn(['postgres', 'backup', 'objectStorage'], doc.createNode({ bucket: 'gravl-backups', region: 'eu-central-1', image: 'amazon/aws-cli:2.17.0@sha256:' + 'c'.repeat(64) }));
      doc.setIn(['tls', 'internalCa'], doc.createNode({ source: 'sealed' }));
    });
    const loaded = loadEnvironments([{ file: 'environments/production.yaml', text }]);
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('; '));
    const declared = new GravlEnvironment(loaded.environments[0]!, { declarationsOnly: true }).secrets.declarations();
    const providedKeys = declared.filter((d) => d.keyClass.origin === 'provided');
    expect(providedKeys.map((d) => `${d.name}/${d.key}`).sort()).toEqual([
      'alertmanager-receivers/dead-mans-switch-url', 'alertmanager-receivers/slack-webhook-url', 'alertmanager-receivers/smtp-password', 'cloudflare-api-token/api-token',
      'gravl-internal-ca/tls.crt', 'gravl-internal-ca/tls.key', 'postgres-backup-s3/access-key-id', 'postgres-backup-s3/secret-access-key',
    ]);
    for (const d of providedKeys) {
      expect(() => sealIntoValues({ ...request(d.key, undefined), namespace: d.namespace, name: d.name, keyClass: d.keyClass }, { certificate })).toThrow(/is a provided credential .*only its owner can give it/);
    }
    // The passwords the system owns stay generated.
    expect(declared.filter((d) => d.keyClass.origin === 'generated').map((d) => `${d.name}/${d.key}`).sort()).toEqual([
      'grafana-admin/admin-password', 'grafana-admin/admin-user', 'gravl-db-app/password', 'gravl-db-backup/password', 'gravl-db-credentials/password', 'gravl-db-credentials/username',
      'gravl-db-monitoring/password', 'gravl-db-owner/password',
    ]);
  });

  it.each([
    ['cloudflare-api-token', 'api-token', provided('api-token')],
    ['postgres-backup-s3', 'access-key-id', provided('access-key-id')],
    ['postgres-backup-s3', 'secret-access-key', provided('secret-access-key')],
    ['gravl-internal-ca', 'tls.key', provided('pem')],
  ] as const)('rejects generating the provided key %s %s', (name, key, keyClass) => {
    expect(() => sealIntoValues({ ...request(key, undefined), name, keyClass }, { certificate })).toThrow(/--generate: .* is a provided credential .*only its owner can give it/);
  });

  it('rejects a malformed Slack webhook URL at seal time, without echoing it', async () => {
    const dir = secretsDir();
    const bad = 'https://example.com/not-a-slack-webhook';
    const run = await runMain(['seal', '--env', 'staging', '--namespace', 'gravl-monitoring', '--name', 'alertmanager-receivers', '--key', 'slack-webhook-url', '--secrets', dir], { input: bad });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('gravl-monitoring/alertmanager-receivers key slack-webhook-url (provided/slack-webhook-url): found a value of 39 characters that is not of that form, expected a Slack incoming-webhook URL');
    expect(run.stderr).not.toContain(bad);
    expect(() => sealIntoValues(receivers('slack-webhook-url', 'http://hooks.slack.com/services/T0/B0/abcdefghijklmnop'), { certificate })).toThrow(/not of that form/);
  });

  it('rejects a dead-man\'s-switch URL that is not HTTPS, and seals one that is', () => {
    const dms = provided('webhook-url');
    expect(() => sealIntoValues(receivers('dead-mans-switch-url', 'http://hc-ping.com/abc', dms), { certificate })).toThrow(/expected an HTTPS URL/);
    expect(() => sealIntoValues(receivers('dead-mans-switch-url', 'https://hc-ping.com/4f1c2a7e-9b1d-4c3e-8f5a-2d6b7e8c9a01', dms), { certificate })).not.toThrow();
  });

  it('rejects an empty SMTP password and a token with spaces', () => {
    expect(() => sealIntoValues(receivers('smtp-password', '', provided('password')), { certificate })).toThrow(/the value is empty/);
    expect(() => sealIntoValues(receivers('api-token', 'not a token at all really', provided('api-token')), { certificate })).toThrow(/expected an API token/);
  });

  it('seals a well-formed Slack webhook URL and records it as provided, for the current certificate', () => {
    const url = 'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx';
    const entry = parse(sealIntoValues(receivers('slack-webhook-url', url), { certificate }))['gravl-monitoring']['alertmanager-receivers'].data['slack-webhook-url'];
    expect(entry).toMatchObject({ origin: 'provided', certificate: certificateFingerprint(certificate) });
    expect(unseal(privateKey, { namespace: 'gravl-monitoring', name: 'alertmanager-receivers', scope: 'strict' }, entry.sealed).toString()).toBe(url);
  });

  it('rejects a key that nothing in the environment reads, listing the keys of that secret', async () => {
    const run = await runMain(args(secretsDir(), 'token', '--generate'));
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--key: found gravl-staging/gravl-db-credentials key token, which nothing in staging reads; expected one of its keys: password, username');
  });
});
