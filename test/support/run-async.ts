/**
 * A program run asynchronously, its output collected: so that the runs of a test overlap, and a
 * server the caller started in this process (s3rver) keeps answering. No import of vitest here:
 * test/support/rto.ts runs the same round trip outside the suite.
 */
import { spawn } from 'node:child_process';

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file` with no standard input; in `env` when given (whole: nothing of this process's is added), from `cwd` when given. */
export function runAsync(file: string, args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.env ? { env: options.env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
