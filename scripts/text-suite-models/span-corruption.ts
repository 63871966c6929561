/**
 * T5's span corruption (Raffel et al., JMLR 2020, §3.1.4): about `density` of a text's tokens, in spans
 * of mean length `meanSpan`, are each replaced in the input by one sentinel; the target lists every
 * sentinel followed by the tokens it hid, then a final sentinel and `</s>`.
 */
import type { Random } from '../../src/data/random.js';

export interface SpanCorruptionSettings {
  /** Fraction of the tokens hidden (T5: 0.15). */
  readonly density: number;
  /** Mean length of a hidden span (T5: 3). */
  readonly meanSpan: number;
}

export interface CorruptedText {
  readonly source: number[];
  readonly target: number[];
}

/**
 * Corrupts `tokens` (a text's ids without `</s>`); `sentinelIds[i]` is sentinel i's id (at least as many
 * as spans + 1). Spans are placed uniformly among the gaps, as T5's random_spans_noise_mask.
 */
export function spanCorrupt(
  tokens: readonly number[],
  random: Random,
  sentinelIds: readonly number[],
  settings: SpanCorruptionSettings,
  eos: number,
): CorruptedText {
  const n = tokens.length;
  const hidden = Math.min(n - 1, Math.max(1, Math.round(n * settings.density)));
  const spans = Math.max(1, Math.min(sentinelIds.length - 1, hidden, Math.round(hidden / settings.meanSpan)));
  const hiddenLengths = splitInto(hidden, spans, random);
  const keptLengths = splitInto(n - hidden, spans, random);
  const source: number[] = [];
  const target: number[] = [];
  let at = 0;
  for (let s = 0; s < spans; s++) {
    source.push(...tokens.slice(at, at + keptLengths[s]));
    at += keptLengths[s];
    source.push(sentinelIds[s]);
    target.push(sentinelIds[s], ...tokens.slice(at, at + hiddenLengths[s]));
    at += hiddenLengths[s];
  }
  source.push(...tokens.slice(at), eos);
  target.push(sentinelIds[spans], eos);
  return { source, target };
}

/** `total` split into `parts` positive lengths at random cut points (total ≥ parts). */
function splitInto(total: number, parts: number, random: Random): number[] {
  const cuts = new Set<number>();
  while (cuts.size < parts - 1) cuts.add(1 + random.int(total - 1));
  const sorted = [0, ...[...cuts].sort((a, b) => a - b), total];
  return sorted.slice(1).map((c, i) => c - sorted[i]);
}
