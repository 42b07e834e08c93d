/**
 * `npm run bench`: in one run, the median wall time of `npm run synth`, of `kubectl kustomize` over
 * the same output, of `npm run diff` and `npm run readiness`, of the stock cdk8s flow (the same app
 * under ts-node, which type-checks as it loads), of rendering 2, 20 and 100 environments and their
 * peak memory, and of `npm test` once, against the product's targets; the phases of one
 * environment's render, timed warm in this process; the cdk8s floor, what one more environment
 * costs a generator that does only the cdk8s part of this output (scripts/cdk8s-floor.cjs); and
 * the restore time (RTO) of the off-site backup copy that docs/backups.md quotes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { READINESS_FILE, type KubeObject } from '../contract';
import { loadEnvironments, type Environment, type EnvironmentSource } from '../model/load';
import { ProblemsError } from '../model/problems';
import { renderEnvironment } from '../render/render';
import { withReadiness } from '../render/synth';
import { environmentDirs } from '../review/inspect/dist';
import { GravlEnvironment } from '../system/gravl';

export interface BenchOptions {
  /** Repository root (holds main.ts, environments/ and node_modules/). */
  readonly root: string;
  /** Timed runs per measurement; the median is reported. */
  readonly runs: number;
  /** Receives each line as soon as its phase is measured. */
  readonly print: (line: string) => void;
  /** Also time `npm test` once. @default false */
  readonly tests?: boolean;
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

/**
 * The machine's one-minute load average against its cores, and whether it was busy: on a busy
 * machine the wall times include waiting for a core, and a ratio says little.
 */
export function describeLoad(load: number, cores: number): string {
  return `load average ${load.toFixed(2)} on ${cores} cores${load > cores / 2 ? ' (busy: other processes ran; the times include waiting for a core)' : ''}`;
}

/** The machine's CPU time in ticks, all of it and what the host took (steal), from the first line of /proc/stat; undefined where it cannot be read. */
export function cpuTicks(procStat?: string): { total: number; steal: number } | undefined {
  let text = procStat;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/stat', 'utf8');
    } catch {
      return undefined;
    }
  }
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const fields = /^cpu\s+(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number);
  if (!fields || fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7]! };
}

/**
 * The share of the machine's CPU time the host took between two readings (a virtual machine's
 * steal): above 2%, each time measured meanwhile is slower than the same work on an idle host.
 */
export function describeSteal(start: { total: number; steal: number } | undefined, end: { total: number; steal: number } | undefined): string {
  if (!start || !end || end.total <= start.total) return 'host steal: not measured (no /proc/stat)';
  const share = (100 * (end.steal - start.steal)) / (end.total - start.total);
  return `host steal: ${share.toFixed(1)}% of the CPU time during the run${share > 2 ? ' (the host ran other work on these cores: every time above is slower than on an idle host)' : ''}`;
}

