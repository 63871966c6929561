/**
 * The safetensors header: u64 little-endian length N, then N bytes of UTF-8 JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {string: string}}`.
 * Parsing validates everything a reader relies on, so that reads by byte range can trust the offsets.
 */
import { WemoeError } from '../errors.js';
import { DTYPE_BYTES, type DType, isDType } from '../tensor/tensor.js';
import { findDuplicateKey } from './json-duplicates.js';

/** Headers above this are rejected before any allocation (the reference implementation uses the same cap). */
export const MAX_HEADER_BYTES = 100_000_000;

/** More tensors than any real checkpoint file holds; past it parsing would cost gigabytes. */
export const MAX_TENSORS = 100_000;
/** A valid header nests 3 levels (header, entry, shape); deep nesting would exhaust the parser's stack. */
export const MAX_DEPTH = 16;

/** A validated header entry: byte range relative to the start of the data section. */
export interface HeaderEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface ParsedHeader {
  /** Entries in data order (ascending offsets). */
  readonly entries: readonly HeaderEntry[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Bytes of the data section the entries cover (= the last end). */
  readonly dataBytes: number;
}

/** Checks the 8-byte length prefix against the file size; returns N. */
export function checkHeaderLength(path: string, prefix: Buffer, fileBytes: number): number {
  if (fileBytes < 8)
    throw new WemoeError(`${path}: not a safetensors file: ${fileBytes} bytes, expected at least 8`);
  const length = prefix.readBigUInt64LE(0);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new WemoeError(`${path}: header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(length);
  if (8 + n > fileBytes) {
    throw new WemoeError(`${path}: header length ${n} runs past the end of the ${fileBytes}-byte file`);
  }
  return n;
}

/** Parses and validates the header JSON; `dataBytes` is the file size minus 8 minus the header length. */
export function parseHeader(path: string, headerBytes: Uint8Array, dataBytes: number): ParsedHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new WemoeError(`${path}: header is not valid UTF-8`);
  }
  checkBudget(path, text);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WemoeError(`${path}: header is not valid JSON (${oneLine(error)})`);
  }
  if (!isPlainObject(json)) throw new WemoeError(`${path}: header must be a JSON object`);
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw new WemoeError(`${path}: duplicate key ${quote(duplicate)} in header`);

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(path, value);
    else entries.push(parseEntry(path, name, value));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkLayout(path, entries, dataBytes);
  return { entries, metadata, dataBytes };
}

/**
 * One pass over the text before JSON.parse (which recurses and builds every object): nesting depth and
 * the number of top-level members (tensors) are bounded. Strings are skipped; a malformed text that
 * passes is left to JSON.parse to reject.
 */
function checkBudget(path: string, text: string): void {
  let depth = 0;
  let members = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_DEPTH)
        throw new WemoeError(`${path}: header nests deeper than ${MAX_DEPTH} levels (a valid one nests 3)`);
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    } else if (c === 0x2c /* , */ && depth === 1 && ++members >= MAX_TENSORS) {
      throw new WemoeError(`${path}: header lists more than ${MAX_TENSORS} tensors (the limit of a file)`);
    }
  }
}

function parseMetadata(path: string, value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new WemoeError(`${path}: __metadata__ must be an object of strings`);
  const metadata: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new WemoeError(`${path}: __metadata__[${quote(key)}] must be a string, got ${quote(v)}`);
    }
    metadata[key] = v;
  }
  return metadata;
}

function parseEntry(path: string, name: string, value: unknown): HeaderEntry {
  const where = `${path}: tensor ${quote(name)}`;
  if (!isPlainObject(value))
    throw new WemoeError(`${where}: expected an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isDType(dtype)) {
    throw new WemoeError(
      `${where}: unknown dtype ${quote(dtype)} (expected one of F32 F16 BF16 F64 I64 I32 I16 I8 U8 BOOL)`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw new WemoeError(`${where}: shape must be a list of non-negative integers, got ${quote(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw new WemoeError(
      `${where}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${quote(offsets)}`,
    );
  }
  const [begin, end] = offsets as number[];
  const bytes = shape.reduce((n: number, d: number) => n * d, DTYPE_BYTES[dtype]);
  if (bytes !== end - begin) {
    throw new WemoeError(
      `${where}: shape ${quote(shape)} of ${dtype} needs ${bytes} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Entries sorted by offset must tile [0, dataBytes) exactly: no gap, no overlap, nothing past the end. */
function checkLayout(path: string, entries: readonly HeaderEntry[], dataBytes: number): void {
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      const what =
        e.begin < expected ? 'overlaps the previous tensor' : 'leaves a gap after the previous tensor';
      throw new WemoeError(
        `${path}: tensor ${quote(e.name)}: data_offsets [${e.begin}, ${e.end}] ${what} (expected begin ${expected})`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataBytes) {
    throw new WemoeError(
      `${path}: data section is ${dataBytes} bytes but the header describes ${expected} (truncated or trailing bytes)`,
    );
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** JSON text of a value from an untrusted file, cut short so that an error stays one short line. */
export function quote(value: unknown, max = 80): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function oneLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).replace(/\s+/g, ' ');
}
