/** Append-only storage that spills to a temporary file past a memory budget (SpillFile). */
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFully, writeFully } from '../io/byte-io.js';

/**
 * Append-only spill storage: appends are kept in memory while they fit in `memoryBytes`, the rest goes to
 * a temporary file (created on first need); `dispose` removes it. An append is read back whole, by the
 * offset `append` returned, or, for one in the file, from any offset within it. With `storage`, appends
 * kept in memory lie there, one after the other, and a caller may write the next one in place
 * (`reserve`), which spares its copy.
 */
export class SpillFile {
  private dir: string | null = null;
  private fd = -1;
  private size = 0;
  private inMemory = 0;
  /** Appends kept in memory, by offset; each was copied (the caller may reuse its buffer). */
  private readonly held = new Map<number, Uint8Array>();
  /** Offset of the first append that went to the file (all later ones do too). */
  private fileStart = Number.POSITIVE_INFINITY;

  private readonly memoryBytes: number;

  constructor(
    private readonly name: string,
    memoryBytes = 0,
    private readonly storage?: Uint8Array,
  ) {
    this.memoryBytes = storage === undefined ? memoryBytes : Math.min(memoryBytes, storage.length);
  }

  /** Where the next append of `length` bytes will be kept, when in `storage`: writing it there spares a copy. */
  reserve(length: number): Uint8Array | null {
    if (this.storage === undefined || !this.fitsInMemory(length)) return null;
    return this.storage.subarray(this.inMemory, this.inMemory + length);
  }

  private fitsInMemory(length: number): boolean {
    return this.fileStart === Number.POSITIVE_INFINITY && this.inMemory + length <= this.memoryBytes;
  }

  get path(): string {
    return this.dir === null ? `(memory) ${this.name}` : join(this.dir, this.name);
  }

  /** Appends `bytes`; returns their offset. */
  append(bytes: Uint8Array): number {
    const offset = this.size;
    this.size += bytes.length;
    if (this.fitsInMemory(bytes.length)) {
      this.held.set(offset, this.keep(bytes));
      this.inMemory += bytes.length;
      return offset;
    }
    if (this.dir === null) {
      this.dir = mkdtempSync(join(tmpdir(), 'wemoe-merge-'));
      this.fd = openSync(this.path, 'w+');
      this.fileStart = offset;
    }
    writeFully(this.path, this.fd, bytes);
    return offset;
  }

  /** A copy of `bytes` in memory (in `storage`, unless they already lie where `reserve` said). */
  private keep(bytes: Uint8Array): Uint8Array {
    if (this.storage === undefined) return bytes.slice();
    const at = this.inMemory;
    const kept = this.storage.subarray(at, at + bytes.length);
    if (bytes.buffer !== kept.buffer || bytes.byteOffset !== kept.byteOffset) kept.set(bytes);
    return kept;
  }

  read(into: Uint8Array, offset: number): void {
    if (offset >= this.fileStart) {
      readFully(this.path, this.fd, into, offset - this.fileStart);
      return;
    }
    const held = this.held.get(offset);
    if (held === undefined) throw new RangeError(`spill ${this.name}: no append at offset ${offset}`);
    into.set(held.subarray(0, into.length));
  }

  /** The whole append at `offset` (`length` bytes), handed over: an append held in memory goes uncopied. */
  take(offset: number, length: number): Uint8Array {
    const held = this.held.get(offset);
    if (held !== undefined && held.length === length) {
      this.held.delete(offset);
      return held;
    }
    const bytes = new Uint8Array(length);
    this.read(bytes, offset);
    return bytes;
  }

  dispose(): void {
    this.held.clear();
    if (this.dir === null || this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
