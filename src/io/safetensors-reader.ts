/** Lazy safetensors reader: the header is parsed and validated on open; tensors are read by byte range. */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { endianness } from 'node:os';
import { WemoeError } from '../errors.js';
import { toFloat32 } from '../tensor/convert.js';
import type { DType, Tensor, TensorData } from '../tensor/tensor.js';
import { errorCode, readFully } from './byte-io.js';
import { checkRegularFile } from './regular-file.js';
import { checkHeaderLength, type HeaderEntry, parseHeader } from './safetensors-header.js';
import type { TensorInfo, TensorLocation, TensorSource } from './tensor-source.js';

/** A TensorSource over one safetensors file; also exposes each tensor's byte range. */
export interface SafetensorsFile extends TensorSource {
  /** Absolute file position where the data section starts (8 + header length). */
  readonly dataStart: number;
  /** The validated header entry: dtype, shape and [begin, end) relative to `dataStart`. */
  entry(name: string): HeaderEntry;
  locate(name: string): TensorLocation;
}

/** Opens and validates `path`; the file stays open (one descriptor) until `close()`. */
export function openSafetensors(path: string): SafetensorsFile {
  if (endianness() !== 'LE') throw new WemoeError(`${path}: safetensors reading needs a little-endian host`);
  checkRegularFile(path, 'safetensors file');
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new WemoeError(`${path}: cannot open (${errorCode(error)})`);
  }
  try {
    return new Reader(path, fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

class Reader implements SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>>;
  readonly dataStart: number;
  private readonly entries = new Map<string, HeaderEntry>();
  private fd: number | undefined;

  constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    const fileBytes = fstatSync(fd).size;
    const prefix = Buffer.alloc(8);
    readFully(path, fd, prefix.subarray(0, Math.min(8, fileBytes)), 0);
    const headerBytes = checkHeaderLength(path, prefix, fileBytes);
    const header = Buffer.alloc(headerBytes);
    readFully(path, fd, header, 8);
    this.dataStart = 8 + headerBytes;
    const parsed = parseHeader(path, header, fileBytes - this.dataStart);
    this.metadata = parsed.metadata;
    for (const e of parsed.entries) this.entries.set(e.name, e);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  entry(name: string): HeaderEntry {
    const e = this.entries.get(name);
    if (e === undefined) throw new WemoeError(`${this.path}: no tensor named ${JSON.stringify(name)}`);
    return e;
  }

  info(name: string): TensorInfo {
    const { dtype, shape } = this.entry(name);
    return { name, dtype, shape };
  }

  read(name: string): Tensor {
    const e = this.entry(name);
    if (this.fd === undefined)
      throw new WemoeError(`${this.path}: read of ${JSON.stringify(name)} after close()`);
    // A fresh ArrayBuffer is aligned for every typed array, whatever the tensor's file offset.
    const bytes = new Uint8Array(new ArrayBuffer(e.end - e.begin));
    readFully(this.path, this.fd, bytes, this.dataStart + e.begin);
    return { dtype: e.dtype, shape: [...e.shape], data: typedView(e.dtype, bytes.buffer) };
  }

  readF32(name: string): Float32Array {
    return toFloat32(this.read(name));
  }

  locate(name: string): TensorLocation {
    const e = this.entry(name);
    return {
      path: this.path,
      offset: this.dataStart + e.begin,
      length: e.end - e.begin,
      dtype: e.dtype,
      shape: e.shape,
    };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Typed-array view of little-endian tensor bytes in the storage type of `dtype`. */
export function typedView(dtype: DType, buffer: ArrayBuffer): TensorData {
  switch (dtype) {
    case 'F32':
      return new Float32Array(buffer);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buffer);
    case 'F64':
      return new Float64Array(buffer);
    case 'I64':
      return new BigInt64Array(buffer);
    case 'I32':
      return new Int32Array(buffer);
    case 'I16':
      return new Int16Array(buffer);
    case 'I8':
      return new Int8Array(buffer);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buffer);
  }
}
