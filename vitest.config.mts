import * as path from 'node:path';
import { defineConfig } from 'vitest/config';

// kubectl unpacked by scripts/setup-system.sh where the machine has none recent enough.
process.env.PATH = `${path.join(import.meta.dirname, '.tools', 'bin')}${path.delimiter}${process.env.PATH ?? ''}`;

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
    // A test never passes by being skipped or singled out.
    allowOnly: false,
    passWithNoTests: false,
  },
});
