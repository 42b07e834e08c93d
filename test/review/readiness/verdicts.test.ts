/**
 * The three verdicts from fixtures, and the evidence that earns GO: the committed output (stand-in
 * certificate, no real credentials) is NO-GO in production; the same output once the certificate is
 * fetched and the credentials given is READY; with matching evidence it is GO. Evidence of another
 * digest, version or namespace does not count, and malformed evidence fails naming its file.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReadinessInput } from '../../../lib/review/readiness/criteria';
import { readEvidence } from '../../../lib/review/readiness/evidence';
import { readiness } from '../../../lib/review/readiness/report';
import { waitForJobEnd } from '../../../lib/review/readiness/runtime';
import type { RenderedEnvironment } from '../../../lib/render/render';
import { tempDir, removedAfterAll } from '../../support/cli';
import { completedJob, trivyReport, vulnerability, writeEvidence } from '../../support/evidence';
import { readyEnvironment } from '../../support/ready';
import { committedTag, environment, migrationJobName, ROOT } from '../../support/render';

type Json = Record<string, any>;
const temps = removedAfterAll();

function judge(env: RenderedEnvironment, extra: Partial<ReadinessInput> = {}) {
  const clone = (files: RenderedEnvironment['manifests']) => files.map((f) => ({ name: f.name, objects: structuredClone(f.objects) }));
  return readiness({ name: env.name, location: `dist/${env.name}`, files: clone(env.manifests), manualFiles: clone(env.manualManifests), ...extra });
}

/** A complete evidence folder for the environment, changed by `change` before it is read. */
function evidenceFor(env: RenderedEnvironment, change: (dir: string) => void = () => {}) {
  const dir = tempDir('evidence');
  temps.push(dir);
  writeEvidence(env, dir);
  change(dir);
  return readEvidence(dir, 'evidence');
}

const readJson = (file: string): Json => JSON.parse(fs.readFileSync(file, 'utf8'));
const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, JSON.stringify(value));
const statusOf = (r: ReturnType<typeof judge>, id: string) => r.results.find((c) => c.id === id)!;

