/**
 * The Ties entry kernel's module (ties-simd-code.ts has the per-block SIMD steps): besides accumulate and
 * resolve, meanParts and maxParts (the merged value of each sign for mean and max), and `span`, which runs
 * every step over a span of entries read in place, block after block, without a return to JavaScript:
 *
 * span(n, tasks, mode, λ, outAt, listAt, tie, first) for n entries (a multiple of 4) whose inputs start at
 * the addresses in SPAN_INPUTS (base, θ0, each task's array), with each task's bounds in SPAN_LOWS and
 * SPAN_HIGHS; mode 0 sum, 1 mean, 2 max; tie 1 or −1 (the sign given to zero signs) or 0 (record a zero
 * sign whose result depends on the sign). Writes float32(θ0 + λ·merged) of every decided entry at
 * outAt, and θ0 of the others, which it records at listAt: per entry 1 + tasks words, its index plus
 * `first` (u32), then its τ = float32(array − base) (f32), written while the block is in cache (read
 * later, the inputs of scattered entries cost a cache miss each); a τ whose magnitude lies in its task's
 * bucket in SPAN_BUCKETS is counted in the task's histogram at SPAN_HISTOGRAMS (by its low 16 bits).
 * Each task's count of kept magnitudes (|τ| bits ≥ its high bound) goes to SPAN_KEEPS, in four lanes,
 * and its count of NaN and ±Inf τ to SPAN_NON_FINITES.
 * Returns Σ sign(total) over the entries not special (see resolve), and stores it at SPAN_VOTES and the
 * end of the records at SPAN_LIST_END.
 */
import { SIMD_BLOCK, SIMD_TASKS, type TiesLayout, tiesLayout } from './ties-layout.js';
import { nonFiniteFunction, recordsFunction, touchFunction } from './ties-records-code.js';
import { ACCUMULATE_LOCALS, accumulateBody, RESOLVE_LOCALS, resolveBody } from './ties-simd-code.js';
import { F64, forLoop, I32, op, vop, type WasmFunction, wasmModule } from './wasm-builder.js';

const B = SIMD_BLOCK;
/** Function indices in the module, in the order `tiesSimdModule` lists them. */
const [ACCUMULATE, ACCUMULATE_FRESH, ACCUMULATE_STATS, ACCUMULATE_STATS_FRESH, RESOLVE, MEAN, MAX] = [
  0, 1, 2, 3, 4, 5, 6,
];

const shl = (local: number, bits: number) => [...op.get(local), ...op.i32Const(bits), ...op.i32Shl];

/** meanParts(n): each sign's sum over the count of its nonzero kept values, at least 1 (float64). */
function meanBody({ PARTS, STATS }: TiesLayout): number[] {
  const [n, j, count] = [0, 1, 2];
  const divide = (parts: number, counts: number) => [
    ...shl(j, 3),
    ...[...shl(j, 3), ...op.f64Load(parts)],
    ...[...shl(j, 2), ...op.i32Load(counts), ...op.set(count)],
    ...[...op.get(count), ...op.i32Const(1), ...op.get(count), ...op.i32Const(1), ...op.i32GtS, ...op.select],
    ...[...op.f64ConvertI32S, ...op.f64Div, ...op.f64Store(parts)],
  ];
  return forLoop(j, n, 1, [...divide(PARTS, STATS), ...divide(PARTS + 8 * B, STATS + 4 * B)]);
}

/** maxParts(n): the largest kept magnitude of each sign, with its sign (−0 where none is negative). */
function maxBody({ PARTS, STATS }: TiesLayout): number[] {
  const [n, j] = [0, 1];
  const widen = (bits: number) => [
    ...[...shl(j, 2), ...op.i32Load(bits)],
    ...[...op.f32ReinterpretI32, ...op.f64PromoteF32],
  ];
  return forLoop(j, n, 1, [
    ...[...shl(j, 3), ...widen(STATS + 8 * B), ...op.f64Store(PARTS)],
    ...[...shl(j, 3), ...widen(STATS + 12 * B), ...op.f64Neg, ...op.f64Store(PARTS + 8 * B)],
  ]);
}

