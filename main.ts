/**
 * The one entry point of the process: the commands themselves are runCli (lib/cli/main.ts), given
 * this process's command line, working folder, environment and streams; what belongs to the process
 * alone is here: a reader of the output that closes early, the peak memory `npm run bench` asks for,
 * the exit code, and the worker threads of a parallel synth.
 */
import * as fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { runCli, userFolder } from './lib/cli/main';

/**
 * `npm run -s diff | head -1`: a reader that stops early is no error. Later output is dropped, and
 * the command still finishes with the exit code its result calls for.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stream.write = (() => true) as typeof stream.write;
    });
  }
}

/** For `npm run bench`: the process's peak resident memory (KiB), written where GRAVL_PEAK_RSS_FILE says at exit. */
function reportPeakMemory(): void {
  const file = process.env.GRAVL_PEAK_RSS_FILE;
  if (file) process.on('exit', () => fs.writeFileSync(file, String(process.resourceUsage().maxRSS)));
}

async function main(): Promise<void> {
  endQuietlyOnClosedPipe();
  reportPeakMemory();
  const argv = process.argv.slice(2);
  process.exitCode = await runCli(argv, {
    cwd: userFolder(argv, process.cwd(), process.env),
    env: process.env,
    // Each through the stream's write as it is then (endQuietlyOnClosedPipe may replace it).
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stdin: () => fs.readFileSync(0),
    stderrColors: process.stderr.isTTY === true && process.stderr.hasColors(),
  });
}

// The only worker threads are those of a parallel synth, running this bundle: they render, they read no command line.
if (isMainThread) void main();
else (require('./lib/render/parallel') as typeof import('./lib/render/parallel')).runSynthWorker();
