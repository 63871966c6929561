/**
 * The pre-training corpus: every text column of the eight tasks' train rows (labels unused).
 */
import type { TextRow } from '../../src/data/text-rows.js';

export function corpusTexts(trainRows: ReadonlyMap<string, readonly TextRow[]>): string[] {
  const texts: string[] = [];
  for (const rows of trainRows.values())
    for (const row of rows)
      for (const [column, value] of Object.entries(row))
        if (column !== 'label' && column !== 'idx' && typeof value === 'string') texts.push(value);
  return [...new Set(texts)];
}