// span's params, then its locals.
const [n, tasks, mode, lambda, outAt, listAt, tie, first] = [0, 1, 2, 3, 4, 5, 6, 7];
const [start, m, off, g, count, k, votes, list, j, t, recordBytes] = [
  8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
];
const [e4, value, up, down, recorded, theta, tau, magnitude] = [19, 20, 21, 22, 23, 24, 25, 26];

/** local = min(local, limit) (unsigned). */
const atMost = (local: number, limit: number) => [
  ...[...op.i32Const(limit), ...op.get(local), ...op.get(local), ...op.i32Const(limit), ...op.i32GtU],
  ...[...op.select, ...op.set(local)],
];

/** Tasks [g, g + count) of the block at `off` (count ≤ 4): their addresses and bounds, then accumulate. */
function groupStep(L: TiesLayout): number[] {
  const copy = (to: number, from: number, plusOffset: boolean) => [
    ...shl(k, 2),
    ...[...op.get(g), ...op.get(k), ...op.i32Add, ...op.i32Const(2), ...op.i32Shl, ...op.i32Load(from)],
    ...(plusOffset ? [...op.get(off), ...op.i32Add] : []),
    ...op.i32Store(to),
  ];
  const call = (index: number) => [...op.get(m), ...op.get(count), ...op.call(index)];
  const firstOr = (fresh: number, later: number) => [
    ...[...op.get(g), ...op.i32Eqz, ...op.if, ...call(fresh), ...op.else, ...call(later), ...op.end],
  ];
  return [
    ...[...op.get(tasks), ...op.get(g), ...op.i32Sub, ...op.set(count), ...atMost(count, SIMD_TASKS)],
    ...forLoop(k, count, 1, [
      ...copy(L.ARRAY_ADDRESSES, L.SPAN_INPUTS + 8, true),
      ...copy(L.LOWS, L.SPAN_LOWS, false),
      ...copy(L.HIGHS, L.SPAN_HIGHS, false),
    ]),
    ...[...op.get(mode), ...op.if, ...firstOr(ACCUMULATE_STATS_FRESH, ACCUMULATE_STATS), ...op.else],
    ...[...firstOr(ACCUMULATE_FRESH, ACCUMULATE), ...op.end],
    ...forLoop(k, count, 1, foldKeeps(L)),
  ];
}

/** The span's counts of task g + k += the block's counts of the group's task k, which start again from zero. */
function foldKeeps({ KEEPS, NON_FINITES, SPAN_KEEPS, SPAN_NON_FINITES }: TiesLayout): number[] {
  const spanSlot = [...op.get(g), ...op.get(k), ...op.i32Add, ...op.i32Const(4), ...op.i32Shl];
  const fold = (block: number, span: number) => [
    ...[...spanSlot, ...spanSlot, ...vop.load(span), ...shl(k, 4), ...vop.load(block)],
    ...[...vop.i32x4Add, ...vop.store(span)],
    ...[...shl(k, 4), ...vop.i32x4Const(0), ...vop.store(block)],
  ];
  return [...fold(KEEPS, SPAN_KEEPS), ...fold(NON_FINITES, SPAN_NON_FINITES)];
}

/** Zeroes the span's counts (and those a call outside spans may have left in the block's). */
function clearKeeps({ KEEPS, NON_FINITES, SPAN_KEEPS, SPAN_NON_FINITES }: TiesLayout): number[] {
  const zero = (offsets: number[]) =>
    offsets.flatMap((offset) => [...shl(t, 4), ...vop.i32x4Const(0), ...vop.store(offset)]);
  return [
    ...[...op.i32Const(SIMD_TASKS), ...op.set(count), ...forLoop(t, count, 1, zero([KEEPS, NON_FINITES]))],
    ...forLoop(t, tasks, 1, zero([SPAN_KEEPS, SPAN_NON_FINITES])),
  ];
}

/** The float32 bits of θ0 + λ·(the merged value at `parts`) of entry j. */
const rounded = (parts: number) => [
  ...[...op.get(theta), ...op.get(lambda), ...shl(j, 3), ...op.f64Load(parts), ...op.f64Mul, ...op.f64Add],
  ...[...op.f32DemoteF64, ...op.i32ReinterpretF32],
];

const isNaNBits = (bits: number) => [
  ...[...op.get(bits), ...op.i32Const(0x7fffffff), ...op.i32And, ...op.i32Const(0x7f800000), ...op.i32GtU],
];

