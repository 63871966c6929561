/**
 * The plan of a static merge, from the tensor headers alone: every model must hold the same tensors with
 * the same shapes and dtypes; floating-point tensors are merged, the others (e.g. integer position ids)
 * are copied from the pretrained model.
 */
import { WemoeError } from '../errors.js';
import type { TensorInfo, TensorSource } from '../io/tensor-source.js';
import { type DType, numel, shapeString } from '../tensor/tensor.js';

export interface MergeSources {
  readonly pretrained: TensorSource;
  /** Task name → expert; the key order is the task order. */
  readonly experts: Readonly<Record<string, TensorSource>>;
}

export interface MergePlan {
  readonly tasks: readonly string[];
  /** Every tensor, in the pretrained model's stored order. */
  readonly tensors: readonly TensorInfo[];
  readonly floatTensors: readonly TensorInfo[];
  readonly copiedTensors: readonly TensorInfo[];
  /** Parameters in the float tensors of one model (Ties' d). */
  readonly floatParams: number;
  readonly allParams: number;
}

const FLOAT_DTYPES: readonly DType[] = ['F32', 'F16', 'BF16', 'F64'];
const LISTED_MISMATCHES = 4;

export function isFloatDType(dtype: DType): boolean {
  return FLOAT_DTYPES.includes(dtype);
}

/** Differences between an expert and the pretrained model, one short phrase each. */
function mismatches(pretrained: TensorSource, task: string, expert: TensorSource): string[] {
  const found: string[] = [];
  const where = `expert '${task}' (${expert.path})`;
  for (const name of pretrained.names()) {
    if (!expert.has(name)) {
      found.push(`${where} lacks '${name}'`);
      continue;
    }
    const [a, b] = [pretrained.info(name), expert.info(name)];
    if (shapeString(a.shape) !== shapeString(b.shape)) {
      found.push(`${where} '${name}' has shape ${shapeString(b.shape)}, pretrained ${shapeString(a.shape)}`);
    } else if (a.dtype !== b.dtype) {
      found.push(`${where} '${name}' has dtype ${b.dtype}, pretrained ${a.dtype}`);
    }
  }
  for (const name of expert.names()) if (!pretrained.has(name)) found.push(`${where} has extra '${name}'`);
  return found;
}

/** Checks that all models agree and splits the tensors into merged and copied ones. */
export function planMerge(sources: MergeSources): MergePlan {
  const tasks = Object.keys(sources.experts);
  if (tasks.length === 0)
    throw new WemoeError('merge: models.experts is empty; expected at least one expert');
  const found = tasks.flatMap((task) => mismatches(sources.pretrained, task, sources.experts[task]));
  if (found.length > 0) {
    const more = found.length > LISTED_MISMATCHES ? `; and ${found.length - LISTED_MISMATCHES} more` : '';
    throw new WemoeError(
      `merge: the models do not match (${sources.pretrained.path} is the pretrained model): ` +
        `${found.slice(0, LISTED_MISMATCHES).join('; ')}${more}`,
    );
  }
  const tensors = sources.pretrained.names().map((name) => sources.pretrained.info(name));
  const floatTensors = tensors.filter((t) => isFloatDType(t.dtype));
  const copiedTensors = tensors.filter((t) => !isFloatDType(t.dtype));
  const count = (list: readonly TensorInfo[]) => list.reduce((sum, t) => sum + numel(t.shape), 0);
  return {
    tasks,
    tensors,
    floatTensors,
    copiedTensors,
    floatParams: count(floatTensors),
    allParams: count(tensors),
  };
}