describe('the committed output', () => {
  it("is NO-GO in production for exactly the stand-in certificate, the missing credentials, the receivers (dead-man's switch included) that cannot deliver and the stand-in backup image", () => {
    const r = judge(environment('production'));
    expect(r.decision).toBe('NO-GO');
    expect(r.results.filter((c) => c.status === 'FAIL').map((c) => c.id).sort()).toEqual(['alertmanager', 'credentials', 'meta-monitoring', 'offsite-backup', 'sealing']);
    expect(statusOf(r, 'offsite-backup').evidence).toEqual([expect.stringMatching(/container upload runs amazon\/aws-cli:\S+@sha256:0{64}, a stand-in digest: pin the digest the registry serves$/)]);
    expect(statusOf(r, 'sealing').evidence.join('\n')).toMatch(/is a stand-in made by this project: no controller holds its key/);
    expect(statusOf(r, 'sealing').fix![0]).toBe('npm run seal -- --fetch-cert --env production');
    expect(statusOf(r, 'credentials').evidence).toEqual([
      'cert-manager/cloudflare-api-token key api-token (provided/api-token): missing: nobody has given it yet',
      'gravl-monitoring/alertmanager-receivers key dead-mans-switch-url (provided/webhook-url): missing: nobody has given it yet',
      'gravl-monitoring/alertmanager-receivers key slack-webhook-url (provided/slack-webhook-url): missing: nobody has given it yet',
      'gravl-monitoring/alertmanager-receivers key smtp-password (provided/password): missing: nobody has given it yet',
      'gravl-prod/postgres-backup-s3 key access-key-id (provided/access-key-id): missing: nobody has given it yet',
      'gravl-prod/postgres-backup-s3 key secret-access-key (provided/secret-access-key): missing: nobody has given it yet',
    ]);
    expect(statusOf(r, 'credentials').fix).toContain('npm run seal -- --env production --namespace gravl-monitoring --name alertmanager-receivers --key slack-webhook-url < FILE-WITH-THE-VALUE');
    expect(statusOf(r, 'alertmanager').evidence).toEqual([
      'receiver slack cannot deliver: its Slack webhook URL (gravl-monitoring/alertmanager-receivers key slack-webhook-url) is missing: nobody has given it yet',
      'receiver email cannot deliver: its SMTP password (gravl-monitoring/alertmanager-receivers key smtp-password) is missing: nobody has given it yet',
    ]);
    // Everything else the files decide passes; the runtime items wait for evidence.
    expect(r.results.filter((c) => c.status === 'RUNTIME').map((c) => c.id).sort()).toEqual(['image-scan', 'load-test', 'migrations-applied', 'pods-healthy']);
  });

  it('says in the committed READINESS.md what a person does to reach READY and then GO', () => {
    const text = fs.readFileSync(path.join(ROOT, 'dist', 'production', 'READINESS.md'), 'utf8');
    expect(text).toMatch(/^\*\*NO-GO\*\*/m);
    const ready = text.slice(text.indexOf('To reach **READY**'), text.indexOf('reach **GO**'));
    for (const command of [
      'npm run seal -- --fetch-cert --env production',
      'npm run seal -- --env production --namespace gravl-monitoring --name alertmanager-receivers --key slack-webhook-url < FILE-WITH-THE-VALUE',
      'npm run seal -- --env production --namespace gravl-monitoring --name alertmanager-receivers --key smtp-password < FILE-WITH-THE-VALUE',
      'npm run seal -- --env production --namespace gravl-prod --name gravl-db-credentials --key password --generate  # a database that exists already: set it there first',
    ]) expect(ready).toContain(command);
    const go = text.slice(text.indexOf('reach **GO**'), text.indexOf('## Network'));
    expect(go).toContain('kubectl -n gravl-prod logs job/load-test > evidence/production/k6.log');
    // Until the Job ends either way (kubectl wait takes one condition: a failed run would hold it to its timeout),
    // and the rollouts in a subshell, so that a failed one does not close the shell they are pasted into.
    expect(go).toContain(`${waitForJobEnd('gravl-prod', 'load-test')} && kubectl -n gravl-prod logs job/load-test`);
    expect(go).toMatch(/&& \(for w in .*\|\| exit 1; done\)/);
    expect(go).not.toContain('--for=condition=complete');
    const tag = committedTag('production', 'backend');
    expect(go).toContain(`trivy image --format json --output evidence/production/trivy/backend-${tag}.json registry.gravl.app/gravl/backend:${tag}@sha256:`);
    expect(go).toContain('npm run readiness -- dist/production --evidence evidence/production');
  });

  it('is READY in staging, where the stand-in certificate and the missing credentials are warnings', () => {
    const r = judge(environment('staging'));
    expect(r.decision).toBe('READY');
    expect(['sealing', 'credentials', 'alertmanager'].map((id) => statusOf(r, id).status)).toEqual(['WARN', 'WARN', 'WARN']);
  });

  it('never says GO in staging on a stand-in certificate or undeliverable receivers, whatever the evidence', () => {
    // Every runtime criterion proven, as in the GO case below, but with the committed (stand-in) secrets.
    const env = environment('staging');
    const r = judge(env, { evidence: evidenceFor(env) });
    expect(r.results.filter((c) => c.status === 'RUNTIME').map((c) => c.id)).toEqual([]);
    expect(['sealing', 'credentials', 'alertmanager'].map((id) => [statusOf(r, id).status, statusOf(r, id).blocking])).toEqual([['WARN', true], ['WARN', true], ['WARN', true]]);
    expect(r.decision).toBe('READY');
  });

  it('never says GO in staging without a scan report of every image', () => {
    const env = readyEnvironment('staging');
    const evidence = evidenceFor(env);
    const r = judge(env, { evidence: { ...evidence, trivy: evidence.trivy.slice(1) } });
    expect(statusOf(r, 'image-scan')).toMatchObject({ status: 'RUNTIME', blocking: true });
    expect(r.decision).toBe('READY');
  });
});

