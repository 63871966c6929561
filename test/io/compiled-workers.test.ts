import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const dir = tempDir('compiled-workers');
const dist = new URL('../../dist/io/', import.meta.url);

// The published package starts the compiled worker modules (tests otherwise run them from the sources);
// `npm ci` builds dist/ (the prepare script).
describe('the compiled worker modules', () => {
  it('read and write through dist/ in a plain node process, whatever flags it was started with', () => {
    expect(existsSync(new URL('workers/read-worker.js', dist)), 'dist/ is missing: run `npm run build`').toBe(
      true,
    );
    const source = join(dir, 'source.bin');
    const target = join(dir, 'target.bin');
    writeFileSync(
      source,
      Uint8Array.from({ length: 32 }, (_, i) => i),
    );
    const script = `
      import { closeSync, openSync } from 'node:fs';
      import { BackgroundReader } from ${JSON.stringify(new URL('background-reader.js', dist).href)};
      import { BackgroundWriter } from ${JSON.stringify(new URL('background-writer.js', dist).href)};
      const reader = new BackgroundReader({ stallMs: 10000 });
      const bytes = reader.take(reader.request({ path: ${JSON.stringify(source)}, offset: 4, length: 6 }));
      reader.close();
      const fd = openSync(${JSON.stringify(target)}, 'w');
      const writer = new BackgroundWriter(${JSON.stringify(target)}, fd);
      writer.write(bytes, 1);
      writer.drain();
      writer.close();
      closeSync(fd);`;
    execFileSync(process.execPath, ['--input-type=module', '--eval', script], { timeout: 30_000 });
    expect([...readFileSync(target)]).toEqual([0, 4, 5, 6, 7, 8, 9]);
  });
});