/** Runs a command `runs` times (after one untimed warm-up, unless told not to) and returns the median wall time. */
function measure(label: string, runs: number, command: string, args: readonly string[], cwd: string, okCodes: readonly number[] = [0], warmUp = true): Measurement {
  const once = () => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (result.status === null || !okCodes.includes(result.status)) throw new Error(`${label}: ${command} ${args.join(' ')} exited ${String(result.status)}: ${result.error?.message ?? result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return ms;
  };
  if (warmUp) once();
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
  /** `npm run diff` and `npm run readiness` with nothing to change or judge beyond the committed output. */
  readonly diff: number;
  readonly readiness: number;
  /** `npm test`, once; undefined when the run skipped it. */
  readonly test?: number;
}

/**
 * The time of rendering n environments, split as start + n x each: the fixed part (node, the
 * bundle, the first environment's cold code) and what one more environment costs, from the runs of
 * 2 and 20. The 20/2 target (< 1.5x) holds only while an environment costs less than the fixed
 * part / 34: (start + 20e) < 1.5 (start + 2e) <=> 17e < start / 2.
 */
export function scaleModel(twoEnvironments: number, twentyEnvironments: number): { start: number; each: number; eachWithinTarget: number } {
  const each = (twentyEnvironments - twoEnvironments) / 18;
  const start = twoEnvironments - 2 * each;
  return { start, each, eachWithinTarget: start / 34 };
}

/** Where one environment's render goes, warm: median milliseconds of each phase (see environmentCost). */
export interface EnvironmentCost {
  /** Objects the environment applies. */
  readonly objects: number;
  /** The construct tree built and its objects serialised by cdk8s (validated, in apply order). */
  readonly model: number;
  /** The manifests and the kustomization written as YAML. */
  readonly yaml: number;
  /** READINESS.md: the go/no-go matrix judged and written. */
  readonly readiness: number;
  /** Characters of YAML and of READINESS.md one round writes (the same text synth writes). */
  readonly yamlChars: number;
  readonly readinessChars: number;
  /** Rounds timed. */
  readonly rounds: number;
}

/** One environment loaded from its source; throws ProblemsError when the loader refuses it. */
function loadOne(source: EnvironmentSource): Environment {
  const loaded = loadEnvironments([source]);
  if (!loaded.ok) throw new ProblemsError(loaded.problems);
  return loaded.environments[0]!;
}

/**
 * The phases of one environment's render as synth runs them, timed in this process: the construct
 * tree built and its objects serialised by cdk8s, the YAML of its manifests, its READINESS.md (the
 * files are not written). `warmUp` untimed rounds first, then the median of `rounds`. Throws
 * ProblemsError when the environment is invalid.
 */
export function environmentCost(source: EnvironmentSource, rounds: number, warmUp = 3): EnvironmentCost {
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`environmentCost: found ${rounds} rounds, expected a whole number of at least 1`);
  const env = loadOne(source);
  const samples = { model: [] as number[], yaml: [] as number[], readiness: [] as number[] };
  let last = { objects: 0, yamlChars: 0, readinessChars: 0 };
  for (let round = 0; round < warmUp + rounds; round++) {
    const t0 = performance.now();
    const rendered = renderEnvironment(env.name, new GravlEnvironment(env).app, env.file);
    const t1 = performance.now();
    const yamlChars = rendered.files.reduce((n, f) => n + f.content.length, 0);
    const t2 = performance.now();
    const readinessChars = withReadiness(rendered).files.find((f) => f.name === READINESS_FILE)!.content.length;
    const t3 = performance.now();
    last = { objects: rendered.objects.length, yamlChars, readinessChars };
    if (round < warmUp) continue;
    samples.model.push(t1 - t0);
    samples.yaml.push(t2 - t1);
    samples.readiness.push(t3 - t2);
  }
  return { ...last, model: median(samples.model), yaml: median(samples.yaml), readiness: median(samples.readiness), rounds: samples.model.length };
}

/**
 * The bench's `each environment:` line: the phases of one environment against what the 20/2 target
 * allows an environment at the start measured, and that allowance as CPU time when every core
 * renders and nothing is lost to starting them.
 */
export function describeEnvironmentCost(cost: EnvironmentCost, eachWithinTarget: number, cores: number): string {
  const total = cost.model + cost.yaml + cost.readiness;
  return (
    `each environment (${cost.objects} objects), warm, median of ${cost.rounds} in this process: ` +
    `cdk8s model ${cost.model.toFixed(1)} ms (constructs built, objects serialised), YAML ${cost.yaml.toFixed(1)} ms, READINESS.md ${cost.readiness.toFixed(1)} ms: ${total.toFixed(1)} ms of CPU; ` +
    `20 envs < 1.5x 2 envs allows ${eachWithinTarget.toFixed(1)} ms an environment, ${(eachWithinTarget * cores).toFixed(1)} ms of CPU on ${cores} cores with none lost`
  );
}

/** One target: the figure measured, the bound, and whether it holds. */
export interface TargetCheck {
  readonly name: string;
  readonly value: number;
  readonly unit: 'x' | 's';
  readonly target: string;
  readonly ok: boolean;
}

/**
 * The product's targets (PRODUCT.md, Performance): synth within 2x of kubectl kustomize over the
 * same output, at least 5x faster than the stock cdk8s flow, 20 environments under 1.5x the time
 * of 2, diff and readiness under a second, npm test under 30 s.
 */
export function judgeTargets(t: BenchTimes): TargetCheck[] {
  const checks: TargetCheck[] = [
    { name: 'synth / kustomize', value: t.synth / t.kustomize, unit: 'x', target: '<= 2', ok: t.synth / t.kustomize <= 2 },
    { name: 'stock flow / synth', value: t.stock / t.synth, unit: 'x', target: '>= 5', ok: t.stock / t.synth >= 5 },
    { name: '20 envs / 2 envs', value: t.twentyEnvironments / t.twoEnvironments, unit: 'x', target: '< 1.5', ok: t.twentyEnvironments / t.twoEnvironments < 1.5 },
    { name: 'npm run diff', value: t.diff / 1000, unit: 's', target: '< 1', ok: t.diff < 1000 },
    { name: 'npm run readiness', value: t.readiness / 1000, unit: 's', target: '< 1', ok: t.readiness < 1000 },
  ];
  if (t.test !== undefined) checks.push({ name: 'npm test', value: t.test / 1000, unit: 's', target: '< 30', ok: t.test < 30_000 });
  return checks;
}

/** The name of the bench's i-th environment. */
const benchEnvironment = (i: number): string => `env${String(i).padStart(2, '0')}`;

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
    const name = benchEnvironment(i);
    // Its own namespace everywhere staging's is named (the namespace, its Gateway's proxies, its alert channel).
    const text = staging.replaceAll('gravl-staging', `gravl-${name}`).replace(/^host: .*$/m, `host: ${name}.gravl.app`);
    fs.writeFileSync(path.join(envs, `${name}.yaml`), text);
    fs.mkdirSync(path.join(dir, 'secrets', name), { recursive: true });
    fs.writeFileSync(path.join(dir, 'secrets', name, 'sealed-values.yaml'), sealed.replace(/^gravl-staging:$/m, `gravl-${name}:`));
  }
  return ['--environments', envs, '--secrets', path.join(dir, 'secrets')];
}

/** The bench's environment `name` as `environments` wrote it into `dir`: its file and sealed values. */
function benchSource(dir: string, name: string): EnvironmentSource {
  const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  const file = path.join(dir, 'environments', `${name}.yaml`);
  const sealed = path.join(dir, 'secrets', name, 'sealed-values.yaml');
  const text = read(file);
  if (text === undefined) throw new Error(`${file} is missing`);
  return { file, text, sealedValues: { file: sealed, text: read(sealed) } };
}

/** Why a line was not measured: the loader's problems, or the error's message. */
function whyNot(error: unknown): string {
  return error instanceof ProblemsError ? error.problems.map((p) => p.message).join('; ') : (error as Error).message;
}

/**
 * The `each environment:` line for the bench's environment `name` (written by `environments` into
 * `dir`), or why it was not measured: the run goes on to the restore, npm test and the targets.
 */
function environmentCostLine(dir: string, name: string, eachWithinTarget: number): string {
  try {
    const cost = environmentCost(benchSource(dir, name), 20);
    return describeEnvironmentCost(cost, eachWithinTarget, os.availableParallelism());
  } catch (error) {
    return `each environment: not measured (${whyNot(error)})`;
  }
}

/** The objects one environment applies, rendered in this process (the input of the cdk8s floor). */
export function renderedObjects(source: EnvironmentSource): KubeObject[] {
  const env = loadOne(source);
  return [...renderEnvironment(env.name, new GravlEnvironment(env).app, env.file).objects];
}

/** Wall times, in ms (medians of fresh runs), of scripts/cdk8s-floor.cjs for 2 and 20 environments. */
export interface FloorRuns {
  readonly two: number;
  readonly twenty: number;
}

/** The cdk8s floor's runs on one thread and on two (a worker thread's start is in both of its runs). */
export interface FloorTimes {
  /** Objects an environment. */
  readonly objects: number;
  readonly oneThread: FloorRuns;
  readonly twoThreads: FloorRuns;
}

/**
 * The bench's `cdk8s floor:` line: what one more environment costs a generator that does only the
 * least of this output's work (scripts/cdk8s-floor.cjs), on one thread and on two, against what
 * the 20/2 target allows an environment, at synth's start, for everything synth does.
 */
export function describeFloor(t: FloorTimes, eachWithinTarget: number): string {
  const runs = (r: FloorRuns, threads: string) => `${((r.twenty - r.two) / 18).toFixed(1)} ms on ${threads} (${r.two.toFixed(0)} / ${r.twenty.toFixed(0)} ms)`;
  return (
    `cdk8s floor (${t.objects} objects an environment parsed from JSON, made plain cdk8s ApiObjects, serialised by cdk8s, written as JSON; no typed construct, validation, YAML or READINESS.md): ` +
    `one more environment ${runs(t.oneThread, '1 thread')}, ${runs(t.twoThreads, '2')}, from fresh runs of 2 / 20 environments; ` +
    `20 envs < 1.5x 2 envs allows ${eachWithinTarget.toFixed(1)} ms an environment at synth's start, for all synth does`
  );
}

