import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // onnxruntime-node is a native addon: separate processes are the safe pool.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
