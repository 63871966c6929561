/**
 * The models of a static merge may be CLIP checkpoints of different layouts: a full CLIPModel (both
 * towers), a CLIPVisionModel, or the latter without the `vision_model.` prefix. `alignClipExperts`
 * presents each expert under the pretrained model's tensor names: its vision tower read under the names
 * the pretrained model stores, and the tensors it lacks outside the vision tower (a full CLIPModel's
 * text tower, projections and logit_scale) read from the pretrained model, so that their task vectors
 * are zero and the merge keeps them (exactly, for task arithmetic, Ties and DARE). An expert's tensors
 * outside the vision tower that the pretrained model does not hold are left out. Checkpoints that are
 * not CLIP, or that already hold the pretrained model's names, are left as they are.
 */
import { type ClipVisionSource, clipVisionView, VISION_PREFIX } from '../io/clip-keys.js';
import type { TensorInfo, TensorLocation, TensorSource } from '../io/tensor-source.js';
import type { MergeSources } from '../merge/plan.js';
import type { Tensor } from '../tensor/tensor.js';

/** Where one name of the aligned expert is read. */
interface Route {
  readonly source: TensorSource;
  readonly name: string;
}

function sameNames(a: TensorSource, b: TensorSource): boolean {
  const names = a.names();
  return names.length === b.names().length && names.every((n) => b.has(n));
}

function tryView(source: TensorSource): ClipVisionSource | undefined {
  try {
    return clipVisionView(source);
  } catch {
    return undefined;
  }
}

/** The route of every pretrained name (and of the expert's extra vision tensors, for the plan to report). */
function routesFor(pretrained: TensorSource, expert: TensorSource): Map<string, Route> | undefined {
  const p = tryView(pretrained);
  const x = tryView(expert);
  if (!p || !x) return undefined;
  const visionOf = new Map<string, string>();
  for (const c of p.names()) if (c.startsWith(VISION_PREFIX)) visionOf.set(p.storedName(c), c);
  const routes = new Map<string, Route>();
  for (const stored of pretrained.names()) {
    const canonical = visionOf.get(stored);
    if (canonical !== undefined) {
      if (x.has(canonical)) routes.set(stored, { source: expert, name: x.storedName(canonical) });
    } else {
      routes.set(stored, { source: expert.has(stored) ? expert : pretrained, name: stored });
    }
  }
  for (const c of x.names()) {
    if (c.startsWith(VISION_PREFIX) && !p.has(c)) routes.set(c, { source: expert, name: x.storedName(c) });
  }
  return routes;
}

class AlignedExpert implements TensorSource {
  readonly locate?: (name: string) => TensorLocation;

  constructor(
    private readonly expert: TensorSource,
    private readonly routes: ReadonlyMap<string, Route>,
    pretrained: TensorSource,
  ) {
    if (expert.locate && pretrained.locate)
      this.locate = (name) => this.route(name).source.locate!(this.route(name).name);
  }

  get path(): string {
    return this.expert.path;
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.expert.metadata;
  }

  names(): string[] {
    return [...this.routes.keys()];
  }

  has(name: string): boolean {
    return this.routes.has(name);
  }

  info(name: string): TensorInfo {
    const { source, name: stored } = this.route(name);
    return { ...source.info(stored), name };
  }

  read(name: string): Tensor {
    const { source, name: stored } = this.route(name);
    return source.read(stored);
  }

  readF32(name: string): Float32Array {
    const { source, name: stored } = this.route(name);
    return source.readF32(stored);
  }

  close(): void {
    this.expert.close();
  }

  private route(name: string): Route {
    const route = this.routes.get(name);
    // The source's own message names the file and the missing tensor.
    return route ?? { source: this.expert, name };
  }
}

/** The sources with every CLIP expert presented under the pretrained model's names (see above). */
export function alignClipExperts(sources: MergeSources): MergeSources {
  const experts = Object.fromEntries(
    Object.entries(sources.experts).map(([task, expert]) => {
      if (sameNames(sources.pretrained, expert)) return [task, expert];
      const routes = routesFor(sources.pretrained, expert);
      return [task, routes ? new AlignedExpert(expert, routes, sources.pretrained) : expert];
    }),
  );
  return { pretrained: sources.pretrained, experts };
}
