import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMergeConfig, parseMergeConfig } from '../../src/config/merge-config.js';
import { parseOverride } from '../../src/config/overrides.js';
import { maxShardBytes, mergeConfigToYaml } from '../../src/methods/resolved-config.js';
import { parseByteSize } from '../../src/util/byte-size.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const CONTRACT_EXAMPLE = `
method: ties            # simple_average | task_arithmetic | ties | dare | adamerging | wemoe
parameters: {scaling_factor: 0.3, threshold: 20, merge_func: sum}
models:
  pretrained: path/to/pretrained
  experts: {mnist: path/to/expert-mnist, fashion: path/to/expert-fashion}
tasks:
  mnist: {data: path/to/dataset, split: test}
heads: path/to/heads.safetensors
output: path/to/out
seed: 42
`;

describe('loadMergeConfig', () => {
  it('reads the contract example, fills defaults and resolves paths against the file', () => {
    const path = writeConfig('ties.yaml', CONTRACT_EXAMPLE);
    const config = loadMergeConfig(path);
    expect(config.method).toBe('ties');
    expect(config.parameters).toEqual({
      scaling_factor: 0.3,
      threshold: 20,
      merge_func: 'sum',
      trim_scope: 'global',
    });
    expect(config.models.pretrained).toBe(join(dir, 'path/to/pretrained'));
    expect(Object.keys(config.models.experts)).toEqual(['mnist', 'fashion']);
    expect(config.models.experts.fashion).toBe(join(dir, 'path/to/expert-fashion'));
    expect(config.tasks?.mnist).toEqual({ data: join(dir, 'path/to/dataset'), split: 'test' });
    expect(config.heads).toBe(join(dir, 'path/to/heads.safetensors'));
    expect(config.output).toBe(join(dir, 'path/to/out'));
    expect(config).toMatchObject({ seed: 42, dtype: 'f32', max_shard_size: '5GB' });
    expect(maxShardBytes(config)).toBe(5e9);
  });

  it('applies --set overrides: dotted keys, YAML scalars, paths from the current folder', () => {
    const path = writeConfig('ta.yaml', CONTRACT_EXAMPLE);
    const config = loadMergeConfig(path, [
      'method=task_arithmetic',
      'parameters={}',
      'parameters.scaling_factor=0.5',
      'output=elsewhere/out',
      'models.experts.svhn=experts/svhn',
      'seed=7',
    ]);
    expect(config.method).toBe('task_arithmetic');
    expect(config.parameters).toEqual({ scaling_factor: 0.5 });
    expect(config.output).toBe(resolve('elsewhere/out'));
    expect(config.models.experts.svhn).toBe(resolve('experts/svhn'));
    expect(config.seed).toBe(7);
  });

  it('round-trips through the resolved YAML', () => {
    const config = loadMergeConfig(writeConfig('rt.yaml', CONTRACT_EXAMPLE));
    const again = loadMergeConfig(writeConfig('rt2.yaml', mergeConfigToYaml(config)));
    expect({ ...again, source: undefined }).toEqual({ ...config, source: undefined });
  });

  const bad: [string, string, RegExp][] = [
    [
      'unknown method',
      'method=tie',
      /method: unknown merge method 'tie'; known methods: simple_average, task_arithmetic, ties, dare/,
    ],
    ['bad parameter type', 'parameters.scaling_factor=high', /parameters\.scaling_factor: .*number/],
    ['unknown parameter', 'parameters.k=3', /parameters: unknown key\(s\) 'k'/],
    ['bad enum', 'parameters.merge_func=median', /parameters\.merge_func: .*"sum"\|"mean"\|"max"/],
    ['out of range', 'parameters.threshold=120', /parameters\.threshold: .*100/],
    ['missing output', 'output=null', /output: .*string/],
    ['unknown top-level key', 'outptu=x', /\(top level\): unknown key\(s\) 'outptu'/],
    ['bad shard size', 'max_shard_size=lots', /max_shard_size: expected a positive size/],
    ['bad dtype', 'dtype=f64', /dtype: .*"f32"\|"f16"\|"bf16"/],
    ['expert path not a string', 'models.experts.mnist=3', /models\.experts\.mnist: .*string/],
  ];
  for (const [what, override, message] of bad) {
    it(`rejects ${what} with one line naming the file and the key`, () => {
      const path = writeConfig('bad.yaml', CONTRACT_EXAMPLE);
      expect(() => loadMergeConfig(path, [override])).toThrow(message);
      try {
        loadMergeConfig(path, [override]);
      } catch (error) {
        expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
        expect((error as Error).message).not.toContain('\n');
      }
    });
  }

  it('rejects invalid YAML and a missing file with the file name', () => {
    const path = writeConfig('broken.yaml', 'method: ties\n  models: [\n');
    expect(() => loadMergeConfig(path)).toThrow(
      new RegExp(`^${path}: invalid YAML at line \\d+, column \\d+: [^\\n]*$`),
    );
    expect(() => loadMergeConfig(join(dir, 'missing.yaml'))).toThrow(
      /missing\.yaml: cannot read the merge config \(ENOENT\)/,
    );
  });

  it('rejects malformed --set', () => {
    expect(() => parseOverride('novalue')).toThrow(/--set novalue: expected key=value/);
    expect(() => parseOverride('a..b=1')).toThrow(/dotted key/);
    expect(parseOverride('a.b=[1, 2]')).toEqual([
      ['a', 'b'],
      [1, 2],
    ]);
    expect(parseOverride('a=')).toEqual([['a'], null]);
  });
});

describe('parseMergeConfig', () => {
  it('accepts an object built in code', () => {
    const config = parseMergeConfig(
      { method: 'dare', models: { pretrained: '/p', experts: { a: '/a' } }, output: '/o' },
      { baseDir: '/base' },
    );
    expect(config.parameters).toMatchObject({
      drop_rate: 0.5,
      merge: 'task_arithmetic',
      scaling_factor: 0.3,
    });
    expect(config.models.pretrained).toBe('/p');
  });

  it('requires at least one expert', () => {
    expect(() =>
      parseMergeConfig({ method: 'ties', models: { pretrained: 'p', experts: {} }, output: 'o' }),
    ).toThrow(/models\.experts: expected at least one expert/);
  });
});

describe('parseByteSize', () => {
  it('reads decimal and binary units and byte counts', () => {
    expect(parseByteSize('5GB')).toBe(5e9);
    expect(parseByteSize('500 MB')).toBe(5e8);
    expect(parseByteSize('2GiB')).toBe(2 * 2 ** 30);
    expect(parseByteSize('1.5kb')).toBe(1500);
    expect(parseByteSize(4096)).toBe(4096);
    expect(parseByteSize('0MB')).toBeUndefined();
    expect(parseByteSize(-1)).toBeUndefined();
    expect(parseByteSize('5 parsecs')).toBeUndefined();
  });
});
