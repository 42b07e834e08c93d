import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { tempDir, removedAfterAll } from '../../support/cli';
import { committedText, environment, objects, podSpecOf } from '../../support/render';
import { LOAD_TEST_OPTIONS_PREFIX } from '../../../lib/contract';

const temps = removedAfterAll();

describe.each(['staging', 'production'])('the %s load test', (name) => {
  const env = environment(name);
  const job = env.manualObjects.find((o) => o.kind === 'Job' && o.metadata.name === 'load-test')!;
  const script = (env.manualObjects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'load-test-script')!.data as Record<string, string>)['load-test.js']!;
  const options = JSON.parse(script.split('\n')[0]!.slice(LOAD_TEST_OPTIONS_PREFIX.length).replace(/;$/, ''));

  it('holds the signed-off thresholds on the public host: p95 < 200 ms, p99 < 500 ms, errors under 0.1%, more than 100 requests a second', () => {
    expect(options.thresholds).toEqual({
      'http_req_duration{scope:public}': ['p(95)<200', 'p(99)<500'],
      http_req_failed: ['rate<0.001'],
      errors: ['rate<0.001'],
      'http_reqs{scope:public}': ['rate>100'],
    });
    // No latency threshold over every request: the internal scrape stays out of it.
    expect(options.thresholds.http_req_duration).toBeUndefined();
    // The summary readiness judges holds both percentiles (k6's default stops at p(95)).
    expect(options.summaryTrendStats).toEqual(expect.arrayContaining(['p(95)', 'p(99)']));
  });

  it('sends the public traffic at an arrival rate above 100 requests a second, and the internal scrape beside it, tagged apart', () => {
    const file = parse(committedText(name)).loadTest;
    const { public: traffic, metrics } = options.scenarios;
    expect(Object.keys(options.scenarios).sort()).toEqual(['metrics', 'public']);
    expect(traffic).toMatchObject({ exec: 'traffic', timeUnit: '1s', preAllocatedVUs: file.vus, maxVUs: file.vus, tags: { scope: 'public' } });
    expect(metrics).toMatchObject({ executor: 'constant-vus', exec: 'scrape', vus: 1, tags: { scope: 'internal' } });
    expect(file.rate).toBeGreaterThan(100);
    // Enough users to hold the peak even at the p99 limit of 500 ms per request.
    expect(file.vus).toBeGreaterThanOrEqual((file.peakRate ?? file.rate) * 0.5);
    expect(options.discardResponseBodies).toBe(true);
    for (const fn of ['traffic', 'scrape']) expect(script).toContain(`export function ${fn}()`);
    expect(script).toMatch(/api\/exercises`, \{ tags: \{ endpoint: 'exercises', scope: 'public' \}/);
    expect(script).toMatch(/http\.get\(metrics, \{ tags: \{ endpoint: 'metrics', scope: 'internal' \}/);
    if (name === 'production') {
      // Warm-up, 5 minutes at 120, 5 minutes up to 300, 5 minutes at 300, cool-down: the HPA scales out.
      expect(traffic).toMatchObject({ executor: 'ramping-arrival-rate', startRate: 0 });
      expect(traffic.stages).toEqual([
        { target: 120, duration: '1m' },
        { target: 120, duration: '5m' },
        { target: 300, duration: '5m' },
        { target: 300, duration: '5m' },
        { target: 0, duration: '1m' },
      ]);
      expect(metrics.duration).toBe('17m');
      expect(podSpecOf(job) && (job.spec as any).activeDeadlineSeconds).toBe(17 * 60 + 900);
    } else {
      expect(traffic).toMatchObject({ executor: 'constant-arrival-rate', rate: 120, duration: '5m' });
      expect(metrics.duration).toBe('5m');
    }
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
