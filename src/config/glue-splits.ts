/** The split a config's task reads when it names none: a GLUE task of a T5 model reads its labelled one. */
import { GLUE_TASKS } from '../models/t5/glue.js';

/**
 * `tasks` with each GLUE task's split set to GLUE's labelled split (`validation`, mnli's
 * `validation_matched`; GLUE's test labels are hidden) where `raw` (the config as written) names no split.
 */
export function withGlueSplits<T extends { readonly split: string }>(
  tasks: Readonly<Record<string, T>>,
  raw: unknown,
): Record<string, T> {
  const given = (raw ?? {}) as Record<string, { split?: unknown } | undefined>;
  return Object.fromEntries(
    Object.entries(tasks).map(([name, spec]) => [
      name,
      given[name]?.split === undefined && Object.hasOwn(GLUE_TASKS, name)
        ? { ...spec, split: GLUE_TASKS[name].split }
        : spec,
    ]),
  );
}
