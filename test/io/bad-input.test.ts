import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WemoeError } from '../../src/errors.js';
import { openCheckpoint } from '../../src/io/checkpoint.js';
import { MAX_DEPTH, MAX_HEADER_BYTES, MAX_TENSORS } from '../../src/io/safetensors-header.js';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { createSafetensorsWriter } from '../../src/io/safetensors-writer.js';
import { rawSafetensors, tempDir } from './helpers.js';

const dir = tempDir('bad-input');
const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, end],
});

function withLength(length: bigint, rest: Uint8Array): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length);
  return Buffer.concat([prefix, rest]);
}

const valid = rawSafetensors({ a: f32(0, 8), b: f32(8, 12) }, new Uint8Array(12));

/** [case, file bytes, expected message pattern] */
const cases: [string, Uint8Array, RegExp][] = [
  ['empty file', new Uint8Array(0), /not a safetensors file: 0 bytes, expected at least 8/],
  ['truncated length prefix', valid.subarray(0, 5), /not a safetensors file: 5 bytes/],
  ['truncated header', valid.subarray(0, 20), /header length \d+ runs past the end of the 20-byte file/],
  [
    'truncated data',
    valid.subarray(0, valid.length - 1),
    /data section is 11 bytes but the header describes 12/,
  ],
  [
    'trailing bytes',
    Buffer.concat([valid, Buffer.from([0])]),
    /data section is 13 bytes but the header describes 12/,
  ],
  [
    'header length larger than the file',
    withLength(1000n, Buffer.from('{}')),
    /header length 1000 runs past the end/,
  ],
  [
    'header length 2^64 - 1',
    withLength(2n ** 64n - 1n, Buffer.from('{}')),
    /exceeds the 100000000-byte limit/,
  ],
  [
    'header > 100 MB',
    withLength(BigInt(MAX_HEADER_BYTES + 1), Buffer.from('{}')),
    /header length 100000001 exceeds/,
  ],
  ['invalid JSON', rawSafetensors('{"a": '), /header is not valid JSON/],
  ['invalid UTF-8', withLength(4n, Buffer.from([0x22, 0xff, 0xfe, 0x22])), /header is not valid UTF-8/],
  ['header is an array', rawSafetensors('[]'), /header must be a JSON object/],
  ['header is null', rawSafetensors('null'), /header must be a JSON object/],
  [
    'entry not an object',
    rawSafetensors({ a: 3 }),
    /tensor "a": expected an object \{dtype, shape, data_offsets\}/,
  ],
  [
    'unknown dtype',
    rawSafetensors({ a: { ...f32(0, 4), dtype: 'F8_E4M3' } }, new Uint8Array(4)),
    /tensor "a": unknown dtype "F8_E4M3"/,
  ],
  [
    'missing dtype',
    rawSafetensors({ a: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /tensor "a": unknown dtype undefined/,
  ],
  [
    'missing shape',
    rawSafetensors({ a: { dtype: 'F32', data_offsets: [0, 4] } }, new Uint8Array(4)),
    /tensor "a": shape must be a list/,
  ],
  [
    'negative dim',
    rawSafetensors({ a: f32(0, 4, [-1]) }, new Uint8Array(4)),
    /tensor "a": shape must be a list of non-negative integers, got \[-1\]/,
  ],
  [
    'fractional dim',
    rawSafetensors({ a: f32(0, 4, [0.5]) }, new Uint8Array(4)),
    /shape must be a list of non-negative integers/,
  ],
  [
    'missing offsets',
    rawSafetensors({ a: { dtype: 'F32', shape: [1] } }, new Uint8Array(4)),
    /tensor "a": data_offsets must be \[begin, end\]/,
  ],
  [
    'reversed offsets',
    rawSafetensors({ a: f32(4, 0, [0]) }, new Uint8Array(4)),
    /data_offsets must be \[begin, end\] with 0 <= begin <= end, got \[4,0\]/,
  ],
  ['huge offsets', rawSafetensors({ a: f32(0, 2 ** 60, [1]) }), /data_offsets must be/],
  [
    'shape x dtype != bytes',
    rawSafetensors({ a: f32(0, 8, [3]) }, new Uint8Array(8)),
    /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/,
  ],
  [
    'giant shape',
    rawSafetensors({ a: f32(0, 4, [2 ** 40, 2 ** 40]) }, new Uint8Array(4)),
    /needs \d.*bytes but data_offsets \[0, 4\] hold 4/,
  ],
  [
    'overlapping offsets',
    rawSafetensors({ a: f32(0, 8), b: f32(4, 12) }, new Uint8Array(12)),
    /tensor "b": data_offsets \[4, 12\] overlaps the previous tensor \(expected begin 8\)/,
  ],
  [
    'gap between tensors',
    rawSafetensors({ a: f32(0, 4), b: f32(8, 12) }, new Uint8Array(12)),
    /tensor "b": data_offsets \[8, 12\] leaves a gap/,
  ],
  [
    'not starting at 0',
    rawSafetensors({ a: f32(4, 8) }, new Uint8Array(8)),
    /tensor "a": .* leaves a gap .*expected begin 0/,
  ],
  [
    'out-of-range offsets',
    rawSafetensors({ a: f32(0, 8) }, new Uint8Array(4)),
    /data section is 4 bytes but the header describes 8/,
  ],
  [
    'duplicate names',
    rawSafetensors(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      new Uint8Array(4),
    ),
    /duplicate key "a" in header/,
  ],
  [
    'duplicate escaped names',
    rawSafetensors(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      new Uint8Array(4),
    ),
    /duplicate key "a"/,
  ],
  [
    'metadata not an object',
    rawSafetensors({ __metadata__: 'x' }),
    /__metadata__ must be an object of strings/,
  ],
  [
    'metadata value not a string',
    rawSafetensors({ __metadata__: { n: 1 } }),
    /__metadata__\["n"\] must be a string, got 1/,
  ],
];

describe('bad safetensors input', () => {
  for (const [name, bytes, pattern] of cases) {
    it(`${name}: one-line WemoeError naming the file`, () => {
      const path = join(dir, `${name.replace(/\W+/g, '-')}.safetensors`);
      writeFileSync(path, bytes);
      let error: unknown;
      try {
        openSafetensors(path).close();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WemoeError);
      const message = (error as Error).message;
      expect(message).toMatch(pattern);
      expect(message.startsWith(`${path}: `)).toBe(true);
      expect(message).not.toContain('\n');
    });
  }

  it('a missing file is a WemoeError naming it', () => {
    expect(() => openSafetensors(join(dir, 'missing.safetensors'))).toThrow(
      /missing\.safetensors: cannot open \(ENOENT\)/,
    );
  });

  it('accepts the valid file these cases were derived from, and nested duplicate-looking strings', () => {
    const path = join(dir, 'valid.safetensors');
    writeFileSync(path, valid);
    expect(openSafetensors(path).names()).toEqual(['a', 'b']);
    // equal keys in different objects and a value equal to a key are not duplicates
    const nested = rawSafetensors({ __metadata__: { a: 'a', dtype: 'x' }, a: f32(0, 4) }, new Uint8Array(4));
    writeFileSync(path, nested);
    expect(openSafetensors(path).metadata).toEqual({ a: 'a', dtype: 'x' });
  });
});

describe('headers built to exhaust the parser', () => {
  it('nesting past the depth budget is a WemoeError, not a stack overflow', () => {
    const path = join(dir, 'deep.safetensors');
    for (const open of ['[', '{"a":']) {
      writeFileSync(path, rawSafetensors(`{"x":${open.repeat(100_000)}`));
      expect(() => openSafetensors(path)).toThrow(
        `${path}: header nests deeper than ${MAX_DEPTH} levels (a valid one nests 3)`,
      );
    }
  });

  it('more tensors than the budget are refused before parsing; the budget itself is accepted', () => {
    const path = join(dir, 'many.safetensors');
    const header = (n: number) =>
      `{${Array.from({ length: n }, (_, i) => `"t${i}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}`).join(',')}}`;
    writeFileSync(path, rawSafetensors(header(MAX_TENSORS + 1)));
    expect(() => openSafetensors(path)).toThrow(
      `${path}: header lists more than ${MAX_TENSORS} tensors (the limit of a file)`,
    );
    writeFileSync(path, rawSafetensors(header(MAX_TENSORS)));
    expect(openSafetensors(path).names()).toHaveLength(MAX_TENSORS);
  });

  it('a named pipe is refused instead of blocking until someone writes into it', () => {
    const fifo = join(dir, 'pipe.safetensors');
    execFileSync('mkfifo', [fifo]);
    const message = `${fifo}: expected the safetensors file as a regular file, found a named pipe (FIFO)`;
    expect(() => openSafetensors(fifo)).toThrow(message);
    expect(() => openCheckpoint(fifo)).toThrow(
      'expected the checkpoint as a regular file, found a named pipe',
    );
  });
});

describe('errors stay short and name the file', () => {
  it('cuts long untrusted values short', () => {
    const path = join(dir, 'long-name.safetensors');
    writeFileSync(
      path,
      rawSafetensors({
        ['x'.repeat(10_000)]: { dtype: 'F32', shape: new Array(5000).fill(1), data_offsets: [0, 8] },
      }),
    );
    expect(() => openSafetensors(path)).toThrow(WemoeError);
    try {
      openSafetensors(path);
    } catch (error) {
      expect((error as Error).message.length).toBeLessThan(400);
      expect((error as Error).message).toMatch(
        /long-name\.safetensors: tensor "xxxx.*\.\.\.: shape \[1,1,.*\.\.\. of F32 needs 4 bytes/,
      );
    }
  });

  it('a folder given as a file, or an unwritable destination, is a WemoeError', () => {
    expect(() => openSafetensors(dir)).toThrow(/read failed \(EISDIR\)|not a safetensors file/);
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expect(() => createSafetensorsWriter(join(file, 'sub', 'm.safetensors'), [])).toThrow(
      /m\.safetensors: cannot create its folder \(ENOTDIR\)/,
    );
  });
});
