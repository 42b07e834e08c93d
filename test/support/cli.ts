/**
 * Runs the project's commands as a user would: `runMain` in this process, `runSpawned` in a child
 * process; both give the exit code and the output.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { runCli } from '../../lib/cli/main';
import { ROOT } from './render';
import { runAsync as runProgram, type Run } from './run-async';

export type { Run };

/** Where a command runs (default: the repository root), extra environment variables, its standard input. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string;
  /** runMain only: the project the command is of (io.root), when not this one. */
  readonly root?: string;
  /** runMain only: the launcher's content key of the code running (io.generatorKey; see {@link sourcesKey}). */
  readonly generatorKey?: string;
}

/**
 * A command line run in this process through runCli (lib/cli/main.ts), the function main.ts runs:
 * the same parsing, commands, output and exit code, without a process to start (node, the bundle
 * and a cold compiler: up to most of a second of CPU a run, and the suite made over a hundred).
 * It shares the test's modules, already loaded and compiled, and leaves no state behind (no exit
 * code, listener or environment variable), as test files share their worker (vitest.config.mts).
 *
 * Why both: what only a real process shows is tested with runSpawned: the launcher rebuilding its
 * bundle, the worker threads of a parallel synth, a pipe that closes early, standard input, main.ts's
 * own wiring (test/cli/run-cli.test.ts: the same status and output both ways), and each command once
 * end to end.
 */
export async function runMain(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stdin: () => Buffer.from(options.input ?? '', 'utf8'),
    ...(options.root ? { root: options.root } : {}),
    ...(options.generatorKey ? { generatorKey: options.generatorKey } : {}),
  });
  return { status, stdout, stderr };
}

/**
 * The launcher's content key of the project's sources as they are: the key of the code runMain
 * runs, which vitest loaded from those sources (no test edits them). `node bin/gravl.cjs
 * --build-only` makes the project's bundle current; its stamp records the key.
 */
export function sourcesKey(): string {
  const built = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'gravl.cjs'), '--build-only'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (built.status !== 0) throw new Error(`node bin/gravl.cjs --build-only failed:\n${built.stderr}`);
  const { key } = JSON.parse(fs.readFileSync(path.join(ROOT, '.build', 'stamp.json'), 'utf8')) as { key?: string };
  if (!key) throw new Error('.build/stamp.json records no key: the sources changed while the bundle was built');
  return key;
}

/** `node bin/gravl.cjs <args>` (as the npm scripts run it) in a child process, from the repository root unless `cwd` says. */
export function runSpawned(args: readonly string[], options: RunOptions = {}): Run {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'gravl.cjs'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A program run asynchronously (test/support/run-async.ts), from the repository root. */
export function runAsync(file: string, args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return runProgram(file, args, { cwd: ROOT, ...options });
}

/** A fresh temporary folder, removed by the caller's afterEach/afterAll through `cleanup`. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gravl-${prefix}-`));
}

/**
 * The temporary folders of one test file, removed after its tests: `make(prefix)` creates one,
 * `push(dir)` adopts one made otherwise. Call it at the top of the file.
 */
export function removedAfterAll(): { make(prefix: string): string; push(dir: string): void } {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    make: (prefix) => {
      const dir = tempDir(prefix);
      dirs.push(dir);
      return dir;
    },
    push: (dir) => void dirs.push(dir),
  };
}

/** Every file under a folder with the sha256 of its bytes, for comparing trees exactly. */
export function treeDigest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) visit(rel);
      else out[rel] = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, rel))).digest('hex');
    }
  };
  visit('');
  return out;
}