describe('verdicts', () => {
  it.each(['staging', 'production'])('says GO for the ready %s output with matching evidence of every runtime criterion', (name) => {
    const env = readyEnvironment(name);
    const r = judge(env, { evidence: evidenceFor(env) });
    expect(r.results.filter((c) => c.status !== 'PASS').map((c) => `${c.id} ${c.status} ${c.evidence.join('; ')}`)).toEqual([]);
    expect(r.decision).toBe('GO');
  });

  it('stays READY while any blocking runtime criterion has no evidence', () => {
    const env = readyEnvironment('production');
    const r = judge(env, { evidence: evidenceFor(env, (dir) => fs.rmSync(path.join(dir, 'migrations.json'))) });
    expect(statusOf(r, 'migrations-applied').status).toBe('RUNTIME');
    expect(r.decision).toBe('READY');
  });

  it('fails production when a value was sealed for another certificate, listing the command that seals it again', () => {
    const env = readyEnvironment('production');
    const files = env.manifests.map((f) => ({ name: f.name, objects: structuredClone(f.objects) }));
    const sealed = files.flatMap((f) => f.objects).find((o) => o.kind === 'SealedSecret' && o.metadata.name === 'grafana-admin')!;
    sealed.metadata.annotations!['sealed-for.gravl.app/admin-password'] = `sha256:${'0'.repeat(64)}`;
    const stale = readiness({ name: 'production', location: 'dist/production', files, manualFiles: env.manualManifests });
    expect(stale.decision).toBe('NO-GO');
    expect(statusOf(stale, 'sealing').evidence[0]).toBe(`gravl-monitoring/grafana-admin key admin-password: sealed for sha256:${'0'.repeat(64)}, not the current ${sealed.metadata.annotations!['sealing.gravl.app/certificate']}`);
    expect(statusOf(stale, 'sealing').fix).toEqual(['npm run seal -- --env production --namespace gravl-monitoring --name grafana-admin --key admin-password --generate']);
  });

  it('fails production on a stand-in certificate, and only warns in staging', () => {
    for (const name of ['production', 'staging']) {
      const env = readyEnvironment(name);
      const files = env.manifests.map((f) => ({ name: f.name, objects: structuredClone(f.objects) }));
      for (const o of files.flatMap((f) => f.objects).filter((x) => x.kind === 'SealedSecret')) o.metadata.annotations!['sealing.gravl.app/certificate-provenance'] = 'stand-in';
      const r = readiness({ name, location: `dist/${name}`, files, manualFiles: env.manualManifests });
      expect(statusOf(r, 'sealing').status).toBe(name === 'production' ? 'FAIL' : 'WARN');
      expect(r.decision).toBe(name === 'production' ? 'NO-GO' : 'READY');
    }
  });

  it('fails production when a provided credential was generated, and names the receiver that cannot deliver', () => {
    const env = readyEnvironment('production');
    const files = env.manifests.map((f) => ({ name: f.name, objects: structuredClone(f.objects) }));
    files.flatMap((f) => f.objects).find((o) => o.kind === 'SealedSecret' && o.metadata.name === 'alertmanager-receivers')!.metadata.annotations!['origin.gravl.app/slack-webhook-url'] = 'generated';
    const r = readiness({ name: 'production', location: 'dist/production', files, manualFiles: env.manualManifests });
    expect(r.results.filter((c) => c.status === 'FAIL').map((c) => c.id).sort()).toEqual(['alertmanager', 'credentials']);
    expect(statusOf(r, 'alertmanager').evidence).toEqual(['receiver slack cannot deliver: its Slack webhook URL (gravl-monitoring/alertmanager-receivers key slack-webhook-url) is generated: a made-up value, not the one its owner gave']);
  });
});

