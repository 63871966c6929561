/**
 * Random mutations of a valid file: opening and reading must end in a valid result or a clean one-line
 * WemoeError, never another exception, hang or giant allocation. WEMOE_FUZZ_ITERATIONS=N runs longer.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WemoeError } from '../../src/errors.js';
import { type ParsedHeader, parseHeader } from '../../src/io/safetensors-header.js';
import { openSafetensors } from '../../src/io/safetensors-reader.js';
import { saveSafetensors } from '../../src/io/safetensors-writer.js';
import { DTYPE_BYTES, type DType, numel } from '../../src/tensor/tensor.js';
import { mutateText, pick, randomJson, randomNumber, randomString, rng } from './fuzz-random.js';
import { tempDir } from './helpers.js';

const iterations = Number(process.env.WEMOE_FUZZ_ITERATIONS ?? 300);
const dir = tempDir('fuzz');
const basePath = join(dir, 'base.safetensors');
saveSafetensors(
  basePath,
  {
    'layer.0.weight': { dtype: 'F32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    'layer.0.bias': { dtype: 'BF16', shape: [3], data: Uint16Array.from([1, 2, 3]) },
    half: { dtype: 'F16', shape: [2, 1, 2], data: Uint16Array.from([0x3c00, 0, 0x7c00, 0x7e00]) },
    ids: { dtype: 'I64', shape: [2], data: BigInt64Array.from([5n, -5n]) },
    mask: { dtype: 'BOOL', shape: [], data: Uint8Array.from([1]) },
    none: { dtype: 'I8', shape: [0], data: new Int8Array(0) },
  },
  { note: 'fuzz' },
);
const base = readFileSync(basePath);
const headerEnd = 8 + Number(base.readBigUInt64LE(0));

const mutations: ((b: Buffer, r: (n: number) => number) => Buffer)[] = [
  (b, r) => flip(b, r(5) ? 8 + r(headerEnd - 8) : r(b.length), 1 << r(8)),
  (b, r) => setByte(b, 8 + r(headerEnd - 8), '0123456789-.,:[]{}"e '.charCodeAt(r(21))),
  (b, r) => b.subarray(0, r(b.length)),
  (b, r) => Buffer.concat([b, Buffer.from(Array.from({ length: 1 + r(16) }, () => r(256)))]),
  (b, r) => setByte(b, r(8), r(256)),
  (b, r) => {
    const at = 8 + r(headerEnd - 8);
    return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r(12))]);
  },
  (b, r) => {
    const at = 8 + r(headerEnd - 8);
    const from = 8 + r(headerEnd - 8);
    return Buffer.concat([b.subarray(0, at), b.subarray(from, from + 1 + r(24)), b.subarray(at)]);
  },
];

function flip(b: Buffer, at: number, mask: number): Buffer {
  const out = Buffer.from(b);
  out[at] ^= mask;
  return out;
}

function setByte(b: Buffer, at: number, value: number): Buffer {
  const out = Buffer.from(b);
  out[at] = value;
  return out;
}

/** Opens and fully reads the file; returns 'ok' or the error message, after checking each tensor's size. */
function openAndRead(path: string): string {
  try {
    const file = openSafetensors(path);
    for (const name of file.names()) {
      const { dtype, shape } = file.info(name);
      const t = file.read(name);
      if (t.data.byteLength !== numel(shape) * DTYPE_BYTES[dtype]) throw new Error(`wrong size for ${name}`);
      if (file.readF32(name).length !== numel(shape)) throw new Error(`wrong F32 length for ${name}`);
    }
    file.close();
    return 'ok';
  } catch (error) {
    if (!(error instanceof WemoeError)) throw error;
    if (!error.message.startsWith(`${path}: `) || error.message.includes('\n'))
      throw new Error(`unclean message: ${error.message}`);
    return error.message;
  }
}