/** Counts |τ| (bits in `tau`) in task t's histogram when it lies in the task's bucket in SPAN_BUCKETS. */
function countFine({ SPAN_BUCKETS, SPAN_HISTOGRAMS }: TiesLayout): number[] {
  const slot = [
    ...[...op.i32Const(0), ...op.i32Load(SPAN_HISTOGRAMS), ...op.get(t), ...op.i32Const(18), ...op.i32Shl],
    ...[...op.i32Add, ...op.get(magnitude), ...op.i32Const(0xffff), ...op.i32And, ...op.i32Const(2)],
    ...[...op.i32Shl, ...op.i32Add],
  ];
  return [
    ...[...op.get(tau), ...op.i32Const(0x7fffffff), ...op.i32And, ...op.set(magnitude)],
    ...[...op.get(magnitude), ...op.i32Const(16), ...op.i32ShrU, ...shl(t, 2), ...op.i32Load(SPAN_BUCKETS)],
    ...[...op.i32Eq, ...op.if, ...slot, ...slot, ...op.i32Load(0), ...op.i32Const(1), ...op.i32Add],
    ...[...op.i32Store(0), ...op.end],
  ];
}

/**
 * Entry j of the block when special: its value from the tie rule, or θ0 and its record (undecided, or a
 * zero sign under tie 0 whose two values differ, as Object.is tells float32 values apart).
 */
function settleStep(L: TiesLayout): number[] {
  const { SPECIAL, UNDECIDED, PARTS, SPAN_INPUTS } = L;
  const input = (slot: number[]) => [...slot, ...op.get(e4), ...op.i32Add];
  const thetaAt = [...op.i32Const(0), ...op.i32Load(SPAN_INPUTS + 4)];
  const baseAt = [...op.i32Const(0), ...op.i32Load(SPAN_INPUTS)];
  const arrayAt = [...shl(t, 2), ...op.i32Load(SPAN_INPUTS + 8)];
  const same = [
    ...op.get(up),
    ...op.get(down),
    ...op.i32Eq,
    ...isNaNBits(up),
    ...isNaNBits(down),
    ...op.i32And,
    ...op.i32Or,
  ];
  const decide = [
    ...[...input(thetaAt), ...op.f32Load(0), ...op.f64PromoteF32, ...op.set(theta)],
    ...[...rounded(PARTS), ...op.set(up), ...rounded(PARTS + 8 * B), ...op.set(down)],
    ...[...op.get(tie), ...op.if],
    ...[
      ...op.get(up),
      ...op.get(down),
      ...op.get(tie),
      ...op.i32Const(0),
      ...op.i32GtS,
      ...op.select,
      ...op.set(value),
    ],
    ...[...op.else, ...same, ...op.if, ...op.get(up), ...op.set(value)],
    ...[...op.else, ...op.i32Const(1), ...op.set(recorded), ...op.end, ...op.end],
  ];
  const record = [
    ...[...input(thetaAt), ...op.i32Load(0), ...op.set(value)],
    ...[
      ...op.get(list),
      ...op.get(first),
      ...op.get(start),
      ...op.i32Add,
      ...op.get(j),
      ...op.i32Add,
      ...op.i32Store(0),
    ],
    ...forLoop(t, tasks, 1, [
      ...[...input(arrayAt), ...op.f32Load(0), ...input(baseAt), ...op.f32Load(0), ...op.f32Sub],
      ...[...op.i32ReinterpretF32, ...op.set(tau)],
      ...[...op.get(list), ...shl(t, 2), ...op.i32Add, ...op.get(tau), ...op.i32Store(4)],
      ...countFine(L),
    ]),
    ...[...op.get(list), ...op.get(recordBytes), ...op.i32Add, ...op.set(list)],
  ];
  return [
    ...[...shl(j, 2), ...op.i32Load(SPECIAL), ...op.if],
    ...[...op.get(start), ...op.get(j), ...op.i32Add, ...op.i32Const(2), ...op.i32Shl, ...op.set(e4)],
    ...[...shl(j, 2), ...op.i32Load(UNDECIDED), ...op.i32Const(0), ...op.i32Ne, ...op.set(recorded)],
    ...[...op.get(recorded), ...op.i32Eqz, ...op.if, ...decide, ...op.end],
    ...[...op.get(recorded), ...op.if, ...record, ...op.end],
    ...[...op.get(outAt), ...op.get(e4), ...op.i32Add, ...op.get(value), ...op.i32Store(0)],
    ...op.end,
  ];
}

