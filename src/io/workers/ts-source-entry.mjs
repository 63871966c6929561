// Runs a worker's TypeScript source (workerData.source) when wemoe runs from src/ rather than dist/.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.source, import.meta.url);
