/**
 * The worker of BackgroundReader: reads each requested range into the ring at `at` (replying ok), or,
 * when `at` is −1, into a fresh buffer that it hands over. A null message is the last: the worker closes
 * its files and its port, and so ends.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { type MessagePort, workerData } from 'node:worker_threads';

interface ReadRequest {
  readonly ticket: number;
  readonly path: string;
  readonly offset: number;
  readonly length: number;
  readonly at: number;
}

const { port, signal, ring } = workerData as {
  port: MessagePort;
  signal: SharedArrayBuffer;
  ring: SharedArrayBuffer | null;
};
const arrivals = new Int32Array(signal);
const fds = new Map<string, number>();

function readRange(path: string, offset: number, bytes: Uint8Array): void {
  let fd = fds.get(path);
  if (fd === undefined) {
    fd = openSync(path, 'r');
    fds.set(path, fd);
  }
  for (let done = 0; done < bytes.length; ) {
    const n = readSync(fd, bytes, done, Math.min(1 << 30, bytes.length - done), offset + done);
    if (n === 0) throw new Error('unexpected end of file');
    done += n;
  }
}

function reply({ ticket, path, offset, length, at }: ReadRequest): void {
  if (at >= 0 && ring !== null) {
    readRange(path, offset, new Uint8Array(ring, at, length));
    port.postMessage({ ticket, ok: true });
    return;
  }
  const buffer = new ArrayBuffer(length);
  readRange(path, offset, new Uint8Array(buffer));
  port.postMessage({ ticket, ok: true, buffer }, [buffer]);
}

port.on('message', (reads: readonly ReadRequest[] | null) => {
  if (reads === null) {
    for (const fd of fds.values()) closeSync(fd);
    port.close();
    return;
  }
  for (const read of reads) {
    try {
      reply(read);
    } catch {
      port.postMessage({ ticket: read.ticket, ok: false });
    }
    Atomics.add(arrivals, 0, 1);
    Atomics.notify(arrivals, 0);
  }
});
