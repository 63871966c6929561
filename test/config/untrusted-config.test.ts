import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadEvalConfig } from '../../src/config/eval-config.js';
import { loadMergeConfig, parseMergeConfig } from '../../src/config/merge-config.js';
import { parseOverride } from '../../src/config/overrides.js';
import { WemoeError } from '../../src/errors.js';
import { tempDir } from '../io/helpers.js';

const dir = tempDir('untrusted-config');

/** A billion-laughs document: each level doubles the aliases nine times over. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 9; i++) {
    const refs = Array.from({ length: 9 }, () => `*a${i - 1}`).join(', ');
    lines.push(`a${i}: &a${i} [${refs}]`);
  }
  return `${lines.join('\n')}\nmethod: ties\n`;
}

describe('untrusted config files', () => {
  it('an alias bomb ends in wemoe’s error naming the file, quickly', () => {
    const path = join(dir, 'bomb.yaml');
    writeFileSync(path, aliasBomb());
    const began = performance.now();
    for (const load of [loadMergeConfig, loadEvalConfig]) {
      expect(() => load(path)).toThrow(WemoeError);
      expect(() => load(path)).toThrow(
        `${path}: YAML not accepted: Excessive alias count indicates a resource exhaustion attack`,
      );
    }
    expect(performance.now() - began).toBeLessThan(2000);
  });

  it('a named pipe as a config is refused instead of waiting for a writer', () => {
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => loadMergeConfig(fifo)).toThrow(
      `${fifo}: expected the merge config as a regular file, found a named pipe (FIFO)`,
    );
  });

  it('`parameters:` left empty means no parameters', () => {
    const path = join(dir, 'empty-parameters.yaml');
    writeFileSync(
      path,
      'method: simple_average\nparameters:\nmodels: {pretrained: p, experts: {a: a}}\noutput: o\n',
    );
    expect(loadMergeConfig(path).parameters).toEqual({});
  });

  it('--set refuses __proto__, constructor and prototype; Object.prototype stays clean', () => {
    for (const key of ['__proto__.polluted', 'parameters.constructor.prototype.polluted', 'a.prototype']) {
      expect(() => parseOverride(`${key}=1`)).toThrow(/is not a config key/);
      const doc = { method: 'simple_average', models: { pretrained: 'p', experts: { a: 'a' } }, output: 'o' };
      expect(() => parseMergeConfig(doc, { overrides: [`${key}=1`] })).toThrow(WemoeError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
