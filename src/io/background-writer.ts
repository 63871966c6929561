/**
 * Writes byte ranges into one open file on a worker thread (write-behind), so that the copy into the page
 * cache runs on another core while this thread computes. The bytes are first copied into a ring of shared
 * memory (a memcpy, much cheaper than the write), in chunks, so memory stays bounded whatever is written;
 * when the ring is full, `write` waits for the worker. Writes are positional, so they may land in any
 * order. A failed write is reported by the next `write` or by `drain` as the usual WemoeError naming the
 * file.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { WemoeError } from '../errors.js';
import { ByteRing, type RingSlot } from './byte-ring.js';
import { startWorker } from './workers/start-worker.js';

/** Bytes of shared memory the writes in flight may take. */
const DEFAULT_RING_BYTES = 32 * 1024 * 1024;
/** Bytes copied and written per message: a few chunks are in flight at once. */
const CHUNK_BYTES = 4 * 1024 * 1024;
/** Longest single wait before looking at the port again (a guard against a missed wake-up). */
const WAIT_SLICE_MS = 20;
/** After this long without any reply, the worker is taken for dead and the write fails. */
const STALL_MS = 60_000;
const STOP = -1;

interface Reply {
  readonly ticket: number;
  /** The errno code (or message) of a failed write, else null. */
  readonly code: string | null;
}

export class BackgroundWriter {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** Count of replies the worker posted; it notifies on it after each. */
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly ring: ByteRing;
  /** Ring ranges of the writes in flight, by ticket. */
  private readonly inFlight = new Map<number, RingSlot>();
  private nextTicket = 0;
  private failure: string | null = null;

  /** `path` names the file in errors; `fd` is open for writing and stays open until `close`. */
  constructor(
    private readonly path: string,
    fd: number,
    ringBytes = DEFAULT_RING_BYTES,
  ) {
    this.ring = new ByteRing(ringBytes);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = startWorker('write-worker', {
      workerData: { port: port2, signal: this.done.buffer, ring: this.ring.buffer, fd },
      transferList: [port2],
    });
    this.worker.unref();
  }

  /** Queues `bytes` to be written at `position` (they are copied: the caller may reuse them at once). */
  write(bytes: Uint8Array, position: number): void {
    this.throwFailure();
    const chunk = Math.min(CHUNK_BYTES, this.ring.size);
    for (let from = 0; from < bytes.length; from += chunk) {
      const piece = bytes.subarray(from, Math.min(bytes.length, from + chunk));
      const slot = this.allocate(piece.length);
      new Uint8Array(this.ring.buffer, slot.start, piece.length).set(piece);
      const ticket = this.nextTicket++;
      this.inFlight.set(ticket, slot);
      this.port.postMessage({ ticket, at: slot.start, length: piece.length, position: position + from });
    }
  }

  /** Waits until every queued write is in the file; throws the first failure. */
  drain(): void {
    this.waitFor(() => (this.inFlight.size === 0 ? true : null));
    this.throwFailure();
  }

  /**
   * Waits for the writes in flight (so that none lands after the caller closes the file), then ends the
   * worker. Throws nothing: it also runs on error paths, and failures are reported by `drain`.
   */
  close(): void {
    try {
      this.waitFor(() => (this.inFlight.size === 0 ? true : null));
    } catch {
      // A stalled worker: nothing more can be done for it.
    } finally {
      this.port.postMessage({ ticket: STOP });
    }
  }

  private allocate(length: number): RingSlot {
    return this.waitFor(() => this.ring.allocate(length));
  }

  private throwFailure(): void {
    if (this.failure !== null) throw new WemoeError(`${this.path}: write failed (${this.failure})`);
  }

  /** Takes in the worker's replies until `attempt` gives a value; a worker silent for STALL_MS is an error. */
  private waitFor<T>(attempt: () => T | null): T {
    let lastProgress = performance.now();
    for (;;) {
      const seen = Atomics.load(this.done, 0);
      if (this.receiveAll() > 0) lastProgress = performance.now();
      const value = attempt();
      if (value !== null) return value;
      if (performance.now() - lastProgress > STALL_MS) {
        throw new WemoeError(`${this.path}: write failed (the writer thread stopped answering)`);
      }
      Atomics.wait(this.done, 0, seen, WAIT_SLICE_MS);
    }
  }

  private receiveAll(): number {
    let count = 0;
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const reply = m.message as Reply;
      const slot = this.inFlight.get(reply.ticket);
      this.inFlight.delete(reply.ticket);
      if (slot !== undefined) this.ring.release(slot);
      if (reply.code !== null) this.failure ??= reply.code;
      count++;
    }
    return count;
  }
}
