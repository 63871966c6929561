/**
 * The layers of src/ import downwards only: a file may import from its own folder or from a folder lower
 * in LAYERS. A new top-level folder must be placed in LAYERS before its files may import anything.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Bottom to top; folders in one entry are one layer (they may import each other). */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'util'],
  ['tensor'],
  ['io'],
  ['data'],
  ['graph'],
  ['runtime'],
  ['models'],
  ['merge'],
  ['optim', 'tta'],
  ['adapt'],
  ['methods'],
  ['eval'],
  ['export'],
  ['config'],
  ['demo'],
  ['cli'],
  ['index.ts'],
];

const SRC = resolve(import.meta.dirname, '..', 'src');

/** The layer of a path relative to src/ (its first segment), or -1 for a folder LAYERS does not list. */
function layerOf(path: string): number {
  const top = path.split('/')[0];
  return LAYERS.findIndex((layer) => layer.includes(top));
}

/** The relative imports of a TypeScript source (static, `export … from` and dynamic `import()`). */
function relativeImports(source: string): string[] {
  const pattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
  return [...source.matchAll(pattern)].map((m) => m[1]);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** "file -> import (why)" for every import in src/ that goes up the layers or leaves them. */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file);
    const fromLayer = layerOf(from);
    if (fromLayer < 0) {
      found.push(`${from}: its folder is not in LAYERS`);
      continue;
    }
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const to = relative(SRC, resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
      const toLayer = layerOf(to);
      if (to.startsWith('..')) found.push(`${from} -> ${spec} (outside src/)`);
      else if (toLayer < 0) found.push(`${from} -> ${to} (a folder not in LAYERS)`);
      else if (toLayer > fromLayer) found.push(`${from} -> ${to} (goes up: ${LAYERS[toLayer].join('/')})`);
    }
  }
  return found;
}

describe('layers', () => {
  it('reads imports of every form, and ranks files by their top folder', () => {
    const source = [
      "import { a } from './a.js';",
      "import type { B } from '../models/b.js';",
      "export { c } from '../../c.js';",
      "import './side-effect.js';",
      "const d = await import('../d.js');",
      "import { z } from 'zod';",
    ].join('\n');
    expect(relativeImports(source)).toEqual([
      './a.js',
      '../models/b.js',
      '../../c.js',
      './side-effect.js',
      '../d.js',
    ]);
    expect(layerOf('errors.ts')).toBe(0);
    expect(layerOf('merge/stream.ts')).toBeLessThan(layerOf('tta/loop.ts'));
    expect(layerOf('optim/adam.ts')).toBe(layerOf('tta/loop.ts'));
    expect(layerOf('adapt/wemoe.ts')).toBeLessThan(layerOf('methods/registry.ts'));
    expect(layerOf('nowhere/x.ts')).toBe(-1);
  });

  it('every import in src/ goes down the layers (or stays in its folder)', () => {
    expect(violations()).toEqual([]);
  });
});
