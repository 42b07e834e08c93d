/**
 * `npm run bench`: in one run, the median wall time of `npm run synth`, of `kubectl kustomize` over
 * the same output, of the stock cdk8s flow (the same app under ts-node, which type-checks as it
 * loads), and of rendering 20 environments against 2, as ratios against the product's targets.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { environmentDirs } from './inspect/dist';

export interface BenchOptions {
  /** Repository root (holds main.ts, environments/ and node_modules/). */
  readonly root: string;
  /** Timed runs per measurement; the median is reported. */
  readonly runs: number;
  /** Receives each line as soon as its phase is measured. */
  readonly print: (line: string) => void;
}

interface Measurement {
  readonly label: string;
  readonly medianMs: number;
}

/** The median of the samples (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a command `runs` times (after one untimed warm-up) and returns the median wall time. */
function measure(label: string, runs: number, command: string, args: readonly string[], cwd: string): Measurement {
  const once = () => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status !== 0) throw new Error(`${label}: ${command} ${args.join(' ')} exited ${String(result.status)}: ${result.error?.message ?? result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return ms;
  };
  once();
  const samples = Array.from({ length: runs }, once);
  return { label, medianMs: median(samples) };
}

/** Median wall times, in ms, of what the product's performance targets compare. */
export interface BenchTimes {
  readonly synth: number;
  readonly kustomize: number;
  readonly stock: number;
  readonly twoEnvironments: number;
  readonly twentyEnvironments: number;
}

/** One target: the ratio measured, the bound, and whether it holds. */
export interface TargetCheck {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  readonly ok: boolean;
}

/**
 * The product's targets: synth within 10x of kubectl kustomize over the same output, at least 5x
 * faster than the stock cdk8s flow, and 20 environments in under twice the time of 2.
 */
export function judgeTargets(t: BenchTimes): TargetCheck[] {
  const ratio = (a: number, b: number) => a / b;
  return [
    { name: 'synth / kustomize', value: ratio(t.synth, t.kustomize), target: '<= 10', ok: ratio(t.synth, t.kustomize) <= 10 },
    { name: 'stock flow / synth', value: ratio(t.stock, t.synth), target: '>= 5', ok: ratio(t.stock, t.synth) >= 5 },
    { name: '20 envs / 2 envs', value: ratio(t.twentyEnvironments, t.twoEnvironments), target: '< 2', ok: ratio(t.twentyEnvironments, t.twoEnvironments) < 2 },
  ];
}

/**
 * `count` environments derived from staging, each with its own namespace, host and sealed values:
 * the folder of environment files and the folder of their secrets.
 */
function environments(root: string, dir: string, count: number): string[] {
  const staging = fs.readFileSync(path.join(root, 'environments', 'staging.yaml'), 'utf8');
  const sealed = fs.readFileSync(path.join(root, 'secrets', 'staging', 'sealed-values.yaml'), 'utf8');
  const envs = path.join(dir, 'environments');
  fs.mkdirSync(envs, { recursive: true });
  for (let i = 0; i < count; i++) {
    const name = `env${String(i).padStart(2, '0')}`;
    const text = staging.replace(/^namespace: .*$/m, `namespace: gravl-${name}`).replace(/^host: .*$/m, `host: ${name}.gravl.app`);
    fs.writeFileSync(path.join(envs, `${name}.yaml`), text);
    fs.mkdirSync(path.join(dir, 'secrets', name), { recursive: true });
    fs.writeFileSync(path.join(dir, 'secrets', name, 'sealed-values.yaml'), sealed.replace(/^gravl-staging:$/m, `gravl-${name}:`));
  }
  return ['--environments', envs, '--secrets', path.join(dir, 'secrets')];
}

export function runBench(options: BenchOptions): { ok: boolean } {
  const { root, runs, print } = options;
  // Beside the repository, on the file system dist/ itself lives on (a temporary folder may sit on
  // a far slower one, and synth writes hundreds of files).
  const work = fs.mkdtempSync(path.join(root, '.bench-'));
  const phase = (m: Measurement): Measurement => {
    print(`  ${m.label.padEnd(34)} ${m.medianMs.toFixed(0).padStart(6)} ms`);
    return m;
  };
  try {
    const out = path.join(work, 'dist');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const main = path.join(root, 'main.ts');
    const launcher = path.join(root, 'bin', 'gravl.cjs');
    print(`median wall time of ${runs} runs (after one warm-up) on ${os.cpus().length} cores, node ${process.version}; each line as it is measured`);

    const synth = phase(measure('npm run synth', runs, npm, ['run', '--silent', 'synth', '--', '--out', out], root));
    const kustomizeArgs = environmentDirs(out);
    const kustomize = phase(measure(`kubectl kustomize (${kustomizeArgs.length} envs)`, runs, 'sh', ['-c', kustomizeArgs.map((d) => `kubectl kustomize '${d}' >/dev/null`).join(' && ')], root));
    // The stock cdk8s flow: `cdk8s synth` running the app with `npx ts-node main.ts` (cdk8s init's
    // template), which type-checks every file as it loads it. Measured whole: its parts overlap.
    const cdk8s = path.join(root, 'node_modules', '.bin', 'cdk8s');
    const stockApp = `npx ts-node ${main} synth --out ${path.join(work, 'stock')}`;
    const stock = phase(measure('stock flow: cdk8s synth + ts-node', Math.min(runs, 3), cdk8s, ['synth', '--no-check-upgrade', '--app', stockApp, '--output', path.join(work, 'stock-cli')], root));
    const node = process.execPath;
    const two = phase(measure('render 2 environments', runs, node, [launcher, 'synth', ...environments(root, path.join(work, 'envs2'), 2), '--out', path.join(work, 'out2')], root));
    const twenty = phase(measure('render 20 environments', runs, node, [launcher, 'synth', ...environments(root, path.join(work, 'envs20'), 20), '--out', path.join(work, 'out20')], root));

    const checks = judgeTargets({ synth: synth.medianMs, kustomize: kustomize.medianMs, stock: stock.medianMs, twoEnvironments: two.medianMs, twentyEnvironments: twenty.medianMs });
    print('ratios');
    for (const c of checks) print(`  ${c.name.padEnd(34)} ${c.value.toFixed(2).padStart(6)}   target ${c.target.padEnd(6)} ${c.ok ? 'ok' : 'MISSED'}`);
    return { ok: checks.every((c) => c.ok) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
