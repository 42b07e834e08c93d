import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseK6Summary } from '../../lib/readiness/k6';
import { runMain, tempDir } from '../support/cli';
import { ROOT } from '../support/render';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('npm run readiness', () => {
  it('says GO for committed staging, NO-GO for production on its stand-in off-site image digest, and exits 1', () => {
    const run = runMain(['readiness', '--date', '2026-12-01']);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^production \(dist\/production\): NO-GO {2}\[12 PASS, 1 FAIL, 3 RUNTIME\]$/m);
    expect(run.stdout).toMatch(/a stand-in digest: pin the digest the registry serves/);
    expect(run.stdout).toMatch(/^staging \(dist\/staging\): GO {2}\[13 PASS, 0 FAIL, 3 RUNTIME\]$/m);
    expect(run.stdout).toMatch(/verify: for w in .*gravl-staging\/deployment\/backend.* rollout status/);
  });

  it('says NO-GO, exits 1 and names the criterion for a tampered folder', () => {
    const dir = tempDir('readiness');
    temps.push(dir);
    const copy = path.join(dir, 'staging');
    fs.cpSync(path.join(ROOT, 'dist', 'staging'), copy, { recursive: true });
    const file = fs.readdirSync(copy).find((n) => n.endsWith('-network-policies.k8s.yaml'))!;
    // Hand-edit the DNS rule onto the `name` label, as the seeds had it.
    const text = fs.readFileSync(path.join(copy, file), 'utf8').replaceAll('kubernetes.io/metadata.name: kube-system', 'name: kube-system');
    fs.writeFileSync(path.join(copy, file), text);
    const run = runMain(['readiness', copy, '--date', '2026-12-01']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/staging \(.*\): NO-GO/);
    expect(run.stdout).toMatch(/FAIL {4}blocking {2}Network policies/);
    expect(run.stdout).toContain('no DNS egress to CoreDNS (UDP and TCP 53) on a stock cluster');
  });

  it('judges the load test from the logs of a real k6 run', () => {
    const dir = tempDir('k6');
    temps.push(dir);
    const summary = { metrics: { http_req_duration: { values: { 'p(95)': 6.98, 'p(99)': 14.59 } }, http_req_failed: { values: { rate: 0 } } }, gravl: { apiUrl: 'https://staging.gravl.app' } };
    const log = path.join(dir, 'k6.log');
    fs.writeFileSync(log, `running (5m00.0s), 00/10 VUs, 600 complete\n\nK6_SUMMARY_JSON ${JSON.stringify(summary)}\n`);
    const run = runMain(['readiness', path.join(ROOT, 'dist', 'staging'), '--k6-summary', log, '--date', '2026-12-01']);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/PASS {4}blocking {2}Load test/);
    expect(run.stdout).toContain('measured: p95 6.98 ms, p99 14.59 ms, error rate 0');
  });

  it('rejects a k6 summary file that holds no summary', () => {
    expect(() => parseK6Summary('no summary here\n', 'k6.log')).toThrow('k6.log: found no k6 summary');
    expect(() => parseK6Summary('{"nothing": 1}', 'k6.json')).toThrow('k6.json: the k6 summary has no metrics');
  });
});
