import { WemoeError } from '../../errors.js';
import { shapeText, staticNumel } from '../shape.js';
import type { Dim, Shape } from '../types.js';
import type { Op } from './common.js';

/**
 * New shape, same elements in row-major order. The target may hold -1 (inferred), 0 (copy the input's
 * dim) and symbols; the IR stores the resolved shape, so -1 over symbolic input becomes a derived
 * symbol such as 'batch*50'.
 */
export const reshape: Op = {
  name: 'Reshape',
  arity: 1,
  infer([x], attrs) {
    return { dtype: x.dtype, shape: resolveShape(x.shape, attrs.shape as Dim[]) };
  },
  lower(ctx, [x], out, attrs, node) {
    const inShape = node.inputs[0].shape;
    const target = resolveShape(inShape, attrs.shape as Dim[]);
    // A symbol in the same place as in the input is copied (0); an unknown one is inferred (-1).
    const dims = target.map((d, i) => (typeof d === 'string' && inShape[i] === d ? 0 : d));
    ctx.emit('Reshape', [x, ctx.shapeTensor(dims, () => -1)], [out]);
  },
  grad: (g, n) => [g.reshape(n.inputs[0].shape)],
  evaluate([x], attrs) {
    const shape = resolveShape(x.shape, attrs.shape as Dim[]);
    if (shape.some((d) => typeof d !== 'number'))
      throw new WemoeError(`Reshape: unresolved shape ${shapeText(shape)}`);
    return { dtype: x.dtype, shape: shape as number[], data: x.data };
  },
};

/** The target with 0 and -1 replaced by dims (sizes, symbols or a derived symbol). */
export function resolveShape(input: Shape, target: readonly Dim[]): Dim[] {
  const where = `Reshape ${shapeText(input)} → ${shapeText(target)}`;
  const dims = target.map((d, i) => {
    if (d !== 0) return d;
    if (i >= input.length) throw new WemoeError(`${where}: 0 at axis ${i} has no input dim to copy`);
    return input[i];
  });
  const holes = dims.filter((d) => d === -1).length;
  if (holes > 1) throw new WemoeError(`${where}: at most one -1 allowed`);
  for (const d of dims) {
    if (typeof d === 'number' && (d < -1 || !Number.isInteger(d)))
      throw new WemoeError(`${where}: bad dim ${d}`);
  }
  if (holes === 1) dims[dims.indexOf(-1)] = inferHole(input, dims, where);
  const a = staticNumel(input);
  const b = staticNumel(dims);
  if (a !== undefined && b !== undefined && a !== b)
    throw new WemoeError(`${where}: ${a} elements cannot become ${b}`);
  return dims;
}

/** The -1 dim: input size / known target sizes, with symbols cancelled when both sides have them. */
function inferHole(input: Shape, dims: readonly Dim[], where: string): Dim {
  const symbols: string[] = [];
  let num = 1;
  for (const d of input) {
    if (typeof d === 'number') num *= d;
    else symbols.push(d);
  }
  let den = 1;
  for (const d of dims) {
    if (d === -1) continue;
    if (typeof d === 'number') den *= d;
    else if (symbols.includes(d)) symbols.splice(symbols.indexOf(d), 1);
    else throw new WemoeError(`${where}: symbol ${d} is not in the input's shape`);
  }
  if (symbols.length === 0) {
    if (num % den !== 0) throw new WemoeError(`${where}: ${num} elements do not divide into ${den}`);
    return num / den;
  }
  if (num % den !== 0) throw new WemoeError(`${where}: cannot infer -1`);
  const factor = num / den;
  return factor === 1 && symbols.length === 1
    ? symbols[0]
    : [...symbols, ...(factor === 1 ? [] : [factor])].join('*');
}
