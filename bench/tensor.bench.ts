/** Baseline: a trivial benchmark that keeps `npm run bench` runnable and measures host f32 fill speed. */
import { float32 } from '../src/tensor/tensor.js';
import { peakRssMiB, timeMs, writeResult } from './util.js';

const n = 88_000_000 / 8;
const ms = await timeMs(() => float32([n]).data.fill(1));
writeResult('tensor', { elements: n, fill_ms: ms, fill_gb_per_s: (n * 4) / ms / 1e6, peak_rss_mib: peakRssMiB() });
