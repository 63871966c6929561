/**
 * Totals an ONNX Runtime profile (the Chrome trace JSON a session writes with `profile` set) by operator:
 * time, share of the node time, node count, and the session's run time beside it (the gap is time
 * between nodes: scheduling, copies, idle threads). Usage: tsx bench/profile-summary.ts PROFILE.json [TOP]
 */
import { readFileSync } from 'node:fs';

interface TraceEvent {
  readonly cat: string;
  readonly name: string;
  readonly dur?: number;
  readonly args?: { readonly op_name?: string };
}

const [file, top = '20'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts PROFILE.json [TOP]\n');
  process.exit(2);
}
const events = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[];
const byOp = new Map<string, { us: number; count: number }>();
let nodeUs = 0;
let runUs = 0;
for (const e of events) {
  if (e.cat === 'Session' && e.name === 'model_run') runUs += e.dur ?? 0;
  // Each node has a fence_before, the kernel and a fence_after event: the kernel's name ends in _kernel_time.
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  const entry = byOp.get(op) ?? { us: 0, count: 0 };
  entry.us += e.dur ?? 0;
  entry.count += 1;
  byOp.set(op, entry);
  nodeUs += e.dur ?? 0;
}
const rows = [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, Number(top));
process.stdout.write(`runs ${(runUs / 1e6).toFixed(2)} s, node kernels ${(nodeUs / 1e6).toFixed(2)} s\n`);
for (const [op, { us, count }] of rows)
  process.stdout.write(
    `${op.padEnd(32)} ${(us / 1e6).toFixed(3).padStart(9)} s ${((100 * us) / nodeUs).toFixed(1).padStart(5)} %  ×${count}\n`,
  );
