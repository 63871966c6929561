import { defineConfig } from 'vitest/config';
import { SYSTEM_DEPENDENCIES, systemDependencyNames, systemDependencyTag } from './src/util/system-deps.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // onnxruntime-node is a native addon: separate processes are the safe pool.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests that need Debian packages carry one of these tags (test/support/system-deps.ts).
    tags: systemDependencyNames().map((name) => ({
      name: systemDependencyTag(name),
      description: `needs ${SYSTEM_DEPENDENCIES[name].packages.join(' ')}`,
    })),
  },
});