describe('safetensors fuzz', () => {
  it(`${iterations} mutated files give valid results or clean WemoeErrors`, () => {
    const r = rng(20240701);
    const path = join(dir, 'mutant.safetensors');
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < iterations; i++) {
      let bytes: Buffer = base;
      for (let m = 1 + r(3); m > 0; m--) bytes = mutations[r(mutations.length)](bytes, r);
      writeFileSync(path, bytes);
      const result = openAndRead(path);
      outcomes[result === 'ok' ? 'ok' : 'error']++;
    }
    console.log(`file fuzz: ${iterations} files, ${outcomes.ok} read whole, ${outcomes.error} refused`);
    expect(outcomes.ok + outcomes.error).toBe(iterations);
    // the mutations must exercise both paths, or the test proves little
    expect(outcomes.error).toBeGreaterThan(iterations / 4);
    expect(outcomes.ok).toBeGreaterThan(0);
  });
});

const DTYPES = Object.keys(DTYPE_BYTES) as DType[];
const JSON_TOKENS = [
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '"',
  '\\',
  '0',
  '-1',
  '1e999',
  'null',
  '"__metadata__"',
  '"a"',
  ' ',
];

/** A header that is often valid and often wrong in one field: dtype, shape, offsets, metadata or structure. */
function randomHeader(r: (n: number) => number): { text: string; dataBytes: number } {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (let n = r(5); n > 0; n--) {
    const dtype = r(8) ? pick(r, DTYPES) : randomJson(r, 1);
    const shape = r(8) ? Array.from({ length: r(4) }, () => r(4)) : randomJson(r, 2);
    const bytes =
      Array.isArray(shape) && typeof dtype === 'string' && dtype in DTYPE_BYTES
        ? shape.reduce((a: number, d) => a * Number(d), DTYPE_BYTES[dtype as DType])
        : r(16);
    const offsets = r(6) ? [offset, offset + bytes] : [randomNumber(r), randomNumber(r)];
    offset += Number.isFinite(bytes) ? bytes : 0;
    const entry: Record<string, unknown> = { dtype, shape, data_offsets: offsets };
    if (!r(10)) entry[randomString(r)] = randomJson(r, 2);
    header[r(10) ? `t${n}.${randomString(r)}` : randomString(r)] = r(12) ? entry : randomJson(r, 3);
  }
  if (!r(3)) header.__metadata__ = r(4) ? { note: randomString(r) } : randomJson(r, 2);
  let text = JSON.stringify(header);
  for (let m = r(3); m > 0; m--) text = mutateText(text, r, JSON_TOKENS);
  return { text, dataBytes: r(8) ? offset : randomNumber(r) };
}

/** What an accepted header promises its readers: entries tile the data section with their exact sizes. */
function checkAccepted(parsed: ParsedHeader, dataBytes: number): void {
  let expected = 0;
  for (const e of parsed.entries) {
    if (e.begin !== expected || e.end - e.begin !== numel(e.shape) * DTYPE_BYTES[e.dtype])
      throw new Error(`accepted a bad layout at ${e.name}`);
    expected = e.end;
  }
  if (expected !== dataBytes || parsed.dataBytes !== dataBytes) throw new Error('accepted a wrong data size');
}

describe('safetensors header fuzz', () => {
  it(`${iterations * 10} generated headers are accepted only when consistent, else a one-line WemoeError`, () => {
    const r = rng(20261207);
    const outcomes = { ok: 0, error: 0 };
    for (let i = 0; i < iterations * 10; i++) {
      const { text, dataBytes } = randomHeader(r);
      try {
        checkAccepted(parseHeader('h.safetensors', Buffer.from(text), dataBytes), dataBytes);
        outcomes.ok++;
      } catch (error) {
        if (!(error instanceof WemoeError))
          throw new Error(`input ${i}: ${String(error)}: ${text.slice(0, 200)}`);
        if (!error.message.startsWith('h.safetensors: ') || error.message.includes('\n'))
          throw new Error(`input ${i}: unclean message: ${error.message}`);
        outcomes.error++;
      }
    }
    console.log(
      `header fuzz: ${iterations * 10} headers, ${outcomes.ok} accepted, ${outcomes.error} refused`,
    );
    expect(outcomes.ok).toBeGreaterThan(iterations / 2);
    expect(outcomes.error).toBeGreaterThan(iterations / 2);
  });
});
