/** Runs the project's commands as a user would, in a child process. */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll } from 'vitest';
import { ROOT } from './render';

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node bin/gravl.cjs <args>` (as the npm scripts run it) from the repository root. */
export function runMain(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Run {
  const result = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'gravl.cjs'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs a program asynchronously (so that the runs of a test overlap, and a server the test started
 * keeps answering), collecting its output; from the repository root, in `env` when given (whole:
 * nothing of this process's environment is added), with no standard input.
 */
export function runAsync(file: string, args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
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
