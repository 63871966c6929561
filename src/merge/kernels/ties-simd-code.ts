/**
 * The WebAssembly SIMD code of the Ties entry kernel (see ties-simd.ts for what it computes and why),
 * emitted with the hand-written builder, and the layout of its memory: one block of entries at a time.
 */
import { SIMD_BLOCK, type TiesLayout } from './ties-layout.js';
import { forLoop, I32, op, V128, vop } from './wasm-builder.js';

const B = SIMD_BLOCK;

// Locals: params n (entries, a multiple of 4) and tasks; then byte offsets of the entry; then vectors.
const [n, tasks, i, t, at4, at8] = [0, 1, 2, 3, 4, 5];
const [base, x, magnitude, keep, undecided, kept, negative, part] = [6, 7, 8, 9, 10, 11, 12, 13];
const [totalLow, totalHigh, positiveLow, positiveHigh, negativeLow, negativeHigh] = [14, 15, 16, 17, 18, 19];
const [keptMagnitude, nonzero, positiveCount, negativeCount, positiveMax, negativeMax] = [
  20, 21, 22, 23, 24, 25,
];
const HIGH_LANES = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

/** sums[low], sums[high] += float64 of the low and high two lanes of `value`. */
function addWidened(value: number, low: number, high: number): number[] {
  return [
    ...op.get(low),
    ...op.get(value),
    ...vop.f64x2PromoteLowF32x4,
    ...vop.f64x2Add,
    ...op.set(low),
    ...op.get(high),
    ...op.get(value),
    ...op.get(value),
    ...vop.shuffle(HIGH_LANES),
    ...vop.f64x2PromoteLowF32x4,
    ...vop.f64x2Add,
    ...op.set(high),
  ];
}

/** Counts (subtracting −1 lanes) and maxima per sign of the kept τ, after `taskStep` set kept, negative. */
function statsStep(): number[] {
  const update = (local: number, value: number[], combine: number[]) => [
    ...op.get(local),
    ...value,
    ...combine,
    ...op.set(local),
  ];
  return [
    ...[...op.get(magnitude), ...op.get(keep), ...vop.and, ...op.set(keptMagnitude)],
    ...[...op.get(keptMagnitude), ...vop.i32x4Const(0), ...vop.i32x4Ne, ...op.set(nonzero)],
    ...update(positiveCount, [...op.get(nonzero), ...op.get(negative), ...vop.andNot], vop.i32x4Sub),
    ...update(negativeCount, [...op.get(nonzero), ...op.get(negative), ...vop.and], vop.i32x4Sub),
    ...update(positiveMax, [...op.get(keptMagnitude), ...op.get(negative), ...vop.andNot], vop.i32x4MaxS),
    ...update(negativeMax, [...op.get(keptMagnitude), ...op.get(negative), ...vop.and], vop.i32x4MaxS),
  ];
}

/**
 * One task on the four entries at `at4`: trim, then the three sums and the undecided mask; the kept
 * magnitudes and the non-finite τ are counted in the task's lanes at KEEPS and NON_FINITES (spans sum
 * them; elsewhere they are not read).
 */
function taskStep({ ARRAY_ADDRESSES, HIGHS, LOWS, KEEPS, NON_FINITES }: TiesLayout): number[] {
  const bound = (offset: number) => [...op.get(t), ...op.i32Const(2), ...op.i32Shl, ...op.i32Load(offset)];
  const slot = [...op.get(t), ...op.i32Const(4), ...op.i32Shl];
  /** The task's lanes at `offset` −= the mask `mask` leaves on the stack. */
  const count = (offset: number, mask: number[]) => [
    ...[...slot, ...slot, ...vop.load(offset), ...mask, ...vop.i32x4Sub, ...vop.store(offset)],
  ];
  return [
    ...[
      ...op.get(at4),
      ...op.get(t),
      ...op.i32Const(2),
      ...op.i32Shl,
      ...op.i32Load(ARRAY_ADDRESSES),
      ...op.i32Add,
    ],
    ...[...vop.load(0), ...op.get(base), ...vop.f32x4Sub, ...op.set(x)],
    ...[...op.get(x), ...vop.i32x4Const(0x7fffffff), ...vop.and, ...op.set(magnitude)],
    ...[...op.get(magnitude), ...bound(HIGHS), ...vop.i32x4Splat, ...vop.i32x4GeS, ...op.set(keep)],
    ...count(KEEPS, [...op.get(keep)]),
    ...count(NON_FINITES, [...op.get(magnitude), ...vop.i32x4Const(0x7f800000), ...vop.i32x4GeS]),
    ...[...op.get(undecided), ...op.get(magnitude), ...bound(LOWS), ...vop.i32x4Splat, ...vop.i32x4GeS],
    ...[...op.get(keep), ...vop.andNot, ...vop.or, ...op.set(undecided)],
    ...[...op.get(x), ...op.get(keep), ...vop.and, ...op.set(kept)],
    ...[...op.get(kept), ...op.i32Const(31), ...vop.i32x4ShrS, ...op.set(negative)],
    ...addWidened(kept, totalLow, totalHigh),
    ...[...op.get(kept), ...op.get(negative), ...vop.andNot, ...op.set(part)],
    ...addWidened(part, positiveLow, positiveHigh),
    ...[...op.get(kept), ...op.get(negative), ...vop.and, ...op.set(part)],
    ...addWidened(part, negativeLow, negativeHigh),
  ];
}

