/**
 * Reads byte ranges of files on a worker thread, so that the copy from the page cache runs on another core
 * while this thread computes. Synchronous on this side: `take` blocks (Atomics.wait) until the bytes came,
 * which keeps the callers (the streaming merge driver) synchronous.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';

export interface ByteRange {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

/** Plain CommonJS run by the worker: reads each requested range into a fresh buffer and hands it over. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { closeSync, openSync, readSync } = require('node:fs');
const { port, signal } = workerData;
const arrivals = new Int32Array(signal);
const fds = new Map();
function readRange(path, offset, length) {
  let fd = fds.get(path);
  if (fd === undefined) {
    fd = openSync(path, 'r');
    fds.set(path, fd);
  }
  const bytes = new Uint8Array(new ArrayBuffer(length));
  for (let done = 0; done < length; ) {
    const n = readSync(fd, bytes, done, Math.min(1 << 30, length - done), offset + done);
    if (n === 0) throw new Error('unexpected end of file');
    done += n;
  }
  return bytes.buffer;
}
port.on('message', ({ ticket, path, offset, length }) => {
  if (ticket < 0) {
    for (const fd of fds.values()) closeSync(fd);
    port.close();
    return;
  }
  try {
    const buffer = readRange(path, offset, length);
    port.postMessage({ ticket, buffer }, [buffer]);
  } catch {
    port.postMessage({ ticket, buffer: null });
  }
  Atomics.add(arrivals, 0, 1);
  Atomics.notify(arrivals, 0);
});
`;

/** Longest single wait before looking at the port again (a guard against a missed wake-up). */
const WAIT_SLICE_MS = 20;

/**
 * After this long without any reply, the worker is taken for dead (it cannot be watched otherwise while
 * this thread blocks): `take` returns null from then on and the callers read synchronously.
 */
const DEFAULT_STALL_MS = 60_000;

/** The ticket of the last message: the worker closes its files and its port, and so ends. */
const STOP = -1;

interface Reply {
  readonly ticket: number;
  readonly buffer: ArrayBuffer | null;
}

export class BackgroundReader {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  /** Count of replies the worker posted; it notifies on it after each. */
  private readonly arrivals = new Int32Array(new SharedArrayBuffer(4));
  /** Replies received but not yet taken, by ticket. */
  private readonly arrived = new Map<number, ArrayBuffer | null>();
  private nextTicket = 0;
  private dead = false;
  private readonly stallMs: number;

  constructor(options: { stallMs?: number } = {}) {
    this.stallMs = options.stallMs ?? DEFAULT_STALL_MS;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { port: port2, signal: this.arrivals.buffer },
      transferList: [port2],
    });
    this.worker.unref();
  }

  /** Queues a read (reads run in request order); returns the ticket that `take` redeems. */
  request(range: ByteRange): number {
    const ticket = this.nextTicket++;
    this.port.postMessage({ ticket, path: range.path, offset: range.offset, length: range.length });
    return ticket;
  }

  /**
   * The bytes of a requested read, waiting for them; null when the read failed or the worker stopped
   * answering (the caller reads again synchronously, which gives the usual error naming the file).
   */
  take(ticket: number): ArrayBuffer | null {
    let lastProgress = performance.now();
    let lastSeen = Atomics.load(this.arrivals, 0);
    for (;;) {
      const seen = Atomics.load(this.arrivals, 0);
      this.receiveAll();
      if (this.arrived.has(ticket)) {
        const buffer = this.arrived.get(ticket) ?? null;
        this.arrived.delete(ticket);
        return buffer;
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

  /** Lets the worker finish the reads queued, close its files and end; their bytes are dropped. */
  close(): void {
    this.arrived.clear();
    this.port.postMessage({ ticket: STOP });
  }

  private receiveAll(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) {
      const reply = m.message as Reply;
      this.arrived.set(reply.ticket, reply.buffer);
    }
  }
}
