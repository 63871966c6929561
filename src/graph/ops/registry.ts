/** The explicit registry of primitives: one line per op. */
import { WemoeError } from '../../errors.js';
import { add } from './add.js';
import { cast } from './cast.js';
import type { Op } from './common.js';
import { concat } from './concat.js';
import { div } from './div.js';
import { equal } from './equal.js';
import { erf } from './erf.js';
import { exp } from './exp.js';
import { expand } from './expand.js';
import { fastGelu } from './fast-gelu.js';
import { gather } from './gather.js';
import { gatherGrad } from './gather-grad.js';
import { gemm } from './gemm.js';
import { greater } from './greater.js';
import { layerNorm } from './layer-norm.js';
import { log } from './log.js';
import { logSoftmax } from './log-softmax.js';
import { matmul } from './matmul.js';
import { mul } from './mul.js';
import { neg } from './neg.js';
import { pad } from './pad.js';
import { pow } from './pow.js';
import { reduceMax } from './reduce-max.js';
import { reduceMean } from './reduce-mean.js';
import { reduceSum } from './reduce-sum.js';
import { relu } from './relu.js';
import { reshape } from './reshape.js';
import { rmsNorm } from './rms-norm.js';
import { sigmoid } from './sigmoid.js';
import { size } from './size.js';
import { slice } from './slice.js';
import { softmax } from './softmax.js';
import { sqrt } from './sqrt.js';
import { stopGradient } from './stop-gradient.js';
import { sub } from './sub.js';
import { tanh } from './tanh.js';
import { transpose } from './transpose.js';
import { where } from './where.js';

const ALL: readonly Op[] = [
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  exp,
  log,
  sqrt,
  relu,
  sigmoid,
  tanh,
  erf,
  greater,
  equal,
  where,
  cast,
  stopGradient,
  matmul,
  gemm,
  transpose,
  reshape,
  expand,
  concat,
  slice,
  pad,
  gather,
  gatherGrad,
  reduceSum,
  reduceMean,
  reduceMax,
  size,
  softmax,
  logSoftmax,
  layerNorm,
  rmsNorm,
  fastGelu,
];

export const OPS: ReadonlyMap<string, Op> = new Map(ALL.map((op) => [op.name, op]));

/** The definition of primitive `name`; an unknown name is an error naming it. */
export function opDef(name: string): Op {
  const def = OPS.get(name);
  if (!def) throw new WemoeError(`graph: unknown op ${name}`);
  return def;
}