function blockStep(L: TiesLayout): number[] {
  const inputAt = (slot: number, to: number) => [
    ...[...op.i32Const(0), ...op.i32Const(0), ...op.i32Load(slot), ...op.get(off), ...op.i32Add],
    ...op.i32Store(to),
  ];
  const ifMode = (value: number, fn: number) => [
    ...[...op.get(mode), ...op.i32Const(value), ...op.i32Sub, ...op.i32Eqz, ...op.if],
    ...[...op.get(m), ...op.call(fn), ...op.end],
  ];
  return [
    ...[...op.get(n), ...op.get(start), ...op.i32Sub, ...op.set(m), ...atMost(m, B)],
    ...[...shl(start, 2), ...op.set(off)],
    ...inputAt(L.SPAN_INPUTS, L.BASE_ADDRESS),
    ...inputAt(L.SPAN_INPUTS + 4, L.THETA_ADDRESS),
    ...forLoop(g, tasks, SIMD_TASKS, groupStep(L)),
    ...[...ifMode(1, MEAN), ...ifMode(2, MAX)],
    ...[
      ...op.get(votes),
      ...op.get(m),
      ...op.get(lambda),
      ...op.call(RESOLVE),
      ...op.i32Add,
      ...op.set(votes),
    ],
    ...[
      ...op.get(outAt),
      ...op.get(off),
      ...op.i32Add,
      ...op.i32Const(L.OUT),
      ...shl(m, 2),
      ...op.memoryCopy,
    ],
    ...[
      ...op.i32Const(0),
      ...op.i32Load(L.SPECIALS),
      ...op.if,
      ...forLoop(j, m, 1, settleStep(L)),
      ...op.end,
    ],
  ];
}

function spanBody(L: TiesLayout): number[] {
  return [
    ...clearKeeps(L),
    ...[...op.get(listAt), ...op.set(list)],
    ...[...shl(tasks, 2), ...op.i32Const(4), ...op.i32Add, ...op.set(recordBytes)],
    ...forLoop(start, n, B, blockStep(L)),
    ...[...op.i32Const(0), ...op.get(votes), ...op.i32Store(L.SPAN_VOTES)],
    ...[...op.i32Const(0), ...op.get(list), ...op.i32Store(L.SPAN_LIST_END)],
    ...op.get(votes),
  ];
}

/**
 * The module with its scratch at `scratch`: accumulate(n, tasks), accumulateFresh, accumulateStats,
 * accumulateStatsFresh (…Fresh: the block's first call, the sums start at zero), resolve(n, λ) → votes,
 * meanParts(n), maxParts(n), records (ties-records-code.ts), span(n, tasks, mode, λ, outAt, listAt, tie,
 * first) → votes.
 */
export function tiesSimdModule(scratch: number): Uint8Array {
  const L = tiesLayout(scratch);
  const accumulate = (stats: boolean, fresh: boolean): WasmFunction => ({
    name: `${stats ? 'accumulateStats' : 'accumulate'}${fresh ? 'Fresh' : ''}`,
    params: [I32, I32],
    locals: ACCUMULATE_LOCALS,
    body: accumulateBody(L, stats, fresh),
  });
  const perSign = (name: string, body: number[], locals: number): WasmFunction => ({
    name,
    params: [I32],
    locals: [[locals, I32]],
    body,
  });
  const functions: WasmFunction[] = [
    ...[false, true].flatMap((stats) => [accumulate(stats, false), accumulate(stats, true)]),
    { name: 'resolve', params: [I32, F64], results: [I32], locals: RESOLVE_LOCALS, body: resolveBody(L) },
    perSign('meanParts', meanBody(L), 2),
    perSign('maxParts', maxBody(L), 1),
    recordsFunction(L),
    nonFiniteFunction(),
    touchFunction(),
    {
      name: 'span',
      params: [I32, I32, I32, F64, I32, I32, I32, I32],
      results: [I32],
      locals: [
        [16, I32],
        [1, F64],
        [2, I32],
      ],
      body: spanBody(L),
    },
  ];
  return wasmModule(Math.ceil(L.END / 65536), functions);
}
