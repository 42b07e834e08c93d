/**
 * Synth on every core: this thread and one worker thread per further core each take the next
 * environment in turn (a shared counter, so a thread that starts late or renders slowly simply
 * takes fewer), render it whole (its manifests, READINESS.md and its Argo CD files) and write its
 * files into the staged output. This thread validates every environment first, as a sequential
 * synth does, and reports the problems of all of them at once, in environment order; nothing is
 * swapped in unless every environment rendered.
 *
 * A worker runs the same compiled bundle as the command (bin/gravl.cjs), so this path is taken
 * only when the command runs from it; from TypeScript sources synth renders on one thread.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import { environmentName, loadEnvironments, type Environment, type EnvironmentSource } from '../model/load';
import { ProblemsError, type Problem } from '../model/problems';
import type { RenderedFile } from '../contract';
import { renderEnvironmentFiles, type SynthSummary } from './synth';
import { StagedOutput } from './write';

/** What a worker is handed. */
interface RenderJob {
  readonly role: typeof WORKER_ROLE;
  /** Every environment, in the order of loadEnvironments (by name). */
  readonly sources: readonly EnvironmentSource[];
  /** The staged output folder the files go to. */
  readonly staging: string;
  /** One Int32: the index of the next environment to take. */
  readonly next: SharedArrayBuffer;
}

/** What a worker reports: one message per environment it took, then `done`. */
type WorkerMessage =
  | { readonly kind: 'rendered'; readonly index: number; readonly summary: SynthSummary }
  | { readonly kind: 'problems'; readonly index: number; readonly problems: readonly Problem[] }
  | { readonly kind: 'done' }
  | { readonly kind: 'failed'; readonly message: string; readonly stack?: string };

const WORKER_ROLE = 'gravl-synth-worker';


/** Environments in the order loadEnvironments returns them. */
function byName(sources: readonly EnvironmentSource[]): EnvironmentSource[] {
  return [...sources].sort((a, b) => environmentName(a.file).localeCompare(environmentName(b.file)));
}

/** Writes files below a folder, synchronously (a worker has nothing else to do meanwhile). */
function writeFiles(root: string, files: readonly RenderedFile[]): void {
  const dirs = new Set<string>();
  for (const file of files) {
    const full = path.join(root, file.name);
    const dir = path.dirname(full);
    if (!dirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    fs.writeFileSync(full, file.content);
  }
}

/** Renders one environment into its files; its problems (a secret nobody sealed) are returned, not thrown. */
function renderOne(env: Environment): { summary: SynthSummary; files: RenderedFile[] } | { problems: readonly Problem[] } {
  const start = performance.now();
  try {
    const { files, objects } = renderEnvironmentFiles(env);
    return { files, summary: { environment: env.name, objects, files: files.filter((f) => f.name.startsWith(`${env.name}/`)).length, millis: performance.now() - start } };
  } catch (error) {
    if (error instanceof ProblemsError) return { problems: error.problems };
    throw error;
  }
}

/** The worker's side: takes environments until none is left, writing each one's files. */
export function runSynthWorker(): void {
  const job = workerData as RenderJob | undefined;
  if (parentPort === null || job?.role !== WORKER_ROLE) throw new Error('runSynthWorker: not a worker thread started by synthInParallel');
  const next = new Int32Array(job.next);
  const post = (message: WorkerMessage) => parentPort!.postMessage(message);
  try {
    for (let index = Atomics.add(next, 0, 1); index < job.sources.length; index = Atomics.add(next, 0, 1)) {
      // The main thread validated every environment; this one is loaded again from its source.
      const loaded = loadEnvironments([job.sources[index]!]);
      if (!loaded.ok) {
        post({ kind: 'problems', index, problems: loaded.problems });
        continue;
      }
      const result = renderOne(loaded.environments[0]!);
      if ('problems' in result) post({ kind: 'problems', index, problems: result.problems });
      else {
        writeFiles(job.staging, result.files);
        post({ kind: 'rendered', index, summary: result.summary });
      }
    }
    post({ kind: 'done' });
  } catch (error) {
    post({ kind: 'failed', message: error instanceof Error ? error.message : String(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) });
  }
}

/** A started worker and the promise of its end. */
interface RunningWorker {
  readonly worker: Worker;
  readonly finished: Promise<void>;
}

function startWorker(script: string, job: RenderJob, onMessage: (message: WorkerMessage) => void): RunningWorker {
  const worker = new Worker(script, { workerData: job, stdout: false, stderr: false });
  const finished = new Promise<void>((resolve, reject) => {
    let done = false;
    worker.on('message', (message: WorkerMessage) => {
      if (message.kind === 'done') done = true;
      else if (message.kind === 'failed') {
        const error = new Error(message.message);
        if (message.stack) error.stack = message.stack;
        reject(error);
      } else onMessage(message);
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (done ? resolve() : reject(new Error(`a synth worker stopped (exit code ${code}) before it finished`))));
  });
  // Handled where it is awaited; until then a rejection must not count as unhandled.
  finished.catch(() => undefined);
  return { worker, finished };
}

/**
 * Renders every environment on `threads` threads (this one and threads - 1 workers running
 * `workerScript`) and replaces outDir with the result. Throws ProblemsError on bad input.
 */
export async function synthInParallel(sources: readonly EnvironmentSource[], outDir: string, options: { readonly threads: number; readonly workerScript: string }): Promise<SynthSummary[]> {
  const ordered = byName(sources);
  const output = new StagedOutput(outDir);
  const next = new SharedArrayBuffer(4);
  const counter = new Int32Array(next);
  const summaries: SynthSummary[] = [];
  const problems: (readonly Problem[])[] = [];
  const job: RenderJob = { role: WORKER_ROLE, sources: ordered, staging: output.folder, next };
  // Started first: a worker takes a while to start, and this thread validates meanwhile.
  const workers = Array.from({ length: Math.min(options.threads, ordered.length) - 1 }, () =>
    startWorker(options.workerScript, job, (message) => {
      if (message.kind === 'rendered') summaries[message.index] = message.summary;
      else if (message.kind === 'problems') problems[message.index] = message.problems;
    }),
  );
  try {
    // In the order given, as a sequential synth reports its problems; the environments come back by name.
    const loaded = loadEnvironments(sources);
    if (!loaded.ok) throw new ProblemsError(loaded.problems);
    loaded.environments.forEach((env, i) => {
      if (env.name !== environmentName(ordered[i]!.file)) throw new Error(`environment ${i} is ${env.name}, expected ${environmentName(ordered[i]!.file)}`);
    });
    for (let index = Atomics.add(counter, 0, 1); index < ordered.length; index = Atomics.add(counter, 0, 1)) {
      const result = renderOne(loaded.environments[index]!);
      if ('problems' in result) problems[index] = result.problems;
      else {
        output.write(result.files);
        summaries[index] = result.summary;
      }
    }
    await Promise.all(workers.map((w) => w.finished));
    const all = problems.flatMap((p) => p ?? []);
    if (all.length > 0) throw new ProblemsError(all);
    await output.commit();
    return summaries;
  } catch (error) {
    // Stopped before the staged folder goes: a worker must not write into it as it is removed.
    await Promise.all(workers.map((w) => w.worker.terminate()));
    await output.abort();
    throw error;
  }
}
