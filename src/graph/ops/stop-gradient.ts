import type { Op } from './common.js';

/** Identity whose gradient is cut (e.g. the max subtracted for a stable log-sum-exp). */
export const stopGradient: Op = {
  name: 'StopGradient',
  arity: 1,
  infer: ([x]) => x,
  lower: (ctx, [x], out) => ctx.emit('Identity', [x], [out]),
  grad: () => [null],
  evaluate: ([x]) => x,
};
