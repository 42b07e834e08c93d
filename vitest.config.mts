import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// kubectl unpacked by scripts/setup-system.sh where the machine has none recent enough.
process.env.PATH = `${path.join(import.meta.dirname, '.tools', 'bin')}${path.delimiter}${process.env.PATH ?? ''}`;

/**
 * The tests' temporary folder (os.tmpdir(), for the test files, the commands they run and every
 * child process) in memory where the machine has a tmpfs with room: the suite writes thousands of
 * files there, and on this project's disk their system time was a fifth of the run. One folder per
 * run (named with the run's pid), removed when it ends, and by the next run when it was killed; a
 * TMPDIR the caller set is kept.
 */
/** Folders of earlier runs that were killed before they could remove theirs (the pid in the name is gone). */
function sweepKilledRuns(): void {
  for (const name of fs.readdirSync('/dev/shm')) {
    const pid = Number(/^gravl-tests-(\d+)-/.exec(name)?.[1]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') fs.rmSync(path.join('/dev/shm', name), { recursive: true, force: true });
    }
  }
}
function memoryFolder(): string | undefined {
  try {
    const shm = fs.statfsSync('/dev/shm');
    // A tmpfs (statfs(2)'s magic number) with 2 GiB free.
    if (shm.type !== 0x01021994) return undefined;
    sweepKilledRuns();
    if (shm.bavail * shm.bsize >= 2 * 1024 ** 3) return fs.mkdtempSync(`/dev/shm/gravl-tests-${process.pid}-`);
  } catch {
    // No /dev/shm (not Linux), or not writable: the usual temporary folder.
  }
  return undefined;
}
if (!process.env.TMPDIR) {
  const memory = memoryFolder();
  if (memory) {
    // Passable by other users, as /tmp is: the tests' PostgreSQL servers run as the postgres user.
    fs.chmodSync(memory, 0o711);
    process.env.TMPDIR = memory;
    process.once('exit', () => {
      try {
        fs.rmSync(memory, { recursive: true, force: true, maxRetries: 3 });
      } catch (error) {
        // A process the tests started may still be writing there; the next run removes it.
        process.stderr.write(`could not remove the tests' temporary folder ${memory}: ${(error as Error).message}\n`);
      }
    });
  }
}

/**
 * The files that take longest (the AWS CLI against S3; promote's real git repositories; PostgreSQL),
 * started first so that neither ends the run alone on one core while the other is idle. vitest
 * orders the rest (longest first once it has timed them).
 */
const LONGEST_FIRST = ['test/system/postgres/upload.test.ts', 'test/cli/promote.test.ts', 'test/system/postgres/roles.test.ts', 'test/system/postgres/scripts.test.ts'];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(path.relative(import.meta.dirname, f.moduleId).split(path.sep).join('/'));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Test files share their worker's module cache, so the environments are rendered once per
    // worker rather than once per file. Tests never change shared state: they copy before they edit.
    pool: 'threads',
    isolate: false,
    // Both cores: many files wait on child processes (PostgreSQL, promtool, the AWS CLI, the CLI
    // itself), and vitest's default leaves one core idle.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    // A test never passes by being skipped or singled out.
    allowOnly: false,
    passWithNoTests: false,
    experimental: {
      // Transformed modules are kept between runs (node_modules/.experimental-vitest-cache, keyed
      // by content): a rerun spends no time transforming what did not change.
      fsModuleCache: true,
    },
  },
});
