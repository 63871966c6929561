/**
 * Streaming safetensors writer: the header is built from the declared entries up front, tensors are
 * written in declared order, and the file appears under its name only on finish (temp file + rename).
 * A large file is written behind, on a worker thread (BackgroundWriter), while the caller computes.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { WemoeError } from '../errors.js';
import { DTYPE_BYTES, numel, shapeString, type Tensor } from '../tensor/tensor.js';
import { BackgroundWriter } from './background-writer.js';
import { errorCode, writeFully } from './byte-io.js';
import type { TensorEntry, TensorSink } from './tensor-sink.js';

/** Files with at least this many bytes of tensors are written behind, on a worker thread. */
const WRITE_BEHIND_MIN_BYTES = 64 * 1024 * 1024;

export interface SafetensorsWriterOptions {
  /** Write behind on a worker thread when the tensors take at least this many bytes. */
  readonly writeBehindMinBytes?: number;
}

/** Bytes a tensor of this dtype and shape occupies in the data section. */
export function entryBytes(entry: TensorEntry): number {
  return numel(entry.shape) * DTYPE_BYTES[entry.dtype];
}

/** The full header (length prefix included), padded with spaces so the data starts on an 8-byte boundary. */
export function encodeHeader(
  path: string,
  entries: readonly TensorEntry[],
  metadata: Record<string, string> = {},
): Buffer {
  // A prototype-less object, so that a tensor named "__proto__" is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  header.__metadata__ = { format: 'pt', ...metadata };
  let offset = 0;
  for (const e of entries) {
    if (e.name === '__metadata__' || Object.hasOwn(header, e.name)) {
      throw new WemoeError(`${path}: tensor name ${JSON.stringify(e.name)} is reserved or declared twice`);
    }
    if (!e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new WemoeError(
        `${path}: tensor ${JSON.stringify(e.name)}: shape ${shapeString(e.shape)} must hold non-negative integers`,
      );
    }
    const bytes = entryBytes(e);
    header[e.name] = { dtype: e.dtype, shape: [...e.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}

/**
 * One safetensors file being written. `complete()` closes the temporary file once every tensor is in,
 * `commit()` renames it into place; `finish()` does both. Sharded writers commit all shards at the end.
 */
export class SafetensorsFileWriter implements TensorSink {
  readonly tempPath: string;
  private fd: number | undefined;
  private next = 0;
  private state: 'open' | 'complete' | 'done' = 'open';
  /** Where the next tensor's bytes go in the file. */
  private position: number;
  private behind: BackgroundWriter | undefined;

  constructor(
    readonly path: string,
    private readonly entries: readonly TensorEntry[],
    metadata: Record<string, string> = {},
    options: SafetensorsWriterOptions = {},
  ) {
    const header = encodeHeader(path, entries, metadata);
    this.position = header.length;
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (error) {
      throw new WemoeError(`${path}: cannot create its folder (${errorCode(error)})`);
    }
    this.tempPath = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
    try {
      this.fd = openSync(this.tempPath, 'w');
    } catch (error) {
      throw new WemoeError(`${path}: cannot create ${this.tempPath} (${errorCode(error)})`);
    }
    try {
      writeFully(path, this.fd, header);
    } catch (error) {
      this.abort();
      throw error;
    }
    const dataBytes = entries.reduce((sum, e) => sum + entryBytes(e), 0);
    if (dataBytes > 0 && dataBytes >= (options.writeBehindMinBytes ?? WRITE_BEHIND_MIN_BYTES))
      this.behind = new BackgroundWriter(path, this.fd);
  }

  write(name: string, tensor: Tensor): void {
    if (this.fd === undefined || this.state !== 'open')
      throw new WemoeError(`${this.path}: write of ${JSON.stringify(name)} after finish or abort`);
    const expected = this.entries[this.next];
    const problem = entryMismatch(expected, name, tensor);
    if (problem) throw new WemoeError(`${this.path}: tensor ${JSON.stringify(name)}: ${problem}`);
    const d = tensor.data;
    const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    if (this.behind) this.behind.write(bytes, this.position);
    else writeFully(this.path, this.fd, bytes);
    this.position += bytes.length;
    this.next++;
  }

  complete(): void {
    if (this.state !== 'open' || this.fd === undefined) return;
    if (this.next !== this.entries.length) {
      throw new WemoeError(
        `${this.path}: finish after ${this.next} of ${this.entries.length} tensors (next expected ${JSON.stringify(this.entries[this.next].name)})`,
      );
    }
    this.behind?.drain();
    this.stopWritingBehind();
    closeSync(this.fd);
    this.fd = undefined;
    this.state = 'complete';
  }

  commit(): void {
    if (this.state !== 'complete')
      throw new WemoeError(`${this.path}: commit before complete (or after finish or abort)`);
    try {
      renameSync(this.tempPath, this.path);
    } catch (error) {
      throw new WemoeError(`${this.path}: cannot move ${this.tempPath} into place (${errorCode(error)})`);
    }
    this.state = 'done';
  }

  finish(): void {
    this.complete();
    this.commit();
  }

  abort(): void {
    this.stopWritingBehind();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.state !== 'done') rmSync(this.tempPath, { force: true });
    this.state = 'done';
  }

  private stopWritingBehind(): void {
    this.behind?.close();
    this.behind = undefined;
  }
}

function entryMismatch(expected: TensorEntry | undefined, name: string, t: Tensor): string | undefined {
  if (expected === undefined) return 'not declared (all declared tensors are already written)';
  if (expected.name !== name) return `written out of order (expected ${JSON.stringify(expected.name)} next)`;
  if (expected.dtype !== t.dtype) return `dtype ${t.dtype} but declared ${expected.dtype}`;
  if (shapeString(expected.shape) !== shapeString(t.shape))
    return `shape ${shapeString(t.shape)} but declared ${shapeString(expected.shape)}`;
  const bytes = entryBytes(expected);
  if (t.data.byteLength !== bytes)
    return `data holds ${t.data.byteLength} bytes, expected ${bytes} for ${t.dtype}${shapeString(t.shape)}`;
  return undefined;
}

/** A streaming writer for one safetensors file (see SafetensorsFileWriter). */
export function createSafetensorsWriter(
  path: string,
  entries: readonly TensorEntry[],
  metadata?: Record<string, string>,
): TensorSink {
  return new SafetensorsFileWriter(path, entries, metadata);
}

/** Writes whole tensors in one go (insertion order), with `format: pt` metadata. */
export function saveSafetensors(
  path: string,
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): void {
  const entries = Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
  const sink = new SafetensorsFileWriter(path, entries, metadata);
  try {
    for (const [name, t] of Object.entries(tensors)) sink.write(name, t);
    sink.finish();
  } catch (error) {
    sink.abort();
    throw error;
  }
}
