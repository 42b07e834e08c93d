import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Tests that start processes or servers clean up after themselves; a test never passes by skipping.
    allowOnly: false,
    passWithNoTests: false,
  },
});