/**
 * The `cdk8s floor:` line for the bench's environment `name`: its rendered objects handed to
 * scripts/cdk8s-floor.cjs, timed for 2 and 20 environments on one thread and on two; or why it
 * was not measured.
 */
function floorLine(root: string, dir: string, name: string, runs: number, eachWithinTarget: number): string {
  try {
    const script = path.join(root, 'scripts', 'cdk8s-floor.cjs');
    if (!fs.existsSync(script)) throw new Error(`${script} is missing`);
    const objects = renderedObjects(benchSource(dir, name));
    const file = path.join(dir, 'floor-objects.json');
    fs.writeFileSync(file, JSON.stringify(objects));
    const time = (count: number, threads: number) =>
      measure(`cdk8s floor ${count}/${threads}`, runs, process.execPath, [script, '--objects', file, '--name', name, '--count', String(count), '--threads', String(threads), '--out', path.join(dir, `floor-${count}-${threads}`)], root).medianMs;
    const on = (threads: number): FloorRuns => ({ two: time(2, threads), twenty: time(20, threads) });
    return describeFloor({ objects: objects.length, oneThread: on(1), twoThreads: on(2) }, eachWithinTarget);
  } catch (error) {
    return `cdk8s floor: not measured (${whyNot(error)})`;
  }
}

