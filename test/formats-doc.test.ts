/** docs/formats.md documents every registered merge method and every one of its parameters. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { getMethod, methodNames } from '../src/methods/registry.js';

const formats = readFileSync(join(resolve(import.meta.dirname, '..'), 'docs', 'formats.md'), 'utf8');

/** The text of the section under `heading` (up to the next heading of the same or a higher level). */
function section(heading: string): string {
  const start = formats.indexOf(`\n${heading}\n`);
  expect(start, `docs/formats.md: no heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.split(' ')[0];
  const rest = formats.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

describe('docs/formats.md', () => {
  const parameters = section('### Method parameters');
  const mergeConfig = section('## Merge config');

  for (const name of methodNames()) {
    it(`names method ${name} and documents each of its parameters`, () => {
      expect(mergeConfig).toContain(`\`${name}\``);
      expect(parameters).toContain(`\`${name}\``);
      const keys = Object.keys((getMethod(name).params as z.ZodObject).shape);
      const undocumented = keys.filter((key) => !parameters.includes(`\`${key}\``));
      expect(undocumented).toEqual([]);
    });
  }
});
