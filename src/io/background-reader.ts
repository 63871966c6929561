/**
 * Reads byte ranges of files on a worker thread, so that the copy from the page cache runs on another core
 * while this thread computes. Synchronous on this side: `take` blocks (Atomics.wait) until the bytes came,
 * which keeps the callers (the streaming merge driver) synchronous.
 *
 * With a ring (a SharedArrayBuffer), the worker reads into ranges of it that are released after use and
 * reused, so steady reading allocates nothing; a read the ring has no room for gets a fresh buffer,
 * handed over.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { ByteRing, type RingSlot } from './byte-ring.js';
import { startWorker } from './workers/start-worker.js';

export interface ByteRange {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** Longest single wait before looking at the port again (a guard against a missed wake-up). */
const WAIT_SLICE_MS = 20;

/**
 * After this long without any reply, the worker is taken for dead (it cannot be watched otherwise while
 * this thread blocks): `take` returns null from then on and the callers read synchronously.
 */
const DEFAULT_STALL_MS = 60_000;

interface Reply {
  readonly ticket: number;
  readonly ok: boolean;
  /** The bytes of a read done outside the ring. */
  readonly buffer?: ArrayBuffer;
}

export interface BackgroundReaderOptions {
  /** Milliseconds without any reply after which the worker is taken for dead. */
  readonly stallMs?: number;
  /** Bytes of the ring that reads go into (none: every read gets a fresh buffer). */
  readonly ringBytes?: number;
}

export class BackgroundReader {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** Count of replies the worker posted; it notifies on it after each. */
  private readonly arrivals = new Int32Array(new SharedArrayBuffer(4));
  /** Replies received but not yet taken, by ticket. */
  private readonly arrived = new Map<number, Reply>();
  private readonly ring: ByteRing | null;
  /** The ring ranges of reads requested and not yet taken, by ticket. */
  private readonly slots = new Map<number, RingSlot>();
  /** The ring ranges of reads taken and not yet released, by ticket. */
  private readonly taken = new Map<number, RingSlot>();
  private nextTicket = 0;
  private dead = false;
  private readonly stallMs: number;

  constructor(options: BackgroundReaderOptions = {}) {
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    this.ring = options.ringBytes ? new ByteRing(options.ringBytes) : null;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = startWorker('read-worker', {
      workerData: { port: port2, signal: this.arrivals.buffer, ring: this.ring?.buffer ?? null },
      transferList: [port2],
    });
    this.worker.unref();
  }

  /** Queues a read (reads run in request order); returns the ticket that `take` redeems. */
  request(range: ByteRange): number {
    return this.requestAll([range])[0];
  }

  /** Queues reads in one message to the worker; returns their tickets. */
  requestAll(ranges: readonly ByteRange[]): number[] {
    const reads = ranges.map((range) => {
      const ticket = this.nextTicket++;
      const slot = range.length > 0 && !this.dead ? (this.ring?.allocate(range.length) ?? null) : null;
      if (slot !== null) this.slots.set(ticket, slot);
      return { ticket, path: range.path, offset: range.offset, length: range.length, at: slot?.start ?? -1 };
    });
    this.port.postMessage(reads);
    return reads.map((read) => read.ticket);
  }

  /**
   * The bytes of a requested read, waiting for them; null when the read failed or the worker stopped
   * answering (the caller reads again synchronously, which gives the usual error naming the file). Bytes
   * in the ring stay valid until `release(ticket)`.
   */
  take(ticket: number): Uint8Array | null {
    let lastProgress = performance.now();
    let lastSeen = Atomics.load(this.arrivals, 0);
    for (;;) {
      const seen = Atomics.load(this.arrivals, 0);
      this.receiveAll();
      const reply = this.arrived.get(ticket);
      if (reply !== undefined) {
        this.arrived.delete(ticket);
        return this.bytesOf(reply);
      }
      if (this.dead) return null;
      if (seen !== lastSeen) {
        lastSeen = seen;
        lastProgress = performance.now();
      } else if (performance.now() - lastProgress > this.stallMs) {
        this.dead = true;
        return null;
      }
      Atomics.wait(this.arrivals, 0, seen, WAIT_SLICE_MS);
    }
  }

  /** Frees the ring range of a read that was taken (a no-op for other reads). */
  release(ticket: number): void {
    const slot = this.taken.get(ticket);
    if (slot === undefined) return;
    this.taken.delete(ticket);
    this.ring!.release(slot);
  }

  /** Lets the worker finish the reads queued, close its files and end; their bytes are dropped. */
  close(): void {
    this.arrived.clear();
    this.port.postMessage(null);
  }

  private bytesOf(reply: Reply): Uint8Array | null {
    const slot = this.slots.get(reply.ticket);
    if (slot === undefined) return reply.ok ? new Uint8Array(reply.buffer ?? new ArrayBuffer(0)) : null;
    this.slots.delete(reply.ticket);
    if (!reply.ok) {
      this.ring!.release(slot);
      return null;
    }
    this.taken.set(reply.ticket, slot);
    return new Uint8Array(this.ring!.buffer, slot.start, slot.length);
  }

  private receiveAll(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const reply = m.message as Reply;
      this.arrived.set(reply.ticket, reply);
    }
  }
}
