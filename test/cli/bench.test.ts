/**
 * The arithmetic of `npm run bench`: medians and the product's targets, and the work its timing of
 * one environment's phases does. The timings themselves are measured by `npm run bench` on the
 * machine at hand, not in the test suite.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { cpuTicks, describeEnvironmentCost, describeFloor, describeLoad, describeRestore, describeSteal, environmentCost, judgeTargets, median, renderedObjects, RESTORE_NOT_MEASURED, scaleModel } from '../../lib/cli/bench';
import { ProblemsError } from '../../lib/model/problems';
import { MANIFEST_SUFFIX, READINESS_FILE } from '../../lib/contract';
import { PROJECT_ROOT } from '../../lib/kit/project-root';
import { removedAfterAll } from '../support/cli';

describe('median', () => {
  it('takes the middle sample of an odd count, whatever the order, and the mean of the middle two of an even one', () => {
    expect(median([900, 100, 500])).toBe(500);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});

describe('judgeTargets', () => {
  const passing = { synth: 400, kustomize: 230, stock: 4500, twoEnvironments: 600, twentyEnvironments: 800, diff: 700, readiness: 650, test: 25_000 };

  it('passes figures within the targets, and reports the ratios and times', () => {
    const checks = judgeTargets(passing);
    expect(checks.map((c) => c.name)).toEqual(['synth / kustomize', 'stock flow / synth', '20 envs / 2 envs', 'npm run diff', 'npm run readiness', 'npm test']);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks[0]!.value).toBeCloseTo(400 / 230);
    expect(checks[1]!.value).toBeCloseTo(4500 / 400);
    expect(checks[2]!.value).toBeCloseTo(800 / 600);
    expect(checks.slice(3).map((c) => [c.value, c.unit])).toEqual([[0.7, 's'], [0.65, 's'], [25, 's']]);
  });

  it.each([
    ['synth / kustomize', { synth: 500, stock: 13000 }],
    ['stock flow / synth', { stock: 1900 }],
    ['20 envs / 2 envs', { twentyEnvironments: 900 }],
    ['npm run diff', { diff: 1000 }],
    ['npm run readiness', { readiness: 1200 }],
    ['npm test', { test: 30_000 }],
  ])('fails %s when it misses its target, and only that one', (name, change) => {
    const checks = judgeTargets({ ...passing, ...change });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([name]);
  });

  it('leaves npm test out when it was not measured', () => {
    const { test: _test, ...rest } = passing;
    expect(judgeTargets(rest).map((c) => c.name)).not.toContain('npm test');
  });
});

describe('scaleModel', () => {
  it('splits the runs of 2 and 20 environments into a fixed start and a cost per environment, and the cost the 20/2 target allows', () => {
    const model = scaleModel(300, 840);
    expect(model.each).toBeCloseTo(30);
    expect(model.start).toBeCloseTo(240);
    expect(model.eachWithinTarget).toBeCloseTo(240 / 34);
    // At exactly that cost per environment, 20 take 1.5x the time of 2.
    const atBound = { two: model.start + 2 * model.eachWithinTarget, twenty: model.start + 20 * model.eachWithinTarget };
    expect(atBound.twenty / atBound.two).toBeCloseTo(1.5);
  });
});

describe('environmentCost and describeEnvironmentCost', () => {
  const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  const staging = {
    file: 'environments/staging.yaml',
    text: read('environments/staging.yaml'),
    sealedValues: { file: 'secrets/staging/sealed-values.yaml', text: read('secrets/staging/sealed-values.yaml') },
    sealingCertificate: { file: 'secrets/staging/sealing-cert.pem', text: read('secrets/staging/sealing-cert.pem') },
  };

  it('times the phases of a render that writes the same text as synth: every manifest, the kustomization and READINESS.md of the committed output', () => {
    const cost = environmentCost(staging, 2, 1);
    const dist = path.join(PROJECT_ROOT, 'dist', 'staging');
    const files = fs.readdirSync(dist, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const chars = (names: readonly string[]) => names.reduce((n, name) => n + fs.readFileSync(path.join(dist, name), 'utf8').length, 0);
    const names = files.map((e) => path.relative(dist, path.join(e.parentPath, e.name)));
    expect(cost.yamlChars).toBe(chars(names.filter((n) => n !== READINESS_FILE)));
    expect(cost.readinessChars).toBe(chars([READINESS_FILE]));
    const applied = fs.readdirSync(dist).filter((f) => f.endsWith(MANIFEST_SUFFIX));
    expect(cost.objects).toBe(applied.flatMap((f) => loadAll(fs.readFileSync(path.join(dist, f), 'utf8'))).length);
    expect(cost.rounds).toBe(2);
    for (const phase of [cost.model, cost.yaml, cost.readiness]) expect(phase).toBeGreaterThan(0);
  });

  it('refuses a count of rounds it cannot take a median of, and an environment the loader refuses', () => {
    expect(() => environmentCost(staging, 0)).toThrow('environmentCost: found 0 rounds, expected a whole number of at least 1');
    expect(() => environmentCost({ ...staging, text: 'namespace: [' }, 1)).toThrow(ProblemsError);
  });

  it("states each phase, their sum, and what the 20/2 target allows an environment and as CPU on every core", () => {
    const cost = { objects: 113, model: 12.94, yaml: 5.4, readiness: 4.06, yamlChars: 1, readinessChars: 1, rounds: 20 };
    expect(describeEnvironmentCost(cost, 5.2, 2)).toBe(
      'each environment (113 objects), warm, median of 20 in this process: cdk8s model 12.9 ms (constructs built, objects serialised), YAML 5.4 ms, READINESS.md 4.1 ms: 22.4 ms of CPU; ' +
        '20 envs < 1.5x 2 envs allows 5.2 ms an environment, 10.4 ms of CPU on 2 cores with none lost',
    );
  });
});

describe('the cdk8s floor: scripts/cdk8s-floor.cjs, renderedObjects and describeFloor', () => {
  const temps = removedAfterAll();
  const script = path.join(PROJECT_ROOT, 'scripts', 'cdk8s-floor.cjs');
  const floor = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  // Keys out of cdk8s's order (apiVersion, kind, metadata, then the rest sorted), an empty value
  // cdk8s leaves out, and the environment's name in a namespace and a host.
  const objects = [
    { spec: { rules: [{ host: 'env07.gravl.app' }], empty: undefined }, metadata: { namespace: 'gravl-env07', name: 'web' }, kind: 'Ingress', apiVersion: 'networking.k8s.io/v1' },
    { metadata: { name: 'gravl-env07' }, apiVersion: 'v1', kind: 'Namespace' },
  ];

  it('writes each environment as cdk8s synthesises the objects made ApiObjects, under its own name, the same on one thread or two', () => {
    const dir = temps.make('floor');
    const file = path.join(dir, 'objects.json');
    fs.writeFileSync(file, JSON.stringify(objects));
    const out = (threads: number) => {
      const into = path.join(dir, `out-${threads}`);
      const run = floor('--objects', file, '--name', 'env07', '--count', '3', '--threads', String(threads), '--out', into);
      expect(run.status, run.stderr).toBe(0);
      return Object.fromEntries(fs.readdirSync(into).map((f) => [f, fs.readFileSync(path.join(into, f), 'utf8')]));
    };
    const one = out(1);
    expect(Object.keys(one).sort()).toEqual(['env00.json', 'env01.json', 'env02.json']);
    const lines = one['env02.json']!.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'gravl-env02' }, spec: { rules: [{ host: 'env02.gravl.app' }] } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gravl-env02' } },
    ]);
    // Serialised by cdk8s (ApiObject.toJson), not copied: its order of keys.
    expect(lines.map((o) => Object.keys(o))).toEqual([['apiVersion', 'kind', 'metadata', 'spec'], ['apiVersion', 'kind', 'metadata']]);
    expect(one['env00.json']).not.toContain('env07');
    expect(out(2)).toEqual(one);
  });

  it('refuses arguments it cannot run, with exit code 2, what is wrong and its usage', () => {
    const dir = temps.make('floor');
    const file = path.join(dir, 'objects.json');
    fs.writeFileSync(file, JSON.stringify(objects));
    const base = ['--objects', file, '--name', 'env07', '--out', dir];
    for (const [args, message] of [
      [[...base, '--count', '0'], '--count: found 0, expected a whole number from 1 to 100'],
      [[...base, '--count', '2', '--threads', '0'], '--threads: found 0, expected a whole number of at least 1'],
      [['--name', 'env07', '--count', '2', '--out', dir], '--objects is missing'],
      [['--objects', file, '--name', 'env99', '--count', '2', '--out', dir], `--name: ${file} never mentions env99`],
      [[...base, '--count', '2', '--fast', 'yes'], 'unexpected argument --fast'],
    ] as const) {
      const run = floor(...args);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`cdk8s-floor: ${message}\nusage: node scripts/cdk8s-floor.cjs`);
    }
  });

  it("hands it the objects of the environment's render: those synth writes into dist/", () => {
    const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
    const rendered = renderedObjects({ file: 'environments/staging.yaml', text: read('environments/staging.yaml'), sealedValues: { file: 'secrets/staging/sealed-values.yaml', text: read('secrets/staging/sealed-values.yaml') }, sealingCertificate: { file: 'secrets/staging/sealing-cert.pem', text: read('secrets/staging/sealing-cert.pem') } });
    const dist = path.join(PROJECT_ROOT, 'dist', 'staging');
    const applied = fs.readdirSync(dist).filter((f) => f.endsWith(MANIFEST_SUFFIX)).sort().flatMap((f) => loadAll(fs.readFileSync(path.join(dist, f), 'utf8')));
    expect(rendered).toEqual(applied);
  });

  it('states what one more environment costs on one thread and on two, each from its own runs, and what the 20/2 target allows', () => {
    expect(describeFloor({ objects: 113, oneThread: { two: 114, twenty: 206 }, twoThreads: { two: 152.4, twenty: 252 } }, 5.4)).toBe(
      'cdk8s floor (113 objects an environment parsed from JSON, made plain cdk8s ApiObjects, serialised by cdk8s, written as JSON; no typed construct, validation, YAML or READINESS.md): ' +
        "one more environment 5.1 ms on 1 thread (114 / 206 ms), 5.5 ms on 2 (152 / 252 ms), from fresh runs of 2 / 20 environments; 20 envs < 1.5x 2 envs allows 5.4 ms an environment at synth's start, for all synth does",
    );
  });
});

describe('describeLoad', () => {
  it('states the load against the cores, and says the machine was busy above half of them', () => {
    expect(describeLoad(0.4, 2)).toBe('load average 0.40 on 2 cores');
    expect(describeLoad(1, 2)).toBe('load average 1.00 on 2 cores');
    expect(describeLoad(3.5, 2)).toBe('load average 3.50 on 2 cores (busy: other processes ran; the times include waiting for a core)');
  });
});

describe('cpuTicks and describeSteal', () => {
  const stat = (steal: number, idle: number) => `cpu  1000 0 500 ${idle} 10 0 5 ${steal} 0 0\ncpu0 500 0 250 ${idle / 2} 5 0 2 ${steal / 2} 0 0\nintr 1\n`;

  it('reads all CPU time and the steal from the first line of /proc/stat', () => {
    expect(cpuTicks(stat(300, 8000))).toEqual({ total: 1000 + 500 + 8000 + 10 + 5 + 300, steal: 300 });
    expect(cpuTicks('intr 1\n')).toBeUndefined();
    expect(cpuTicks('cpu  1 2 x 4 5 6 7 8\n')).toBeUndefined();
  });

  it("states the host's share of the CPU time between two readings, and says the times are slower above 2%", () => {
    expect(describeSteal(cpuTicks(stat(300, 8000)), cpuTicks(stat(310, 8990)))).toBe('host steal: 1.0% of the CPU time during the run');
    expect(describeSteal(cpuTicks(stat(300, 8000)), cpuTicks(stat(550, 8750)))).toBe('host steal: 25.0% of the CPU time during the run (the host ran other work on these cores: every time above is slower than on an idle host)');
    expect(describeSteal(undefined, undefined)).toBe('host steal: not measured (no /proc/stat)');
  });

  it('reads this machine where it has /proc/stat', () => {
    if (!fs.existsSync('/proc/stat')) return expect(cpuTicks()).toBeUndefined();
    const now = cpuTicks();
    expect(now!.total).toBeGreaterThan(0);
    expect(now!.steal).toBeGreaterThanOrEqual(0);
  });
});

describe('describeRestore', () => {
  const measured = { rows: 200000, databaseBytes: 37_977_447, dumpBytes: 5_804_875, seconds: [2.9, 2.2, 4.3], medianSeconds: 2.9, filesystem: 'disk' };

  it("reports the median restore time and the sizes from the measurement's last line", () => {
    const { line, ok } = describeRestore({ status: 0, stdout: `noise\n${JSON.stringify(measured)}\n`, stderr: '' });
    expect(ok).toBe(true);
    expect(line).toMatch(/^ {2}off-site restore \(RTO\), 200000 rows +2900 ms {2}\(median of 3; database 36\.2 MiB, dump 5\.5 MiB, on disk; /);
  });

  it('fails a measurement line that lacks a size, the file system, or is of another row count, rather than print a figure it did not get', () => {
    for (const broken of [{ ...measured, dumpBytes: undefined }, { ...measured, databaseBytes: 0 }, { ...measured, filesystem: undefined }, { ...measured, rows: 2000 }]) {
      const { line, ok } = describeRestore({ status: 0, stdout: `${JSON.stringify(broken)}\n`, stderr: '' });
      expect(ok, JSON.stringify(broken)).toBe(false);
      expect(line).toContain('FAILED');
      expect(line).not.toContain('NaN');
    }
  });

  it('says "not measured" and why when PostgreSQL or the AWS CLI is missing, with no figure, and is not a failure', () => {
    const { line, ok } = describeRestore({ status: RESTORE_NOT_MEASURED, stdout: 'not measured: the AWS CLI (aws) is not on PATH\n', stderr: '' });
    expect(ok).toBe(true);
    expect(line).toMatch(/off-site restore \(RTO\), 200000 rows +not measured: the AWS CLI \(aws\) is not on PATH$/);
    expect(line).not.toMatch(/\d+ ms/);
  });

  it('fails when the round trip failed or printed no measurement, with its last error line', () => {
    const failed = describeRestore({ status: 1, stdout: '', stderr: 'rto: restore-drill.sh failed (exit 1): check failed\n' });
    expect(failed.ok).toBe(false);
    expect(failed.line).toContain('FAILED: rto: restore-drill.sh failed (exit 1): check failed');
    expect(describeRestore({ status: 0, stdout: 'no json here', stderr: '' }).ok).toBe(false);
    expect(describeRestore({ status: null, stdout: '', stderr: 'spawnSync node ETIMEDOUT' }).line).toContain('FAILED: spawnSync node ETIMEDOUT');
  });
});
