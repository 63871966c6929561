/**
 * Ties' record log: the provisional entries of the merge pass, each its index and T task-vector values,
 * kept in order in a bounded buffer that spills to a temporary file.
 */
import { SpillFile } from './spill-file.js';

/**
 * Fixed-width records (word 0: the entry index; then T float32 τ values), in the order appended: a
 * buffer of `chunk` records, full buffers spilled (kept in memory up to `memoryBytes`, then to a
 * temporary file).
 */
export class RecordLog {
  readonly words: Float32Array;
  readonly bits: Uint32Array;
  count = 0;
  private buffered = 0;
  private spill: SpillFile | null = null;

  constructor(
    readonly width: number,
    readonly chunk: number,
    private readonly memoryBytes = 0,
  ) {
    this.words = new Float32Array(width * chunk);
    this.bits = new Uint32Array(this.words.buffer);
  }

  /** Starts the record of entry `index`; returns its offset in `words`. */
  append(index: number): number {
    if (this.buffered === this.chunk) this.spillBuffer();
    const at = this.buffered * this.width;
    this.bits[at] = index;
    this.buffered++;
    this.count++;
    return at;
  }

  /** Appends `count` whole records laid out as in `words` (`width` words each). */
  appendMany(records: Float32Array, count: number): void {
    for (let done = 0; done < count; ) {
      if (this.buffered === this.chunk) this.spillBuffer();
      const n = Math.min(count - done, this.chunk - this.buffered);
      this.words.set(
        records.subarray(done * this.width, (done + n) * this.width),
        this.buffered * this.width,
      );
      this.buffered += n;
      this.count += n;
      done += n;
    }
  }

  private spillBuffer(): void {
    this.spill ??= new SpillFile('ties-records', this.memoryBytes);
    this.spill.append(new Uint8Array(this.words.buffer));
    this.buffered = 0;
  }

  /** The records spilled to disk (a whole number of chunks), then those in the buffer. */
  spilled(): number {
    return this.count - this.buffered;
  }

  readChunk(first: number, into: Uint8Array): void {
    this.spill!.read(into, first * this.width * 4);
  }

  /** Every record in order, a chunk at a time (the views are valid during the call only). */
  forEachChunk(visit: (bits: Uint32Array, count: number, words: Float32Array) => void): void {
    const cursor = this.cursor();
    for (let first = 0; first < this.count; first += this.chunk) {
      const count = Math.min(this.chunk, this.count - first);
      cursor.next();
      visit(cursor.bits, count, cursor.words);
      cursor.skip(count - 1);
    }
  }

  cursor(): RecordCursor {
    return new RecordCursor(this);
  }

  /** Drops every record. */
  clear(): void {
    this.dispose();
    this.count = 0;
    this.buffered = 0;
  }

  dispose(): void {
    this.spill?.dispose();
    this.spill = null;
  }
}

/** Reads a RecordLog from the start, one record at a time. */
export class RecordCursor {
  words: Float32Array;
  bits: Uint32Array;
  private position = 0;
  private readonly chunk: Float32Array;

  constructor(private readonly log: RecordLog) {
    this.chunk = new Float32Array(log.spilled() > 0 ? log.words.length : 0);
    this.words = log.words;
    this.bits = log.bits;
  }

  skip(records: number): void {
    this.position += records;
  }

  /**
   * Up to `max` next records that lie together (in one chunk): the words holding them from word `at`, and
   * how many they are (at least one; there must be one left).
   */
  nextRun(max: number): { words: Float32Array; at: number; count: number } {
    const at = this.next();
    const r = this.position - 1;
    const count = Math.min(max, this.log.chunk - (r % this.log.chunk), this.log.count - r);
    this.position += count - 1;
    return { words: this.words, at, count };
  }

  /** The offset in `words` / `bits` of the next record. */
  next(): number {
    const r = this.position++;
    const local = r % this.log.chunk;
    if (local === 0 && r < this.log.spilled()) {
      this.log.readChunk(r, new Uint8Array(this.chunk.buffer));
      this.words = this.chunk;
      this.bits = new Uint32Array(this.chunk.buffer);
    } else if (local === 0) {
      this.words = this.log.words;
      this.bits = this.log.bits;
    }
    return local * this.log.width;
  }
}