describe('evidence matched to the rendered output', () => {
  const env = () => readyEnvironment('production');

  it('refuses a rollout of another image digest, or of another namespace, and says why', () => {
    const file = (dir: string) => path.join(dir, 'rollout', 'gravl-prod.deployment.backend.json');
    const digest = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      const o = readJson(file(dir));
      o.spec.template.spec.containers[0].image = 'registry.gravl.app/gravl/backend:1.4.1@sha256:' + 'a'.repeat(64);
      writeJson(file(dir), o);
    }) });
    expect(statusOf(digest, 'pods-healthy').status).toBe('FAIL');
    expect(statusOf(digest, 'pods-healthy').evidence[0]).toMatch(/^evidence\/rollout\/gravl-prod\.deployment\.backend\.json: Deployment gravl-prod\/backend: container backend runs registry\.gravl\.app\/gravl\/backend:1\.4\.1@sha256:a+, not the rendered .*: does not count$/);
    expect(digest.decision).toBe('NO-GO');
    const namespace = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      const o = readJson(file(dir));
      o.metadata.namespace = 'gravl-staging';
      writeJson(file(dir), o);
    }) });
    expect(statusOf(namespace, 'pods-healthy').evidence[0]).toMatch(/Deployment backend of namespace gravl-staging, not gravl-prod: does not count/);
  });

  it('refuses a rollout that has not finished', () => {
    const r = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      const file = path.join(dir, 'rollout', 'gravl-prod.deployment.frontend.json');
      const o = readJson(file);
      o.status.availableReplicas = 0;
      writeJson(file, o);
    }) });
    expect(statusOf(r, 'pods-healthy').evidence[0]).toMatch(/Deployment gravl-prod\/frontend has not finished rolling out: \d+ updated and 0 ready of \d+ replicas/);
  });

  it('refuses the migration Job of another version or namespace, and one that did not complete', () => {
    const job = env().objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('backend-migrate'))!;
    const variants: Array<[(o: Json) => void, RegExp]> = [
      [(o) => { o.metadata.name = 'backend-migrate-0-0-1'; }, new RegExp(`Job backend-migrate-0-0-1, not the rendered ${migrationJobName('production')} \\(another migration version\\): does not count`)],
      [(o) => { o.metadata.namespace = 'gravl-staging'; }, /of namespace gravl-staging, not gravl-prod: does not count/],
      [(o) => { o.status = { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }; }, /failed \(BackoffLimitExceeded\)/],
    ];
    for (const [change, message] of variants) {
      const r = judge(env(), { evidence: evidenceFor(env(), (dir) => {
        const o = completedJob(job) as Json;
        change(o);
        writeJson(path.join(dir, 'migrations.json'), o);
      }) });
      expect(statusOf(r, 'migrations-applied').status).toBe('FAIL');
      expect(statusOf(r, 'migrations-applied').evidence.join('\n')).toMatch(message);
    }
    const accepted = judge(env(), { evidence: evidenceFor(env()) });
    expect(statusOf(accepted, 'migrations-applied')).toMatchObject({ status: 'PASS', evidence: [`Job gravl-prod/${migrationJobName('production')} completed (evidence/migrations.json)`] });
  });

  it('refuses a scan report of another digest, naming the file', () => {
    const backend = env().objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'backend')!;
    const image = (backend.spec as Json).template.spec.containers[0].image as string;
    const r = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      for (const f of fs.readdirSync(path.join(dir, 'trivy'))) if (readJson(path.join(dir, 'trivy', f)).ArtifactName === image) fs.rmSync(path.join(dir, 'trivy', f));
      writeJson(path.join(dir, 'trivy', 'backend.json'), trivyReport(`registry.gravl.app/gravl/backend:1.4.2@sha256:${'b'.repeat(64)}`));
    }) });
    expect(statusOf(r, 'image-scan').status).toBe('FAIL');
    expect(statusOf(r, 'image-scan').evidence[0]).toBe(`evidence/trivy/backend.json: scanned registry.gravl.app/gravl/backend:1.4.2@sha256:${'b'.repeat(64)} (registry.gravl.app/gravl/backend@sha256:${'b'.repeat(64)}), not the rendered ${image}: does not count`);
  });

  it('fails production on a CRITICAL or a fixable HIGH vulnerability, passes an unfixed HIGH, and only warns in staging', () => {
    const withVulns = (e: RenderedEnvironment, vulns: Json[]) => evidenceFor(e, (dir) => {
      const file = path.join(dir, 'trivy', 'image-0.json');
      const report = readJson(file);
      report.Results[0].Vulnerabilities = vulns;
      writeJson(file, report);
    });
    const critical = judge(env(), { evidence: withVulns(env(), [vulnerability('CVE-2026-1111', 'CRITICAL')]) });
    expect(statusOf(critical, 'image-scan').status).toBe('FAIL');
    expect(statusOf(critical, 'image-scan').evidence[0]).toMatch(/CRITICAL CVE-2026-1111 in openssl/);
    const fixable = judge(env(), { evidence: withVulns(env(), [vulnerability('CVE-2026-2222', 'HIGH', '3.0.15-1~deb12u1')]) });
    expect(statusOf(fixable, 'image-scan').evidence[0]).toMatch(/HIGH CVE-2026-2222 in openssl 3\.0\.14-1~deb12u1 \(fixed in 3\.0\.15-1~deb12u1\)/);
    expect(fixable.decision).toBe('NO-GO');
    const unfixed = judge(env(), { evidence: withVulns(env(), [vulnerability('CVE-2026-3333', 'HIGH')]) });
    expect(statusOf(unfixed, 'image-scan').status).toBe('PASS');
    const staging = readyEnvironment('staging');
    const warned = judge(staging, { evidence: withVulns(staging, [vulnerability('CVE-2026-1111', 'CRITICAL')]) });
    expect(statusOf(warned, 'image-scan')).toMatchObject({ status: 'WARN', blocking: false });
    expect(warned.decision).toBe('GO');
  });

  it('prints the scan command of every image the environment runs, by digest', () => {
    const c = statusOf(judge(env()), 'image-scan');
    const lines = c.command!.split('\n');
    expect(lines[0]).toBe('mkdir -p evidence/production/trivy');
    expect(lines).toHaveLength(14);
    for (const line of lines.slice(1)) expect(line).toMatch(/^trivy image --format json --output evidence\/production\/trivy\/\S+\.json \S+@sha256:[0-9a-f]{64}$/);
  });

  it('fails the criterion naming the file for malformed evidence of each kind, and never crashes', () => {
    const r = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      fs.writeFileSync(path.join(dir, 'rollout', 'gravl-prod.deployment.backend.json'), '{ not json');
      writeJson(path.join(dir, 'trivy', 'image-0.json'), { Results: [] });
      fs.writeFileSync(path.join(dir, 'migrations.json'), '[]');
      fs.writeFileSync(path.join(dir, 'k6.log'), 'the run crashed\n');
    }) });
    expect(statusOf(r, 'pods-healthy').evidence[0]).toMatch(/^evidence\/rollout\/gravl-prod\.deployment\.backend\.json: not valid JSON/);
    expect(statusOf(r, 'image-scan').evidence[0]).toBe('evidence/trivy/image-0.json: not a Trivy JSON report (no SchemaVersion; expected trivy image --format json)');
    const odd = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      writeJson(path.join(dir, 'trivy', 'image-1.json'), { SchemaVersion: 2, ArtifactName: 'x', Results: [null] });
      writeJson(path.join(dir, 'trivy', 'image-2.json'), { SchemaVersion: 2, ArtifactName: 'y', Metadata: { RepoDigests: 'sha256:abc' } });
    }) });
    expect(statusOf(odd, 'image-scan').evidence.slice(0, 2)).toEqual(['evidence/trivy/image-1.json: a Results entry is not an object', 'evidence/trivy/image-2.json: Metadata.RepoDigests is not a list of image references']);
    expect(statusOf(r, 'migrations-applied').evidence[0]).toBe('evidence/migrations.json: not a Job (expected the output of kubectl get job <name> -o json)');
    expect(statusOf(r, 'load-test').evidence[0]).toMatch(/^evidence\/k6\.log: found no k6 summary/);
    expect(r.decision).toBe('NO-GO');
  });

  it('fails, never crashes, on a rollout whose pod template is not the shape kubectl writes', () => {
    const r = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      const file = path.join(dir, 'rollout', 'gravl-prod.deployment.backend.json');
      const o = readJson(file);
      o.spec.template.spec.containers = 7;
      writeJson(file, o);
    }) });
    expect(statusOf(r, 'pods-healthy').evidence[0]).toMatch(/Deployment gravl-prod\/backend: container backend runs nothing, not the rendered .*: does not count/);
  });

  it('accepts rollouts given as one kubectl List per namespace', () => {
    const r = judge(env(), { evidence: evidenceFor(env(), (dir) => {
      const rollout = path.join(dir, 'rollout');
      const items = fs.readdirSync(rollout).map((f) => readJson(path.join(rollout, f)));
      fs.rmSync(rollout, { recursive: true });
      fs.mkdirSync(rollout);
      writeJson(path.join(rollout, 'all.json'), { apiVersion: 'v1', kind: 'List', items });
    }) });
    expect(statusOf(r, 'pods-healthy').status).toBe('PASS');
  });
});

describe('the wait the evidence commands use', () => {
  const temps = removedAfterAll();
  /** Runs the wait under `shell` with a kubectl on PATH that prints `conditions` (or fails). */
  const run = (shell: string, kubectl: string) => {
    const bin = temps.make('kubectl');
    fs.writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\n${kubectl}\n`, { mode: 0o755 });
    return spawnSync(shell, ['-c', `${waitForJobEnd('gravl-staging', 'load-test')} && echo ended`], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
  };

  it.each(['sh', 'bash'])('ends when the Job completed or failed, and fails at once when kubectl cannot read it (%s)', (shell) => {
    for (const conditions of ['SuccessCriteriaMet Complete', 'FailureTarget Failed']) {
      const ended = run(shell, `echo '${conditions}'`);
      expect(ended.status, ended.stderr).toBe(0);
      expect(ended.stdout).toBe('ended\n');
    }
    const unread = run(shell, 'echo "Error from server (NotFound): jobs.batch \\"load-test\\" not found" >&2; exit 1');
    expect(unread.status).toBe(1);
    expect(unread.stdout).toBe('');
  });
});