/** Peak resident memory, in MiB, of one run of the launcher (it reports its own through GRAVL_PEAK_RSS_FILE). */
function peakRss(root: string, args: readonly string[]): number {
  const file = path.join(os.tmpdir(), `gravl-rss-${process.pid}-${Date.now()}`);
  try {
    const result = spawnSync(process.execPath, [path.join(root, 'bin', 'gravl.cjs'), ...args], { cwd: root, stdio: 'ignore', env: { ...process.env, GRAVL_PEAK_RSS_FILE: file } });
    if (result.status !== 0) throw new Error(`peak memory: gravl ${args.join(' ')} exited ${String(result.status)}`);
    return Number(fs.readFileSync(file, 'utf8')) / 1024;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** Rows of the database whose off-site restore the bench times (the figure docs/backups.md quotes). */
export const RESTORE_ROWS = 200_000;
/** Exit code of test/support/rto.ts when PostgreSQL or the AWS CLI is missing and nothing was measured. */
export const RESTORE_NOT_MEASURED = 3;

/**
 * The line of the restore-time phase, from the run of test/support/rto.ts: the median time of the
 * off-site restore with the database and dump sizes; `not measured: <why>` when a tool is missing
 * (a figure that was not measured is never printed); a failed round trip is not ok.
 */
export function describeRestore(run: { status: number | null; stdout: string; stderr: string }): { line: string; ok: boolean } {
  const label = `off-site restore (RTO), ${RESTORE_ROWS} rows`.padEnd(34);
  const lastLine = (text: string) => text.trim().split('\n').pop() ?? '';
  if (run.status === RESTORE_NOT_MEASURED) return { line: `  ${label} not measured: ${lastLine(run.stdout).replace(/^not measured: /, '')}`, ok: true };
  if (run.status === 0) {
    try {
      const r = JSON.parse(lastLine(run.stdout)) as { rows: unknown; databaseBytes: unknown; dumpBytes: unknown; seconds: unknown; medianSeconds: unknown; filesystem: unknown };
      const sizes = [r.databaseBytes, r.dumpBytes];
      if (r.rows === RESTORE_ROWS && typeof r.medianSeconds === 'number' && Array.isArray(r.seconds) && sizes.every((b) => typeof b === 'number' && b > 0) && typeof r.filesystem === 'string') {
        const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
        const ms = (r.medianSeconds * 1000).toFixed(0).padStart(6);
        return { line: `  ${label} ${ms} ms  (median of ${r.seconds.length}; database ${mib(r.databaseBytes as number)} MiB, dump ${mib(r.dumpBytes as number)} MiB, on ${r.filesystem}; fetch, verify, restore, check every row)`, ok: true };
      }
    } catch {
      // Not the JSON line: reported below as a failure.
    }
  }
  const why = lastLine(run.stderr) || lastLine(run.stdout) || `exit ${String(run.status)}`;
  return { line: `  ${label} FAILED: ${why}`, ok: false };
}

/**
 * Times the off-site restore of a database of RESTORE_ROWS rows: test/support/rto.ts, the round
 * trip the suite proves on a small database (backup.sh, upload.sh, fetch-offsite.sh,
 * restore-drill.sh against a real PostgreSQL server and S3 API), with the median of `runs` restores.
 */
function measureRestore(root: string, runs: number, dir: string): { line: string; ok: boolean } {
  const script = path.join(root, 'test', 'support', 'rto.ts');
  if (!fs.existsSync(script)) return describeRestore({ status: RESTORE_NOT_MEASURED, stdout: `not measured: ${script} is missing (it ships with the tests)`, stderr: '' });
  if (!fs.existsSync(path.join(root, 'node_modules', 'tsx'))) return describeRestore({ status: RESTORE_NOT_MEASURED, stdout: 'not measured: tsx (a dev dependency) is not installed: run npm ci', stderr: '' });
  const result = spawnSync(process.execPath, ['--import', 'tsx', script, '--rows', String(RESTORE_ROWS), '--runs', String(runs), '--dir', dir], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });
  return describeRestore({ status: result.status, stdout: result.stdout ?? '', stderr: result.error ? result.error.message : (result.stderr ?? '') });
}

export function runBench(options: BenchOptions): { ok: boolean } {
  const { root, runs, print } = options;
  // Beside the repository, on the file system dist/ itself lives on (a temporary folder may sit on
  // a far slower one, and synth writes hundreds of files).
  const work = fs.mkdtempSync(path.join(root, '.bench-'));
  // The restore-time phase's PostgreSQL server runs as its own user (when the bench runs as root)
  // and keeps its files below: it must be able to pass through (not to list).
  fs.chmodSync(work, 0o711);
  const phase = (m: Measurement): Measurement => {
    print(`  ${m.label.padEnd(34)} ${m.medianMs.toFixed(0).padStart(6)} ms`);
    return m;
  };
  try {
    const out = path.join(work, 'dist');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const main = path.join(root, 'main.ts');
    const launcher = path.join(root, 'bin', 'gravl.cjs');
    const node = process.execPath;
    print(`median wall time of ${runs} runs (after one warm-up) on ${os.cpus().length} cores, node ${process.version}; each line as it is measured`);
    print(`at the start: ${describeLoad(os.loadavg()[0]!, os.cpus().length)}`);
    const ticks = cpuTicks();

    const synth = phase(measure('npm run synth', runs, npm, ['run', '--silent', 'synth', '--', '--out', out], root));
    const kustomizeArgs = environmentDirs(out);
    // kubectl as the tests find it: .tools/bin first (scripts/setup-system.sh unpacks one there where the machine has none).
    const kubectl = fs.existsSync(path.join(root, '.tools', 'bin', 'kubectl')) ? path.join(root, '.tools', 'bin', 'kubectl') : 'kubectl';
    const kustomize = phase(measure(`kubectl kustomize (${kustomizeArgs.length} envs)`, runs, 'sh', ['-c', kustomizeArgs.map((d) => `'${kubectl}' kustomize '${d}' >/dev/null`).join(' && ')], root));
    const diff = phase(measure('npm run diff (no change)', runs, npm, ['run', '--silent', 'diff', '--', '--dist', out], root));
    // readiness exits 1 (NO-GO) or 3 (READY) on the committed output: its verdict, not a failure.
    const readiness = phase(measure('npm run readiness', runs, npm, ['run', '--silent', 'readiness', '--', out], root, [0, 1, 3]));
    // The stock cdk8s flow: `cdk8s synth` running the app with `npx ts-node main.ts` (cdk8s init's
    // template), which type-checks every file as it loads it. Measured whole: its parts overlap.
    const cdk8s = path.join(root, 'node_modules', '.bin', 'cdk8s');
    const stockApp = `npx ts-node ${main} synth --out ${path.join(work, 'stock')}`;
    const stock = phase(measure('stock flow: cdk8s synth + ts-node', Math.min(runs, 3), cdk8s, ['synth', '--no-check-upgrade', '--app', stockApp, '--output', path.join(work, 'stock-cli')], root));
    const envsOf = (count: number) => path.join(work, `envs${count}`);
    const scale = (count: number) => environments(root, envsOf(count), count);
    const sized = [2, 20, 100].map((count) => ({ count, args: [...scale(count), '--out', path.join(work, `out${count}`)] }));
    const [two, twenty, hundred] = sized.map(({ count, args }) => phase(measure(`render ${count} environments`, count === 100 ? Math.min(runs, 3) : runs, node, [launcher, 'synth', ...args], root)));
    print('peak memory (resident) of synth');
    for (const { count, args } of sized) print(`  ${`${count} environments`.padEnd(34)} ${peakRss(root, ['synth', ...args]).toFixed(0).padStart(6)} MiB`);
    const model = scaleModel(two!.medianMs, twenty!.medianMs);
    print(`  (100 environments: ${(hundred!.medianMs / 100).toFixed(0)} ms each)`);
    print(`scale: n environments take ${model.start.toFixed(0)} ms + n x ${model.each.toFixed(1)} ms; 20 envs < 1.5x 2 envs needs under ${model.eachWithinTarget.toFixed(1)} ms an environment at this start`);
    print(environmentCostLine(envsOf(2), benchEnvironment(0), model.eachWithinTarget));
    print(floorLine(root, envsOf(2), benchEnvironment(0), runs, model.eachWithinTarget));
    print('restore time (RTO) of the off-site copy (docs/backups.md)');
    const restore = measureRestore(root, Math.min(runs, 3), work);
    print(restore.line);
    const test = options.tests ? phase(measure('npm test (once)', 1, npm, ['test', '--silent'], root, [0], false)) : undefined;

    const checks = judgeTargets({
      synth: synth.medianMs, kustomize: kustomize.medianMs, stock: stock.medianMs, twoEnvironments: two!.medianMs, twentyEnvironments: twenty!.medianMs,
      diff: diff.medianMs, readiness: readiness.medianMs, ...(test ? { test: test.medianMs } : {}),
    });
    print(`at the end: ${describeLoad(os.loadavg()[0]!, os.cpus().length)}; ${describeSteal(ticks, cpuTicks())}`);
    print('targets');
    for (const c of checks) print(`  ${c.name.padEnd(34)} ${c.value.toFixed(2).padStart(6)} ${c.unit}  target ${c.target.padEnd(6)} ${c.ok ? 'PASS' : 'FAIL'}`);
    if (!test) print('  npm test                           not measured (--no-tests)');
    if (!restore.ok) print('  the off-site restore failed (above): fix it before quoting any figure');
    return { ok: checks.every((c) => c.ok) && restore.ok };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
