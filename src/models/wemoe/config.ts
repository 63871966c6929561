/** The `wemoe` block of a WEMoE checkpoint's config.json (docs/formats.md), validated. */
import { z } from 'zod';
import { WemoeError } from '../../errors.js';
import { UPSCALABLE_MODULES, type UpscaledModule } from './names.js';

export type RouterDepth = 0 | 1 | 2;

export interface WemoeConfig {
  /** Expert (task) names; task vector t belongs to experts[t]. */
  readonly experts: readonly string[];
  /** 0: a bias per expert; 1: linear on the tokens; 2: linear → ReLU → linear (the paper's default). */
  readonly routerDepth: RouterDepth;
  /** λ: task-arithmetic factor of the frozen parts and the routers' initial output. */
  readonly initLambda: number;
  /** Average routing weights over the batch (one merged weight set per batch) instead of per sample. */
  readonly batchReduce: boolean;
  /** Transformer blocks whose modules are mixtures, ascending. */
  readonly upscaledLayers: readonly number[];
  /** Which modules of those blocks are mixtures, each with its own router: ['mlp'] is the paper's method. */
  readonly upscaledModules: readonly UpscaledModule[];
}

const schema = z.strictObject({
  experts: z.array(z.string().min(1)).min(1),
  router_depth: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  init_lambda: z.number(),
  batch_reduce: z.boolean(),
  upscaled_layers: z.array(z.number().int().nonnegative()),
  // Absent in checkpoints written before the attention option: the MLPs only.
  upscaled_modules: z.array(z.enum(UPSCALABLE_MODULES)).min(1).default(['mlp']),
});

export function parseWemoeConfig(json: unknown, numLayers: number, source: string): WemoeConfig {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WemoeError(`${source}: wemoe.${issue.path.join('.')}: ${issue.message}`);
  }
  const c = parsed.data;
  const bad = c.upscaled_layers.find((l) => l >= numLayers);
  if (bad !== undefined)
    throw new WemoeError(`${source}: wemoe.upscaled_layers has ${bad}, the model has ${numLayers} layers`);
  return {
    experts: c.experts,
    routerDepth: c.router_depth,
    initLambda: c.init_lambda,
    batchReduce: c.batch_reduce,
    upscaledLayers: [...new Set(c.upscaled_layers)].sort((a, b) => a - b),
    upscaledModules: canonicalModules(c.upscaled_modules),
  };
}

/** Distinct modules in UPSCALABLE_MODULES order (the order of their tensors in a checkpoint). */
export function canonicalModules(modules: readonly UpscaledModule[]): UpscaledModule[] {
  return UPSCALABLE_MODULES.filter((m) => modules.includes(m));
}

export function wemoeConfigJson(c: WemoeConfig): Record<string, unknown> {
  return {
    experts: c.experts,
    router_depth: c.routerDepth,
    init_lambda: c.initLambda,
    batch_reduce: c.batchReduce,
    upscaled_layers: c.upscaledLayers,
    upscaled_modules: c.upscaledModules,
  };
}
