/** The README.md of a merged model: YAML front matter (as mergekit writes it) and a short description. */
import { stringify as stringifyYaml } from 'yaml';
import type { MergeMethod } from './registry.js';
import type { MergeConfig } from './resolved-config.js';
import { mergeConfigToYaml } from './resolved-config.js';

export interface ModelCardFacts {
  readonly allParams: number;
  readonly mergedTensors: number;
  readonly copiedTensors: number;
  readonly totalSeconds: number;
}

export function modelCard(config: MergeConfig, method: MergeMethod, facts: ModelCardFacts): string {
  const frontMatter = stringifyYaml({
    base_model: config.models.pretrained,
    tags: ['merge', 'wemoe'],
    merged_models: config.models.experts,
    merge_method: config.method,
    parameters: config.parameters,
  });
  const experts = Object.entries(config.models.experts).map(([task, path]) => `- ${task}: \`${path}\``);
  const parameters = Object.entries(config.parameters).map(
    ([key, value]) => `- ${key}: ${JSON.stringify(value)}`,
  );
  return [
    '---',
    frontMatter.trimEnd(),
    '---',
    '',
    '# Merged model',
    '',
    `This model was merged with wemoe using **${method.name}** ` +
      `(${method.paper}): ${method.description}.`,
    '',
    `Base (pretrained) model: \`${config.models.pretrained}\``,
    '',
    '## Models merged',
    '',
    ...experts,
    '',
    '## Parameters',
    '',
    ...(parameters.length > 0 ? parameters : ['(none)']),
    `- output dtype: ${config.dtype}`,
    `- seed: ${config.seed}`,
    '',
    `${facts.allParams.toLocaleString('en-US')} parameters; ${facts.mergedTensors} tensors merged, ` +
      `${facts.copiedTensors} copied from the base model; merged in ${facts.totalSeconds.toFixed(1)} s.`,
    '',
    '## Configuration',
    '',
    'The resolved configuration (also in `merge_config.yaml`):',
    '',
    '```yaml',
    mergeConfigToYaml(config).trimEnd(),
    '```',
    '',
  ].join('\n');
}
