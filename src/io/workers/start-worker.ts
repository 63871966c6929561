/**
 * Starts one of the worker modules of this folder. The published package runs the compiled `.js` beside
 * this file; run from the TypeScript sources (tests, `tsx` scripts), where worker threads do not inherit
 * the loader of the main thread, a small entry module loads the `.ts` through tsx.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export type WorkerModule = 'read-worker' | 'write-worker';

/** The worker gets no flags of this process (`--input-type`, `--eval` and the like would stop it). */
export function startWorker(module: WorkerModule, options: WorkerOptions & { workerData: object }): Worker {
  const compiled = new URL(`./${module}.js`, import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { ...options, execArgv: [] });
  const source = new URL(`./${module}.ts`, import.meta.url).href;
  return new Worker(new URL('./ts-source-entry.mjs', import.meta.url), {
    ...options,
    execArgv: [],
    workerData: { ...options.workerData, source },
  });
}