/** The sums of the block, loaded at the start of an entry step and stored at its end. */
const sumsOf = ({ TOTAL, PARTS, UNDECIDED }: TiesLayout): (readonly [number, number, number])[] => [
  [totalLow, at8, TOTAL],
  [totalHigh, at8, TOTAL + 16],
  [positiveLow, at8, PARTS],
  [positiveHigh, at8, PARTS + 16],
  [negativeLow, at8, PARTS + 8 * B],
  [negativeHigh, at8, PARTS + 8 * B + 16],
  [undecided, at4, UNDECIDED],
];
const statSumsOf = ({ STATS }: TiesLayout): (readonly [number, number, number])[] => [
  [positiveCount, at4, STATS],
  [negativeCount, at4, STATS + 4 * B],
  [positiveMax, at4, STATS + 8 * B],
  [negativeMax, at4, STATS + 12 * B],
];

/** Adds the input address stored at `slot` to the byte offset on the stack. */
function inputAddress(slot: number): number[] {
  return [...op.i32Const(0), ...op.i32Load(slot), ...op.i32Add];
}

/** With `fresh`, the sums start at zero (+0, and no stats) instead of being loaded: the block's first call. */
export function accumulateBody(L: TiesLayout, stats: boolean, fresh: boolean): number[] {
  const sums = stats ? [...sumsOf(L), ...statSumsOf(L)] : sumsOf(L);
  const begin = ([local, at, offset]: readonly [number, number, number]) =>
    fresh ? [...vop.i32x4Const(0), ...op.set(local)] : [...op.get(at), ...vop.load(offset), ...op.set(local)];
  const entryStep = [
    ...[...op.get(i), ...op.i32Const(2), ...op.i32Shl, ...op.set(at4)],
    ...[...op.get(i), ...op.i32Const(3), ...op.i32Shl, ...op.set(at8)],
    ...[...op.get(at4), ...inputAddress(L.BASE_ADDRESS), ...vop.load(0), ...op.set(base)],
    ...sums.flatMap(begin),
    ...forLoop(t, tasks, 1, stats ? [...taskStep(L), ...statsStep()] : taskStep(L)),
    ...sums.flatMap(([local, at, offset]) => [...op.get(at), ...op.get(local), ...vop.store(offset)]),
  ];
  return forLoop(i, n, 4, entryStep);
}

/** The low 32 bits of each 64-bit lane of a and b: four int32 lanes (of all-ones or zero masks). */
const NARROW = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
/** The low two float32 lanes of a, then those of b. */
const LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/**
 * resolve(n, λ): per entry, OUT = float32(θ0 + λ·merged) with merged the value of the total's sign
 * (PARTS[j] where the total is ≥ 0, PARTS[B + j] where < 0); SPECIAL = −1 where the entry is
 * undecided, or its total is 0 while a sign's value is not +0 (the caller settles those: where both
 * are +0, as for an entry with every τ trimmed, OUT is already right whatever the sign); returns
 * Σ sign(total) over the entries not special, and stores minus their count at SPECIALS.
 */
