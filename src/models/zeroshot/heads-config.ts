/** The resolved config of `wemoe heads` (parsed and validated by config/heads-config.ts). */

/**
 * Class names or templates: a list, `builtin` (the task's own shipped lists), `builtin:<task>` (another
 * task's), or the path of a text file with one entry per line.
 */
export type TextsSpec = readonly string[] | string;

export interface HeadsTaskConfig {
  readonly classes: TextsSpec;
  readonly templates: TextsSpec;
}

export interface HeadsConfig {
  /** A full CLIPModel folder (text tower, projections, logit_scale, tokenizer files). */
  readonly model: string;
  /** Task name → its class names and templates, in the order the heads file stores them. */
  readonly tasks: Readonly<Record<string, HeadsTaskConfig>>;
  /** The heads.safetensors to write. */
  readonly output: string;
  /** Prompts per text-tower run. */
  readonly batch_size: number;
  /** The config file, for messages. */
  readonly source?: string;
}
