/**
 * Where the sealing certificate comes from: a stand-in is marked as one where it is made; one
 * fetched from the controller (with the real kubectl, here against a loopback HTTP server that
 * answers the API path kubeseal reads, since no cluster runs here; or from a file kubeseal wrote)
 * is marked as fetched, and the values sealed for another certificate are listed to seal again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateFingerprint, pemBlock, readSealingCertificate } from '../../lib/model/certificate';
import { certificatePath, checkFetchedCertificate } from '../../lib/cli/fetch-cert';
import { runMain, tempDir, removedAfterAll } from '../support/cli';
import { FIXTURE_CERT } from '../support/ready';
import { ROOT } from '../support/render';

const temps = removedAfterAll();
const children: ChildProcess[] = [];
afterAll(() => {
  children.forEach((c) => c.kill());
});

/** A secrets folder holding a copy of the committed staging values and stand-in certificate. */
function secretsDir(): string {
  const dir = tempDir('secrets');
  temps.push(dir);
  fs.cpSync(path.join(ROOT, 'secrets', 'staging'), path.join(dir, 'staging'), { recursive: true });
  return dir;
}

describe('the sealing certificate', () => {
  it('marks the committed certificates as stand-ins', () => {
    for (const env of ['staging', 'production']) {
      const file = `secrets/${env}/sealing-cert.pem`;
      expect(readSealingCertificate(file, fs.readFileSync(path.join(ROOT, file), 'utf8')).provenance).toBe('stand-in');
    }
  });

  it('treats a certificate without a recorded provenance as unknown, not as the controller\'s', () => {
    expect(readSealingCertificate('cert.pem', FIXTURE_CERT).provenance).toBe('unknown');
    expect(() => readSealingCertificate('cert.pem', 'not a certificate')).toThrow('cert.pem: found no X.509 certificate (PEM)');
  });

  it('makes a stand-in with openssl and marks it as one where it is made', async () => {
    const dir = secretsDir();
    fs.rmSync(path.join(dir, 'staging', 'sealing-cert.pem'));
    const run = await runMain(['seal', '--stand-in-cert', '--env', 'staging', '--secrets', dir]);
    expect(run.status, run.stderr).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'staging', 'sealing-cert.pem'), 'utf8');
    expect(text.split('\n')[0]).toBe('# gravl-sealing-certificate: stand-in');
    expect(readSealingCertificate('x', text).provenance).toBe('stand-in');
  });

  it('writes a certificate kubeseal --fetch-cert wrote as fetched, and lists every value to seal again for it', async () => {
    const dir = secretsDir();
    const from = path.join(dir, 'cert-from-kubeseal.pem');
    fs.writeFileSync(from, FIXTURE_CERT);
    const run = await runMain(['seal', '--fetch-cert', '--env', 'staging', '--from', from, '--secrets', dir]);
    expect(run.status, run.stderr).toBe(0);
    const written = readSealingCertificate('x', fs.readFileSync(path.join(dir, 'staging', 'sealing-cert.pem'), 'utf8'));
    expect(written).toMatchObject({ provenance: 'fetched', fingerprint: certificateFingerprint(FIXTURE_CERT) });
    expect(run.stdout).toContain('8 sealed value(s) were sealed for another certificate; seal each again:');
    expect(run.stdout).toContain('npm run seal -- --env staging --namespace gravl-staging --name gravl-db-credentials --key password --generate');
    // The superuser's keys say what a database that exists already needs instead.
    expect(run.stdout).toContain('--name gravl-db-credentials --key password --generate  # a database that exists already: set it there first, as docs/database-roles.md, "Passwords and rotation", says');
    expect(run.stdout).toContain('--name gravl-db-credentials --key username --generate  # a database that exists already: seal its current name (< FILE), never a new one');
    expect(run.stdout).not.toMatch(/--name gravl-db-app --key password --generate {2}#/);
  });

  it('rejects a stand-in given as the controller\'s certificate', async () => {
    const dir = secretsDir();
    const run = await runMain(['seal', '--fetch-cert', '--env', 'staging', '--from', path.join(ROOT, 'secrets', 'staging', 'sealing-cert.pem'), '--secrets', dir]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/is a stand-in made by this project \(subject CN=sealed-secret, O=gravl-staging\), not a controller's certificate/);
  });

  it('fetches the controller\'s certificate with kubectl through the API server\'s service proxy', async () => {
    const dir = secretsDir();
    // A loopback stand-in for the API server: it answers only the path kubeseal reads.
    const server = spawn(process.execPath, ['-e', `
      const http = require('node:http');
      const cert = ${JSON.stringify(FIXTURE_CERT)};
      http.createServer((req, res) => {
        if (req.url === ${JSON.stringify(certificatePath({}))}) { res.setHeader('content-type', 'text/plain'); res.end(cert); }
        else { res.statusCode = 404; res.end('{"kind":"Status","status":"Failure","message":"not found","code":404}'); }
      }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
    `]);
    children.push(server);
    const port = await new Promise<string>((resolve) => server.stdout!.once('data', (d) => resolve(String(d).trim())));
    const kubeconfig = path.join(dir, 'kubeconfig');
    fs.writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: test',
      'clusters: [{ name: test, cluster: { server: "http://127.0.0.1:' + port + '" } }]',
      'users: [{ name: test, user: {} }]',
      'contexts: [{ name: test, context: { cluster: test, user: test } }]', '',
    ].join('\n'));
    const run = await runMain(['seal', '--fetch-cert', '--env', 'staging', '--secrets', dir], { env: { KUBECONFIG: kubeconfig } });
    expect(run.status, run.stderr).toBe(0);
    const written = fs.readFileSync(path.join(dir, 'staging', 'sealing-cert.pem'), 'utf8');
    expect(readSealingCertificate('x', written)).toMatchObject({ provenance: 'fetched', source: 'kubectl context test, Service kube-system/sealed-secrets-controller' });
    const wrongName = await runMain(['seal', '--fetch-cert', '--env', 'staging', '--secrets', dir, '--controller-name', 'sealed-secrets'], { env: { KUBECONFIG: kubeconfig } });
    expect(wrongName.status).toBe(1);
    expect(wrongName.stderr).toMatch(/seal failed: kubectl .*get --raw .*sealed-secrets:\/proxy\/v1\/cert\.pem: /);
    // A kubectl with no cluster at all: what else can be done, rather than kubectl's error alone.
    const noCluster = await runMain(['seal', '--fetch-cert', '--env', 'staging', '--secrets', dir], { env: { KUBECONFIG: path.join(dir, 'no-kubeconfig') } });
    expect(noCluster.status).toBe(1);
    expect(noCluster.stderr).toMatch(/^seal failed: kubectl config current-context: .*; fetch through another kubectl context with --context CONTEXT, take a file kubeseal --fetch-cert wrote with --from FILE, or, with no cluster yet, make a marked stand-in with --stand-in-cert \(production stays NO-GO on it\) \(set GRAVL_DEBUG=1 for details\)$/m);
    // No kubectl at all: its own advice, without the options that need one.
    const noKubectl = await runMain(['seal', '--fetch-cert', '--env', 'staging', '--secrets', dir], { env: { PATH: dir } });
    expect(noKubectl.stderr).toMatch(/^seal failed: kubectl could not run \(ENOENT\): install kubectl, or pass a file written by kubeseal --fetch-cert with --from \(set GRAVL_DEBUG=1 for details\)$/m);
  });
});

describe('a stand-in in disguise', () => {
  it('stays a stand-in when its header is edited to say fetched, and --fetch-cert refuses it', () => {
    const committed = fs.readFileSync(path.join(ROOT, 'secrets', 'production', 'sealing-cert.pem'), 'utf8');
    const relabelled = committed.replace('# gravl-sealing-certificate: stand-in', '# gravl-sealing-certificate: fetched');
    expect(relabelled).not.toBe(committed);
    expect(readSealingCertificate('x', relabelled).provenance).toBe('stand-in');
    expect(() => checkFetchedCertificate('bare.pem', pemBlock(committed))).toThrow(/bare\.pem: is a stand-in made by this project \(subject CN=sealed-secret, O=gravl-production\)/);
  });
});
