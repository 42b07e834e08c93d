import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPTIONS_PREFIX } from '../../lib/load-test/load-test';
import { tempDir } from '../support/cli';
import { environment, objects, podSpecOf } from '../support/render';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe.each(['staging', 'production'])('the %s load test', (name) => {
  const env = environment(name);
  const job = env.manualObjects.find((o) => o.kind === 'Job' && o.metadata.name === 'load-test')!;
  const script = (env.manualObjects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'load-test-script')!.data as Record<string, string>)['load-test.js']!;
  const options = JSON.parse(script.split('\n')[0]!.slice(OPTIONS_PREFIX.length).replace(/;$/, ''));

  it('holds the signed-off thresholds: p95 < 200 ms, p99 < 500 ms, errors under 0.1%', () => {
    expect(options.thresholds.http_req_duration).toEqual(['p(95)<200', 'p(99)<500']);
    expect(options.thresholds.http_req_failed).toEqual(['rate<0.001']);
  });

  it('runs the health, exercises and metrics scenarios with 10 virtual users for 5 minutes', () => {
    const scenarios = options.scenarios as Record<string, { exec: string; vus: number; duration: string }>;
    expect(Object.keys(scenarios).sort()).toEqual(['exercises', 'health', 'metrics']);
    expect(Object.values(scenarios).reduce((n, s) => n + s.vus, 0)).toBe(10);
    for (const s of Object.values(scenarios)) expect(s.duration).toBe('5m');
    for (const fn of ['health', 'exercises', 'scrape']) expect(script).toContain(`export function ${fn}()`);
  });

  it('is valid JavaScript', () => {
    const dir = tempDir('k6-script');
    temps.push(dir);
    fs.writeFileSync(path.join(dir, 'load-test.mjs'), script);
    const check = spawnSync(process.execPath, ['--check', path.join(dir, 'load-test.mjs')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it('targets the environment\'s public host with the pinned k6 image, and is never applied by a sync', () => {
    const container = podSpecOf(job)!.containers[0];
    const host = (objects(env, 'Gateway', 'gravl')[0]!.spec as any).listeners.find((l: any) => l.protocol === 'HTTPS').hostname;
    expect(container.env).toContainEqual({ name: 'GRAVL_API_URL', value: `https://${host}` });
    expect(container.image).toMatch(/^grafana\/k6:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(container.args).toEqual(['run', '--no-color', '/scripts/load-test.js']);
    expect(objects(env, 'Job', 'load-test')).toHaveLength(0);
    const kustomization = parse(env.files.find((f) => f.name === 'kustomization.yaml')!.content);
    expect(kustomization.resources).not.toContain('manual/load-test.k8s.yaml');
    expect(env.files.map((f) => f.name)).toContain('manual/load-test.k8s.yaml');
  });

  it('verifies TLS against a letsencrypt-prod certificate, and skips it only for certificates k6 does not trust', () => {
    const issuer = objects(env, 'Gateway', 'gravl')[0]!.metadata.annotations!['cert-manager.io/cluster-issuer'];
    expect(issuer).toBe(name === 'production' ? 'letsencrypt-prod' : 'letsencrypt-staging');
    expect(options.insecureSkipTLSVerify ?? false).toBe(issuer !== 'letsencrypt-prod');
  });
});
