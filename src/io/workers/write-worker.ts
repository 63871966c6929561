/** The worker of BackgroundWriter: writes each ring range at its file position, replying the errno code or null. */
import { writeSync } from 'node:fs';
import { type MessagePort, workerData } from 'node:worker_threads';

interface WriteRequest {
  readonly ticket: number;
  readonly at: number;
  readonly length: number;
  readonly position: number;
}

const { port, signal, ring, fd } = workerData as {
  port: MessagePort;
  signal: SharedArrayBuffer;
  ring: SharedArrayBuffer;
  fd: number;
};
const done = new Int32Array(signal);

port.on('message', ({ ticket, at, length, position }: WriteRequest) => {
  if (ticket < 0) {
    port.close();
    return;
  }
  let code: string | null = null;
  try {
    const bytes = new Uint8Array(ring, at, length);
    for (let written = 0; written < length; ) {
      written += writeSync(fd, bytes, written, length - written, position + written);
    }
  } catch (error) {
    code =
      (error as NodeJS.ErrnoException | undefined)?.code ?? String((error as Error | undefined)?.message);
  }
  port.postMessage({ ticket, code });
  Atomics.add(done, 0, 1);
  Atomics.notify(done, 0);
});