export function resolveBody({
  TOTAL,
  PARTS,
  UNDECIDED,
  OUT,
  SPECIAL,
  SPECIALS,
  THETA_ADDRESS,
}: TiesLayout): number[] {
  const [count, lambda, entry, e4, e8] = [0, 1, 2, 3, 4];
  const [scale, low, high, negLow, negHigh, merged, theta, special, votes] = [5, 6, 7, 8, 9, 10, 11, 12, 13];
  const [up, down, tiedLow, tiedHigh, specials] = [14, 15, 16, 17, 18];
  const load = (at: number, offset: number) => [...op.get(at), ...vop.load(offset)];
  const compare = (a: number, b: number, cmp: number[]) => [
    ...[...op.get(a), ...vop.i32x4Const(0), ...cmp, ...op.get(b), ...vop.i32x4Const(0), ...cmp],
    ...vop.shuffle(NARROW),
  ];
  /**
   * float32(θ0 + λ·merged) of two entries (the high two when `highLanes`), left on the stack; `tied`
   * marks those whose total is 0 while a sign's value is not +0 (bit patterns, so −0 counts).
   */
  const half = (total: number, neg: number, tied: number, offset: number, highLanes: boolean) => [
    ...[...load(e8, PARTS + offset), ...op.set(up), ...load(e8, PARTS + 8 * B + offset), ...op.set(down)],
    ...[...op.get(total), ...vop.i32x4Const(0), ...vop.f64x2Eq],
    ...[...op.get(up), ...op.get(down), ...vop.or, ...vop.i32x4Const(0), ...vop.i64x2Eq, ...vop.andNot],
    ...op.set(tied),
    ...[...op.get(down), ...op.get(up), ...op.get(neg), ...vop.bitselect],
    ...[...op.set(merged), ...op.get(theta)],
    ...(highLanes ? [...op.get(theta), ...vop.shuffle(HIGH_LANES)] : []),
    ...[...vop.f64x2PromoteLowF32x4, ...op.get(scale), ...op.get(merged), ...vop.f64x2Mul, ...vop.f64x2Add],
    ...vop.f32x4DemoteF64x2Zero,
  ];
  const step = [
    ...[...op.get(entry), ...op.i32Const(2), ...op.i32Shl, ...op.set(e4)],
    ...[...op.get(entry), ...op.i32Const(3), ...op.i32Shl, ...op.set(e8)],
    ...[...load(e8, TOTAL), ...op.set(low), ...load(e8, TOTAL + 16), ...op.set(high)],
    ...[...op.get(low), ...vop.i32x4Const(0), ...vop.f64x2Lt, ...op.set(negLow)],
    ...[...op.get(high), ...vop.i32x4Const(0), ...vop.f64x2Lt, ...op.set(negHigh)],
    ...[...op.get(e4), ...inputAddress(THETA_ADDRESS), ...vop.load(0), ...op.set(theta), ...op.get(e4)],
    ...half(low, negLow, tiedLow, 0, false),
    ...half(high, negHigh, tiedHigh, 16, true),
    ...[...vop.shuffle(LOW_HALVES), ...vop.store(OUT)],
    ...[...load(e4, UNDECIDED), ...op.get(tiedLow), ...op.get(tiedHigh), ...vop.shuffle(NARROW)],
    ...[...vop.or, ...op.set(special)],
    ...[...op.get(e4), ...op.get(special), ...vop.store(SPECIAL)],
    ...[...op.get(specials), ...op.get(special), ...vop.i32x4Add, ...op.set(specials)],
    ...[
      ...op.get(votes),
      ...compare(low, high, vop.f64x2Gt),
      ...op.get(special),
      ...vop.andNot,
      ...vop.i32x4Sub,
    ],
    ...[...op.get(negLow), ...op.get(negHigh), ...vop.shuffle(NARROW), ...op.get(special), ...vop.andNot],
    ...[...vop.i32x4Add, ...op.set(votes)],
  ];
  const lanes = (v: number) =>
    [0, 1, 2, 3].flatMap((k) => [...op.get(v), ...vop.i32x4ExtractLane(k), ...(k > 0 ? op.i32Add : [])]);
  return [
    ...[...op.get(lambda), ...vop.f64x2Splat, ...op.set(scale), ...vop.i32x4Const(0), ...op.set(votes)],
    ...[...vop.i32x4Const(0), ...op.set(specials)],
    ...forLoop(entry, count, 4, step),
    ...[...op.i32Const(0), ...lanes(specials), ...op.i32Store(SPECIALS)],
    ...lanes(votes),
  ];
}

/** The locals of `accumulate` (past its two params) and of `resolve` (past its two). */
export const ACCUMULATE_LOCALS = [[4, I32] as const, [20, V128] as const];
export const RESOLVE_LOCALS = [[3, I32] as const, [14, V128] as const];
