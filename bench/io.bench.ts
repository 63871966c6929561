/**
 * Lazy reads keep memory far below the file size: a ~1.1 GB safetensors file is written (in a child
 * process, so its buffers do not count here) to os.tmpdir(), then this process lists it and reads one
 * tensor, recording peak RSS after each step. The file is deleted at the end.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSafetensors } from '../src/io/safetensors-reader.js';
import { createSafetensorsWriter } from '../src/io/safetensors-writer.js';
import type { TensorEntry } from '../src/io/tensor-sink.js';
import { peakRssMiB, writeResult } from './util.js';

/** 16 tensors of 16 Mi float32 (64 MiB) each, plus a small one: 1.07 GB. */
const BIG = 16 * 1024 * 1024;
const entries: TensorEntry[] = [
  ...Array.from({ length: 16 }, (_, i) => ({
    name: `encoder.layers.${i}.weight`,
    dtype: 'F32' as const,
    shape: [BIG],
  })),
  { name: 'small', dtype: 'F32', shape: [1000] },
];

function writeFile(path: string): void {
  const sink = createSafetensorsWriter(path, entries);
  const data = new Float32Array(BIG);
  entries.forEach((e, i) => {
    const t = e.name === 'small' ? new Float32Array(1000).fill(7) : data.fill(i);
    sink.write(e.name, { dtype: 'F32', shape: e.shape, data: t });
  });
  sink.finish();
}

if (process.argv[2] === '--write') {
  writeFile(process.argv[3]);
  process.exit(0);
}

const path = join(tmpdir(), `wemoe-io-bench-${process.pid}.safetensors`);
try {
  const startRss = peakRssMiB();
  const writeStart = performance.now();
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', new URL(import.meta.url).pathname, '--write', path],
    { stdio: 'inherit' },
  );
  if (child.status !== 0) throw new Error('writing the benchmark file failed');
  const writeMs = performance.now() - writeStart;
  const fileBytes = statSync(path).size;

  const listStart = performance.now();
  const file = openSafetensors(path);
  const names = file.names();
  const listMs = performance.now() - listStart;
  const listRss = peakRssMiB();

  const small = file.readF32('small');
  const smallRss = peakRssMiB();
  const readStart = performance.now();
  const big = file.readF32('encoder.layers.7.weight');
  const readMs = performance.now() - readStart;
  const bigRss = peakRssMiB();
  if (small[999] !== 7 || big[0] !== 7 || big[BIG - 1] !== 7 || names.length !== entries.length)
    throw new Error('wrong data read back');
  file.close();

  writeResult('io', {
    file_gb: fileBytes / 1e9,
    tensors: names.length,
    write_ms_incl_child_startup: Math.round(writeMs),
    list_ms: Math.round(listMs * 100) / 100,
    read_64mib_tensor_ms: Math.round(readMs),
    read_gb_per_s: Math.round((BIG * 4) / readMs / 1e4) / 100,
    peak_rss_mib_at_start: Math.round(startRss),
    peak_rss_mib_after_listing: Math.round(listRss),
    peak_rss_mib_after_reading_small_tensor: Math.round(smallRss),
    peak_rss_mib_after_reading_64mib_tensor: Math.round(bigRss),
  });
} finally {
  rmSync(path, { force: true });
}
