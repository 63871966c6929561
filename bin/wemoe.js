#!/usr/bin/env node
// The published entry point runs the compiled CLI (built by `npm run build`, also run by `npm ci` via `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(compiled)) {
  process.stderr.write('wemoe: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(compiled);
