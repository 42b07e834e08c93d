import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseK6Summary } from '../../../lib/review/readiness/k6';
import { runMain, tempDir, removedAfterAll } from '../../support/cli';
import { writeEvidence } from '../../support/evidence';
import { readyEnvironment } from '../../support/ready';
import { committedValue, ROOT } from '../../support/render';

const temps = removedAfterAll();

describe('npm run readiness', () => {
  it('says NO-GO for the committed production output and READY for staging, exiting 1 for the worst', async () => {
    const run = await runMain(['readiness', '--date', '2026-12-01']);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^production \(dist\/production\): NO-GO {2}\[15 PASS, 5 FAIL, 0 WARN, 4 RUNTIME\]$/m);
    expect(run.stdout).toMatch(/^staging \(dist\/staging\): READY {2}\[16 PASS, 0 FAIL, 4 WARN, 4 RUNTIME\]$/m);
    expect(run.stdout).toMatch(/collect: mkdir -p evidence\/staging\/rollout && \(for w in .*gravl-staging\/deployment\/backend.* rollout status/);
    const staging = await runMain(['readiness', 'dist/staging', '--date', '2026-12-01']);
    expect(staging.status).toBe(3);
  });

  it('says GO and exits 0 for a ready folder with matching evidence, and READY (3) without it', async () => {
    const dir = tempDir('ready');
    temps.push(dir);
    const env = readyEnvironment('production');
    const out = path.join(dir, 'production');
    for (const file of env.files) {
      fs.mkdirSync(path.dirname(path.join(out, file.name)), { recursive: true });
      fs.writeFileSync(path.join(out, file.name), file.content);
    }
    const evidence = path.join(dir, 'evidence');
    writeEvidence(env, evidence);
    const go = await runMain(['readiness', out, '--evidence', evidence, '--date', '2026-12-01']);
    expect(go.stdout).toMatch(/^production \(.*\): GO {2}\[24 PASS, 0 FAIL, 0 WARN, 0 RUNTIME\]$/m);
    expect(go.status, go.stdout + go.stderr).toBe(0);
    const ready = await runMain(['readiness', out, '--date', '2026-12-01']);
    expect(ready.stdout).toMatch(/^production \(.*\): READY/m);
    expect(ready.status).toBe(3);
    const missing = await runMain(['readiness', out, '--evidence', path.join(dir, 'nowhere')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nowhere: --evidence: found no such folder, expected the folder the printed evidence commands write/);
  });

  it('says NO-GO, exits 1 and names the criterion for a tampered folder', async () => {
    const dir = tempDir('readiness');
    temps.push(dir);
    const copy = path.join(dir, 'staging');
    fs.cpSync(path.join(ROOT, 'dist', 'staging'), copy, { recursive: true });
    const file = fs.readdirSync(copy).find((n) => n.endsWith('-network-policies.k8s.yaml'))!;
    // Hand-edit the DNS rule onto the `name` label, as the seeds had it.
    const text = fs.readFileSync(path.join(copy, file), 'utf8').replaceAll('kubernetes.io/metadata.name: kube-system', 'name: kube-system');
    fs.writeFileSync(path.join(copy, file), text);
    const run = await runMain(['readiness', copy, '--date', '2026-12-01']);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/staging \(.*\): NO-GO/);
    expect(run.stdout).toMatch(/FAIL {4}blocking {2}Network policies/);
    expect(run.stdout).toContain('no DNS egress to CoreDNS (UDP and TCP 53) on a stock cluster');
  });

  it('judges the load test from the logs of a real k6 run', async () => {
    const dir = tempDir('k6');
    temps.push(dir);
    const summary = { metrics: { 'http_req_duration{scope:public}': { values: { 'p(95)': 6.98, 'p(99)': 14.59 } }, 'http_reqs{scope:public}': { values: { rate: 119.6 } }, http_req_failed: { values: { rate: 0 } } }, gravl: { apiUrl: 'https://staging.gravl.app', release: committedValue('staging', ['backend', 'image']) } };
    const log = path.join(dir, 'k6.log');
    fs.writeFileSync(log, `running (5m00.0s), 00/10 VUs, 600 complete\n\nK6_SUMMARY_JSON ${JSON.stringify(summary)}\n`);
    const run = await runMain(['readiness', path.join(ROOT, 'dist', 'staging'), '--k6-summary', log, '--date', '2026-12-01']);
    expect(run.status, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toMatch(/PASS {4}blocking {2}Load test/);
    expect(run.stdout).toContain('measured (public host): p95 6.98 ms, p99 14.59 ms, 119.6 requests/s; error rate 0');
  });

  it('refuses a --date that is no day of the calendar, with exit 2, rather than judge rotations against no day', async () => {
    for (const date of ['2026-13-01', '2026-02-30', '1.12.2026']) {
      const run = await runMain(['readiness', 'dist/staging', '--date', date]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`readiness: --date: found "${date}", expected a day of the calendar as YYYY-MM-DD`);
      expect(run.stdout).toBe('');
    }
    // A leap day is a day: the rotations are judged against it (overdue by then: NO-GO).
    const leap = await runMain(['readiness', 'dist/staging', '--date', '2028-02-29']);
    expect(leap.status).toBe(1);
    expect(leap.stdout).toMatch(/last rotated \d{4}-\d{2}-\d{2}, \d+ days ago/);
  });

  it('names a missing --k6-summary file plainly, with exit 1 and no stack trace', async () => {
    const run = await runMain(['readiness', 'dist/staging', '--k6-summary', 'no-such-k6.log']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("no-such-k6.log: --k6-summary: found no such file, expected the log of the load test's Job");
    expect(run.stderr).not.toMatch(/ENOENT|\n\s+at /);
  });

  it('rejects a k6 summary file that holds no summary', () => {
    expect(() => parseK6Summary('no summary here\n', 'k6.log')).toThrow('k6.log: found no k6 summary');
    expect(() => parseK6Summary('{"nothing": 1}', 'k6.json')).toThrow('k6.json: the k6 summary has no metrics');
  });
});
